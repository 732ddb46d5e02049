"""The commands users run, timed as they run them: `transition-monitor build` on the snapshot in a
subprocess with a fresh home (imports, snapshot generation, Dagster and its run storage
included), a second `build` with nothing new (the no-op rebuild), `publish` and `status`,
beside the direct baseline (`benchmarks.direct`) measured in the same round.

`python -m benchmarks.run --commands [--repeat N] [--before CHECKOUT]`: each round runs, for
each checkout (this one, and optionally another one, e.g. the code before a change, with its
own .venv), fresh build -> no-op rebuild -> publish -> status in one fresh home, then the
baseline once on this round's snapshot files. Rounds alternate the checkouts, so both see the
same machine; the figures are medians over rounds and the ratios are taken within each round.
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


def baseline(snapshot: Path, out_dir: Path) -> dict:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    return timed([sys.executable, "-m", "benchmarks.direct", "--snapshot", str(snapshot),
                  "--out", str(out_dir)], cwd=HERE)


def run_commands(workdir: Path, repeat: int = 3, before: Path | None = None,
                 say=print) -> dict:
    checkouts = {"after": HERE, **({"before": before.resolve()} if before else {})}
    rounds = []
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
        entry["load_end"] = _load()
        rounds.append(entry)
        say(f"round {n + 1}: " + ", ".join(
            f"{label} " + " ".join(f"{s}={entry[label][s]['s']}" for s in STEPS)
            for label in checkouts) + f"; baseline {entry['baseline']['s']}; load "
            f"{entry['load_start']} -> {entry['load_end']}")
    return {"rounds": rounds, "checkouts": {k: str(v) for k, v in checkouts.items()},
            "summary": summarise(rounds, list(checkouts))}


def summarise(rounds: list[dict], labels: list[str]) -> dict:
    def med(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    out: dict = {"baseline_s": med([r["baseline"]["s"] for r in rounds]),
                 "load": [(r["load_start"], r["load_end"]) for r in rounds]}
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
              "1-minute load average per round (start, end): "
              + ", ".join(f"{a}-{b}" for a, b in summary["load"]), ""]
    return lines
