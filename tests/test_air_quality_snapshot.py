"""Snapshot mode end to end: the same clients and parsers over the bundled recordings and the
generated RIVM files, reproducing the published PM10 annual means, deterministically."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from core.errors import NotInSnapshot
from core.payload import Payload
from sources.generators.air_quality import GENERATORS, write_api_recordings, write_rivm_years
from sources.luchtmeetnet import SNAPSHOT_DAYS, fetch_measurements, fetch_station
from sources.registry import make_http
from sources.rivm_air_quality import fetch_year
from sources.snapshot import DEMO_STATIONS as STATIONS
from sources.snapshot import MANIFEST_DIR, RECORDED_DIR, ensure_generated
from transforms.air_quality import (
    COMPONENTS,
    annual_means,
    daily_completeness,
    keep_window,
    parse_luchtmeetnet_measurements,
    parse_rivm_yearly_csv,
    parse_station_detail,
    reporting_year_window,
)

# Published PM10 annual means (µg/m³, GGD reports; SOURCES.md), 2016..2021.
PUBLISHED_PM10 = {
    "NL49551": (20, 21, 24, 21, 19, 18),
    "NL49553": (21, 24, 26, 25, 22, 21),
    "NL49570": (17, 20, 21, 20, 18, 17),
    "NL49572": (19, 20, 20, 17, 17, 15),
    "NL49573": (28, 28, 32, 28, 25, 23),
    "NL49556": (15, 14, 17, 15, 13, 13),
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return ensure_generated(tmp_path_factory.mktemp("generated"), GENERATORS)


@pytest.fixture(scope="module")
def rivm(generated):
    return make_http("rivm_air_quality", mode="snapshot", generated_dir=generated)


def parsed_year(http, year: int, components=COMPONENTS) -> pl.DataFrame:
    return pl.concat([parse_rivm_yearly_csv(p) for p in fetch_year(http, year, components)])


def test_published_pm10_annual_means_are_reproduced(rivm):
    frame = pl.concat([parsed_year(rivm, year, ("PM10",)) for year in range(2016, 2022)])
    means = annual_means(frame)
    got = {(s, y): round(m) for s, y, m in means.select("station_code", "year", "mean_ugm3").rows()}
    for station, figures in PUBLISHED_PM10.items():
        assert [got[(station, year)] for year in range(2016, 2022)] == list(figures), station
    assert got[("NL49557", 2021)] == 21
    assert not any(s == "NL49557" and y < 2021 for s, y in got)  # not reporting before 2021


def test_a_year_is_complete_for_every_station_and_component(rivm):
    frame = parsed_year(rivm, 2024)
    start, end = reporting_year_window(2024)
    assert frame["measured_at"].min() == start and frame["measured_at"].max() < end
    per_series = frame.group_by("station_code", "component").len()
    assert per_series.height == len(STATIONS) * len(COMPONENTS)
    assert set(per_series["len"]) == {8784}  # a leap year, one row per hour
    assert not frame.select("station_code", "component", "measured_at").is_duplicated().any()
    values = frame["value_ugm3"].drop_nulls()
    assert values.min() >= -5 and values.max() <= 1500 and (values < 0).sum() > 0
    assert 0.005 < frame["value_ugm3"].null_count() / frame.height < 0.05  # a few % missing
    assert frame["measured_at"].dt.minute().max() == 0


def test_one_station_year_has_low_coverage(rivm):
    means = annual_means(parsed_year(rivm, 2018))
    low = means.filter(pl.col("low_coverage"))
    assert set(low["station_code"]) == {"NL49570"} and low.height == len(COMPONENTS)
    others = means.filter(~pl.col("low_coverage"))
    assert low["coverage_pct"].max() < 90 <= others["coverage_pct"].min()


def test_generation_is_deterministic(generated, tmp_path):
    write_rivm_years(tmp_path, years=(2019,))
    again = sorted(p for p in tmp_path.rglob("*.gz"))
    assert len(again) == len(COMPONENTS)
    for path in again:
        assert path.read_bytes() == (generated / path.relative_to(tmp_path)).read_bytes()


def test_committed_api_recordings_are_what_the_generator_writes(tmp_path):
    written = write_api_recordings(tmp_path)
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.gz"))
    pages = len(SNAPSHOT_DAYS) * len(STATIONS)  # one page per station and day
    assert written == len(files) == pages + len(STATIONS)
    assert all((RECORDED_DIR / f).read_bytes() == (tmp_path / f).read_bytes() for f in files)
    committed = sorted(p.relative_to(RECORDED_DIR)
                       for p in (RECORDED_DIR / "api.luchtmeetnet.nl").rglob("*.gz"))
    assert committed == files  # no stale recording left behind


def test_api_recordings_stamp_each_hour_with_its_end_as_the_api_does():
    http = make_http("luchtmeetnet", mode="snapshot")
    page = fetch_measurements(http, date(2025, 1, 6), stations=["NL49551"])[0]
    records = page.json()["data"]
    assert list(records[0]) == ["station_number", "value", "timestamp_measured", "formula"]
    stamps = sorted({r["timestamp_measured"] for r in records})
    assert stamps[0] == "2025-01-06T00:00:00+00:00"  # the window's start, included
    assert stamps[-1] == "2025-01-07T01:00:00+00:00"  # the window's end, included
    assert len(stamps) == 26 and len(records) == 26 * len(COMPONENTS)


def test_the_generators_write_the_same_hour_under_the_same_key_in_both_formats():
    """An API page written from the RIVM generator's own hours parses to the RIVM file's keys
    and values: the API writer stamps hour ends, the RIVM writer hour starts in UTC+1."""
    from sources.generators.air_quality import (
        measurement_page,
        metadata_rows,
        render_rivm_csv,
        year_matrix,
    )

    local, series = year_matrix(2024, "NO2")
    hours = local.head(26)
    utc_starts = hours.dt.offset_by("-1h")  # UTC+1 all year
    page = measurement_page("NL49551", {"NO2": (utc_starts, series["NL49551"][:26])})
    csv = render_rivm_csv("NO2", hours, {"NL49551": series["NL49551"][:26]},
                          metadata_rows("NO2", ["NL49551"]))
    api = parse_luchtmeetnet_measurements([Payload("luchtmeetnet", "measurements", "k", "u",
                                                   "application/json", page, datetime.now(UTC))])
    rivm = parse_rivm_yearly_csv(Payload("rivm_air_quality", "validated_yearly", "k", "u",
                                         "text/csv", csv, datetime.now(UTC)))
    assert api.select("station_code", "component", "measured_at", "value_ugm3").equals(
        rivm.select("station_code", "component", "measured_at", "value_ugm3"))
    assert api["measured_at"][0] == datetime(2023, 12, 31, 23, tzinfo=UTC)


def test_consecutive_snapshot_days_agree_on_the_hours_they_share():
    http = make_http("luchtmeetnet", mode="snapshot")
    one, two = (parse_luchtmeetnet_measurements(fetch_measurements(http, date(2025, 1, d),
                                                                   stations=["NL49573"]))
                for d in (6, 7))
    shared = one.join(two, on=["station_code", "component", "measured_at"], suffix="_next")
    assert shared.height == 2 * len(COMPONENTS)  # 2025-01-06 23:00 and 2025-01-07 00:00
    assert shared["value_ugm3"].equals(shared["value_ugm3_next"], check_names=False)


def test_api_pages_of_a_snapshot_day_parse_to_every_station_component_and_hour():
    http = make_http("luchtmeetnet", mode="snapshot")
    payloads = fetch_measurements(http, date(2025, 1, 6), stations=STATIONS, partition="2025-01-06")
    start = datetime(2025, 1, 6, tzinfo=UTC)
    frame, outside = keep_window(parse_luchtmeetnet_measurements(payloads), start,
                                 start + timedelta(days=1))
    assert len(payloads) == len(STATIONS)
    assert outside == len(STATIONS) * len(COMPONENTS) * 2
    assert frame.height == len(STATIONS) * len(COMPONENTS) * 24
    assert set(frame["station_code"]) == set(STATIONS)
    assert set(frame["component"]) == set(COMPONENTS)
    assert frame["measured_at"].dt.date().unique().to_list() == [date(2025, 1, 6)]
    completeness = daily_completeness(frame)
    assert completeness.height == len(STATIONS) * len(COMPONENTS)
    assert completeness["completeness_pct"].min() > 80


def test_station_details_in_the_snapshot_match_the_station_list():
    http = make_http("luchtmeetnet", mode="snapshot")
    for code, name in STATIONS.items():
        detail = parse_station_detail(fetch_station(http, code))
        assert (detail["station_code"], detail["name"]) == (code, name)


def test_a_day_outside_the_snapshot_is_not_in_snapshot():
    with pytest.raises(NotInSnapshot):
        fetch_measurements(make_http("luchtmeetnet", mode="snapshot"), date(2025, 1, 13),
                           stations=["NL49551"])


@pytest.mark.parametrize("source", ["luchtmeetnet", "rivm_air_quality"])
def test_manifest_names_every_file_and_its_provenance(generated, source):
    fragment = json.loads((MANIFEST_DIR / f"{source}.json").read_text(encoding="utf-8"))
    assert fragment["source"] == source
    for entry in fragment["files"]:
        assert entry["provenance"] in {"published", "synthesized", "mixed"}
        assert entry["provenance"] == "synthesized" or entry["citations"]
        matches = [*RECORDED_DIR.glob(entry["path"]), *generated.glob(entry["path"])]
        assert matches, entry["path"]


def warehouse_with_validated_hours(tmp_path, hours, values, window):
    """A warehouse holding validated NO2 hours of one station, and the frame written."""
    from warehouse.store import Warehouse

    frame = pl.DataFrame({"station_code": "NL49551", "component": "NO2", "measured_at": hours,
                          "value_ugm3": values, "source": "rivm_validated"}).with_columns(
        pl.col("measured_at").cast(pl.Datetime("us", "UTC")))
    wh = Warehouse(tmp_path / "wh.duckdb")
    wh.replace_window("clean_air_quality_validated_hourly", frame,
                      {"source": "rivm_validated", "measured_at": window})
    return wh, frame


def test_the_warehouse_aggregation_equals_the_reference_annual_means(tmp_path):
    """`Warehouse.station_annual_sums` (DuckDB, used by the pipeline) must agree with the
    Polars reference `annual_means`, including the UTC+1 reporting-year boundary."""
    from datetime import UTC, datetime, timedelta

    from polars.testing import assert_frame_equal

    from transforms.air_quality import annual_means, reporting_year_window, with_coverage

    start, _ = reporting_year_window(2020)
    hours = [start + timedelta(hours=h) for h in range(-3, 30)]
    wh, frame = warehouse_with_validated_hours(
        tmp_path, hours, [float(h % 7) if h % 5 else None for h in range(len(hours))],
        (datetime(2019, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC)))
    expected = annual_means(frame)
    actual = with_coverage(wh.station_annual_sums()).select(expected.columns)
    assert actual["year"].to_list() == [2019, 2020]
    assert_frame_equal(actual, expected, check_exact=False)


def test_the_warehouse_aggregation_of_chosen_years_equals_the_same_years_of_a_full_one(tmp_path):
    """Recomputing some reporting years (the incremental path) gives exactly those years'
    rows of the full aggregation; hours either side of a UTC+1 new year land in the right one."""
    from datetime import UTC, datetime, timedelta

    from polars.testing import assert_frame_equal

    from transforms.air_quality import reporting_year_window

    start, _ = reporting_year_window(2021)
    hours = [start + timedelta(hours=h) for h in range(-2, 3)] + [datetime(2022, 6, 1, tzinfo=UTC)]
    wh, _ = warehouse_with_validated_hours(
        tmp_path, hours, [1.0, 2.0, 10.0, 20.0, 30.0, 5.0],
        (datetime(2020, 1, 1, tzinfo=UTC), datetime(2023, 1, 1, tzinfo=UTC)))
    full = wh.station_annual_sums().sort("year")
    assert full["year"].to_list() == [2020, 2021, 2022]
    assert full["mean_ugm3"].to_list() == [1.5, 20.0, 5.0]
    chosen = wh.station_annual_sums(years=[2021, 2022]).sort("year")
    assert_frame_equal(chosen, full.filter(pl.col("year") >= 2021))
    assert wh.station_annual_sums(years=[]).height == 0
