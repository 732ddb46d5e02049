"""Incremental refresh of the derived tables: recompute only what changed, and always get
exactly what a full recomputation gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from indicators.catalogue import load_catalogue, load_regions
from indicators.compute import compute_indicator_values, input_tables
from indicators.progress import assess_all
from indicators.refresh import (
    refresh_indicator_values,
    refresh_progress,
    refresh_station_annual,
)
from transforms.air_quality import reporting_years_touched, with_coverage
from warehouse.store import Warehouse

STATIONS = ("NL49551", "NL49570", "NL10404")
JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)


def hours(start: datetime, n: int, level: float, source: str) -> pl.DataFrame:
    rows = [(s, c, start + timedelta(hours=h), level + (h % 13) + i)
            for i, s in enumerate(STATIONS) for c in ("NO2", "PM10") for h in range(n)]
    return pl.DataFrame(rows, schema={"station_code": pl.String, "component": pl.String,
                                      "measured_at": pl.Datetime("us", "UTC"),
                                      "value_ugm3": pl.Float64}, orient="row"
                        ).with_columns(source=pl.lit(source))


def write_day(wh: Warehouse, day: datetime, level: float) -> None:
    wh.replace_window("clean_air_quality_hourly", hours(day, 24, level, "luchtmeetnet_api"),
                      {"source": "luchtmeetnet_api", "measured_at": (day, day + timedelta(days=1))})


@pytest.fixture
def wh(tmp_path) -> Warehouse:
    wh = Warehouse(tmp_path / "wh.duckdb")
    for year in (2022, 2023):  # validated history, a reporting year each (UTC+1)
        start = datetime(year - 1, 12, 31, 23, tzinfo=UTC)
        wh.replace_window("clean_air_quality_validated_hourly",
                          hours(start, 24 * 40, 20.0 + year % 10, "rivm_validated"),
                          {"source": "rivm_validated",
                           "measured_at": (start, datetime(year, 12, 31, 23, tzinfo=UTC))})
    for day in range(5):
        write_day(wh, JAN_1 + timedelta(days=day), 30.0)
    return wh


def full_station_annual(wh: Warehouse) -> pl.DataFrame:
    return with_coverage(wh.station_annual_sums()).sort(["station_code", "component", "year"])


def stored(wh: Warehouse, table: str, keys: list[str]) -> pl.DataFrame:
    return wh.query(f"SELECT * FROM {table}").sort(keys, nulls_last=False)  # noqa: S608


def test_windows_map_to_the_utc_plus_one_reporting_years_they_touch():
    assert reporting_years_touched([(datetime(2024, 3, 1, tzinfo=UTC),
                                     datetime(2024, 3, 2, tzinfo=UTC))]) == {2024}
    # the last UTC hour of 2024 belongs to reporting year 2025
    assert reporting_years_touched([(datetime(2024, 12, 31, tzinfo=UTC),
                                     datetime(2025, 1, 1, tzinfo=UTC))]) == {2024, 2025}
    assert reporting_years_touched([(datetime(2024, 12, 31, 23, tzinfo=UTC),
                                     datetime(2025, 12, 31, 23, tzinfo=UTC))]) == {2025}
    assert reporting_years_touched([(None, None)]) is None
    assert reporting_years_touched([]) == set()


def test_station_years_first_all_then_only_the_changed_year_and_equal_to_a_full_run(wh):
    first = refresh_station_annual(wh)
    assert first.scope == "all" and set(first.frame["year"]) == {2022, 2023, 2024}

    write_day(wh, JAN_1 + timedelta(days=5), 99.0)  # a new day of 2024
    wh.replace_window("clean_air_quality_hourly", hours(JAN_1, 24, 1.0, "luchtmeetnet_api"),
                      {"source": "luchtmeetnet_api", "measured_at": (JAN_1, JAN_1 + timedelta(days=1))})
    second = refresh_station_annual(wh)
    assert second.scope == "part" and second.keys == (2024,)
    assert second.rows_written == len(STATIONS) * 2  # only the 2024 station-years
    keys = ["station_code", "component", "year"]
    assert_frame_equal(stored(wh, "air_station_annual", keys), full_station_annual(wh))
    assert refresh_station_annual(wh).scope == "unchanged"


def test_a_rewritten_validated_year_recomputes_that_year_only(wh):
    refresh_station_annual(wh)
    start, end = datetime(2022, 12, 31, 23, tzinfo=UTC), datetime(2023, 12, 31, 23, tzinfo=UTC)
    wh.replace_window("clean_air_quality_validated_hourly", hours(start, 24 * 40, 5.0,
                                                                   "rivm_validated"),
                      {"source": "rivm_validated", "measured_at": (start, end)})
    refresh = refresh_station_annual(wh)
    assert refresh.scope == "part" and refresh.keys == (2023,)
    keys = ["station_code", "component", "year"]
    assert_frame_equal(stored(wh, "air_station_annual", keys), full_station_annual(wh))


def test_indicator_values_and_progress_recompute_only_air_indicators_after_an_air_change(wh):
    catalogue, regions = load_catalogue(), load_regions()
    refresh_station_annual(wh)
    assert refresh_indicator_values(wh, catalogue, regions).scope == "all"
    assert refresh_progress(wh, catalogue, regions).scope == "all"

    write_day(wh, JAN_1 + timedelta(days=6), 80.0)
    refresh_station_annual(wh)
    values = refresh_indicator_values(wh, catalogue, regions)
    air = tuple(i.id for i in catalogue.indicators if "air_station_annual" in input_tables(i))
    assert values.scope == "part" and values.keys == air and 0 < len(air) < len(catalogue.indicators)
    progress = refresh_progress(wh, catalogue, regions)
    assert progress.scope == "part" and progress.keys == tuple(sorted(air))

    tables = {t: wh.read_table(t) for t in ("clean_emissions", "clean_employment",
                                             "clean_training", "clean_offshore_wind")}
    tables["air_station_annual"] = wh.query("SELECT * FROM air_station_annual")
    expected_values = compute_indicator_values(catalogue, regions, tables)
    value_keys = ["indicator_id", "region_id", "station_code", "year"]
    assert_frame_equal(stored(wh, "indicator_values", value_keys),
                       expected_values.sort(value_keys, nulls_last=False))
    progress_keys = ["indicator_id", "region_id", "target_order"]
    assert_frame_equal(stored(wh, "progress_assessments", progress_keys),
                       assess_all(catalogue, regions, expected_values).sort(progress_keys))
    assert refresh_indicator_values(wh, catalogue, regions).scope == "unchanged"
    assert refresh_progress(wh, catalogue, regions).scope == "unchanged"


def test_a_new_region_in_the_configuration_recomputes_everything(wh):
    catalogue, regions = load_catalogue(), load_regions()
    refresh_station_annual(wh)
    refresh_indicator_values(wh, catalogue, regions)
    partner = regions.regions[0].model_copy(update={"id": "partner_added"})
    more = regions.model_copy(update={"regions": [*regions.regions, partner]})
    refresh = refresh_indicator_values(wh, catalogue, more)
    assert refresh.scope == "all" and "partner_added" in set(refresh.frame["region_id"])


def test_a_partial_write_refuses_rows_outside_the_keys_it_replaces(wh):
    refresh_station_annual(wh)
    before = wh.checksums()
    rows = full_station_annual(wh)
    with pytest.raises(ValueError, match="every row written must have its year"):
        wh.replace_derived_part("air_station_annual", rows, "year", [2024])
    assert wh.checksums() == before
