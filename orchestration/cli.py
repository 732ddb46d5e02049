"""The `transition-monitor` command: build an edition, show status, open the web UI.

`build` runs the same Dagster jobs the schedules run, in order, with progress on the
terminal; its last line is the path of the new edition's index.html.
"""


import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from orchestration.run_storage import deferred_sync
from orchestration.settings import HOME_ENV, SOURCE_MODE_ENV, Paths, paths, prepare_dagster_home


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def planned_runs(mode: str, days: int, today: date | None = None) -> list[tuple[str, str | None]]:
    """(job, partition key) in the order a full build runs them."""
    from orchestration.partitions import VALIDATED_AIR_QUALITY_YEARS
    from sources.luchtmeetnet import SNAPSHOT_DAYS

    if mode == "snapshot":
        air_days = list(SNAPSHOT_DAYS)
    else:
        today = today or datetime.now(UTC).date()
        air_days = [(today - timedelta(days=n)).isoformat() for n in range(days, 0, -1)]
    return ([("validated_air_quality_job", y) for y in VALIDATED_AIR_QUALITY_YEARS]
            + [("air_quality_daily_job", d) for d in air_days]
            + [("statistics_job", None), ("edition_job", None)])


def _run_failure_summary(result) -> str:
    import dagster as dg

    lines = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            while error is not None and error.cause is not None:  # the source's own error
                error = error.cause
            lines.append(f"    {event.step_key}: {error.message.strip() if error else ''}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            if not check.passed and check.severity == dg.AssetCheckSeverity.ERROR:
                lines.append(f"    {check.asset_key.to_user_string()} {check.check_name}: "
                             f"{check.description or 'failed'}")
    return "\n".join(lines) or "    (see the run in the web UI)"


def run_build(p: Paths, mode: str, days: int, say: Callable[[str], None] = _say,
              only_edition: bool = False) -> tuple[Path | None, int, str | None]:
    """Materialise everything (or only the edition) and publish; return the latest index.html,
    how many runs failed, and the edition that stands when a build found nothing new (then no
    edition is built: `nothing_new_since`)."""
    import dagster as dg

    from orchestration.definitions import build_defs
    from reports.publish import latest_published

    prepare_dagster_home(p)
    if mode == "snapshot" and not only_edition:
        _prepare_snapshot(p, say)
    defs = build_defs(home=str(p.home), mode=mode)
    instance = dg.DagsterInstance.get()
    runs = [("edition_job", None)] if only_edition else planned_runs(mode, days)
    jobs = build_jobs(defs, runs)
    failures, unchanged = 0, None
    todo = list(enumerate(zip(runs, jobs, strict=True), 1))
    from orchestration.settings import distributed_profile

    workers = distributed_profile().workers
    if workers > 1:  # the distributed profile: all but the edition over worker processes
        from orchestration.fanout import run_fanned_out

        failures = run_fanned_out(str(p.home), mode, [r for r in runs if r[0] != "edition_job"],
                                  workers, QUIET_RUN_CONFIG, say)
        todo = [t for t in todo if t[1][0][0] == "edition_job"]
    with deferred_sync(p.dagster_home):
        for n, ((job_name, key), job) in todo:
            label = f"[{n}/{len(runs)}] {job_name}" + (f" {key}" if key else "")
            if job_name == "edition_job" and not only_edition:
                unchanged = _nothing_new(p, mode)
                if unchanged:
                    say(f"{label} ... skipped: nothing new since edition {unchanged}")
                    continue
            started = time.monotonic()
            result = job.execute_in_process(instance=instance, partition_key=key,
                                            raise_on_error=False, run_config=QUIET_RUN_CONFIG)
            took = time.monotonic() - started
            if result.success:
                say(f"{label} ... ok ({took:.1f}s)")
            else:
                failures += 1
                say(f"{label} ... FAILED ({took:.1f}s)\n{_run_failure_summary(result)}")
    latest = latest_published(p.site)
    if latest is None:
        return None, failures, None
    index = p.site / "editions" / latest / "nl" / "index.html"
    say(f"done: {len(runs) - failures} of {len(runs)} runs succeeded; edition {latest}")
    return index, failures, unchanged


def _nothing_new(p: Paths, mode: str) -> str | None:
    from reports.publish import nothing_new_since
    from warehouse.store import Warehouse

    return nothing_new_since(Warehouse(p.warehouse), p.site, mode)


def build_jobs(defs, runs: list[tuple[str, str | None]]) -> list:
    """The job each planned run executes. Freshness checks are steps of every run of a job,
    but a build needs their verdict once, after the last partition: the earlier runs of a
    job go without them (a partitioned job's runs are most of a build's runs and steps)."""
    from orchestration.freshness import all_freshness_checks

    freshness = {key for checks in all_freshness_checks() for key in checks.check_keys}
    last = {job_name: n for n, (job_name, _) in enumerate(runs)}
    out = []
    for n, (job_name, _) in enumerate(runs):
        job = defs.resolve_job_def(job_name)
        graph = job.asset_layer.asset_graph
        if n != last[job_name] and graph.asset_check_keys & freshness:
            job = job.get_subset(asset_selection=graph.executable_asset_keys,
                                 asset_check_selection=graph.asset_check_keys - freshness)
        out.append(job)
    return out


def _prepare_snapshot(p: Paths, say: Callable[[str], None]) -> None:
    from families.registry import snapshot_generators
    from sources.snapshot import ensure_generated

    ensure_generated(p.generated_snapshot, snapshot_generators(), progress=say)


def cmd_build(args: argparse.Namespace) -> int:
    p = paths(args.home)
    os.environ[SOURCE_MODE_ENV] = args.source
    os.environ[HOME_ENV] = str(p.home)
    from orchestration.configcheck import configuration_problems

    problems = configuration_problems()  # a missing key fails only its own source's feeds
    if problems:
        _say("the configuration has errors; fix them and run again:\n" + "\n".join(problems))
        return 2
    _say(f"{args.command}: {args.source} sources, state in {p.home}")
    before = _latest_edition_id(p)
    index, failures, unchanged = run_build(p, args.source, args.days,
                                           only_edition=args.command == "publish")
    if unchanged and index is not None:
        _say(f"nothing new since edition {unchanged}: it stays the current one")
    elif index is None or _latest_edition_id(p) == before:
        _say("no new edition was published (see the failures above); "
             + (f"the previous edition stays: {index}" if index else "none exists yet"))
        return 1
    print(index)
    if failures:
        _say(f"{failures} run(s) failed (listed above): the edition shows the last good data "
             "of those sources; fix the cause and run the command again")
        return 1
    return 0


def _latest_edition_id(p: Paths) -> str | None:
    from reports.publish import latest_published

    return latest_published(p.site)


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when every configuration file is valid, 1 when any problem was found."""
    from orchestration.configcheck import config_files, configuration_problems

    problems = configuration_problems(args.regions, args.catalogue, args.installations,
                                      mode=args.source, agendas=args.agendas)
    for problem in problems:
        print(problem)
    _say(f"{len(problems)} problem(s) in the configuration" if problems
         else "configuration valid: " + ", ".join(str(f.path) for f in config_files(
             args.regions, args.catalogue, args.installations)) + ", the agendas")
    return 1 if problems else 0


def cmd_status(args: argparse.Namespace) -> int:
    """Exit codes: 0 healthy, 1 a validation failed, 3 stale (live data or fetches older than
    allowed), 4 no warehouse yet or unreadable; see orchestration/status.py."""
    from orchestration.status import collect_status, format_status

    status = collect_status(paths(args.home), source_mode=args.source)
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return status["exit_code"]


def cmd_ui(args: argparse.Namespace) -> int:
    from orchestration.service import run_until_signalled, ui_command

    p = paths(args.home)
    prepare_dagster_home(p)
    env = {**os.environ, HOME_ENV: str(p.home)}
    _say(f"Dagster UI and daemon on http://{args.host}:{args.port} "
         f"(DAGSTER_HOME={p.dagster_home}); stop with Ctrl-C or SIGTERM")
    return run_until_signalled(ui_command(args.host, args.port), env=env)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="transition-monitor", description=__doc__)
    root.add_argument("--home", help=f"state directory (default ${HOME_ENV} or ./var)")
    sub = root.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="materialise every asset and publish a report edition")
    build.add_argument("--source", choices=["snapshot", "live"], default="snapshot",
                       help="bundled snapshot (offline, default) or the live APIs")
    build.add_argument("--days", type=int, default=7,
                       help="live mode: how many past UTC days of air quality to fetch")
    build.set_defaults(func=cmd_build)
    publish = sub.add_parser("publish", help="compute indicators and publish an edition from "
                             "the data already stored (no fetching)")
    publish.add_argument("--source", choices=["snapshot", "live"], default="snapshot",
                         help="labels the edition: snapshot editions carry the demo-data banner")
    publish.set_defaults(func=cmd_build, days=0)
    check = sub.add_parser("check", help="validate the configuration files (regions, catalogue, "
                           "agendas, sources) in about a second; exit 1 on any problem",
                           description="One line per problem, naming file, entry and field. "
                           "Exit codes: 0 valid, 1 problems found, 2 usage error.")
    check.add_argument("--regions", type=Path, help="regions file (default "
                       "$TRANSITION_MONITOR_REGIONS or indicators/regions.yaml)")
    check.add_argument("--catalogue", type=Path, help="catalogue file (default "
                       "$TRANSITION_MONITOR_CATALOGUE or indicators/catalogue.yaml)")
    check.add_argument("--agendas", type=Path, help="folder of the regions' agenda files "
                       "(default indicators/agendas)")
    check.add_argument("--installations", type=Path, help="EU ETS installations file (default "
                       "families/emissions/installations.yaml)")
    check.add_argument("--source", choices=["snapshot", "live"], default="snapshot",
                       help="live: also report the API keys that are not set")
    check.set_defaults(func=cmd_check)
    status = sub.add_parser(
        "status", help="health check: sources, validation and indicators at a glance",
        description="Exit codes: 0 healthy; 1 a validation failed; 3 data or a fetch older "
        "than its source allows; 4 no warehouse yet, or a build holds it; 2 usage error. Demo "
        "data (a snapshot build) is old by design and not counted as stale.")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--source", choices=["snapshot", "live"], default=None,
                        help="judge the data as demo (snapshot) or live data; default: the "
                        "mode of the latest edition")
    status.set_defaults(func=cmd_status)
    ui = sub.add_parser("ui", help="the Dagster web UI and daemon, `dg dev` (binds to 127.0.0.1 "
                        "by default; stops every child on SIGTERM and SIGINT)")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
