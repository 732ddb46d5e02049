"""A build fanned out over worker processes: the distributed profile's shape of `build`.

Chosen by configuration (`TM_WORKERS` > 1 with the DuckLake warehouse; settings.py): the
daily and yearly air partitions and the statistics job are independent runs, so they go to a
pool of `workers` processes at once (the longest, statistics, first), each process running
its runs through the same `build_defs` against the shared Dagster instance (run and event
storage in PostgreSQL, `TM_DAGSTER_POSTGRES_URL`). The edition follows in the calling
process, as in the embedded build. A run's own steps stay in its worker process: Dagster's
multiprocess executor (which `build_defs` selects for runs the UI, schedules and backfills
launch) starts a process per step, and each re-imports Dagster and the project (tens of
seconds per step on the loaded 2-core test machine, against seconds of work). A partition is never in two runs of one build; two builds at once (or a
scheduled run beside a build) writing one partition are serialised by the lake's write lock
(warehouse/lake.py), and runs launched from the UI or by schedules queue one per partition
(`dagster/partition` tag limit in dagster.yaml).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

_WORKER_STATE: dict[str, object] = {}


def _worker_run(home: str, mode: str, runs: list[tuple[str, str | None]],
                n: int) -> tuple[bool, float, str]:
    """In a worker process: run planned run `n` (its job without the freshness checks unless
    it is the job's last run, as `build_jobs` decides) and report success, time and errors."""
    import dagster as dg

    from orchestration.cli import _run_failure_summary, build_jobs, execute_run
    from orchestration.definitions import build_defs

    if "jobs" not in _WORKER_STATE:  # once per worker process: definitions and the instance
        defs = build_defs(home=home, mode=mode, interactive=True)  # a person waits, as in build
        _WORKER_STATE["defs"] = defs
        _WORKER_STATE["jobs"] = build_jobs(defs, runs)
        _WORKER_STATE["instance"] = dg.DagsterInstance.get()
    job, key = _WORKER_STATE["jobs"][n], runs[n][1]
    started = time.monotonic()
    result = execute_run(job, runs[n][0], key, _WORKER_STATE["instance"],
                         _WORKER_STATE["defs"].resources["notifier"])
    summary = "" if result.success else _run_failure_summary(result)
    return result.success, time.monotonic() - started, summary


def run_fanned_out(home: str, mode: str, runs: list[tuple[str, str | None]], workers: int,
                   say: Callable[[str], None]) -> int:
    """Run `runs` (no edition) over `workers` processes; return how many runs failed."""
    label = {n: f"{job}" + (f" {key}" if key else "") for n, (job, key) in enumerate(runs)}
    pooled = sorted(range(len(runs)), key=lambda n: runs[n][0] != "statistics_job")
    failures = 0
    # spawn: a forked child would inherit the parent's DuckDB and PostgreSQL connections
    context = multiprocessing.get_context("spawn")
    say(f"fanning {len(pooled)} run(s) out to {workers} worker processes")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(_worker_run, home, mode, runs, n): n for n in pooled}
        for future in as_completed(futures):
            n = futures[future]
            try:
                ok, took, summary = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its run, not the build
                ok, took, summary = False, 0.0, f"    worker lost: {exc}"
            failures += not ok
            say(f"[worker] {label[n]} ... " + (f"ok ({took:.1f}s)" if ok else
                                               f"FAILED ({took:.1f}s)\n{summary}"))
    return failures

