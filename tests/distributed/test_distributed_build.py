"""The distributed profile end to end and its faults, against real services: a whole snapshot
`build` with the DuckLake warehouse, Dagster's storage in PostgreSQL and two worker processes
equals the embedded build table by table; a worker killed in the middle of a partition write
loses nothing and a rerun completes; two writers of one partition go one after the other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import test_warehouse as rules
from test_lake import DAYS, ROOT, WORKER, YEAR, _workers

from transforms.air_quality import reporting_year_window
from warehouse.lake import WRITE_LOCK_KEY, LakeSettings
from warehouse.part_names import logical_tables
from warehouse.store import Warehouse
from warehouse.year_parts import YEARLY_STORED

WRITER = Path(__file__).with_name("writer.py")
# Columns stamped with the moment (or a random id) of a fetch, validation, write or edition:
# left out when two builds are compared (the other columns must be equal).
STAMPS = {"fetched_at", "validated_at", "validation_id", "built_at", "written_at", "marked_at",
          "recorded_at", "edition_id", "path", "computed_at", "published_at"}
# A progress assessment's `reason` is JSON text repeating its numbers at full precision (the
# means behind them differ in the last bits between the file and the lake, see below): it is
# compared through the numeric columns it repeats.
STAMPS |= {"reason"}


def _comparable(wh: Warehouse) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent hash of every table's unstamped columns (doubles
    to 12 significant digits); a table the file stores per reporting year is read through its
    view, as the lake's one table."""
    out = {}
    with wh.connect(read_only=True) as con:
        tables = logical_tables([r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_catalog = current_database() AND table_name NOT IN "
            "('write_log', 'consumer_marks') ORDER BY 1").fetchall()], YEARLY_STORED)
        for table in tables:
            columns = [(r[0], r[1]) for r in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? AND table_catalog = current_database() "
                "ORDER BY ordinal_position", [table]).fetchall() if r[0] not in STAMPS]
            # Aggregates (means of the hourly rows) sum in storage order, which differs
            # between the file and the lake's Parquet files: doubles compared to 12 digits.
            listed = ", ".join(f"printf('%.12g', \"{c}\") AS \"{c}\"" if kind == "DOUBLE"
                               else f'"{c}"' for c, kind in columns)
            out[table] = tuple(con.execute(
                f"SELECT count(*), coalesce(sum(hash(CAST(t AS VARCHAR))), 0)::VARCHAR "  # noqa: S608
                f"FROM (SELECT {listed} FROM {table}) t").fetchone())
    return out


def _cli(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = {**os.environ, **env, "TRANSITION_MONITOR_HOME": str(home)}
    full.pop("DAGSTER_HOME", None)
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], cwd=ROOT,
                          env=full, capture_output=True, text=True, timeout=1800)


def test_a_snapshot_build_through_the_distributed_profile_equals_the_embedded_build(
        tmp_path, lake_env, dagster_postgres_url, embedded_build, s3_objects):
    env = {**lake_env, "TM_DAGSTER_POSTGRES_URL": dagster_postgres_url, "TM_WORKERS": "2"}
    home = tmp_path / "distributed"
    result = _cli(home, env, "build")
    print(result.stderr[-4000:])
    assert result.returncode == 0, result.stderr[-4000:]
    assert "to 2 worker processes" in result.stderr
    assert Path(result.stdout.strip().splitlines()[-1]).is_file()  # the edition's index.html

    lake = Warehouse(home / "warehouse.duckdb", lake=LakeSettings.from_env(lake_env))
    embedded = Warehouse(embedded_build / "warehouse.duckdb", lake=False)
    expected, got = _comparable(embedded), _comparable(lake)
    assert expected["indicator_values"][0] > 0 and expected["clean_air_quality_hourly"][0] > 0
    assert got == expected
    # Every raw body went to the S3 payload store, once per hash; none to a folder of the home.
    assert not list(home.rglob("*-payloads"))
    hashes = lake.query("SELECT DISTINCT content_hash FROM raw_payloads")["content_hash"]
    prefix = lake_env["TM_PAYLOAD_PATH"].split("/", 3)[3]
    stored = s3_objects(lake_env["TM_LAKE_S3_ENDPOINT"], prefix)
    assert len(hashes) > 0 and sorted(k.rsplit("/", 1)[1] for k in stored) == sorted(hashes)
    # Dagster kept the runs in PostgreSQL: every partition run and the two whole-job runs
    import psycopg2

    with psycopg2.connect(_libpq(dagster_postgres_url)) as pg, pg.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM runs GROUP BY status")
        statuses = dict(cur.fetchall())
    assert statuses.get("SUCCESS", 0) >= 9 + 7 + 2 and set(statuses) == {"SUCCESS"}


def _libpq(url: str) -> str:
    """postgresql+psycopg2://user@host:port/db as a libpq string."""
    rest = url.split("://", 1)[1]
    user, rest = rest.split("@", 1)
    hostport, db = rest.split("/", 1)
    host, port = hostport.split(":")
    return f"host={host} port={port} user={user} dbname={db}"


def _advisory_locks(lake_env, granted: bool) -> int:
    import psycopg2

    with psycopg2.connect(lake_env["TM_LAKE_CATALOG"]) as pg, pg.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s "
                    "AND granted = %s", (WRITE_LOCK_KEY & 0xFFFFFFFF, granted))
        return cur.fetchone()[0]


def _wait_for(condition, what: str, limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def test_a_worker_killed_mid_partition_loses_nothing_and_a_rerun_completes(
        tmp_path, lake_env, embedded_build):
    home = tmp_path / "lake"
    generated = home / "snapshot-generated"
    generated.parent.mkdir(parents=True)
    generated.symlink_to(embedded_build / "snapshot-generated")
    lake = Warehouse(home / "warehouse.duckdb", lake=LakeSettings.from_env(lake_env))
    lake.initialise()
    _workers(home, lake_env, (DAYS[0],))
    year_rows = ("SELECT count(*), coalesce(sum(hash(CAST(t AS VARCHAR))), 0)::VARCHAR FROM "
                 "(SELECT station_code, component, measured_at, value_ugm3, source "
                 "FROM clean_air_quality_validated_hourly "
                 "WHERE measured_at >= ? AND measured_at < ?) t")
    year = YEAR.split(":")[1]
    window = list(reporting_year_window(int(year)))
    payloads = "SELECT count(*) FROM raw_payloads WHERE partition_key = ?"
    embedded = Warehouse(embedded_build / "warehouse.duckdb", lake=False)
    with embedded.connect(read_only=True) as con:
        expected, expected_payloads = (con.execute(year_rows, window).fetchone(),
                                       con.execute(payloads, [year]).fetchone())
    assert expected[0] > 0 and expected_payloads[0] > 0

    def year_state() -> tuple:
        with lake.connect(read_only=True) as con:
            return con.execute(year_rows, window).fetchone(), con.execute(
                payloads, [year]).fetchone()

    # Killed while it holds the write lock: inside one of the partition's write transactions.
    worker = subprocess.Popen([sys.executable, str(WORKER), "--home", str(home), YEAR],
                              cwd=ROOT, env={**os.environ, **lake_env},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: _advisory_locks(lake_env, granted=True) > 0, "the worker writing")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=60)
    rows, stored = year_state()
    # Nothing half-written: each transaction of the partition committed whole or not at all.
    assert rows in {(0, "0"), expected} and stored in {(0,), expected_payloads}
    assert _advisory_locks(lake_env, granted=True) == 0  # its lock went with its connection
    _workers(home, lake_env, (YEAR,))  # the rerun completes: the year's rows, all, once
    assert year_state() == (expected, expected_payloads)


def test_two_writers_of_one_partition_are_serialised(tmp_path, lake_env, lake_settings):
    wh = Warehouse(tmp_path / "warehouse.duckdb", lake=lake_settings)
    wh.replace_window("clean_air_quality_hourly", rules.hourly([1.0, 2.0]),
                      {"measured_at": rules.DAY})
    env = {**os.environ, **lake_env}
    release = tmp_path / "release"
    holder = subprocess.Popen([sys.executable, str(WRITER), "hold", str(release)], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"  # mid-write, rows deleted, uncommitted
    second = subprocess.Popen([sys.executable, str(WRITER), "replace", "7.0"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    _wait_for(lambda: _advisory_locks(lake_env, granted=False) == 1, "the second writer waiting")
    release.touch()
    assert holder.wait(timeout=120) == 0
    out = second.communicate(timeout=300)[0]
    # Without the lock the later of two deleting commits fails (a DuckLake conflict).
    assert second.returncode == 0, out[-3000:]
    rows = wh.query("SELECT value_ugm3 FROM clean_air_quality_hourly ORDER BY measured_at")
    assert rows["value_ugm3"].to_list() == [7.0]
