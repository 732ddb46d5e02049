"""Emissions sources: Klimaatmonitor (OData paging, markers, drift, key handling), and each
feed end to end in snapshot mode (the file sources' formats: tests/test_emission_files.py).
Upstream responses are replayed from tests/payloads by a server on 127.0.0.1; the figures in
those payloads are test values, not official ones.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from factories import EMISSIONS, demo_geography
from werkzeug import Request, Response

from core.errors import ContractError
from core.payload import Payload
from families import emissions as emissions_family
from sources import klimaatmonitor
from sources.generators.emissions_wind import (
    MONITORED_MUNICIPALITIES,
    MONITORED_REGIONS,
)
from sources.registry import make_http
from sources.snapshot import MANIFEST_DIR, RECORDED_DIR
from transforms.air_quality import SchemaDriftWarning
from transforms.emissions import (
    SECTORS,
    emissions_rules,
    parse_klimaatmonitor,
)
from transforms.validation import validate_frame

PAYLOADS = Path(__file__).parent / "payloads"
FAKE_KEY = "km-FAKE-key-7f3a9c"
VARIABLE = "co2_totaal_combi_kton"  # a catalogue id (see tests/payloads/klimaatmonitor)
ODATA = "/jiveservices/odata"


def fixture_bytes(source: str, name: str, base: str = "") -> bytes:
    return (PAYLOADS / source / name).read_text(encoding="utf-8").replace("{BASE}", base).encode()


def payload(source: str, body: bytes, url: str = "https://example.test/export",
            fetched_at: datetime = datetime(2025, 7, 1, tzinfo=UTC)) -> Payload:
    return Payload(source=source, dataset="test", request_key="test", url=url,
                   media_type="text/plain", body=body, fetched_at=fetched_at)


def values_url(geo_level: str = "gemeente") -> str:
    return f"https://km.test{ODATA}/{klimaatmonitor.values_path(VARIABLE, geo_level)}"


def records_payload(records: list[dict]) -> Payload:
    return payload("klimaatmonitor", json.dumps({"value": records}).encode(), url=values_url())


def value(frame: pl.DataFrame, **key) -> float | None:
    rows = frame.filter(**key)
    assert rows.height == 1, (key, rows)
    return rows["value"][0]


# -- Klimaatmonitor --------------------------------------------------------------------------

@pytest.fixture
def odata(httpserver):
    """A Klimaatmonitor server: the catalogue in two pages, two municipal Values pages chained
    by nextLink, one national page."""
    base = httpserver.url_for(ODATA)
    gemeente = f"{ODATA}/{klimaatmonitor.values_path(VARIABLE, 'gemeente')}"
    nederland = f"{ODATA}/{klimaatmonitor.values_path(VARIABLE, 'nederland')}"

    def pages(request: Request) -> Response:
        name = "values_page2.json" if request.args.get("$skip") == "4" else "values_page1.json"
        return Response(fixture_bytes("klimaatmonitor", name, base),
                        content_type="application/json")

    def variables(request: Request) -> Response:
        assert request.args.get("$select") == "ExternalCode,Name"
        name = "variables_page2.json" if request.args.get("$skip") else "variables_page1.json"
        return Response(fixture_bytes("klimaatmonitor", name, base),
                        content_type="application/json")

    httpserver.expect_request(f"{ODATA}/Variables").respond_with_handler(variables)
    httpserver.expect_request(gemeente).respond_with_handler(pages)
    httpserver.expect_request(nederland).respond_with_data(
        fixture_bytes("klimaatmonitor", "values_nederland.json", base),
        content_type="application/json")
    return httpserver


def live_klimaatmonitor(httpserver, fast_retry):
    return make_http("klimaatmonitor", mode="live", base_url=httpserver.url_for(ODATA),
                     key=FAKE_KEY, retry=fast_retry, sleep=lambda s: None)


def test_the_catalogue_then_odata_pages_are_followed_through_next_link(odata, fast_retry):
    payloads = klimaatmonitor.fetch_all(live_klimaatmonitor(odata, fast_retry))
    assert [p.request_key for p in payloads] == [
        "variables/p1", "variables/p2", f"{VARIABLE}/gemeente/p1", f"{VARIABLE}/gemeente/p2",
        f"{VARIABLE}/nederland/p1"]
    frame = parse_klimaatmonitor(payloads)  # the catalogue pages are read, not parsed as values
    assert frame.height == 7
    assert value(frame, region_code="GM0396", year=2021) == 181.25
    assert value(frame, region_code="NL01", year=2022) == 141250.0
    assert set(frame["measure"]) == {"co2_total_kt"} and set(frame["unit"]) == {"kt CO2"}


def test_the_key_travels_in_the_apikey_header_only(odata, fast_retry):
    payloads = klimaatmonitor.fetch_all(live_klimaatmonitor(odata, fast_retry))
    requests = [request for request, _response in odata.log]
    assert all(r.headers.get("apikey") == FAKE_KEY for r in requests)
    assert all(FAKE_KEY not in r.url for r in requests)
    assert all(FAKE_KEY not in p.url + p.request_key for p in payloads)


def test_question_mark_and_empty_become_null_with_a_reason(odata, fast_retry):
    frame = parse_klimaatmonitor(klimaatmonitor.fetch_all(live_klimaatmonitor(odata, fast_retry)))
    gaps = frame.filter(pl.col("value").is_null()).sort("year")
    assert gaps.select("region_code", "year").rows() == [("GM0375", 2021), ("GM0375", 2022)]
    assert gaps["missing_reason"].to_list() == ["not available in Klimaatmonitor ('?')",
                                                "empty in Klimaatmonitor"]


def test_external_codes_become_cbs_codes_and_voorlopig_marks_provisional(odata, fast_retry):
    frame = parse_klimaatmonitor(klimaatmonitor.fetch_all(live_klimaatmonitor(odata, fast_retry)))
    assert set(frame["region_code"]) == {"GM0453", "GM0375", "GM0396", "NL01"}
    provisional = frame.filter("is_provisional").select("region_code", "year").rows()
    assert provisional == [("GM0396", 2022)]


def test_a_variable_missing_from_the_catalogue_stops_before_any_value(odata, fast_retry):
    with pytest.raises(klimaatmonitor.UnknownVariable, match="'totale_co2_uitstoot'") as err:
        klimaatmonitor.fetch_all(live_klimaatmonitor(odata, fast_retry),
                                 variables=["totale_co2_uitstoot", VARIABLE])
    assert "/Variables holds 4 variables" in str(err.value)
    assert [r.path for r, _ in odata.log] == [f"{ODATA}/Variables"] * 2  # no Values asked


@pytest.mark.parametrize("level", ["gemeente", "nederland"])
def test_http_404_is_reported_as_not_published_naming_variable_and_level(
        httpserver, fast_retry, level):
    httpserver.expect_request(f"{ODATA}/{klimaatmonitor.values_path(VARIABLE, level)}"
                              ).respond_with_data("Not Found", status=404)
    with pytest.raises(klimaatmonitor.NotPublished) as err:
        klimaatmonitor.fetch_values(live_klimaatmonitor(httpserver, fast_retry), VARIABLE, level)
    assert (err.value.variable, err.value.geo_level) == (VARIABLE, level)
    assert f"'{VARIABLE}'" in str(err.value) and f"GeoLevel '{level}'" in str(err.value)
    assert len(httpserver.log) == 1  # a 404 is an answer, not retried


GOOD_RECORD = {"ExternalCode": "gemeente_453", "GeoLevel": "gemeente", "PeriodLevel": "year",
               "Period": "2022", "ValueString": "6650.0", "Description": ""}


def national_payload(records: list[dict]) -> Payload:
    return payload("klimaatmonitor", json.dumps({"value": records}).encode(),
                   url=values_url("nederland"))


@pytest.mark.parametrize("code", ["nederland_1", "nederland", "nederland_nl", "NL", "NL01",
                                  "nederland_0"])
def test_the_one_nederland_item_is_nl01_whatever_its_code(code):
    record = {**GOOD_RECORD, "ExternalCode": code, "GeoLevel": "nederland"}
    frame = parse_klimaatmonitor([national_payload([record])])
    assert frame.select("region_code", "year", "value").rows() == [("NL01", 2022, 6650.0)]


def test_two_different_codes_at_the_nederland_level_break_the_contract():
    records = [{**GOOD_RECORD, "ExternalCode": code, "GeoLevel": "nederland"}
               for code in ("nederland_1", "nederland_2")]
    with pytest.raises(ContractError, match="more than one area"):
        parse_klimaatmonitor([national_payload(records)])


@pytest.mark.parametrize("code", ["gemeente_453", "gemeente_0453", "GM0453", "Gemeente_453 "])
def test_municipal_code_variants_become_the_cbs_code(code):
    frame = parse_klimaatmonitor([records_payload([{**GOOD_RECORD, "ExternalCode": code}])])
    assert frame["region_code"].to_list() == ["GM0453"]


@pytest.mark.parametrize(("change", "complaint"), [
    ({"ExternalCode": "res_14"}, "not like 'gemeente_453', e.g. 'res_14'"),
    ({"ExternalCode": "gemeente_45300"}, "'gemeente_45300'"),
    ({"GeoLevel": "nederland"}, "asked for GeoLevel 'gemeente', got ['nederland']"),
    ({"PeriodLevel": "month", "Period": "2022MM01"}, "expected yearly periods"),
])
def test_codes_levels_and_periods_that_do_not_fit_break_the_contract(change, complaint):
    with pytest.raises(ContractError) as err:
        parse_klimaatmonitor([records_payload([{**GOOD_RECORD, **change}])])
    assert complaint in str(err.value)


def test_a_level_this_monitor_does_not_read_breaks_the_contract():
    page = payload("klimaatmonitor", json.dumps({"value": [
        {**GOOD_RECORD, "ExternalCode": "NL", "GeoLevel": "land"}]}).encode(),
        url=values_url("land"))
    with pytest.raises(ContractError, match="'land'"):
        parse_klimaatmonitor([page])


def test_odata_annotations_on_records_are_not_drift(recwarn):
    annotated = {"@odata.type": "#Test.Value", "@odata.id": "Values('x')", **GOOD_RECORD}
    frame = parse_klimaatmonitor([records_payload([annotated])])
    assert frame.equals(parse_klimaatmonitor([records_payload([GOOD_RECORD])]))
    assert not [w for w in recwarn if issubclass(w.category, SchemaDriftWarning)]


def test_values_of_a_variable_the_catalogue_does_not_list_are_refused():
    catalogue = payload("klimaatmonitor", json.dumps({"value": [
        {"ExternalCode": "kern111a_co2_tot", "Name": "Totale CO2-uitstoot"}]}).encode(),
        url="https://km.test/jiveservices/odata/Variables?$select=ExternalCode,Name")
    with pytest.raises(ContractError, match="catalogue"):
        parse_klimaatmonitor([catalogue, records_payload([GOOD_RECORD])])


@pytest.mark.parametrize(("change", "named"), [
    ({"Value": "6650.0", "ValueString": None}, "ValueString"),  # renamed
    ({"Period": None}, "Period"),  # dropped
    ({"ValueString": 6650.0}, "ValueString is Float64"),  # retyped
])
def test_schema_drift_breaks_the_contract_naming_the_field(change, named):
    record = {**GOOD_RECORD, **change}
    record = {k: v for k, v in record.items() if v is not None or k == "Description"}
    with pytest.raises(ContractError, match=named):
        parse_klimaatmonitor([records_payload([record])])


def test_an_extra_field_only_warns():
    with pytest.warns(SchemaDriftWarning, match="Unit"):
        frame = parse_klimaatmonitor([records_payload([{**GOOD_RECORD, "Unit": "kton"}])])
    assert frame["value"].to_list() == [6650.0]


def test_unknown_text_in_value_string_breaks_the_contract():
    with pytest.raises(ContractError, match="n.v.t."):
        parse_klimaatmonitor([records_payload([{**GOOD_RECORD, "ValueString": "n.v.t."}])])


def test_a_page_url_without_a_known_variable_is_refused():
    page = payload("klimaatmonitor", json.dumps({"value": [GOOD_RECORD]}).encode(),
                   url="https://km.test/jiveservices/odata/Variables('unknown')/Values")
    with pytest.raises(ContractError, match="'unknown'"):
        parse_klimaatmonitor([page])


def test_a_next_link_to_another_host_is_refused_and_gets_no_key(httpserver, fast_retry):
    doc = {"value": [GOOD_RECORD], "@odata.nextLink": "https://elsewhere.test/steal?$skip=1"}
    httpserver.expect_request(f"{ODATA}/{klimaatmonitor.values_path(VARIABLE, 'gemeente')}"
                              ).respond_with_json(doc)
    with pytest.raises(ContractError, match="elsewhere.test") as caught:
        klimaatmonitor.fetch_values(live_klimaatmonitor(httpserver, fast_retry), VARIABLE,
                                    "gemeente")
    assert FAKE_KEY not in str(caught.value)
    assert len(httpserver.log) == 1  # the foreign link was never requested


def test_a_next_link_looping_back_is_refused(httpserver, fast_retry):
    path = f"{ODATA}/{klimaatmonitor.values_path(VARIABLE, 'gemeente')}"
    doc = {"value": [GOOD_RECORD], "@odata.nextLink": httpserver.url_for(path)}
    httpserver.expect_request(path).respond_with_json(doc)
    with pytest.raises(ContractError, match="loops"):
        klimaatmonitor.fetch_values(live_klimaatmonitor(httpserver, fast_retry), VARIABLE,
                                    "gemeente")






# -- snapshot mode, end to end ---------------------------------------------------------------

@pytest.fixture(scope="module")
def snapshot_frames(tmp_path_factory) -> dict[str, pl.DataFrame]:
    generated = tmp_path_factory.mktemp("generated")
    frames = {}
    for feed in emissions_family.FAMILY.feeds:
        http = make_http(feed.source, mode="snapshot", generated_dir=generated)
        frames[feed.name] = feed.parse(feed.fetch(http, demo_geography()))
    return frames


def test_klimaatmonitor_snapshot_covers_every_region_and_year(snapshot_frames):
    frame = snapshot_frames["klimaatmonitor_emissions"]
    assert set(frame["region_code"]) == set(MONITORED_REGIONS)
    assert frame.group_by("region_code").len()["len"].unique().to_list() == [14]
    assert (frame["year"].min(), frame["year"].max()) == (2010, 2023)
    assert frame["value"].null_count() == 3  # the '?' and '' markers placed on purpose


def test_emissieregistratie_snapshot_has_fourteen_sectors_per_region(snapshot_frames):
    frame = snapshot_frames["emissieregistratie_sector_emissions"]
    assert set(frame["entity"]) == set(SECTORS)
    assert frame.height == len(MONITORED_REGIONS) * len(SECTORS) * 14
    assert frame.filter("is_provisional")["year"].unique().to_list() == [2023]


def test_ets_snapshot_holds_the_published_figures(snapshot_frames):
    frame = snapshot_frames["eu_ets_verified_emissions"]
    published = {2020: 5800.0, 2021: 6000.0, 2022: 5800.0, 2023: 4500.0}  # NEa, see manifest
    assert {y: value(frame, year=y) for y in published} == published
    assert frame.filter(pl.col("value").is_not_null())["year"].to_list() == list(range(2010, 2024))


def test_snapshot_frames_pass_the_emissions_suite(snapshot_frames):
    frame = pl.concat(list(snapshot_frames.values()))
    outcome = validate_frame(EMISSIONS, EMISSIONS.conform(frame), emissions_rules())
    assert outcome.success, [(e.expectation, e.unexpected_examples) for e in outcome.failed]


def test_the_emissions_suite_catches_bad_rows(snapshot_frames):
    frame = snapshot_frames["klimaatmonitor_emissions"].with_columns(
        value=pl.when(pl.col("region_code") == "GM0453").then(-1.0).otherwise(pl.col("value")),
        unit=pl.when(pl.col("region_code") == "GM0375").then(pl.lit("MW"))
        .otherwise(pl.col("unit")))
    failed = {e.expectation for e in validate_frame(EMISSIONS, frame, emissions_rules()).failed}
    assert failed == {"expect_column_values_to_be_between",
                      "expect_column_pair_values_to_be_in_set"}


def test_the_snapshot_holds_only_monitored_municipalities(snapshot_frames):
    codes = set(snapshot_frames["emissieregistratie_sector_emissions"]["region_code"])
    assert codes - {"NL01"} == set(MONITORED_MUNICIPALITIES)


@pytest.mark.parametrize("source", ["klimaatmonitor", "emissieregistratie", "eu_ets"])
def test_manifest_names_every_file_and_its_provenance(source):
    fragment = json.loads((MANIFEST_DIR / f"{source}.json").read_text(encoding="utf-8"))
    assert fragment["source"] == source
    for entry in fragment["files"]:
        assert entry["provenance"] in {"published", "synthesized", "mixed"}
        assert entry["provenance"] == "synthesized" or entry["citations"]
        assert list(RECORDED_DIR.glob(entry["path"])), entry["path"]
        assert "(check" not in entry["description"].lower()  # no placeholder text
