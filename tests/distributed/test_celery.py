"""The Celery shape of the distributed profile against real services (PostgreSQL, the S3
endpoint, Redis): a whole snapshot `build` whose steps are executed by two Celery worker
processes (orchestration/celery_app.py) equals the embedded build table by table, and Celery
workers killed in the middle of a step (one of them inside a partition's write transaction)
fail that run loudly, leave nothing half-written, and a rerun completes the build."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psycopg2
from test_distributed_build import _advisory_locks, _cli, _comparable, _libpq, _wait_for
from test_lake import ROOT

from benchmarks import services
from warehouse.lake import LakeSettings
from warehouse.store import Warehouse

WORKER_NAME = re.compile(r"tm-worker\d+@127\.0\.0\.1")


def _environment(lake_env, dagster_postgres_url, celery_broker) -> dict[str, str]:
    return {**lake_env, "TM_DAGSTER_POSTGRES_URL": dagster_postgres_url,
            "TM_CELERY_BROKER_URL": celery_broker, "TM_WORKERS": "2"}


def _workers_env(env: dict[str, str], home: Path) -> dict[str, str]:
    """A Celery worker runs the build's `defs`: the build's home and source mode."""
    return {**env, "TRANSITION_MONITOR_HOME": str(home), "TRANSITION_MONITOR_SOURCE": "snapshot"}


def _celery_steps(dagster_postgres_url: str) -> tuple[dict, set, int]:
    """(run, step) -> the Celery worker named by its 'Executing steps ... in celery worker'
    event; the (run, step) pairs that succeeded; how many runs there are (Dagster's storage)."""
    with psycopg2.connect(_libpq(dagster_postgres_url)) as pg, pg.cursor() as cur:
        cur.execute("SELECT run_id, step_key, event FROM event_logs WHERE dagster_event_type = "
                    "'ENGINE_EVENT' AND event LIKE '%in celery worker%'")
        executed = {(run, step): WORKER_NAME.search(event).group(0)
                    for run, step, event in cur.fetchall()}
        cur.execute("SELECT run_id, step_key FROM event_logs "
                    "WHERE dagster_event_type = 'STEP_SUCCESS'")
        succeeded = set(cur.fetchall())
        cur.execute("SELECT count(*) FROM runs")
        runs = cur.fetchone()[0]
    return executed, succeeded, runs


def _same_as_embedded(home: Path, lake_env, embedded_build: Path) -> None:
    lake = Warehouse(home / "warehouse.duckdb", lake=LakeSettings.from_env(lake_env))
    embedded = Warehouse(embedded_build / "warehouse.duckdb", lake=False)
    expected, got = _comparable(embedded), _comparable(lake)
    assert expected["indicator_values"][0] > 0 and expected["clean_air_quality_hourly"][0] > 0
    assert got == expected


def test_a_snapshot_build_through_two_celery_workers_equals_the_embedded_build(
        tmp_path, lake_env, dagster_postgres_url, celery_broker, embedded_build):
    env = _environment(lake_env, dagster_postgres_url, celery_broker)
    home = tmp_path / "celery"
    with services.celery_workers(2, _workers_env(env, home), tmp_path / "logs"):
        result = _cli(home, env, "build")
    print(result.stderr[-4000:])
    assert result.returncode == 0, result.stderr[-4000:]
    assert Path(result.stdout.strip().splitlines()[-1]).is_file()  # the edition's index.html
    assert "DuplicateTaskNameWarning" not in result.stderr
    _same_as_embedded(home, lake_env, embedded_build)
    # Every step that succeeded was executed by a Celery worker, and both workers took steps.
    executed, succeeded, runs = _celery_steps(dagster_postgres_url)
    assert runs >= 9 + 7 + 2 and len(succeeded) > runs
    assert succeeded <= set(executed)
    assert set(executed.values()) == {"tm-worker1@127.0.0.1", "tm-worker2@127.0.0.1"}


def _pool_processes(worker: subprocess.Popen) -> list[int]:
    """The prefork pool's processes of a Celery worker: the ones that execute its steps."""
    proc = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    return [int(pid) for pid in proc.read_text().split()]


def test_celery_workers_killed_mid_step_lose_nothing_and_a_rerun_completes(
        tmp_path, lake_env, dagster_postgres_url, celery_broker, embedded_build):
    env = _environment(lake_env, dagster_postgres_url, celery_broker)
    home = tmp_path / "celery"
    full = {**os.environ, **env, "TRANSITION_MONITOR_HOME": str(home)}
    full.pop("DAGSTER_HOME", None)
    with services.celery_workers(2, _workers_env(env, home), tmp_path / "logs") as workers:
        build = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "build"], cwd=ROOT,
                                 env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        # A worker's step inside a partition's write transaction (it holds the write lock):
        # both workers' step processes are killed then, as an out-of-memory kill would.
        _wait_for(lambda: _celery_steps(dagster_postgres_url)[0]
                  and _advisory_locks(lake_env, granted=True) > 0, "a Celery step writing",
                  limit_s=900)
        for worker in workers:
            for pid in _pool_processes(worker):
                os.kill(pid, signal.SIGKILL)
        out, err = build.communicate(timeout=1800)
        print(err[-4000:])
        # The run of the killed step failed, loudly; the others went on.
        assert build.returncode == 1, err[-4000:]
        assert "FAILED" in err and "Worker exited prematurely" in err
        assert _advisory_locks(lake_env, granted=True) == 0  # the lock went with its connection
        # The workers replaced their killed processes: the rerun completes the build.
        rerun = _cli(home, env, "build")
    print(rerun.stderr[-4000:])
    assert rerun.returncode == 0, rerun.stderr[-4000:]
    _same_as_embedded(home, lake_env, embedded_build)
    with psycopg2.connect(_libpq(dagster_postgres_url)) as pg, pg.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM runs GROUP BY status")
        statuses = dict(cur.fetchall())
    assert statuses.get("FAILURE", 0) >= 1 and statuses.get("SUCCESS", 0) > 0
