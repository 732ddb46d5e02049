"""The DuckLake backend against real services (PostgreSQL catalogue, S3 data files): the
warehouse rules hold as for the embedded file, partitions built by two worker processes at
once all land, and every table equals the embedded build's (row count and checksum)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import test_warehouse as rules  # the embedded file's rules, rerun here on the lake

from warehouse.lake import LakeSettings
from warehouse.store import Warehouse

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("worker.py")
# Two daily partitions (one per worker, at once) and one validated year (the big one).
DAYS = ("air_quality_daily_job:2025-01-06", "air_quality_daily_job:2025-01-07")
YEAR = "validated_air_quality_job:2023"
# Stamped with the time (and a random id) when fetched or written: compared on their other columns.
STAMPED = {"raw_payloads": "source, dataset, request_key, partition_key, url, media_type, "
                           "content_hash, body_bytes",
           "validation_runs": "table_name, partition_key, success, row_count, expectations, failed",
           "validation_expectations": "expectation, column_name, parameters, success, "
                                      "unexpected_count, unexpected_examples"}


@pytest.fixture
def lake_warehouse(tmp_path, lake_env, lake_settings, monkeypatch) -> Warehouse:
    """A lake, with its payload bodies in the S3 payload store (TM_PAYLOAD_PATH)."""
    monkeypatch.setenv("TM_PAYLOAD_PATH", lake_env["TM_PAYLOAD_PATH"])
    for name in ("TM_LAKE_S3_ENDPOINT", "TM_LAKE_S3_USE_SSL", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, lake_env[name])
    wh = Warehouse(tmp_path / "warehouse.duckdb", lake=lake_settings)
    assert wh.payloads.url == lake_env["TM_PAYLOAD_PATH"]
    wh.initialise()
    return wh


@pytest.mark.parametrize("rule", [
    rules.test_identical_payload_adds_no_vintage_and_a_revision_adds_one,
    rules.test_a_batch_stores_only_its_changed_payloads_with_their_partition,
    rules.test_replacing_a_window_twice_gives_identical_checksums,
    rules.test_rows_outside_the_write_window_are_refused,
    rules.test_failed_validation_writes_nothing_and_is_recorded,
    rules.test_validated_hours_win_over_api_hours_and_api_only_hours_stay,
], ids=lambda f: f.__name__.removeprefix("test_"))
def test_the_warehouse_rules_hold_on_the_lake(rule, lake_warehouse):
    assert lake_warehouse.lake is not None
    rule(lake_warehouse)


def test_the_shrink_guard_holds_on_the_lake(lake_warehouse, monkeypatch):
    rules.test_a_replacement_that_empties_or_halves_a_window_is_refused(lake_warehouse, monkeypatch)


def test_write_log_and_derived_tables_on_the_lake(lake_warehouse):
    wh = lake_warehouse
    wh.replace_window("clean_air_quality_hourly", rules.hourly([1.0, 2.0]),
                      {"measured_at": rules.DAY})
    first = wh.changes_since("air_station_annual", ["clean_air_quality_hourly"])
    assert first.everything and len(first.changes) == 1
    wh.replace_derived("air_station_annual", wh.station_annual_sums(), consumed=first)
    assert not wh.changes_since("air_station_annual", ["clean_air_quality_hourly"]).changes
    wh.replace_window("clean_air_quality_hourly", rules.hourly([3.0], hour0=5),
                      {"measured_at": rules.DAY})
    second = wh.changes_since("air_station_annual", ["clean_air_quality_hourly"])
    assert not second.everything and len(second.changes) == 1
    assert second.high_water > first.high_water
    wh.replace_derived("air_station_annual", wh.station_annual_sums(), consumed=second)
    marks = wh.query("SELECT consumer, write_id FROM consumer_marks")
    assert marks.rows() == [("air_station_annual", second.high_water)]
    annual = wh.read_tables(["air_station_annual"])["air_station_annual"]
    assert annual["mean_ugm3"].to_list() == [3.0]


def _workers(home: Path, env: dict[str, str], *batches: tuple[str, ...]) -> list[str]:
    """Start one worker process per batch at once; wait for all; return their outputs."""
    procs = [subprocess.Popen([sys.executable, str(WORKER), "--home", str(home), *batch],
                              cwd=ROOT, env={**os.environ, **env}, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for batch in batches]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outputs, strict=True):
        assert p.returncode == 0, out[-3000:]
    return outputs


def _contents(wh: Warehouse) -> dict[str, tuple[int, str]]:
    out = wh.checksums()
    for table, columns in STAMPED.items():
        out[table] = tuple(wh.query(
            f"SELECT count(*), coalesce(sum(hash(CAST(t AS VARCHAR))), 0)::VARCHAR "  # noqa: S608
            f"FROM (SELECT {columns} FROM {table}) t").row(0))
    return out


def test_two_workers_build_air_partitions_on_the_lake_equal_to_the_embedded_build(
        tmp_path, lake_env, s3_objects):
    from orchestration.cli import _prepare_snapshot
    from orchestration.settings import paths

    embedded_home, lake_home = tmp_path / "embedded", tmp_path / "lake"
    _prepare_snapshot(paths(embedded_home), print)
    lake_home.mkdir()
    generated = paths(embedded_home).generated_snapshot
    (lake_home / generated.relative_to(embedded_home)).parent.mkdir(parents=True, exist_ok=True)
    (lake_home / generated.relative_to(embedded_home)).symlink_to(generated)

    no_lake = {k: "" for k in lake_env}
    _workers(embedded_home, no_lake, (*DAYS, YEAR))
    lake = Warehouse(paths(lake_home).warehouse, lake=LakeSettings.from_env(lake_env))
    lake.initialise()  # the catalogue made once, as a deployment's setup step does
    # Two writers at once on different partitions of the same tables.
    outputs = _workers(lake_home, lake_env, (DAYS[0], YEAR), (DAYS[1],))
    print(*outputs, sep="\n")

    embedded = Warehouse(paths(embedded_home).warehouse, lake=False)
    expected, got = _contents(embedded), _contents(lake)
    assert expected["clean_air_quality_hourly"][0] > 0
    assert expected["clean_air_quality_validated_hourly"][0] > 0
    assert got == expected
    written = lake.query("SELECT DISTINCT partition_key FROM validation_runs ORDER BY 1")
    assert written["partition_key"].to_list() == ["2023", "2025-01-06", "2025-01-07"]
    # the rows live as Parquet files in the S3 bucket, the catalogue in PostgreSQL
    prefix = lake_env["TM_LAKE_DATA_PATH"].split("/", 3)[3]
    assert any(key.endswith(".parquet") for key in s3_objects(lake_env["TM_LAKE_S3_ENDPOINT"],
                                                              prefix))
