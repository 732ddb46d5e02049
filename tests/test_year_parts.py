"""The validated air-quality table stored one table per reporting year behind a view
(`warehouse.year_parts`): a whole year is replaced by a new table, never by deleting rows (whose
delete information DuckDB holds in memory until the commit); a failure keeps the old year; a
warehouse that stored the table whole is split on opening, rows unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pytest

from transforms.air_quality import reporting_year_window
from warehouse import year_parts
from warehouse.guard import ShrinkRefused
from warehouse.schema import clean_table
from warehouse.store import Warehouse

TABLE = "clean_air_quality_validated_hourly"
SOURCE = "rivm_validated"


def hours(start: datetime, n: int, value: float) -> pl.DataFrame:
    return pl.DataFrame({
        "station_code": "NL49551", "component": "NO2",
        "measured_at": [start + timedelta(hours=h) for h in range(n)],
        "value_ugm3": value, "source": SOURCE}).with_columns(
        pl.col("measured_at").cast(pl.Datetime("us", "UTC")))


def write_year(wh: Warehouse, year: int, value: float, n: int = 48) -> None:
    start, end = reporting_year_window(year)
    wh.replace_window(TABLE, hours(start, n, value), {"source": SOURCE, "measured_at": (start, end)})


def tables(wh: Warehouse) -> dict[str, str]:
    with wh.connect(read_only=True) as con:
        return dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                "WHERE starts_with(table_name, ?) ORDER BY 1", [TABLE]).fetchall())


@pytest.fixture
def wh(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "wh.duckdb")


def test_each_year_is_its_own_table_and_the_clean_table_is_a_view_over_them(wh):
    write_year(wh, 2022, 10.0)
    write_year(wh, 2023, 20.0)
    assert tables(wh) == {TABLE: "VIEW", f"{TABLE}__2022": "BASE TABLE",
                          f"{TABLE}__2023": "BASE TABLE"}
    means = wh.query("SELECT year(measured_at + INTERVAL 1 HOUR) AS y, "  # noqa: S608
                     f"avg(value_ugm3) AS v FROM {TABLE} GROUP BY ALL ORDER BY 1")
    assert means.rows() == [(2022, 10.0), (2023, 20.0)]
    # content checks name the clean table, as the lake (one table) does
    sums = wh.checksums()
    assert sums[TABLE][0] == 96 and not [t for t in sums if t.startswith(f"{TABLE}__")]


def test_a_whole_year_is_replaced_by_a_new_table_and_other_years_stay(wh, monkeypatch):
    write_year(wh, 2022, 10.0)
    write_year(wh, 2023, 20.0)
    replaced = []
    real = year_parts.finish_replacement
    monkeypatch.setattr(year_parts, "finish_replacement",
                        lambda con, schema, table: replaced.append(table) or real(con, schema, table))
    write_year(wh, 2023, 30.0, n=50)
    # the year's rows went with its table (not deleted row by row); the other year stays
    assert replaced == [f"{TABLE}__2023"]
    assert set(tables(wh)) == {TABLE, f"{TABLE}__2022", f"{TABLE}__2023"}  # no staging left
    rows = wh.query(f"SELECT value_ugm3, count(*) AS n FROM {TABLE} GROUP BY ALL ORDER BY 1")  # noqa: S608
    assert rows.rows() == [(10.0, 48), (30.0, 50)]


def test_a_refused_replacement_keeps_the_year_as_it_was(wh):
    write_year(wh, 2023, 20.0, n=100)
    with pytest.raises(ShrinkRefused):
        write_year(wh, 2023, 5.0, n=2)  # 98% fewer rows: the shrink guard refuses it
    assert set(tables(wh)) == {TABLE, f"{TABLE}__2023"}
    rows = wh.query(f"SELECT value_ugm3, count(*) AS n FROM {TABLE} GROUP BY ALL")  # noqa: S608
    assert rows.rows() == [(20.0, 100)]


def test_a_window_across_two_years_writes_each_years_table(wh):
    start = datetime(2022, 12, 30, tzinfo=UTC)
    end = start + timedelta(days=4)
    wh.replace_window(TABLE, hours(start, 96, 7.0), {"source": SOURCE, "measured_at": (start, end)})
    counts = {name: wh.query(f"SELECT count(*) AS n FROM {name}")["n"][0]  # noqa: S608
              for name in tables(wh)}
    # reporting years run from 23:00 UTC on 31 December
    assert counts == {TABLE: 96, f"{TABLE}__2022": 47, f"{TABLE}__2023": 49}
    wh.replace_window(TABLE, hours(start, 96, 8.0), {"source": SOURCE, "measured_at": (start, end)})
    values = wh.query(f"SELECT DISTINCT value_ugm3 FROM {TABLE}")  # noqa: S608
    assert values["value_ugm3"].to_list() == [8.0]


def test_a_warehouse_that_stored_the_table_whole_is_split_by_year_on_opening(tmp_path):
    path = tmp_path / "wh.duckdb"
    frame = pl.concat([hours(reporting_year_window(y)[0] - timedelta(hours=2), 5, float(y))
                       for y in (2021, 2022)])
    with duckdb.connect(str(path)) as con:  # the layout before: one table
        con.execute(clean_table(TABLE).ddl())
        con.execute(f"INSERT INTO {TABLE} SELECT * FROM frame")  # noqa: S608
    wh = Warehouse(path)
    with wh.connect():  # the first write connection of a process sets the schema up
        pass
    assert tables(wh) == {TABLE: "VIEW", f"{TABLE}__2020": "BASE TABLE",
                          f"{TABLE}__2021": "BASE TABLE", f"{TABLE}__2022": "BASE TABLE"}
    stored = wh.query(f"SELECT * FROM {TABLE} ORDER BY measured_at")  # noqa: S608
    utc = pl.col("measured_at").dt.convert_time_zone("UTC")
    assert stored.with_columns(utc).equals(frame.sort("measured_at"))
