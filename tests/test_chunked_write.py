"""A yearly air-quality partition larger than the configured chunk size is parsed, validated and
written in chunks inside one transaction (issue 18): the same table as a whole write, the same
stored verdicts, and on any failure nothing replaced."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg
import polars as pl
import pytest

from benchmarks.national import rivm_csv, station_codes
from core.errors import ContractError
from core.payload import Payload
from families.air_quality import VALIDATED_HOURLY
from orchestration.assets.air_quality import clean_air_quality_validated_hourly
from orchestration.resources import WarehouseResource
from sources.generators.air_quality import rivm_url
from transforms.air_quality import rivm_yearly_chunks, rivm_yearly_rows
from warehouse.validated_air import CHUNK_ROWS_ENV, chunk_rows, write_validated_year

YEAR = 2023
TABLE = VALIDATED_HOURLY.table_name
STATIONS = station_codes(3)
TINY = 4_000  # rows per chunk: a file of 3 stations x 8,760 hours is 7 chunks
WHOLE = 10**9  # larger than any partition here: the whole-frame path


def payload(body: bytes, component: str = "NO2") -> Payload:
    url = rivm_url(YEAR, component)
    return Payload("rivm_air_quality", "validated_yearly", url, url, "text/csv", body,
                   datetime.now(UTC))


def year_files() -> list[Payload]:
    return [payload(rivm_csv(STATIONS, YEAR, c), c) for c in ("NO2", "PM10")]


def with_line(body: bytes, line_from_end: int, edit) -> bytes:
    """`body` with one hour row (counted from the end) replaced by `edit(row)`."""
    lines = body.decode().splitlines()
    lines[-line_from_end] = edit(lines[-line_from_end])
    return ("\n".join(lines) + "\n").encode()


def table_rows(wh):
    return wh.query(f"SELECT * FROM {TABLE} ORDER BY ALL")  # noqa: S608


def checksum(wh) -> tuple:
    return tuple(wh.query(
        f"SELECT count(*) AS n, sum(hash(station_code, component, measured_at, value_ugm3, "  # noqa: S608
        f"source)) AS h FROM {TABLE}").row(0))


def latest_failures(wh) -> dict[str, tuple]:
    frame = wh.query(
        "SELECT e.expectation, e.column_name, e.unexpected_count, e.unexpected_examples "
        "FROM validation_expectations e JOIN validation_runs r USING (validation_id) "
        "WHERE r.validated_at = (SELECT max(validated_at) FROM validation_runs) "
        "AND NOT e.success")
    return {row[0]: row[1:] for row in frame.iter_rows()}


def test_a_file_is_cut_into_blocks_of_hour_rows_that_add_up_to_the_whole():
    body = rivm_csv(STATIONS, YEAR, "NO2")
    chunks = list(rivm_yearly_chunks(payload(body), TINY))
    assert len(chunks) > 1 and max(c.height for c in chunks) <= TINY
    whole = next(iter(rivm_yearly_chunks(payload(body))))
    assert sum(c.height for c in chunks) == whole.height == rivm_yearly_rows(payload(body))


def test_chunked_and_whole_writes_give_the_same_table(warehouse, tmp_path):
    from warehouse.store import Warehouse

    other = Warehouse(tmp_path / "other.duckdb")
    other.initialise()
    whole, frame = write_validated_year(other, year_files(), str(YEAR), limit=WHOLE)
    chunked, none = write_validated_year(warehouse, year_files(), str(YEAR), limit=TINY)
    assert frame is not None and none is None  # the second went through the chunks
    assert whole.outcome.success and chunked.outcome.success
    assert chunked.rows_written == whole.rows_written == frame.height
    assert checksum(warehouse) == checksum(other)
    assert table_rows(warehouse).equals(table_rows(other))
    assert [(e.expectation, e.success, e.unexpected_count) for e in chunked.outcome.expectations] \
        == [(e.expectation, e.success, e.unexpected_count) for e in whole.outcome.expectations]
    # the passed validation is stored, with the partition's row count
    stored = warehouse.query("SELECT success, row_count FROM validation_runs")
    assert stored.rows() == [(True, frame.height)]


def _write_then_fail(warehouse, tmp_path, broken: list[Payload]):
    """A good vintage written first; then `broken` chunked and, in another warehouse, whole.
    Returns the chunked and the whole result, the checksum before and after, and the failures
    each stored."""
    from warehouse.store import Warehouse

    assert write_validated_year(warehouse, year_files(), str(YEAR), limit=TINY)[0].outcome.success
    before = checksum(warehouse)
    chunked, _ = write_validated_year(warehouse, broken, str(YEAR), limit=TINY)
    reference = Warehouse(tmp_path / "reference.duckdb")
    reference.initialise()
    whole, _ = write_validated_year(reference, broken, str(YEAR), limit=WHOLE)
    stored = (latest_failures(warehouse), latest_failures(reference))
    assert stored[0].keys() == stored[1].keys()
    return chunked, whole, before, checksum(warehouse), stored


def test_a_key_repeated_across_two_chunks_fails_and_keeps_the_old_rows(warehouse, tmp_path):
    no2, pm10 = year_files()
    lines = no2.body.decode().splitlines()
    # a third file repeating NO2's last hour row: its rows land in another chunk
    repeat = payload(("\n".join(lines[:8] + lines[-1:]) + "\n").encode())
    chunked, whole, before, after, (stored, reference) = _write_then_fail(
        warehouse, tmp_path, [no2, pm10, repeat])
    assert not chunked.outcome.success and chunked.rows_written == 0
    assert after == before  # nothing replaced
    [failed] = chunked.outcome.failed
    assert failed.expectation == "expect_compound_columns_to_be_unique"
    assert failed.unexpected_count == whole.outcome.failed[0].unexpected_count == 2 * len(STATIONS)
    # stored as the whole-frame validation stores it: the same count and example rows (GX lists
    # them in frame order, the check across chunks in key order)
    key_rule = "expect_compound_columns_to_be_unique"
    assert stored[key_rule][1] == reference[key_rule][1] == 2 * len(STATIONS)
    assert sorted(json.loads(stored[key_rule][2]), key=str) \
        == sorted(json.loads(reference[key_rule][2]), key=str)
    assert warehouse.failed_tables() == [TABLE]


def test_a_chunk_failing_a_row_rule_fails_the_partition(warehouse, tmp_path):
    no2, pm10 = year_files()

    def implausible(row: str) -> str:
        cells = row.split(";")
        cells[5] = "9999.0"
        return ";".join(cells)

    broken = payload(with_line(no2.body, 1, implausible))  # the last chunk of NO2
    chunked, whole, before, after, (stored, reference) = _write_then_fail(
        warehouse, tmp_path, [broken, pm10])
    assert after == before and chunked.rows_written == 0
    [failed] = chunked.outcome.failed
    [whole_failed] = whole.outcome.failed
    assert (failed.expectation, failed.column, failed.unexpected_count) == (
        "expect_column_values_to_be_between", "value_ugm3", 1)
    assert (failed.unexpected_count, list(failed.unexpected_examples)) == (
        whole_failed.unexpected_count, list(whole_failed.unexpected_examples))
    assert chunked.outcome.row_count == whole.outcome.row_count
    assert stored == reference


def test_a_contract_error_in_a_later_chunk_rolls_back_the_earlier_ones(warehouse):
    assert write_validated_year(warehouse, year_files(), str(YEAR), limit=TINY)[0].outcome.success
    before = checksum(warehouse)
    no2, pm10 = year_files()
    garbled = payload(with_line(pm10.body, 1, lambda row: row.replace("2023", "20x3", 1)), "PM10")
    with pytest.raises(ContractError, match="Begindatumtijd"):
        write_validated_year(warehouse, [no2, garbled], str(YEAR), limit=TINY)
    assert checksum(warehouse) == before


def test_the_chunk_size_is_configuration():
    assert chunk_rows({}) > 1_000_000 // 10
    assert chunk_rows({CHUNK_ROWS_ENV: "2500"}) == 2500
    for wrong in ("0", "-5", "many"):
        with pytest.raises(ValueError, match=CHUNK_ROWS_ENV):
            chunk_rows({CHUNK_ROWS_ENV: wrong})


def test_the_clean_asset_writes_a_large_partition_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setenv(CHUNK_ROWS_ENV, str(TINY))
    resource = WarehouseResource(path=str(tmp_path / "wh.duckdb"), lock_timeout_s=2)
    wh = resource.warehouse()
    wh.initialise()
    wh.record_payloads(year_files(), partition_key=str(YEAR))
    result = dg.materialize([clean_air_quality_validated_hourly], partition_key=str(YEAR),
                            resources={"warehouse": resource})
    [materialization] = result.asset_materializations_for_node(
        "clean_air_quality_validated_hourly")
    assert materialization.metadata["preview"].value == "(written in chunks)"
    assert materialization.metadata["rows"].value == wh.query(
        f"SELECT count(*) AS n FROM {TABLE}")["n"][0] == 2 * 3 * 8760  # noqa: S608


def test_stored_files_are_read_one_at_a_time_when_counted_and_when_parsed(warehouse, tmp_path):
    """`Warehouse.stored_payloads` lists a partition's files without their bodies; the write
    reads each body when it counts that file's rows and again when it parses it, so one body
    is in memory at a time (issue 18), and the table equals a write of in-memory files."""
    from warehouse.store import Warehouse

    files = year_files()
    warehouse.record_payloads(files, partition_key=str(YEAR))
    read: list[str] = []
    store_get = warehouse.payloads.get

    def get(content_hash: str) -> bytes:
        read.append(content_hash)
        return store_get(content_hash)

    warehouse.payloads.get = get
    stored = warehouse.stored_payloads("rivm_air_quality", "validated_yearly", str(YEAR))
    assert read == [] and [s.request_key for s in stored] == sorted(f.request_key for f in files)
    result, _ = write_validated_year(warehouse, stored, str(YEAR), limit=TINY)
    order = [s.content_hash for s in stored]
    assert result.outcome.success and read == order + order

    other = Warehouse(tmp_path / "other.duckdb")
    other.initialise()
    assert write_validated_year(other, files, str(YEAR), limit=TINY)[0].outcome.success
    assert checksum(warehouse) == checksum(other)


def _limit_mb(con) -> float:
    number, unit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0].split()
    return float(number) * {"KiB": 2**-10, "MiB": 1, "GiB": 2**10, "TiB": 2**20}[unit]


def test_after_a_chunked_write_duckdb_can_use_its_own_memory_again():
    """The limits of a chunked write are set back by value: DuckDB 1.5's `RESET memory_limit`
    restores the setting but keeps the buffer pool at the cap, so a later query that needs
    more memory (here a 160 MB list) would fail in the same process."""
    import duckdb

    from warehouse.gate import _BufferPool

    con = duckdb.connect()
    own = _limit_mb(con)
    pool = _BufferPool(con, chunk_rows=TINY)
    with pool.tight():
        assert _limit_mb(con) < 100
    pool.restore()
    assert abs(_limit_mb(con) - own) <= 0.01 * own  # DuckDB shows it rounded down
    assert len(con.execute("SELECT list(range) FROM range(20000000)").fetchone()[0]) == 20_000_000


def test_the_tight_limit_sits_above_what_the_connection_already_holds():
    """The tight limit for appends adds to what the connection holds when it is first taken
    (a replacement's deleted rows stay in memory until the commit); a fixed 16 MB limit would
    be refused ("could not free up enough memory") with about 48 MB held."""
    import duckdb

    from warehouse.gate import TIGHT_MIN_BYTES, _BufferPool

    con = duckdb.connect()  # in memory: the table's blocks cannot be written out
    con.execute("CREATE TABLE t AS SELECT range AS n FROM range(6000000)")
    held = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
    assert held > 2 * TIGHT_MIN_BYTES
    pool = _BufferPool(con, chunk_rows=TINY)
    con.execute("BEGIN")
    with pool.tight():
        con.execute("INSERT INTO t SELECT range FROM range(1000)")
    con.execute("COMMIT")
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 6_001_000


def test_chunks_that_cannot_share_a_key_are_decided_without_the_sql_check(warehouse, monkeypatch):
    """A yearly file's blocks cover separate hours and its files separate components, so no two
    written chunks can share a key: the key rule passes without the SQL over the written rows
    (0.8 s of a national year's 1.3 s of validation), with the same stored result."""
    from warehouse.clean import WindowWriter

    asked: list[tuple] = []
    sql_check = WindowWriter.repeated_keys

    def spy(self, columns, slice_rows, examples=20):
        asked.append(tuple(columns))
        return sql_check(self, columns, slice_rows, examples)

    monkeypatch.setattr(WindowWriter, "repeated_keys", spy)
    result, _ = write_validated_year(warehouse, year_files(), str(YEAR), limit=TINY)
    assert result.outcome.success and result.rows_written == 2 * len(STATIONS) * 8760
    assert asked == []
    key_rule = next(e for e in result.outcome.expectations
                    if e.expectation == "expect_compound_columns_to_be_unique")
    assert key_rule.success and key_rule.unexpected_count == 0

    no2, pm10 = year_files()
    lines = no2.body.decode().splitlines()
    late = payload(("\n".join(lines[:8] + lines[-1:]) + "\n").encode())  # NO2's last hour again
    result, _ = write_validated_year(warehouse, [no2, pm10, late], str(YEAR), limit=TINY)
    assert asked == [("station_code", "component", "measured_at")]  # ranges overlap: SQL decides
    assert not result.outcome.success


def test_key_ranges_rule_out_only_what_cannot_repeat():
    from datetime import timedelta

    from warehouse.gate import apart, key_ranges

    hours = [datetime(2023, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(6)]
    columns = ["station_code", "component", "measured_at"]

    def chunk(component: str, span: range, station: str | None = "NL001") -> dict:
        return key_ranges(pl.DataFrame({"station_code": [station] * len(span),
                                        "component": [component] * len(span),
                                        "measured_at": [hours[h] for h in span]}), columns)

    early, late = chunk("NO2", range(0, 3)), chunk("NO2", range(3, 6))
    assert apart([early, late, chunk("PM10", range(0, 6))], columns)
    assert not apart([early, chunk("NO2", range(2, 4))], columns)  # hour 2 in both
    # a missing value rules nothing out in its column
    assert not apart([chunk("NO2", range(0, 3), None), chunk("NO2", range(0, 3), None)],
                     ["station_code"])
    values = pl.DataFrame({"station_code": [1.0, 2.0]})
    assert key_ranges(values, ["station_code"]) == {"station_code": None}  # floats: no order used
