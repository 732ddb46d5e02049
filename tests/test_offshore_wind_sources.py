"""Offshore wind sources: ENTSO-E A75 documents (PT15M/PT60M and a switch between them, A03
blocks, generation and consumption series, "no matching data" and refusing acknowledgements,
window splitting up to the current year, token redaction, XML drift) and the wind-farm
register, plus both feeds end to end in snapshot mode. ENTSO-E is replayed from tests/payloads
by a server on 127.0.0.1; each payload's header names the public evidence its structure
follows, and its quantities are test values, not official ones.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from factories import OFFSHORE_WIND, demo_geography, feed
from werkzeug import Request, Response

from core.errors import (
    ContractError,
    NotInSnapshot,
    SourceError,
    SourceUnavailable,
)
from core.payload import Payload
from core.tables import STAT_SHAPE
from sources import entsoe, wind_farms
from sources.generators.emissions_wind import GENERATORS, SNAPSHOT_AS_OF, YEAR_GWH
from sources.registry import make_http
from sources.snapshot import MANIFEST_DIR, ensure_generated
from transforms.offshore_wind import (
    offshore_wind_rules,
    parse_entsoe_generation,
    parse_wind_farm_register,
)
from transforms.validation import validate_frame

PAYLOADS = Path(__file__).parent / "payloads"
PROJECT = Path(__file__).parent.parent
FAKE_TOKEN = "entsoe-FAKE-token-0b1c2d"


def xml(name: str) -> bytes:
    return (PAYLOADS / "entsoe" / name).read_bytes()


def payload(body: bytes, source: str = "entsoe") -> Payload:
    return Payload(source=source, dataset="test", request_key="test",
                   url="https://entsoe.test/api?documentType=A75", media_type="application/xml",
                   body=body, fetched_at=datetime(2025, 1, 15, tzinfo=UTC))


def rows(frame: pl.DataFrame) -> list[tuple]:
    return frame.sort("period").select("period", "year", pl.col("value").round(6),
                                       "is_provisional").rows()


# -- parsing ---------------------------------------------------------------------------------

def test_pt15m_quantities_are_quarter_hours_of_energy():
    frame = parse_entsoe_generation([payload(xml("a75_pt15m.xml"))])
    # 8 quarter hours summing 13,200.5 MW -> 3,300.125 MWh; the B19 series is not offshore.
    assert rows(frame) == [("2024", 2024, 3.300125, True), ("2024-05", 2024, 3.300125, True)]
    assert set(frame["measure"]) == {"offshore_wind_generation_gwh"}
    assert set(frame["region_code"]) == {"NL01"} and set(frame["unit"]) == {"GWh"}


def test_pt60m_hours_fall_in_dutch_calendar_months():
    # 20:00 and 21:00 UTC on 31 May are still May in Amsterdam; 22:00 and 23:00 are June.
    frame = parse_entsoe_generation([payload(xml("a75_pt60m_month_edge.xml"))])
    assert rows(frame) == [("2024", 2024, 1.0, True), ("2024-05", 2024, 0.3, True),
                           ("2024-06", 2024, 0.7, True)]


def test_a03_blocks_hold_until_the_next_position_and_a01_gaps_stay_gaps():
    blocks = xml("a75_a03_blocks.xml")
    assert rows(parse_entsoe_generation([payload(blocks)]))[1] == ("2023-01", 2023, 3.9, True)
    points = blocks.replace(b"<curveType>A03</curveType>", b"<curveType>A01</curveType>")
    assert rows(parse_entsoe_generation([payload(points)]))[1] == ("2023-01", 2023, 1.3, True)


def test_a_step_in_two_documents_counts_once():
    twice = parse_entsoe_generation([payload(xml("a75_pt15m.xml")), payload(xml("a75_pt15m.xml"))])
    assert twice.filter(period="2024")["value"].round(6).to_list() == [3.300125]


def test_parsing_ignores_the_namespace():
    bare = xml("a75_pt60m_month_edge.xml").replace(
        b' xmlns="urn:iec62325.351:tc57wg16:451-6:generationloaddocument:2:0"', b"")
    assert rows(parse_entsoe_generation([payload(bare)]))[0] == ("2024", 2024, 1.0, True)


def test_a_no_data_acknowledgement_yields_no_rows_beside_data():
    alone = parse_entsoe_generation([payload(xml("acknowledgement.xml"))])
    assert alone.is_empty() and alone.columns == STAT_SHAPE.empty().columns
    with_data = parse_entsoe_generation([payload(xml("acknowledgement.xml")),
                                         payload(xml("a75_pt15m.xml"))])
    assert rows(with_data)[0] == ("2024", 2024, 3.300125, True)


def test_code_999_without_no_matching_data_is_a_refusal():
    with pytest.raises(ContractError, match="999: Delivered Area EIC 10YNL----------X"):
        parse_entsoe_generation([payload(xml("acknowledgement_refused.xml"))])


def test_generation_and_consumption_series_are_kept_apart():
    frame = parse_entsoe_generation([payload(xml("a75_generation_and_consumption.xml"))])
    by_measure = {m: rows(frame.filter(measure=m)) for m in set(frame["measure"])}
    # 31 Dec 22:00-23:00 UTC is 2024 in Amsterdam (4 GW for an hour), 23:00-24:00 is 2025.
    assert by_measure == {
        "offshore_wind_generation_gwh": [("2024", 2024, 4.0, True), ("2024-12", 2024, 4.0, True),
                                         ("2025", 2025, 2.0, True), ("2025-01", 2025, 2.0, True)],
        "offshore_wind_consumption_gwh": [("2024", 2024, 0.008, True),
                                          ("2024-12", 2024, 0.008, True),
                                          ("2025", 2025, 0.004, True),
                                          ("2025-01", 2025, 0.004, True)]}
    assert set(frame["unit"]) == {"GWh"}


def test_a_series_naming_both_directions_or_another_zone_is_refused():
    both = xml("a75_generation_and_consumption.xml").replace(
        b"<businessType>A01</businessType>\n    <objectAggregation>A08</objectAggregation>\n"
        b"    <outBiddingZone",
        b"<inBiddingZone_Domain.mRID>10YNL----------L</inBiddingZone_Domain.mRID><outBiddingZone")
    with pytest.raises(ContractError, match="names both"):
        parse_entsoe_generation([payload(both)])
    foreign = xml("a75_pt15m.xml").replace(b">10YNL----------L<", b">10YBE----------2<")
    with pytest.raises(ContractError, match="10YBE----------2"):
        parse_entsoe_generation([payload(foreign)])


def test_an_hourly_then_quarter_hourly_series_counts_each_step_once():
    frame = parse_entsoe_generation([payload(xml("a75_resolution_switch.xml"))])
    # 1,000 MW and 2,000 MW for an hour each, then 400/400/800/800 MW for 15 minutes each.
    assert rows(frame)[0] == ("2024", 2024, 3.6, True)


def test_overlapping_steps_of_two_resolutions_are_refused():
    overlap = xml("a75_resolution_switch.xml").replace(
        b"<start>2024-03-10T12:00Z</start><end>2024-03-10T13:00Z</end>",
        b"<start>2024-03-10T11:00Z</start><end>2024-03-10T12:00Z</end>")
    with pytest.raises(ContractError, match="overlap"):
        parse_entsoe_generation([payload(overlap)])


@pytest.mark.parametrize(("edit", "message"), [
    ((b"<resolution>PT60M</resolution>", b""), "resolution"),  # dropped element
    ((b"<quantity>300</quantity>", b""), "quantity"),  # a Point without its quantity
    ((b"<quantity>300</quantity>", b"<quantity>n/a</quantity>"), "unreadable Point"),  # retyped
    ((b"PT60M", b"PT7M"), "whole number"),  # a resolution that does not tile the Period
    ((b"PT60M", b"P1M"), "unsupported resolution"),
    ((b"<position>4</position>", b"<position>9</position>"), "outside its Period"),
    ((b"MAW", b"KWT"), "unit"),
    ((b"GL_MarketDocument", b"Publication_MarketDocument"), "expected a GL_MarketDocument"),
])
def test_xml_drift_breaks_the_contract(edit, message):
    body = xml("a75_pt60m_month_edge.xml").replace(*edit)
    with pytest.raises(ContractError, match=message):
        parse_entsoe_generation([payload(body)])


def test_entity_expansion_is_refused():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<GL_MarketDocument>&b;</GL_MarketDocument>")
    with pytest.raises(ContractError, match="EntitiesForbidden"):
        parse_entsoe_generation([payload(bomb)])


# -- fetching --------------------------------------------------------------------------------

@pytest.fixture
def entsoe_api(httpserver):
    """Serves the PT60M document for any window and records the windows asked for."""
    def answer(request: Request) -> Response:
        return Response(xml("a75_pt60m_month_edge.xml"), content_type="text/xml")

    httpserver.expect_request("/api").respond_with_handler(answer)
    return httpserver


def live_entsoe(httpserver, fast_retry, **kwargs):
    return make_http("entsoe", mode="live", base_url=httpserver.url_for("/api"), key=FAKE_TOKEN,
                     retry=fast_retry, sleep=lambda s: None, **kwargs)


def test_a_window_over_a_year_is_split_at_dutch_new_years(entsoe_api, fast_retry):
    start, end = datetime(2023, 3, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)
    payloads = entsoe.fetch_generation(live_entsoe(entsoe_api, fast_retry), start, end)
    windows = [(r.args["periodStart"], r.args["periodEnd"]) for r, _ in entsoe_api.log]
    assert windows == [("202303010000", "202312312300"), ("202312312300", "202412312300"),
                       ("202412312300", "202502010000")]
    assert len(payloads) == 3
    first = entsoe_api.log[0][0].args
    assert (first["documentType"], first["processType"], first["in_Domain"],
            first["psrType"]) == ("A75", "A16", "10YNL----------L", "B18")


def test_split_window_keeps_each_piece_within_a_year():
    pieces = entsoe.split_window(entsoe.new_year_utc(2015), entsoe.new_year_utc(2018))
    assert [(a.isoformat(), b.isoformat()) for a, b in pieces] == [
        ("2014-12-31T23:00:00+00:00", "2015-12-31T23:00:00+00:00"),
        ("2015-12-31T23:00:00+00:00", "2016-12-31T23:00:00+00:00"),
        ("2016-12-31T23:00:00+00:00", "2017-12-31T23:00:00+00:00")]
    with pytest.raises(ValueError):
        entsoe.split_window(entsoe.new_year_utc(2018), entsoe.new_year_utc(2018))


def test_the_token_is_sent_but_never_stored_or_shown(entsoe_api, fast_retry):
    payloads = entsoe.fetch_years(live_entsoe(entsoe_api, fast_retry), [2024])
    assert entsoe_api.log[0][0].args["securityToken"] == FAKE_TOKEN
    for p in payloads:
        assert FAKE_TOKEN not in p.url + p.request_key
        assert "securityToken" not in p.url  # the client adds it to the wire request only


@pytest.mark.parametrize(("status", "error"), [(401, SourceError), (503, SourceUnavailable)])
def test_the_token_never_appears_in_errors(httpserver, fast_retry, status, error):
    httpserver.expect_request("/api").respond_with_data(
        f"<html>rejected securityToken={FAKE_TOKEN}</html>", status=status)
    with pytest.raises(error) as caught:
        entsoe.fetch_years(live_entsoe(httpserver, fast_retry), [2024])
    assert FAKE_TOKEN not in str(caught.value) + (caught.value.url or "")
    assert httpserver.log[0][0].args["securityToken"] == FAKE_TOKEN  # it was really sent
    if status == 401:  # the echoed body is quoted, redacted
        assert "rejected securityToken=***" in str(caught.value)


@pytest.mark.parametrize("status", [200, 400])
def test_no_matching_data_is_an_answer_without_rows(httpserver, fast_retry, status):
    # HTTP 200 since 2021; HTTP 400 before (entsoe-py still reads both as "no data").
    httpserver.expect_request("/api").respond_with_data(xml("acknowledgement.xml"),
                                                        status=status, content_type="text/xml")
    payloads = entsoe.fetch_years(live_entsoe(httpserver, fast_retry), [2030])
    assert len(payloads) == 1 and b"No matching data found" in payloads[0].body
    assert parse_entsoe_generation(payloads).is_empty()
    assert FAKE_TOKEN not in payloads[0].url + payloads[0].request_key


@pytest.mark.parametrize("status", [200, 400])
def test_a_refusal_fails_the_fetch_with_its_reason_redacted(httpserver, fast_retry, status):
    echoed = xml("acknowledgement_refused.xml").replace(
        b"is not valid.", f"is not valid (securityToken={FAKE_TOKEN}).".encode())
    httpserver.expect_request("/api").respond_with_data(echoed, status=status,
                                                        content_type="text/xml")
    with pytest.raises(SourceError, match="ENTSO-E refused the request: 999: Delivered Area") \
            as caught:
        entsoe.fetch_years(live_entsoe(httpserver, fast_retry), [2024])
    assert FAKE_TOKEN not in str(caught.value) and f"HTTP {status}" in str(caught.value)
    assert "securityToken=***" in str(caught.value)


def test_a_no_data_answer_echoing_the_token_is_stored_redacted(httpserver, fast_retry):
    echoed = xml("acknowledgement.xml").replace(b"and interval",
                                                f"token {FAKE_TOKEN} and interval".encode())
    httpserver.expect_request("/api").respond_with_data(echoed, content_type="text/xml")
    (stored,) = entsoe.fetch_years(live_entsoe(httpserver, fast_retry), [2030])
    assert FAKE_TOKEN.encode() not in stored.body and b"No matching data found" in stored.body


def test_years_run_up_to_the_current_one(entsoe_api, fast_retry):
    now = datetime(2026, 3, 5, 12, tzinfo=UTC)
    assert list(entsoe.feed_years(now)) == list(range(2015, 2027))
    # Amsterdam is already in 2027 at 23:30 UTC on 31 December 2026.
    assert entsoe.feed_years(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))[-1] == 2027
    entsoe.fetch_years(live_entsoe(entsoe_api, fast_retry), now=now)
    windows = [(r.args["periodStart"], r.args["periodEnd"]) for r, _ in entsoe_api.log]
    assert len(windows) == 12 and windows[0] == ("201412312300", "201512312300")
    # The current year is asked for whole (at most a year a request) and comes back partial.
    assert windows[-1] == ("202512312300", "202612312300")




# -- wind-farm register ----------------------------------------------------------------------

def test_register_rows_are_capacity_by_commissioning_year():
    frame = parse_wind_farm_register(wind_farms.fetch_register())
    operational = dict(frame.filter(measure="farm_capacity_mw").select("entity", "period").rows())
    assert operational == {"egmond_aan_zee": "2006", "prinses_amalia": "2008",
                           "luchterduinen": "2015", "hollandse_kust_noord": "2023",
                           "hollandse_kust_zuid": "2023"}
    expected = frame.filter(measure="farm_capacity_planned_mw")
    assert expected.select("entity", "period", "value").sort("entity").rows() == [
        ("hollandse_kust_west_vi", "2026", 760.0), ("hollandse_kust_west_vii", "2027", 795.0),
        ("ijmuiden_ver_alpha", "2029", 2000.0), ("ijmuiden_ver_beta_1", "2029", 1000.0),
        ("ijmuiden_ver_beta_2", "2032", 1000.0)]
    assert expected["is_provisional"].all() and not frame.filter(
        measure="farm_capacity_mw")["is_provisional"].any()


def test_register_statuses_are_honest_and_each_farm_is_cited():
    farms = wind_farms.wind_farms()
    assert dict(farms.select("farm_id", "status").rows()) == {
        "egmond_aan_zee": "operational", "prinses_amalia": "operational",
        "luchterduinen": "operational", "hollandse_kust_noord": "operational",
        "hollandse_kust_zuid": "operational", "hollandse_kust_west_vi": "under_construction",
        "hollandse_kust_west_vii": "awarded", "ijmuiden_ver_alpha": "awarded",
        "ijmuiden_ver_beta_1": "awarded", "ijmuiden_ver_beta_2": "awarded",
        "ijmuiden_ver_gamma_a": "planned", "ijmuiden_ver_gamma_b": "planned"}
    # Every row names a document (a URL); a farm without an announced year says so.
    assert farms["citation"].str.contains("https?://").all()
    undated = farms.filter(pl.col("commissioning_year").is_null())
    assert undated["unverified"].str.contains("not announced").all() and undated.height == 2


def test_the_ijmond_region_lists_register_farms_off_its_coast():
    from core.geography import load_regions

    regions = load_regions(PROJECT / "indicators" / "regions.yaml")
    (ijmond,) = [r for r in regions.regions if r.id == "ijmond"]
    farms = wind_farms.wind_farms()
    assert set(ijmond.wind_farms) == set(farms.filter(coast="IJmond")["farm_id"])
    assert "hollandse_kust_zuid" not in ijmond.wind_farms


@pytest.mark.parametrize(("edit", "message"), [
    ((",planned,", ",dreaming,"), "unknown status"),
    (("capacity_mw,", "vermogen,"), "capacity_mw"),
    ((",2029,", ",soon,"), "commissioning_year"),
    ((",2006,operational,", ",,operational,"), "without commissioning_year"),
    (("ijmuiden_ver_beta_2,", "ijmuiden_ver_beta_1,"), "farm_id repeated"),
])
def test_a_broken_register_is_refused(edit, message):
    text = wind_farms.REGISTER_PATH.read_text(encoding="utf-8").replace(*edit, 1)
    broken = Payload(source="wind_farms", dataset="register", request_key="r", url="r",
                     media_type="text/csv", body=text.encode(), fetched_at=datetime.now(UTC))
    with pytest.raises(ContractError, match=message):
        parse_wind_farm_register([broken])


# -- snapshot mode, end to end ---------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return ensure_generated(tmp_path_factory.mktemp("generated"), GENERATORS)


@pytest.fixture(scope="module")
def snapshot_frame(generated) -> pl.DataFrame:
    frames = []
    for name in ("entsoe_offshore_wind_generation", "wind_farm_register"):
        _, one = feed(name)
        http = make_http(one.source, mode="snapshot", generated_dir=generated)
        frames.append(one.parse(one.fetch(http, demo_geography())))
    return pl.concat(frames)


def test_snapshot_generation_has_every_month_up_to_its_recording(snapshot_frame):
    generation = snapshot_frame.filter(measure="offshore_wind_generation_gwh")
    yearly = generation.filter(pl.col("period").str.len_chars() == 4)
    assert yearly["year"].to_list() == list(range(2015, 2027))
    assert generation.height == 12 + 11 * 12 + 11  # 2026: January to November
    assert SNAPSHOT_AS_OF.isoformat() == "2026-11-30T23:00:00+00:00"
    # Only the current year, recorded through November, is partial.
    assert generation.filter("is_provisional")["period"].to_list() == ["2026"]


def test_snapshot_years_equal_the_generated_totals(snapshot_frame):
    yearly = dict(snapshot_frame.filter(measure="offshore_wind_generation_gwh",
                                        period=pl.col("year").cast(pl.String))
                  .select("year", "value").rows())
    assert yearly == pytest.approx(YEAR_GWH, abs=1.0)


def test_a_snapshot_ends_with_its_recording_but_has_no_gaps(generated):
    http = make_http("entsoe", mode="snapshot", generated_dir=generated)
    later = entsoe.fetch_years(http, now=datetime(2028, 6, 1, tzinfo=UTC))
    assert len(later) == 12  # 2027 and 2028 are after the recording: left out
    with pytest.raises(NotInSnapshot):
        entsoe.fetch_years(http, [2014, 2015])  # a missing year before a recorded one


def test_months_add_up_to_the_year(snapshot_frame):
    generation = snapshot_frame.filter(measure="offshore_wind_generation_gwh")
    by_year = generation.group_by("year", monthly=pl.col("period").str.len_chars() == 7).agg(
        pl.col("value").sum()).pivot("monthly", index="year", values="value")
    assert (by_year["true"] - by_year["false"]).abs().max() < 1e-6


def test_a_year_outside_the_snapshot_is_not_in_snapshot(generated):
    with pytest.raises(NotInSnapshot):
        entsoe.fetch_years(make_http("entsoe", mode="snapshot", generated_dir=generated), [2014])


def test_snapshot_frames_pass_the_offshore_wind_suite(snapshot_frame):
    outcome = validate_frame(OFFSHORE_WIND, snapshot_frame, offshore_wind_rules())
    assert outcome.success, [(e.expectation, e.unexpected_examples) for e in outcome.failed]


def test_the_offshore_wind_suite_catches_bad_rows(snapshot_frame):
    bad = snapshot_frame.with_columns(
        is_provisional=pl.when(pl.col("measure") == "farm_capacity_planned_mw").then(False)
        .otherwise(pl.col("is_provisional")),
        period=pl.when(pl.col("period") == "2024-05").then(pl.lit("2024-13"))
        .otherwise(pl.col("period")))
    failed = {(e.expectation, e.column)
              for e in validate_frame(OFFSHORE_WIND, bad, offshore_wind_rules()).failed}
    assert failed == {("expect_column_values_to_be_in_set", "is_provisional"),
                      ("expect_column_values_to_match_regex", "period")}


@pytest.mark.parametrize("source", ["entsoe", "wind_farms"])
def test_manifest_names_every_file_and_its_provenance(generated, source):
    fragment = json.loads((MANIFEST_DIR / f"{source}.json").read_text(encoding="utf-8"))
    for entry in fragment["files"]:
        assert entry["provenance"] in {"published", "synthesized", "mixed"}
        assert entry["provenance"] == "synthesized" or entry["citations"]
        assert [*generated.glob(entry["path"]), *PROJECT.glob(entry["path"])], entry["path"]


def test_snapshot_recordings_never_hold_the_token(generated):
    names = [p.name for p in generated.rglob("*.xml.gz")]
    assert len(names) == 12 and not any("securityToken" in n for n in names)
