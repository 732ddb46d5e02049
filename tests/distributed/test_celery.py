"""The Celery shape of the distributed profile against real services (PostgreSQL, the S3
endpoint, Redis): a whole snapshot `build` whose steps are executed by two Celery worker
processes (orchestration/celery_app.py) equals the embedded build table by table.

Not tested, because it does not hold: a Celery worker's step process killed mid-step. The
task is marked failed (WorkerLostError), but dagster-celery 0.29.27's execution loop then
spins without end when the run has steps it has not sent yet (README "Beyond one machine")."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg2
from test_distributed_build import _cli, _comparable, _libpq

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
