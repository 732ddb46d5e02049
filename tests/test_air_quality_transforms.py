"""Parsing, business rules and aggregates for air quality (RELIABILITY.md cases 6 and 9):
nulls, negatives, outliers, duplicates, gaps, offsets, DST days, RIVM CSV layout and drift."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from factories import AIR_QUALITY_HOURLY, AIR_QUALITY_VALIDATED_HOURLY

from core.errors import ContractError
from core.payload import Payload
from transforms.air_quality import (
    COMPONENTS,
    SchemaDriftWarning,
    air_quality_rules,
    annual_means,
    daily_completeness,
    keep_window,
    parse_luchtmeetnet_measurements,
    parse_rivm_yearly_csv,
    reporting_year_window,
)
from transforms.validation import validate_frame

PAYLOADS = Path(__file__).parent / "payloads" / "luchtmeetnet"
ANOMALIES = "measurements_NL49573_PM10_2024-01-15_anomalies.json"
ALL_FORMULAS = "measurements_NL49551_2023-01-01_all_formulas.json"  # the real format
API_URL = "https://api.luchtmeetnet.nl/open_api/measurements?station_number=NL49573&page=1"
CSV_URL = "https://data.rivm.nl/data/luchtmeetnet/Vastgesteld-jaar/2023/2023_NO2.csv"


def api_payload(body: bytes | dict, url: str = API_URL) -> Payload:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    return Payload("luchtmeetnet", "measurements", url, url, "application/json", body,
                   datetime.now(UTC))


def recorded(name: str) -> Payload:
    return api_payload((PAYLOADS / name).read_bytes())


def csv_payload(body: bytes) -> Payload:
    return Payload("rivm_air_quality", "validated_yearly", "k", CSV_URL, "text/csv", body,
                   datetime.now(UTC))


def sample_csv() -> bytes:
    return (PAYLOADS / "rivm_2023_NO2_sample.csv").read_bytes()


def at(frame: pl.DataFrame, hour: int, day: date = date(2024, 1, 15)) -> list:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)
    return frame.filter(pl.col("measured_at") == moment)["value_ugm3"].to_list()


def outcome(result, expectation: str):
    return next(e for e in result.expectations if e.expectation == expectation)


# -- Luchtmeetnet pages ----------------------------------------------------------------------

def test_anomalies_are_kept_honestly():
    frame = parse_luchtmeetnet_measurements([recorded(ANOMALIES)])
    assert frame.schema == AIR_QUALITY_HOURLY.empty().schema
    assert frame.height == 23  # 24 hours, one missing (gap), one duplicate dropped
    assert at(frame, 2) == [None] and at(frame, 3) == [None]  # null stays null, never 0
    assert frame["value_ugm3"].null_count() == 2
    assert at(frame, 7) == [-2.5] and at(frame, 12) == [1e6]  # flagged by rules, not hidden
    assert at(frame, 9) == []  # the gap stays a gap
    assert at(frame, 15) == [31.0]  # the later of two rows for the same hour
    assert at(frame, 0) == [20.0]  # "Z" suffix read as UTC
    assert at(frame, 23) == [24.0]  # an integer JSON value becomes a float
    assert set(frame["source"]) == {"luchtmeetnet_api"}


# -- the real format: hour ends, all of a station's components, optional start/end fields ---

def real_page(change=None) -> Payload:
    doc = json.loads((PAYLOADS / ALL_FORMULAS).read_bytes())
    if change:
        change(doc)
    return api_payload(doc)


def spell_out_start_and_end(doc: dict) -> None:
    """The optional fields some responses carry (docs/evidence/luchtmeetnet_klimaatmonitor.md L3), added to every record."""
    for record in doc["data"]:
        end = datetime.fromisoformat(record["timestamp_measured"])
        record["timestamp_measured_start"] = (end - timedelta(hours=1)).isoformat()
        record["timestamp_measured_end"] = record["timestamp_measured"]


def test_each_hour_is_keyed_by_its_start_one_hour_before_timestamp_measured():
    page = real_page()
    frame = parse_luchtmeetnet_measurements([page])
    assert set(frame["component"]) == set(COMPONENTS)  # SO2, NO, CO, H2S, FN left out
    assert frame.height == 26 * len(COMPONENTS)
    no2 = frame.filter(pl.col("component") == "NO2")
    # stamped 2023-01-01T00:00:00+00:00 (the hour's end): the hour 2022-12-31 23:00-24:00
    assert no2["measured_at"][0] == datetime(2022, 12, 31, 23, tzinfo=UTC)
    assert no2["measured_at"][-1] == datetime(2023, 1, 2, 0, tzinfo=UTC)
    first = next(r for r in page.json()["data"] if r["formula"] == "NO2")
    assert (first["timestamp_measured"], first["value"]) == ("2023-01-01T00:00:00+00:00",
                                                             no2["value_ugm3"][0])


def test_the_spelled_out_start_and_end_give_the_same_rows_without_drift_warnings(recwarn):
    with_fields = parse_luchtmeetnet_measurements([real_page(spell_out_start_and_end)])
    assert with_fields.equals(parse_luchtmeetnet_measurements([real_page()]))
    assert not [w for w in recwarn if issubclass(w.category, SchemaDriftWarning)]


def test_a_page_mixing_records_with_and_without_start_uses_each_ones_own():
    def some(doc: dict) -> None:
        spell_out_start_and_end(doc)
        for record in doc["data"][::3]:
            del record["timestamp_measured_start"], record["timestamp_measured_end"]

    assert parse_luchtmeetnet_measurements([real_page(some)]).equals(
        parse_luchtmeetnet_measurements([real_page()]))


@pytest.mark.parametrize(("field", "stamp", "complaint"), [
    ("timestamp_measured_start", "2023-01-01T00:00:00+00:00",
     "timestamp_measured_start is not one hour before timestamp_measured"),
    ("timestamp_measured_end", "2023-01-01T01:00:00+00:00",
     "timestamp_measured_end is not equal to timestamp_measured"),
    ("timestamp_measured_start", "gisteren", "unparseable timestamp_measured_start"),
    ("timestamp_measured_start", "2022-12-31T23:30:00+00:00", "not on the hour"),
])
def test_a_start_or_end_that_disagrees_with_timestamp_measured_breaks_the_contract(
        field, stamp, complaint):
    def disagree(doc: dict) -> None:
        spell_out_start_and_end(doc)
        doc["data"][0][field] = stamp  # the first record is stamped 2023-01-01T00:00

    with pytest.raises(ContractError) as err:
        parse_luchtmeetnet_measurements([real_page(disagree)])
    assert complaint in str(err.value) and API_URL in str(err.value)


def test_rows_outside_the_day_are_left_out_and_counted_not_fatal():
    frame = parse_luchtmeetnet_measurements([real_page()])
    start = datetime(2023, 1, 1, tzinfo=UTC)
    day, outside = keep_window(frame, start, start + timedelta(days=1))
    assert outside == 2 * len(COMPONENTS)  # the hour before and the hour after the day
    assert day.height == 24 * len(COMPONENTS)
    assert day["measured_at"].min() == start
    assert day["measured_at"].max() == datetime(2023, 1, 1, 23, tzinfo=UTC)
    assert keep_window(frame.head(0), start, start + timedelta(days=1))[1] == 0


def test_an_api_hour_and_the_same_rivm_validated_hour_have_the_same_key():
    """RIVM's `Begindatumtijd` is the hour's start in UTC+1, the API's `timestamp_measured`
    its end in UTC: both land on the same `measured_at`, so validated values replace the
    API's hour for hour (the fixture's NO2 values equal the RIVM sample's)."""
    api = parse_luchtmeetnet_measurements([real_page()]).filter(
        pl.col("component") == "NO2")
    rivm = parse_rivm_yearly_csv(csv_payload(sample_csv())).filter(
        pl.col("station_code") == "NL49551")
    joined = api.join(rivm, on=["station_code", "component", "measured_at"], suffix="_rivm")
    assert joined.height == api.height == 26  # every API hour meets its validated twin
    assert (joined["value_ugm3"] == joined["value_ugm3_rivm"]).all()
    # RIVM's first row, "20230101 00:00" (UTC+1), is the API's record stamped 00:00 UTC
    assert joined["measured_at"].min() == datetime(2022, 12, 31, 23, tzinfo=UTC)
    # Keyed by the end instead, every hour would meet the wrong twin
    shifted = api.with_columns(pl.col("measured_at") + timedelta(hours=1)).join(
        rivm, on=["station_code", "component", "measured_at"], suffix="_rivm")
    assert not (shifted["value_ugm3"] == shifted["value_ugm3_rivm"]).all()


def test_a_repeated_hour_keeps_the_later_page_whatever_the_payload_order():
    def page(number: int, value: float) -> Payload:
        rows = [{"station_number": "NL49551", "formula": "NO2", "value": value,
                 "timestamp_measured": "2024-01-15T05:00:00+00:00"}]
        return api_payload({"pagination": {"current_page": number, "last_page": 2},
                            "data": rows}, url=f"{API_URL}&page={number}")

    frame = parse_luchtmeetnet_measurements([page(2, 12.5), page(1, 11.0)])
    assert frame["value_ugm3"].to_list() == [12.5]


@pytest.mark.parametrize("day", [date(2024, 10, 27), date(2024, 3, 31)])
def test_local_offsets_on_dst_days_become_24_distinct_utc_hours(day):
    frame = parse_luchtmeetnet_measurements(
        [recorded(f"measurements_NL49551_NO2_{day.isoformat()}_local_offsets.json")])
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert frame["measured_at"].to_list() == [start + timedelta(hours=h) for h in range(24)]
    completeness = daily_completeness(frame)
    assert completeness.select("date", "hours_with_value", "hours_expected",
                               "completeness_pct").rows() == [(day, 24, 24, 100.0)]


def test_plus_one_and_plus_two_offsets_convert_to_the_same_utc_hour():
    """Stamps are hour ends: 03:00+02:00 and 02:00+01:00 end the hours starting at 00:00 UTC."""
    rows = [{"station_number": "NL49551", "formula": "NO2", "value": v, "timestamp_measured": t}
            for v, t in ((1.0, "2024-07-01T03:00:00+02:00"), (2.0, "2024-01-01T02:00:00+01:00"))]
    frame = parse_luchtmeetnet_measurements(
        [api_payload({"pagination": {"current_page": 1, "last_page": 1}, "data": rows})])
    assert frame["measured_at"].to_list() == [datetime(2024, 1, 1, tzinfo=UTC),
                                              datetime(2024, 7, 1, tzinfo=UTC)]


def test_daily_completeness_counts_gaps_and_nulls():
    frame = parse_luchtmeetnet_measurements([recorded(ANOMALIES)])
    row = daily_completeness(frame).row(0, named=True)
    assert row["hours_with_value"] == 21 and row["hours_expected"] == 24
    assert row["completeness_pct"] == pytest.approx(87.5)


def mutated(change) -> Payload:
    doc = json.loads((PAYLOADS / ANOMALIES).read_bytes())
    change(doc)
    return api_payload(doc)


@pytest.mark.parametrize(("change", "complaint"), [
    (lambda d: d.pop("data"), "data"),
    (lambda d: d.pop("pagination"), "pagination"),
    (lambda d: [r.update(timestamp=r.pop("timestamp_measured")) for r in d["data"]],
     "timestamp_measured"),
    (lambda d: [r.pop("formula") for r in d["data"]], "formula"),
    (lambda d: [r.update(value=str(r["value"])) for r in d["data"]], "value is String"),
    (lambda d: d["data"][4].update(timestamp_measured="15-01-2024 04:00"), "15-01-2024 04:00"),
    (lambda d: d["data"][4].update(timestamp_measured="2024-01-15T04:30:00+00:00"),
     "1 timestamp(s) not on the hour, e.g. '2024-01-15T04:30:00+00:00'"),
    (lambda d: d.update(data={"rows": []}), "data"),
])
def test_contract_breaks_name_the_source_the_url_and_what_is_missing(change, complaint):
    with pytest.raises(ContractError) as err:
        parse_luchtmeetnet_measurements([mutated(change)])
    message = str(err.value)
    assert complaint in message and "[luchtmeetnet]" in message and API_URL in message


def _pages_with_fault_on_page_2(change) -> list[Payload]:
    urls = [API_URL.replace("page=1", f"page={n}") for n in (1, 2, 3)]
    docs = [json.loads((PAYLOADS / ANOMALIES).read_bytes()) for _ in urls]
    change(docs[1])
    return [api_payload(doc, url) for doc, url in zip(docs, urls, strict=True)]


@pytest.mark.parametrize(("change", "complaint"), [
    (lambda d: [r.update(value=str(r["value"])) for r in d["data"]], "value is String"),
    (lambda d: [r.pop("formula") for r in d["data"]], "formula"),
    (lambda d: d["data"][3].update(station_number=None), "records without ['station_number']"),
])
def test_a_fault_on_one_of_many_pages_names_that_page(change, complaint):
    # the pages are parsed as one frame; a fault sends them through the page-by-page check
    with pytest.raises(ContractError) as err:
        parse_luchtmeetnet_measurements(_pages_with_fault_on_page_2(change))
    assert complaint in str(err.value) and "page=2" in str(err.value)


def test_an_extra_field_on_one_of_many_pages_warns_with_that_page_and_keeps_every_row():
    pages = _pages_with_fault_on_page_2(lambda d: [r.update(validated=False) for r in d["data"]])
    with pytest.warns(SchemaDriftWarning, match="page=2") as caught:
        frame = parse_luchtmeetnet_measurements(pages)
    assert len(caught) == 1 and frame.height == 23  # three copies of the same 23 hours
    assert frame.equals(parse_luchtmeetnet_measurements(pages[:1]))


def test_an_extra_field_only_warns():
    payload = mutated(lambda d: [r.update(validated=False) for r in d["data"]])
    with pytest.warns(SchemaDriftWarning, match="validated"):
        frame = parse_luchtmeetnet_measurements([payload])
    assert frame.height == 23


def test_no_rows_give_an_empty_frame_of_the_right_shape():
    empty = api_payload({"pagination": {"current_page": 1, "last_page": 1}, "data": []})
    frame = parse_luchtmeetnet_measurements([empty])
    assert frame.height == 0 and frame.schema == AIR_QUALITY_HOURLY.empty().schema


# -- Business rules (GX) ---------------------------------------------------------------------

def test_the_1e6_outlier_fails_the_range_rule_and_small_negatives_pass():
    frame = parse_luchtmeetnet_measurements([recorded(ANOMALIES)])
    result = validate_frame(AIR_QUALITY_HOURLY, frame, air_quality_rules())
    value_range = outcome(result, "expect_column_values_to_be_between")
    assert not result.success and not value_range.success
    assert value_range.unexpected_count == 1  # 1e6 only; -2.5 is instrument noise
    assert value_range.unexpected_examples == [1e6]
    assert [e.expectation for e in result.failed] == ["expect_column_values_to_be_between"]


def test_each_rule_catches_exactly_its_anomaly():
    base = datetime(2024, 1, 15, tzinfo=UTC)
    frame = pl.DataFrame({
        "station_code": ["NL49551", "NL49551", "XX4955", "NL49551", "NL49551"],
        "component": ["NO2", "O3", "NO2", "NO2", "PM25"],
        "measured_at": [base, base, base, base + timedelta(hours=2), base + timedelta(hours=3)],
        "value_ugm3": [-5.0, 10.0, 10.0, -5.1, 1500.0],
        "source": ["luchtmeetnet_api"] * 5,
    })
    result = validate_frame(AIR_QUALITY_HOURLY, AIR_QUALITY_HOURLY.conform(frame),
                            air_quality_rules())
    counts = {e.expectation: e.unexpected_count for e in result.failed}
    assert counts == {"expect_column_values_to_be_in_set": 1,
                      "expect_column_values_to_match_regex": 1,
                      "expect_column_values_to_be_between": 1}


# -- RIVM validated yearly CSV ---------------------------------------------------------------

def test_rivm_csv_melts_to_utc_rows_with_comma_decimals_and_nulls():
    frame = parse_rivm_yearly_csv(csv_payload(sample_csv()))
    assert frame.schema == AIR_QUALITY_VALIDATED_HOURLY.empty().schema
    assert frame.height == 3 * 48
    assert sorted(frame["station_code"].unique()) == ["NL10404", "NL49551", "NL49553"]
    assert set(frame["component"]) == {"NO2"} and set(frame["source"]) == {"rivm_validated"}
    nl49551 = frame.filter(pl.col("station_code") == "NL49551")
    # 20230101 00:00 in UTC+1 is the last hour of 2022 in UTC.
    assert nl49551["measured_at"][0] == datetime(2022, 12, 31, 23, tzinfo=UTC)
    assert nl49551["value_ugm3"][:2].to_list() == [15.0, 16.25]
    assert nl49551["value_ugm3"][20] == -0.4
    nulls = frame.filter(pl.col("value_ugm3").is_null())
    assert nulls["station_code"].to_list() == ["NL49553", "NL49553"]
    assert nulls["measured_at"].to_list() == [datetime(2023, 1, 1, 4, tzinfo=UTC),
                                              datetime(2023, 1, 1, 5, tzinfo=UTC)]


def test_rivm_csv_with_decimal_points_and_utf8_reads_the_same():
    original = parse_rivm_yearly_csv(csv_payload(sample_csv()))
    text = sample_csv().decode("latin-1")
    lines = text.splitlines()
    pointed = "\n".join(lines[:8] + [line.replace(",", ".") for line in lines[8:]])
    assert parse_rivm_yearly_csv(csv_payload(pointed.encode("utf-8"))).equals(original)


def replace_in_csv(old: str, new: str, count: int = 1) -> bytes:
    return sample_csv().decode("latin-1").replace(old, new, count).encode("latin-1")


@pytest.mark.parametrize(("body", "complaint"), [
    (replace_in_csv(";Begindatumtijd;", ";Begintijd;"), "Begindatumtijd"),
    (replace_in_csv("16,25", "n/a"), "'n/a' in column NL49551"),
    (replace_in_csv(";20230101 03:00;20230101 04:00;", ";gisteren;20230101 04:00;"), "gisteren"),
    (replace_in_csv(";20230101 03:00;20230101 04:00;", ";20230101 03:30;20230101 04:00;"),
     "not at the start of an hour, e.g. '20230101 03:30'"),
    (replace_in_csv(";µg/m³;", ";mg/m³;", count=20), "mg/m³"),
    (b"Component;NO2\n", "metadata rows, a header row"),
])
def test_rivm_schema_drift_is_a_contract_error(body, complaint):
    with pytest.raises(ContractError) as err:
        parse_rivm_yearly_csv(csv_payload(body))
    assert complaint in str(err.value) and "[rivm_air_quality]" in str(err.value)
    assert CSV_URL in str(err.value)


def test_rivm_extra_column_only_warns():
    lines = sample_csv().decode("latin-1").splitlines()
    widened = [";".join([*cells[:5], "Opmerking" if n == 0 else "", *cells[5:]])
               for n, cells in enumerate(line.split(";") for line in lines[7:])]
    body = "\n".join(lines[:7] + widened).encode("latin-1")
    with pytest.warns(SchemaDriftWarning, match="Opmerking"):
        frame = parse_rivm_yearly_csv(csv_payload(body))
    assert frame.equals(parse_rivm_yearly_csv(csv_payload(sample_csv())))


# -- Annual means ----------------------------------------------------------------------------

def station_year(station: str, year: int, value: float, missing_hours: int = 0) -> pl.DataFrame:
    start, end = reporting_year_window(year)
    hours = pl.datetime_range(start, end, "1h", closed="left", eager=True, time_zone="UTC")
    values = [None] * missing_hours + [value] * (hours.len() - missing_hours)
    return AIR_QUALITY_HOURLY.conform(pl.DataFrame({
        "station_code": station, "component": "PM10", "measured_at": hours,
        "value_ugm3": pl.Series(values, dtype=pl.Float64), "source": "rivm_validated"}))


def test_annual_means_report_coverage_and_flag_low_coverage():
    frame = pl.concat([station_year("NL49551", 2023, 20.0),
                       station_year("NL49570", 2023, 18.0, missing_hours=1000),
                       station_year("NL49551", 2024, 12.0, missing_hours=876)])
    means = annual_means(frame)
    assert means.select("station_code", "year", "mean_ugm3", "hours_with_value",
                        "hours_in_year", "low_coverage").rows() == [
        ("NL49551", 2023, 20.0, 8760, 8760, False),
        ("NL49551", 2024, 12.0, 7908, 8784, False),  # leap year; 90.03% is enough
        ("NL49570", 2023, 18.0, 7760, 8760, True),
    ]
    assert means["coverage_pct"].to_list() == pytest.approx([100.0, 7908 / 87.84, 7760 / 87.6])


def test_the_reporting_year_starts_at_2300_utc_as_rivm_files_do():
    frame = parse_rivm_yearly_csv(csv_payload(sample_csv()))
    means = annual_means(frame)
    assert set(means["year"]) == {2023}  # the 2022-12-31 23:00 UTC hour belongs to 2023
    nl10404 = means.filter(pl.col("station_code") == "NL10404").row(0, named=True)
    assert nl10404["hours_with_value"] == 48 and nl10404["mean_ugm3"] == pytest.approx(26.0)
    assert reporting_year_window(2023) == (datetime(2022, 12, 31, 23, tzinfo=UTC),
                                           datetime(2023, 12, 31, 23, tzinfo=UTC))
