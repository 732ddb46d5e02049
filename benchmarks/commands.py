"""The commands users run, timed as they run them: `transition-monitor build` on the snapshot in a
subprocess with a fresh home (imports, snapshot generation, Dagster and its run storage
included), a second `build` with nothing new (the no-op rebuild), `publish` and `status`,
beside the direct baseline (`benchmarks.direct`) measured in the same round.

`python -m benchmarks.run --commands [--repeat N] [--before CHECKOUT]`: each round runs, for
each checkout (this one, and optionally another one, e.g. the code before a change, with its
own .venv), fresh build -> no-op rebuild -> publish -> status in one fresh home, then the
baseline once on this round's snapshot files. Rounds alternate the checkouts, so both see the
same machine; the figures are medians over rounds and the ratios are taken within each round.

The one-day refresh as deployed (`benchmarks.refresh`): each round, in a new process on a copy
of a home built once without the last snapshot day, the daily schedule's run of that day and
then whatever the edition sensor asks for; set against the benchmark's national-size build
(`benchmarks.run --size national`: the project's functions without Dagster), measured once
after the rounds, since a national build through the command would take tens of minutes.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
STEPS = ("build", "noop_build", "publish", "status", "check")


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict:
    """Wall seconds of one command (it must succeed)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = err.decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{tail}")
    return {"s": round(seconds, 2), "stderr_tail": err.decode(errors="replace")[-400:],
            "stdout": out.decode(errors="replace").strip()[-300:]}


def command_steps(checkout: Path, home: Path) -> dict:
    """fresh build, no-op rebuild, publish, status, check of one checkout in one fresh home."""
    if home.exists():
        shutil.rmtree(home)
    cli = [str(checkout / ".venv" / "bin" / "transition-monitor"), "--home", str(home)]
    out = {}
    for step, args in (("build", ["build"]), ("noop_build", ["build"]),
                       ("publish", ["publish"]), ("status", ["status"]), ("check", ["check"])):
        out[step] = timed([*cli, *args], cwd=checkout)
    return out


def refresh_home(workdir: Path) -> Path:
    """A home built from the snapshot without its last day (untimed): the day a refresh adds."""
    from sources.luchtmeetnet import SNAPSHOT_DAYS

    home = workdir / "refresh-template"
    if home.exists():
        shutil.rmtree(home)
    timed([str(HERE / ".venv" / "bin" / "transition-monitor"), "--home", str(home), "build",
           "--until", SNAPSHOT_DAYS[-2]], cwd=HERE)
    return home


def one_day_refresh(template: Path, home: Path) -> dict:
    """`benchmarks.refresh` in a new process on a copy of the template: the daily schedule's
    run of the last snapshot day, then what the edition sensor asks for. `s` is the process's
    wall time less the sensor's evaluation before the run (the cursor a daemon holds)."""
    import json

    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(template, home)
    out = timed([sys.executable, "-m", "benchmarks.refresh", "--home", str(home)], cwd=HERE)
    found = json.loads(out["stdout"].splitlines()[-1])
    return {**found, "wall_s": out["s"],
            "s": round(out["s"] - found["phases_s"]["setup_sensor_cursor"], 2)}


def national_build() -> dict:
    """The benchmark's national-size build (`benchmarks.run --size national`, its own process):
    the project's functions stage by stage, no Dagster; `full_build_s` is their sum."""
    import tempfile

    from benchmarks.run import derived, run_size

    with tempfile.TemporaryDirectory(prefix="tm-national-") as root:
        result = run_size("national", Path(root))
    figures = derived(result)
    return {"full_build_s": round(figures["full_build_s"], 2),
            "without_report_s": round(figures["full_build_without_report_s"], 2)}


def baseline(snapshot: Path, out_dir: Path) -> dict:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    return timed([sys.executable, "-m", "benchmarks.direct", "--snapshot", str(snapshot),
                  "--out", str(out_dir)], cwd=HERE)


def run_commands(workdir: Path, repeat: int = 3, before: Path | None = None,
                 say=print) -> dict:
    checkouts = {"after": HERE, **({"before": before.resolve()} if before else {})}
    rounds = []
    say("one-day refresh: building its home without the last snapshot day (untimed)")
    template = refresh_home(workdir)
    for n in range(repeat):
        entry: dict = {"load_start": _load()}
        order = list(checkouts.items())
        if n % 2:  # alternate who goes first
            order.reverse()
        for label, checkout in order:
            say(f"round {n + 1}/{repeat}: {label} ({checkout}) build, no-op build, publish, status")
            entry[label] = command_steps(checkout, workdir / f"home-{label}")
        say(f"round {n + 1}/{repeat}: direct baseline")
        entry["baseline"] = baseline(workdir / "home-after" / "snapshot-generated",
                                     workdir / "baseline")
        say(f"round {n + 1}/{repeat}: one-day refresh (schedule, then sensor)")
        entry["refresh"] = one_day_refresh(template, workdir / "home-refresh")
        entry["load_end"] = _load()
        rounds.append(entry)
        say(f"round {n + 1}: " + ", ".join(
            f"{label} " + " ".join(f"{s}={entry[label][s]['s']}" for s in STEPS)
            for label in checkouts) + f"; baseline {entry['baseline']['s']}; refresh "
            f"{entry['refresh']['s']} {entry['refresh']['phases_s']}; load "
            f"{entry['load_start']} -> {entry['load_end']}")
    say("national build (benchmarks.run --size national), for the refresh's ratio")
    national = {"load_start": _load(), **national_build(), "load_end": _load()}
    return {"rounds": rounds, "national": national,
            "checkouts": {k: str(v) for k, v in checkouts.items()},
            "summary": summarise(rounds, list(checkouts), national)}


def summarise(rounds: list[dict], labels: list[str], national: dict | None = None) -> dict:
    def med(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    out: dict = {"baseline_s": med([r["baseline"]["s"] for r in rounds]),
                 "load": [(r["load_start"], r["load_end"]) for r in rounds]}
    if national and all("refresh" in r for r in rounds):
        out["refresh_s"] = med([r["refresh"]["s"] for r in rounds])
        out["national_build_s"] = national["full_build_s"]
        out["refresh_vs_national"] = round(out["refresh_s"] / national["full_build_s"], 4)
    for label in labels:
        steps = {s: med([r[label][s]["s"] for r in rounds]) for s in STEPS}
        ratios = {
            "build_vs_baseline": med([r[label]["build"]["s"] / r["baseline"]["s"] for r in rounds]),
            "noop_vs_build": med([r[label]["noop_build"]["s"] / r[label]["build"]["s"]
                                  for r in rounds]),
        }
        out[label] = {"median_s": steps, "ratios": ratios}
    return out


def render_commands(result: dict) -> list[str]:
    summary = result["summary"]
    labels = [k for k in ("before", "after") if k in summary]
    lines = ["## The commands users run (subprocess, fresh home; medians over rounds)", "",
             "| command | " + " | ".join(f"{label}: s" for label in labels) + " |",
             "| --- |" + " ---: |" * len(labels)]
    names = {"build": "`build` (fresh home)", "noop_build": "`build` again (nothing new)",
             "publish": "`publish`", "status": "`status`", "check": "`check`"}
    for step in STEPS:
        lines.append(f"| {names[step]} | " + " | ".join(
            f"{summary[label]['median_s'][step]:.2f}" for label in labels) + " |")
    lines.append(f"| direct baseline (`benchmarks.direct`) | {summary['baseline_s']:.2f} |"
                 + " |" * (len(labels) - 1))
    lines += ["", "| ratio (median of per-round ratios) | " + " | ".join(labels) + " | target |",
              "| --- |" + " ---: |" * len(labels) + " --- |",
              "| fresh build / direct baseline | " + " | ".join(
                  f"{summary[label]['ratios']['build_vs_baseline']:.2f} x" for label in labels)
              + " | <= 2 x |",
              "| no-op rebuild / fresh build | " + " | ".join(
                  f"{summary[label]['ratios']['noop_vs_build']:.0%}" for label in labels)
              + " | <= 10% |", "",
              *([f"One-day refresh as deployed (daily schedule's run, then the edition "
                 f"sensor; new process): {summary['refresh_s']:.2f} s; national build "
                 f"(benchmarks.run, no Dagster, measured once after the rounds): "
                 f"{summary['national_build_s']:.2f} s; refresh / national build "
                 f"{summary['refresh_vs_national']:.1%} (target <= 5%)", ""]
                if "refresh_s" in summary else []),
              "1-minute load average per round (start, end): "
              + ", ".join(f"{a}-{b}" for a, b in summary["load"]), ""]
    return lines
