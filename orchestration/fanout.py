"""A build fanned out over worker processes: the distributed profile's shape of `build`.

Chosen by configuration (`TM_WORKERS` > 1 with the DuckLake warehouse; settings.py): the
daily and yearly air partitions are independent runs, so they go to a pool of `workers`
processes at once, each running its partitions through the same `build_defs` against the
shared Dagster instance (run and event storage in PostgreSQL, `TM_DAGSTER_POSTGRES_URL`). The
statistics job then runs once on Dagster's multiprocess executor (its feeds and families are
independent steps, up to `workers` at once). The edition follows in the calling process, as in
the embedded build. A partition is never in two runs of one build; two builds at once (or a
scheduled run beside a build) writing one partition are serialised by the lake's write lock
(warehouse/lake.py), and runs launched from the UI or by schedules queue one per partition
(`dagster/partition` tag limit in dagster.yaml).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

# Jobs a worker process runs as one Dagster run per partition (or once, unpartitioned).
STEP_PARALLEL_JOBS = ("statistics_job",)


def job_for(job_name: str):
    """The job by name from `build_defs`, for a multiprocess executor's step processes (they
    rebuild it from here; home and source mode come from the environment cmd_build sets)."""
    from orchestration.definitions import build_defs

    return build_defs().resolve_job_def(job_name)


_WORKER_STATE: dict[str, object] = {}


def _worker_run(home: str, mode: str, runs: list[tuple[str, str | None]], n: int,
                quiet: dict) -> tuple[bool, float, str]:
    """In a worker process: run planned run `n` (its job without the freshness checks unless
    it is the job's last run, as `build_jobs` decides) and report success, time and errors."""
    import dagster as dg

    from orchestration.cli import _run_failure_summary, build_jobs
    from orchestration.definitions import build_defs

    if "jobs" not in _WORKER_STATE:  # once per worker process: definitions and the instance
        _WORKER_STATE["jobs"] = build_jobs(build_defs(home=home, mode=mode), runs)
        _WORKER_STATE["instance"] = dg.DagsterInstance.get()
    job, key = _WORKER_STATE["jobs"][n], runs[n][1]
    started = time.monotonic()
    result = job.execute_in_process(instance=_WORKER_STATE["instance"], partition_key=key,
                                    raise_on_error=False, run_config=quiet)
    summary = "" if result.success else _run_failure_summary(result)
    return result.success, time.monotonic() - started, summary


def run_fanned_out(home: str, mode: str, runs: list[tuple[str, str | None]], workers: int,
                   quiet: dict, say: Callable[[str], None]) -> int:
    """Run `runs` (no edition) over `workers` processes; return how many runs failed."""
    import dagster as dg

    label = {n: f"{job}" + (f" {key}" if key else "") for n, (job, key) in enumerate(runs)}
    pooled = [n for n, (job, _) in enumerate(runs) if job not in STEP_PARALLEL_JOBS]
    failures = 0
    # spawn: a forked child would inherit the parent's DuckDB and PostgreSQL connections
    context = multiprocessing.get_context("spawn")
    say(f"fanning {len(pooled)} partition run(s) out to {workers} worker processes")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(_worker_run, home, mode, runs, n, quiet): n for n in pooled}
        for future in as_completed(futures):
            n = futures[future]
            try:
                ok, took, summary = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its run, not the build
                ok, took, summary = False, 0.0, f"    worker lost: {exc}"
            failures += not ok
            say(f"[worker] {label[n]} ... " + (f"ok ({took:.1f}s)" if ok else
                                               f"FAILED ({took:.1f}s)\n{summary}"))
    instance = dg.DagsterInstance.get()
    for n, (job_name, _) in enumerate(runs):
        if job_name not in STEP_PARALLEL_JOBS:
            continue
        started = time.monotonic()
        job = dg.build_reconstructable_job(__name__, job_for.__name__, (job_name,),
                                           reconstructor_working_directory=os.getcwd())
        # build_defs gave the job the multiprocess executor, `workers` steps at once
        with dg.execute_job(job, instance, run_config=quiet, raise_on_error=False) as result:
            ok = result.success
            summary = "" if ok else _summary(result)
        failures += not ok
        say(f"[{workers} step processes] {label[n]} ... "
            + (f"ok ({time.monotonic() - started:.1f}s)" if ok else f"FAILED\n{summary}"))
    return failures


def _summary(result) -> str:
    from orchestration.cli import _run_failure_summary

    return _run_failure_summary(result)
