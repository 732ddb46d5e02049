"""The warehouse rules: append-only vintages, atomic window replacement, allowlisted SQL,
single-writer locking, and the validate-before-write gate."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime

import great_expectations as gx
import polars as pl
import pytest

from core.payload import Payload
from warehouse.gate import validate_then_write
from warehouse.payload_store import PayloadCorrupted
from warehouse.store import Warehouse, WarehouseBusy

DAY = (datetime(2025, 1, 6, tzinfo=UTC), datetime(2025, 1, 7, tzinfo=UTC))


def payload(body: bytes, key: str = "k1") -> Payload:
    return Payload(source="luchtmeetnet", dataset="measurements", request_key=key,
                   url="https://example.invalid/x", media_type="application/json", body=body,
                   fetched_at=datetime.now(UTC))


def hourly(values: list[float | None], hour0: int = 0) -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame({
        "station_code": ["NL49551"] * n, "component": ["NO2"] * n,
        "measured_at": [datetime(2025, 1, 6, hour0 + i, tzinfo=UTC) for i in range(n)],
        "value_ugm3": values, "source": ["luchtmeetnet_api"] * n,
    })


def test_identical_payload_adds_no_vintage_and_a_revision_adds_one(warehouse: Warehouse):
    assert warehouse.record_payloads([payload(b'{"v": 100}')]) == 1
    assert warehouse.record_payloads([payload(b'{"v": 100}')]) == 0
    assert warehouse.record_payloads([payload(b'{"v": 103}')]) == 1
    history = warehouse.query("SELECT content_hash FROM raw_payloads ORDER BY fetched_at")
    assert [warehouse.payloads.get(h) for h in history["content_hash"]] == [
        b'{"v": 100}', b'{"v": 103}']
    current = warehouse.current_payloads("luchtmeetnet", "measurements")
    assert [p.body for p in current] == [b'{"v": 103}']


def test_a_batch_stores_only_its_changed_payloads_with_their_partition(warehouse: Warehouse):
    warehouse.record_payloads([payload(b"a", "k1"), payload(b"b", "k2")], partition_key="2025-01-06")
    batch = [payload(b"a", "k1"), payload(b"B", "k2"), payload(b"c", "k3"), payload(b"c", "k3")]
    assert warehouse.record_payloads(batch, partition_key="2025-01-07") == 2
    stored = warehouse.query("SELECT request_key, partition_key, content_hash FROM raw_payloads "
                             "ORDER BY fetched_at, request_key")
    assert [(k, p, warehouse.payloads.get(h)) for k, p, h in stored.iter_rows()] == [
        ("k1", "2025-01-06", b"a"), ("k2", "2025-01-06", b"b"),
        ("k2", "2025-01-07", b"B"), ("k3", "2025-01-07", b"c")]
    assert warehouse.record_payloads([]) == 0


def test_replacing_a_window_twice_gives_identical_checksums(warehouse: Warehouse):
    window = {"source": "luchtmeetnet_api", "measured_at": DAY}
    warehouse.replace_window("clean_air_quality_hourly", hourly([10.0, None, 12.5]), window)
    first = warehouse.checksums()
    warehouse.replace_window("clean_air_quality_hourly", hourly([10.0, None, 12.5]), window)
    assert warehouse.checksums() == first
    assert first["clean_air_quality_hourly"][0] == 3


def test_rows_outside_the_write_window_are_refused(warehouse: Warehouse):
    late = hourly([1.0]).with_columns(pl.lit(datetime(2025, 1, 7, 3, tzinfo=UTC)).alias("measured_at"))
    with pytest.raises(ValueError, match="outside the write window"):
        warehouse.replace_window("clean_air_quality_hourly", late,
                                 {"source": "luchtmeetnet_api", "measured_at": DAY})


def test_a_replacement_that_empties_or_halves_a_window_is_refused(warehouse: Warehouse,
                                                                   monkeypatch):
    """RELIABILITY.md case 4: the shrink guard of `replace_window` (family `max_shrink`)."""
    from warehouse.guard import ALLOW_SHRINK_ENV, ShrinkRefused

    window = {"source": "luchtmeetnet_api", "measured_at": DAY}
    table = "clean_air_quality_hourly"
    warehouse.replace_window(table, hourly([1.0] * 10), window)
    before = warehouse.checksums()
    for smaller in ([], [2.0] * 4):  # 100% and 60% fewer rows; the family accepts 50%
        with pytest.raises(ShrinkRefused, match="from 10 to") as refused:
            warehouse.replace_window(table, hourly(smaller), window)
        assert f"--allow-shrink {table}" in str(refused.value)
        assert warehouse.checksums() == before
    warehouse.replace_window(table, hourly([3.0] * 5), window)  # 50% fewer: accepted
    assert warehouse.checksums()[table][0] == 5
    monkeypatch.setenv(ALLOW_SHRINK_ENV, "clean_emissions")  # another table's override
    with pytest.raises(ShrinkRefused):
        warehouse.replace_window(table, hourly([]), window)
    monkeypatch.setenv(ALLOW_SHRINK_ENV, f"clean_emissions,{table}")
    assert warehouse.replace_window(table, hourly([]), window) == 0
    assert warehouse.checksums()[table][0] == 0


def _killed_mid_write(self, *args, **kwargs):
    raise RuntimeError("process killed mid-write")


def test_failure_between_delete_and_insert_keeps_previous_rows(warehouse: Warehouse, monkeypatch):
    window = {"source": "luchtmeetnet_api", "measured_at": DAY}
    warehouse.replace_window("clean_air_quality_hourly", hourly([1.0, 2.0]), window)
    before = warehouse.checksums()

    # The DELETE has run inside the transaction when the insert's input fails.
    monkeypatch.setattr(pl.DataFrame, "to_arrow", _killed_mid_write)
    with pytest.raises(RuntimeError, match="killed"):
        warehouse.replace_window("clean_air_quality_hourly", hourly([9.0, 9.0, 9.0]), window)
    monkeypatch.undo()
    assert warehouse.checksums() == before


def test_a_session_opens_the_file_once_and_a_failed_transaction_in_it_keeps_previous_rows(
        warehouse: Warehouse, monkeypatch):
    import duckdb

    window = {"source": "luchtmeetnet_api", "measured_at": DAY}
    warehouse.replace_window("clean_air_quality_hourly", hourly([1.0, 2.0]), window)
    before = warehouse.checksums()
    opened = []
    real_connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: opened.append(a) or real_connect(*a, **k))
    with warehouse.session():
        with warehouse.session():  # nested: the outer session's connection
            warehouse.query("SELECT count(*) FROM clean_air_quality_hourly")
        with monkeypatch.context() as broken:  # fails after the DELETE, inside the transaction
            broken.setattr(pl.DataFrame, "to_arrow", _killed_mid_write)
            with pytest.raises(RuntimeError, match="killed"):
                warehouse.replace_window("clean_air_quality_hourly", hourly([9.0]), window)
        assert warehouse.checksums() == before  # rolled back, and the session still works
        warehouse.replace_window("clean_air_quality_hourly", hourly([3.0, 4.0, 5.0]), window)
    assert len(opened) == 1
    assert warehouse.query("SELECT sum(value_ugm3) AS s FROM clean_air_quality_hourly")["s"][0] == 12
    assert len(opened) == 2  # after the session, a call opens its own connection again


HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_another_process_holding_the_file_gives_a_clear_bounded_error(tmp_path):
    path = tmp_path / "busy.duckdb"
    Warehouse(path).initialise()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), "3"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        wh = Warehouse(path, lock_timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match="another process holds"):
            wh.record_payloads([payload(b"{}")])
        assert time.monotonic() - started < 2.5
    finally:
        holder.wait(30)
    assert Warehouse(path).record_payloads([payload(b"{}")]) == 1


HOLD_UNTIL_TOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
con.close()
"""


def test_a_writer_waits_for_another_process_to_let_go_of_the_file(tmp_path, monkeypatch):
    """RELIABILITY.md case 13, the wait itself (issue 20: with no wait at all the tests still
    passed): the writer finds the file locked, waits, and writes once the holder lets go. The
    holder is told to let go at the writer's first pause, so no timing is assumed."""
    import warehouse.connection as connection

    path = tmp_path / "held.duckdb"
    Warehouse(path).initialise()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_UNTIL_TOLD, str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pauses = []

    def pause(seconds):
        if not pauses:  # the file was found locked: let the holder go, and wait until it has
            holder.stdin.write("go\n")
            holder.stdin.flush()
            holder.wait(30)
        pauses.append(seconds)

    try:
        assert holder.stdout.readline().strip() == "ready"
        from types import SimpleNamespace

        monkeypatch.setattr(connection, "time", SimpleNamespace(sleep=pause,
                                                                monotonic=time.monotonic))
        assert Warehouse(path, lock_timeout_s=60).record_payloads([payload(b"{}")]) == 1
    finally:
        if holder.poll() is None:
            holder.kill()
    assert pauses, "the file was never found locked: the test proved nothing"


@pytest.mark.parametrize("bad", ["clean_air_quality_hourly; DROP TABLE raw_payloads", "pg_catalog"])
def test_unknown_table_identifiers_are_refused(warehouse: Warehouse, bad: str):
    with pytest.raises(ValueError, match="unknown table"):
        warehouse.read_table(bad)


def test_window_columns_come_from_the_schema_and_values_are_bound(warehouse: Warehouse):
    with pytest.raises(ValueError, match="is not a column"):
        warehouse.read_table("clean_emissions", {"1=1 OR region_code": "x"})
    evil = "GM0453' OR '1'='1"
    assert warehouse.read_table("clean_emissions", {"region_code": evil}).height == 0


def test_failed_validation_writes_nothing_and_is_recorded(warehouse: Warehouse):
    window = {"source": "luchtmeetnet_api", "measured_at": DAY}
    warehouse.replace_window("clean_air_quality_hourly", hourly([5.0]), window)
    before = warehouse.checksums()["clean_air_quality_hourly"]
    rules = [gx.expectations.ExpectColumnValuesToBeBetween(column="value_ugm3", min_value=-5,
                                                           max_value=1500)]
    result = validate_then_write(warehouse, "clean_air_quality_hourly", hourly([5.0, 1e6]),
                                 rules, window, "2025-01-06")
    assert not result.outcome.success and result.rows_written == 0
    assert warehouse.checksums()["clean_air_quality_hourly"] == before
    assert warehouse.failed_tables() == ["clean_air_quality_hourly"]
    failed = warehouse.query("SELECT unexpected_count, unexpected_examples FROM "
                             "validation_expectations WHERE NOT success")
    assert failed["unexpected_count"].to_list() == [1]
    assert "1000000" in failed["unexpected_examples"][0]


def test_validated_hours_win_over_api_hours_and_api_only_hours_stay(warehouse: Warehouse):
    window = {"source": "luchtmeetnet_api", "measured_at": DAY}
    warehouse.replace_window("clean_air_quality_hourly", hourly([10.0, 11.0, 12.0]), window)
    validated = hourly([20.0, None]).with_columns(source=pl.lit("rivm_validated"))
    warehouse.replace_window("clean_air_quality_validated_hourly", validated,
                             {"source": "rivm_validated", "measured_at": DAY})
    best = warehouse.query("SELECT measured_at, value_ugm3, source FROM air_quality_hourly_best "
                           "ORDER BY measured_at")
    # hour 0: validated 20 wins; hour 1: validated NULL wins (a rejected value stays rejected);
    # hour 2: only the API has it
    assert best["value_ugm3"].to_list() == [20.0, None, 12.0]
    assert best["source"].to_list() == ["rivm_validated", "rivm_validated", "luchtmeetnet_api"]
    sums = warehouse.station_annual_sums().row(0, named=True)
    assert sums["hours_with_value"] == 2 and sums["mean_ugm3"] == 16.0
    assert warehouse.station_annual_sums(years=[2025]).row(0, named=True) == sums


def test_a_year_with_hours_in_one_table_or_both_sums_as_the_best_of_view_does(warehouse):
    def day_of(year: int) -> tuple[datetime, datetime]:
        return datetime(year, 3, 1, tzinfo=UTC), datetime(year, 3, 2, tzinfo=UTC)

    def hours(year: int, values: list, source: str) -> pl.DataFrame:
        start = day_of(year)[0]
        return hourly(values).with_columns(
            measured_at=pl.Series([start.replace(hour=h) for h in range(len(values))]),
            source=pl.lit(source))

    api, validated = "clean_air_quality_hourly", "clean_air_quality_validated_hourly"
    for table, year, values, source in [(api, 2021, [1.0, 2.0], "luchtmeetnet_api"),
                                        (validated, 2022, [3.0, None], "rivm_validated"),
                                        (api, 2023, [5.0, 6.0, 7.0], "luchtmeetnet_api"),
                                        (validated, 2023, [9.0], "rivm_validated")]:
        warehouse.replace_window(table, hours(year, values, source),
                                 {"source": source, "measured_at": day_of(year)})
    full = warehouse.station_annual_sums().sort("year")
    assert full["mean_ugm3"].to_list() == [1.5, 3.0, 22 / 3]  # 2023: 9 replaces 5
    for year in (2021, 2022, 2023):  # API only, validated only, both
        assert warehouse.station_annual_sums([year]).to_dicts() == \
            full.filter(pl.col("year") == year).to_dicts()
    assert warehouse.station_annual_sums([2021, 2022]).sort("year").to_dicts() == \
        full.filter(pl.col("year") < 2023).to_dicts()


def test_read_tables_reads_several_over_one_connection_and_refuses_unknown_names(warehouse):
    warehouse.replace_window("clean_air_quality_hourly", hourly([1.0, 2.0]),
                             {"source": "luchtmeetnet_api", "measured_at": DAY})
    tables = warehouse.read_tables(["clean_air_quality_hourly", "clean_emissions",
                                    "air_station_annual"])
    assert tables["clean_air_quality_hourly"].height == 2
    assert tables["clean_emissions"].height == 0
    assert tables["air_station_annual"] is None  # a derived table not computed yet
    with pytest.raises(ValueError):
        warehouse.read_tables(["raw_payloads; DROP TABLE editions"])



def test_bodies_live_once_per_hash_in_the_payload_store_and_corruption_is_caught(warehouse):
    warehouse.record_payloads([payload(b"same", "k1"), payload(b"same", "k2")])
    files = [f for f in warehouse.payloads.root.rglob("*") if f.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == b"same"  # identical content stored once
    files[0].write_bytes(b"tampered")
    with pytest.raises(PayloadCorrupted, match="does not match its hash"):
        warehouse.current_payloads("luchtmeetnet")


def test_a_batch_of_bodies_is_stored_together_and_a_wrong_hash_stores_none(warehouse):
    import hashlib

    bodies = [(hashlib.sha256(b).hexdigest(), b) for b in (f"page {i}".encode() for i in range(40))]
    warehouse.payloads.put_many(bodies[:30])
    assert all(warehouse.payloads.get(h) == b for h, b in bodies[:30])
    with pytest.raises(ValueError, match="does not match"):
        warehouse.payloads.put_many([*bodies[30:], (bodies[0][0], b"not page 0")])
    assert not warehouse.payloads.path(bodies[35][0]).exists()
    assert not [f for f in warehouse.payloads.root.rglob(".incoming-*")]  # nothing half-written


def test_a_warehouse_with_bodies_inside_duckdb_moves_them_out_without_loss(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    body = b'{"data": [1, 2, 3]}'
    digest = __import__("hashlib").sha256(body).hexdigest()
    with duckdb.connect(str(path)) as con:  # the layout before the payload store
        con.execute("CREATE TABLE raw_payloads (source VARCHAR NOT NULL, dataset VARCHAR NOT NULL, "
                    "request_key VARCHAR NOT NULL, partition_key VARCHAR NOT NULL, url VARCHAR "
                    "NOT NULL, media_type VARCHAR NOT NULL, content_hash VARCHAR NOT NULL, "
                    "fetched_at TIMESTAMPTZ NOT NULL, body BLOB NOT NULL)")
        con.execute("INSERT INTO raw_payloads VALUES ('luchtmeetnet', 'measurements', 'k1', '', "
                    "'https://x', 'application/json', ?, now(), ?)", [digest, body])
    wh = Warehouse(path)
    [restored] = wh.current_payloads("luchtmeetnet", "measurements")
    assert restored.body == body and restored.content_hash == digest
    columns = wh.query("SELECT column_name FROM information_schema.columns "
                       "WHERE table_name = 'raw_payloads'")["column_name"].to_list()
    assert "body" not in columns and "body_bytes" in columns
    assert wh.query("SELECT body_bytes FROM raw_payloads")["body_bytes"].to_list() == [len(body)]
