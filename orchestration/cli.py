"""The `transition-monitor` command: build an edition, show status, open the web UI.

`build` runs the same Dagster jobs the schedules run, in order, with progress on the
terminal; its last line is the path of the new edition's index.html.
"""


import argparse
import json
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from orchestration import collector
from orchestration.run_storage import deferred_sync
from orchestration.settings import HOME_ENV, SOURCE_MODE_ENV, Paths, paths, prepare_dagster_home


def _say(message: str) -> None:
    from core.secrets import redact_text

    print(redact_text(message), file=sys.stderr, flush=True)


QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def planned_runs(mode: str, days: int, today: date | None = None, *,
                 until: date | None = None,
                 years: list[str] | None = None) -> list[tuple[str, str | None]]:
    """(job, partition key) in the order a full build runs them. Live mode fetches the `days`
    UTC days up to `until` (default yesterday), snapshot mode the bundled days up to `until`
    (default all); `years` narrows the validated years."""
    from orchestration.partitions import VALIDATED_AIR_QUALITY_YEARS
    from sources.luchtmeetnet import SNAPSHOT_DAYS

    if mode == "snapshot":  # the bundled days, up to `until` when given
        air_days = [d for d in SNAPSHOT_DAYS if until is None or d <= until.isoformat()]
    else:
        last = until or (today or datetime.now(UTC).date()) - timedelta(days=1)
        air_days = [(last - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
    chosen = VALIDATED_AIR_QUALITY_YEARS if years is None else years
    return ([("validated_air_quality_job", y) for y in chosen]
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
              only_edition: bool = False, until: date | None = None,
              years: list[str] | None = None,
              stop_requested: Callable[[], None] = lambda: None
              ) -> tuple[Path | None, int, str | None]:
    """Materialise everything (or only the edition) and publish; return the latest index.html,
    how many runs failed, and the edition that stands when a build found nothing new (then no
    edition is built: `nothing_new_since`). A failed run is announced through the notifier.
    `stop_requested` (see `stop_on_signals`) is asked after each run whether to stop."""
    import dagster as dg

    from orchestration.definitions import build_defs
    from orchestration.settings import distributed_profile
    from reports.publish import latest_published

    prepare_dagster_home(p)
    if mode == "snapshot" and not only_edition:
        _prepare_snapshot(p, say)
    defs = build_defs(home=str(p.home), mode=mode, interactive=True)
    collector.settle()  # start-up is done: its objects stay, the data work begins
    instance = dg.DagsterInstance.get()
    runs = ([("edition_job", None)] if only_edition
            else planned_runs(mode, days, until=until, years=years))
    jobs = build_jobs(defs, runs)
    failures, unchanged = 0, None
    last = {job_name: n for n, (job_name, _) in enumerate(runs, 1)}
    todo = [PlannedRun(n, job_name, key, job)
            for n, ((job_name, key), job) in enumerate(zip(runs, jobs, strict=True), 1)]
    workers = distributed_profile().workers
    if workers > 1:  # the distributed profile: all but the edition over worker processes
        from orchestration.fanout import run_fanned_out

        failures = run_fanned_out(str(p.home), mode, [r for r in runs if r[0] != "edition_job"],
                                  workers, say)
        todo = [run for run in todo if run.job_name == "edition_job"]
    with deferred_sync(p.dagster_home), dg.build_resources(defs.resources,
                                                           instance=instance) as resources:
        for group in _partition_groups(todo):
            with _one_connection(resources):  # the group's look, runs and checks
                if len(group) > 1:  # a partitioned job's planned partitions: one run for them all
                    failures += _run_partitions(group, defs, instance, resources, len(runs), say,
                                                stop_requested)
                    continue
                n, job_name, key, job = group[0]
                label = f"[{n}/{len(runs)}] {job_name}" + (f" {key}" if key else "")
                if job_name == "edition_job" and not only_edition:
                    unchanged = _nothing_new(p, mode)
                    if unchanged:
                        say(f"{label} ... skipped: nothing new since edition {unchanged}")
                        continue
                started = time.monotonic()
                job = _after_look(instance, job, key, resources, last[job_name] == n)
                if job is None:
                    say(f"{label} ... nothing new ({time.monotonic() - started:.1f}s)")
                    continue
                failures += not _execute_labelled(job, job_name, key, None, instance, defs, label,
                                                  started, say)
                stop_requested()  # Dagster answered the signal by failing the run: stop here
    _record_fetch_failures(p, instance)
    latest = latest_published(p.site)
    if latest is None:
        return None, failures, None
    index = p.site / "editions" / latest / "nl" / "index.html"
    say(f"done: {len(runs) - failures} of {len(runs)} runs succeeded; edition {latest}")
    return index, failures, unchanged


def _execute_labelled(job, job_name: str, key: str | None, keys: tuple[str, str] | None,
                      instance, defs, label: str, started: float, say) -> bool:
    """Execute one run and say how it went; True when it succeeded."""
    from orchestration.recovery import fail_runs_left_in_progress

    try:
        result = execute_run(job, job_name, key, instance, defs.resources["notifier"],
                             key_range=keys)
    except BuildStopped:  # before Dagster took over the signals, or after it let go
        say(f"{label} ... STOPPED ({time.monotonic() - started:.1f}s)")
        fail_runs_left_in_progress(instance, "stopped by a signal before it finished")
        raise
    took = time.monotonic() - started
    if result.success:
        say(f"{label} ... ok ({took:.1f}s)")
        return True
    say(f"{label} ... FAILED ({took:.1f}s)\n{_run_failure_summary(result)}")
    return False


class PlannedRun(NamedTuple):
    """One planned run of a build: its place in the plan (from 1), job, partition and the job
    definition `build_jobs` made for it."""

    n: int
    job_name: str
    key: str | None
    job: object


def _partition_groups(todo: list[PlannedRun]) -> list[list[PlannedRun]]:
    """The planned runs in order, a partitioned job's consecutive partitions as one group."""
    groups: list[list[PlannedRun]] = []
    for run in todo:
        if groups and run.key is not None and groups[-1][-1].job_name == run.job_name:
            groups[-1].append(run)
        else:
            groups.append([run])
    return groups


def _run_partitions(group: list[PlannedRun], defs, instance, resources, total: int, say,
                    stop_requested: Callable[[], None]) -> int:
    """A partitioned job's planned partitions (a fresh build: 9 years, then 7 days) as one
    Dagster run over a partition range, where the look allows; how many runs failed.

    Each partition is looked at first (`orchestration.probe.look`): unchanged, no work; its
    fetch failed, it runs on its own as before (the job's raw asset fetches with Dagster's
    retries and records the failure for that partition only); changed, it joins the range
    run of the job's changed clean assets, over the consecutive partitions from the first
    changed to the last (unchanged ones inside a range find their inputs unchanged and do
    nothing). The clean assets gate each partition on their own (`each_partition`): a failed
    partition keeps its previous rows and fails the run, the others are written. The job's
    data-freshness checks are evaluated once, after its runs, and reported to the instance."""
    import dagster as dg

    from orchestration.probe import asset_names, look, report_fetches, report_freshness

    job_name = group[0].job_name
    base = defs.resolve_job_def(job_name)  # with its freshness checks: they go per group
    order = {k: i for i, k in enumerate(base.partitions_def.get_partition_keys(
        dynamic_partitions_store=instance))}
    changed: dict[str, frozenset[str]] = {}
    alone: list[tuple[int, str]] = []
    for n, _, key, _ in group:
        started = time.monotonic()
        found = look(base, key, resources)
        if found is None:
            alone.append((n, key))
            continue
        report_fetches(instance, found, key)
        if found.changed:
            changed[key] = found.changed
        else:
            say(f"[{n}/{total}] {job_name} {key} ... nothing new "
                f"({time.monotonic() - started:.1f}s)")
        stop_requested()
    from orchestration.freshness import all_freshness_checks

    freshness = {k for checks in all_freshness_checks() for k in checks.check_keys}
    graph = base.asset_layer.asset_graph
    failures = 0
    for n, key in alone:  # as before: the whole job for that partition, fetch included
        job = base.get_subset(asset_selection=graph.executable_asset_keys,
                              asset_check_selection=graph.asset_check_keys - freshness)
        failures += not _execute_labelled(job, job_name, key, None, instance, defs,
                                          f"[{n}/{total}] {job_name} {key}",
                                          time.monotonic(), say)
        stop_requested()
    looked = [run.key for run in group if run.key not in {key for _, key in alone}]
    for first, last, keys in _ranges(looked, changed, order):
        selected = {dg.AssetKey(name) for key in keys for name in changed.get(key, ())}
        checks = {c for c in graph.asset_check_keys
                  if c.asset_key in selected and c not in freshness}
        job = base.get_subset(asset_selection=selected, asset_check_selection=checks)
        n = next(run.n for run in group if run.key == first)
        label = f"[{n}/{total}] {job_name} {first}" + (
            f"..{last} ({len(keys)} partitions, one run)" if first != last else "")
        one = first == last
        failures += not _execute_labelled(job, job_name, first if one else None,
                                          None if one else (first, last), instance, defs,
                                          label, time.monotonic(), say)
        stop_requested()
    report_freshness(instance, asset_names(base), resources)
    return failures


@contextmanager
def _one_connection(resources) -> Iterator[None]:
    """One warehouse connection for a planned run's look, run and checks in this process (an
    asset's own session, and every query, reuse it): each open and close costs 20-50 ms and a
    checkpoint. Released between runs, so `status` and other processes get the file in between.
    Not with Celery: its workers, other processes, write the warehouse while the run lasts."""
    from orchestration.settings import distributed_profile

    if distributed_profile().celery:
        yield
        return
    with resources.warehouse.warehouse().session():
        yield


def _ranges(planned: list[str], changed: dict, order: dict[str, int]
            ) -> list[tuple[str, str, list[str]]]:
    """(first, last, keys) of each range run: runs of partitions consecutive in the
    partitions definition and all planned with a look that worked, trimmed to the first and
    last changed one; a range without a change is dropped."""
    ranges, current = [], []
    for key in sorted(k for k in planned if k in order):
        if current and order[key] != order[current[-1]] + 1:
            ranges.append(current)
            current = []
        current.append(key)
    if current:
        ranges.append(current)
    out = []
    for keys in ranges:
        hits = [i for i, k in enumerate(keys) if k in changed]
        if hits:
            span = keys[hits[0]:hits[-1] + 1]
            out.append((span[0], span[-1], span))
    return out


def execute_run(job, job_name: str, key: str | None, instance, notifier,
                key_range: tuple[str, str] | None = None):
    """One Dagster run of a CLI build, in the build's process or a fanned-out worker's:
    tagged with this process's pid (a run a killed process leaves is released by the next
    build, orchestration/recovery.py), a quiet console, and the sensors' alerts sent here,
    since no daemon watches these runs (once per table, orchestration/alerts.py)."""
    from orchestration.alerts import alert_run
    from orchestration.recovery import cli_run_tags
    from orchestration.settings import distributed_profile

    tags = cli_run_tags()
    if key_range is not None:  # one run over a range of partitions (Dagster's range tags)
        tags = {**tags, "dagster/asset_partition_range_start": key_range[0],
                "dagster/asset_partition_range_end": key_range[1]}
    if distributed_profile().celery:  # the steps go to the Celery workers
        import dagster as dg

        tags = {**tags, **({"dagster/partition": key} if key else {})}
        with warnings.catch_warnings():
            # dagster-celery registers its step task again for every step it sends
            warnings.filterwarnings("ignore", message="Task name 'execute_plan' is already")
            with dg.execute_job(reconstructable(job), instance, run_config=QUIET_RUN_CONFIG,
                                tags=tags) as result:
                pass
    else:
        result = job.execute_in_process(instance=instance, partition_key=key, tags=tags,
                                        raise_on_error=False, run_config=QUIET_RUN_CONFIG)
    alert_run(notifier, job_name, result.run_id, result.all_events)
    return result


def reconstructable(job):
    """`job` (one of `build_defs`' jobs, or a subset of one) as a pointer another process
    loads: the job of `orchestration.definitions:defs` by name, with the same selection. An
    executor that runs steps elsewhere (Celery) needs it; `execute_in_process` does not."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    repo = ReconstructableRepository.for_module("orchestration.definitions", "defs",
                                                working_directory=None)
    recon = repo.get_reconstructable_job(job.name)
    selected = job.asset_selection_data
    if selected is None:
        return recon
    checks = selected.asset_check_selection
    return recon.get_subset(asset_selection=set(selected.asset_selection),
                            asset_check_selection=None if checks is None else set(checks))


def _after_look(instance, job, key: str | None, resources, last_of_job: bool):
    """The run to start after `orchestration.probe.look` (None: nothing changed, no run)."""
    import dagster as dg

    from orchestration.probe import asset_names, look, report_fetches, report_freshness

    found = look(job, key, resources)
    if found is None:
        return job
    report_fetches(instance, found, key)
    if last_of_job:  # the freshness of what the run below leaves out
        report_freshness(instance, asset_names(job) - found.changed, resources)
    if not found.changed:
        return None
    selected = {dg.AssetKey(name) for name in found.changed}
    checks = {c for c in job.asset_layer.asset_graph.asset_check_keys if c.asset_key in selected}
    return job.get_subset(asset_selection=selected, asset_check_selection=checks)


class BuildStopped(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """SIGINT or SIGTERM asked the build to stop."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


@contextmanager
def stop_on_signals() -> Iterator[Callable[[], None]]:
    """SIGINT and SIGTERM stop the whole build: between runs at once (BuildStopped); during a
    run Dagster's own handler takes both signals and fails the run, and the function this
    yields raises BuildStopped once that run is over. Dagster's handler hides the signal from
    ours, so signals are also read from the wakeup fd, which Python writes on every signal
    whatever handler runs."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield lambda: None  # signals reach the main thread only
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)

    def on_signal(signum, _frame):
        raise BuildStopped(signum)

    def stop_requested() -> None:
        try:
            seen = os.read(read_fd, 512)
        except BlockingIOError:
            return
        for signum in seen:
            if signum in (signal.SIGINT, signal.SIGTERM):
                raise BuildStopped(signum)

    def ignored(unraisable) -> None:
        # A signal landing in a garbage-collection callback raises BuildStopped where Python
        # can only print it ("Exception ignored in ...", with a traceback): not an error, the
        # wakeup fd still holds the signal and `stop_requested` raises it after the run.
        if not isinstance(unraisable.exc_value, BuildStopped):
            previous_hook(unraisable)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    previous_hook, sys.unraisablehook = sys.unraisablehook, ignored
    try:
        yield stop_requested
    finally:
        sys.unraisablehook = previous_hook
        signal.set_wakeup_fd(previous_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(read_fd)
        os.close(write_fd)


def _record_fetch_failures(p: Paths, instance) -> None:
    """Copy Dagster's verdict on failed fetches into the warehouse, for `status`."""
    from orchestration.run_health import failed_fetches
    from warehouse.fetch_failures import replace_fetch_failures
    from warehouse.store import Warehouse

    replace_fetch_failures(Warehouse(p.warehouse), failed_fetches(instance))


def failed_source_lines(p: Paths) -> list[str]:
    """One line per source whose last fetch failed: source, what failed, what to do."""
    from warehouse.health_sql import FETCH_FAILURES_SQL, FETCH_FAILURES_TABLE
    from warehouse.store import Warehouse

    if not p.warehouse.exists():
        return []
    wh = Warehouse(p.warehouse)
    if not wh.has_table(FETCH_FAILURES_TABLE):
        return []
    lines = []
    for row in wh.query(FETCH_FAILURES_SQL).iter_rows(named=True):
        error = " ".join((row["error"] or "").split())
        todo = "" if "Next:" in error else (" Next: fix the cause and run the command again; "
                                            "the previous data of this source is kept.")
        lines.append(f"FAILED {row['source']} ({row['asset']}): {error}{todo}")
    return lines


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


# Exit codes of `build` and `publish` (besides 0, 1 runs failed or nothing published, and
# 2 configuration errors): another command holds the state directory; the warehouse is damaged.
EXIT_BUSY = 3
EXIT_DAMAGED = 5


def cmd_build(args: argparse.Namespace) -> int:
    from orchestration.recovery import CommandBusy, command_lock

    p = paths(args.home)
    os.environ[SOURCE_MODE_ENV] = args.source
    os.environ[HOME_ENV] = str(p.home)
    if getattr(args, "allow_shrink", None):
        from warehouse.guard import ALLOW_SHRINK_ENV

        os.environ[ALLOW_SHRINK_ENV] = ",".join(args.allow_shrink)
    from orchestration.configcheck import configuration_problems

    problems = configuration_problems()  # a missing key fails only its own source's feeds
    if problems:
        _say("the configuration has errors; fix them and run again:\n" + "\n".join(problems))
        return 2
    try:
        with stop_on_signals() as stop_requested, \
                command_lock(p, args.command, args.lock_wait):
            return _build_holding_the_lock(args, p, stop_requested)
    except CommandBusy as exc:
        _say(f"{args.command} refused: {exc}")
        return EXIT_BUSY
    except BuildStopped as stop:
        return _stopped(args.command, stop)
    except Exception as exc:
        # A stop signal that lands inside a DuckDB query comes back as the query's own error
        # ("Query interrupted") with BuildStopped as its cause: it is still a stop
        if (stop := _stop_in_chain(exc)) is None:
            raise
        return _stopped(args.command, stop)


def _stop_in_chain(exc: BaseException) -> BuildStopped | None:
    from orchestration.probe import interruption_in_chain

    stop = interruption_in_chain(exc)
    return stop if isinstance(stop, BuildStopped) else None


def _stopped(command: str, stop: BuildStopped) -> int:
    _say(f"{command} stopped by {stop}: the run in progress was failed and no "
         "further run started; run the command again to finish")
    return 128 + stop.signum


def _build_holding_the_lock(args: argparse.Namespace, p: Paths,
                            stop_requested: Callable[[], None]) -> int:
    from orchestration.recovery import clean_leftovers
    from warehouse.connection import WarehouseBusy
    from warehouse.integrity import WarehouseDamaged, verify_readable
    from warehouse.store import Warehouse

    _say(f"{args.command}: {args.source} sources, state in {p.home}")
    for line in release_dead_runs(p):
        _say(f"recovered: {line}")
    if args.command == "publish" and (running := _live_runs_after_wait(args.lock_wait)):
        _say(f"publish refused: run(s) of the Dagster daemon still write the warehouse "
             f"({running}); waited {args.lock_wait:.0f}s. Run publish when they are done.")
        return EXIT_BUSY
    try:
        verify_readable(Warehouse(p.warehouse))
    except WarehouseDamaged as exc:
        _say(f"{args.command} refused: {exc}")
        return EXIT_DAMAGED
    except WarehouseBusy as exc:
        _say(f"{args.command} refused: {exc}")
        return EXIT_BUSY
    for line in clean_leftovers(p):
        _say(f"recovered: {line}")
    _ensure_print_browser()
    before = _latest_edition_id(p)
    index, failures, unchanged = run_build(p, args.source, args.days,
                                           only_edition=args.command == "publish",
                                           until=getattr(args, "until", None),
                                           years=getattr(args, "years", None),
                                           stop_requested=stop_requested)
    if unchanged and index is not None:
        _say(f"nothing new since edition {unchanged}: it stays the current one")
    elif index is None or _latest_edition_id(p) == before:
        _say("no new edition was published (see the failures above); "
             + (f"the previous edition stays: {index}" if index else "none exists yet"))
        for line in failed_source_lines(p):
            _say(line)
        return 1
    print(index)
    if failures:
        _say(f"{failures} run(s) failed (listed above): the edition shows the last good data "
             "of those sources; fix the cause and run the command again")
    failed_sources = failed_source_lines(p)
    for line in failed_sources:  # last: the one thing to read after a failed build
        _say(line)
    return 1 if failures or failed_sources else 0


def _ensure_print_browser() -> None:
    """The edition is printed to PDF by Chromium, which a fresh machine lacks: installed here,
    before any run, so that the one setup-and-build command gives the whole edition."""
    from reports.pdf import ensure_chromium

    if problem := ensure_chromium(say=_say):
        _say(f"{problem}. The edition will be published without its PDF, and the command "
             "will exit 1")


def cmd_record(args: argparse.Namespace) -> int:
    """Exit 0 when every source was recorded, 1 when any failed (one line each, last)."""
    from orchestration.partitions import VALIDATED_AIR_QUALITY_YEARS
    from orchestration.record import record
    from sources.snapshot import MANIFEST_DIR, RECORDED_DIR

    p = paths(args.home)
    runs = planned_runs("live", args.days, until=args.until,
                        years=args.years or VALIDATED_AIR_QUALITY_YEARS[-1:])
    days = [date.fromisoformat(k) for job, k in runs if job == "air_quality_daily_job"]
    years = [int(k) for job, k in runs if job == "validated_air_quality_job"]
    into = Path(args.into) if args.into else None
    failed = record(days, years, say=_say, only=args.only,
                    root=into / "recorded" if into else RECORDED_DIR,
                    manifest_dir=into / "manifest" if into else MANIFEST_DIR, drop_dir=p.drop)
    for line in failed:
        _say(line)
    return 1 if failed else 0


def release_dead_runs(p: Paths) -> list[str]:
    """Runs a killed process left in progress, failed, and their writer slots freed."""
    import dagster as dg

    from orchestration import recovery

    prepare_dagster_home(p)
    with dg.DagsterInstance.get() as instance:
        return recovery.release_dead_runs(instance)


def _live_runs_after_wait(wait_s: float) -> str:
    """Runs in progress in the instance (after `recover`, their processes live), waited for
    at most `wait_s`; what still runs then, or ''."""
    import dagster as dg

    deadline = time.monotonic() + wait_s
    with dg.DagsterInstance.get() as instance:
        while True:
            runs = instance.get_runs(filters=dg.RunsFilter(statuses=[
                dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
                dg.DagsterRunStatus.CANCELING]))
            if not runs or time.monotonic() >= deadline:
                return ", ".join(f"{r.job_name} {r.run_id[:8]}" for r in runs)
            time.sleep(1.0)


def _latest_edition_id(p: Paths) -> str | None:
    from reports.publish import latest_published

    return latest_published(p.site)


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when every configuration file is valid, 1 when any problem was found."""
    from orchestration.configcheck import config_files, configuration_problems

    problems = configuration_problems(args.regions, args.catalogue, args.installations,
                                      mode=args.source, agendas=args.agendas, areas=args.areas)
    for problem in problems:
        print(problem)
    _say(f"{len(problems)} problem(s) in the configuration" if problems
         else "configuration valid: " + ", ".join(str(f.path) for f in config_files(
             args.regions, args.catalogue, args.installations, args.areas)) + ", the agendas")
    return 1 if problems else 0


def cmd_status(args: argparse.Namespace) -> int:
    """Exit codes: 0 healthy, 1 a validation failed, 3 stale (live data or fetches older than
    allowed), 4 no warehouse yet or unreadable; see orchestration/status.py."""
    from orchestration.status import collect_status, format_status

    status = collect_status(paths(args.home), source_mode=args.source)
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return status["exit_code"]


# dagster-webserver (1.13) has no login and no check of the Host header (no option for
# either), so a page in the operator's browser that re-points its own name at 127.0.0.1 (DNS
# rebinding) can drive it, launching runs included. README "Web UI" says the same.
UI_EXPOSURE_WARNING = (
    "warning: the web UI has no login and accepts any Host header: keep it on 127.0.0.1 (the "
    "default), never bind it to another address; to reach it from elsewhere, put it behind a "
    "proxy that authenticates users and sets its own Host")


def cmd_ui(args: argparse.Namespace) -> int:
    from orchestration.service import run_until_signalled, ui_command

    p = paths(args.home)
    prepare_dagster_home(p)
    _ensure_print_browser()  # the daemon's editions are printed too
    env = {**os.environ, HOME_ENV: str(p.home)}
    _say(f"Dagster UI and daemon on http://{args.host}:{args.port} "
         f"(DAGSTER_HOME={p.dagster_home}); stop with Ctrl-C or SIGTERM")
    _say(UI_EXPOSURE_WARNING)
    return run_until_signalled(ui_command(args.host, args.port), env=env)


def _years(text: str) -> list[str]:
    from orchestration.partitions import VALIDATED_AIR_QUALITY_YEARS

    chosen = [y.strip() for y in text.split(",") if y.strip()]
    unknown = [y for y in chosen if y not in VALIDATED_AIR_QUALITY_YEARS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"years must be among {VALIDATED_AIR_QUALITY_YEARS[0]}"
                                         f"..{VALIDATED_AIR_QUALITY_YEARS[-1]}, got {text!r}")
    return chosen


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="transition-monitor", description=__doc__)
    root.add_argument("--home", help=f"state directory (default ${HOME_ENV} or ./var)")
    sub = root.add_subparsers(dest="command", required=True)
    exits = ("Exit codes: 0 done; 1 a run failed or nothing was published; 2 configuration "
             f"errors; {EXIT_BUSY} another build or publish holds the state directory (after "
             f"--lock-wait); {EXIT_DAMAGED} the warehouse is damaged (restore it: README); "
             "130/143 stopped by SIGINT/SIGTERM.")
    build = sub.add_parser("build", help="materialise every asset and publish a report edition",
                           description=exits)
    build.add_argument("--source", choices=["snapshot", "live"], default="snapshot",
                       help="bundled snapshot (offline, default) or the live APIs")
    build.add_argument("--days", type=int, default=7,
                       help="live mode: how many past UTC days of air quality to fetch")
    build.add_argument("--allow-shrink", action="append", default=[], metavar="TABLE",
                       help="let TABLE (a clean table, or `all`) be replaced by an empty or much "
                       "smaller answer in this run; by default that is refused and the stored "
                       "rows stay (warehouse/guard.py)")
    build.add_argument("--lock-wait", type=float, default=60.0, metavar="SECONDS",
                       help="how long to wait for another build or publish to finish (default 60)")
    build.add_argument("--until", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                       help="the last UTC day of air quality to fetch (live mode: default "
                       "yesterday; snapshot mode: the bundled days up to it, default all)")
    build.add_argument("--years", type=_years, default=None, metavar="YYYY[,YYYY...]",
                       help="only these years of RIVM's validated air quality (default all "
                       "the monitor keeps)")
    build.set_defaults(func=cmd_build)
    publish = sub.add_parser("publish", help="compute indicators and publish an edition from "
                             "the data already stored (no fetching)", description=exits)
    publish.add_argument("--source", choices=["snapshot", "live"], default="snapshot",
                         help="labels the edition: snapshot editions carry the demo-data banner")
    publish.add_argument("--lock-wait", type=float, default=60.0, metavar="SECONDS",
                         help="how long to wait for a build (or the daemon's runs) to finish "
                         "(default 60)")
    publish.set_defaults(func=cmd_build, days=0)
    rec = sub.add_parser("record", help="fetch the configured regions' payloads from the live "
                         "services (base URLs and keys as for build --source live) into the "
                         "snapshot, with a manifest entry each (URL without keys, retrieval "
                         "time, SHA-256, licence)")
    rec.add_argument("--days", type=int, default=7, help="UTC days of Luchtmeetnet to record")
    rec.add_argument("--until", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                     help="the last UTC day to record (default yesterday)")
    rec.add_argument("--years", type=_years, default=None, metavar="YYYY[,YYYY...]",
                     help="years of RIVM's validated files to record (default the newest)")
    rec.add_argument("--only", type=lambda t: [s.strip() for s in t.split(",") if s.strip()],
                     default=None, metavar="SOURCE[,SOURCE...]", help="only these sources")
    rec.add_argument("--into", default=None, metavar="DIR", help="a snapshot folder to write "
                     "(recorded/ and manifest/ inside it; default the bundled sources/snapshot)")
    rec.set_defaults(func=cmd_record)
    check = sub.add_parser("check", help="validate the configuration files (regions, catalogue, "
                           "agendas, areas, sources) in about a second; exit 1 on any problem",
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
    check.add_argument("--areas", type=Path, help="holding areas (COROP) file (default "
                       "indicators/areas.yaml)")
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


def main(argv: list[str] | None = None, *, own_process: bool = False) -> int:
    """Run one command. `own_process`: the command is the process (the console script), so
    the garbage collector is tuned for a short process (`orchestration.collector`)."""
    from core.secrets import install_log_redaction, redact_exception

    install_log_redaction()  # every log record of the process, Dagster's included
    args = parser().parse_args(argv)
    if own_process and getattr(args, "command", None) in ("build", "publish"):
        collector.pause_for_start_up()
    try:
        return args.func(args)
    except BaseException as exc:  # a traceback printed by Python shows no key either
        redact_exception(exc)
        raise
    finally:
        if own_process:
            collector.skip_exit_collection()


def entry() -> int:
    """The `transition-monitor` console script."""
    return main(own_process=True)


if __name__ == "__main__":
    sys.exit(entry())
