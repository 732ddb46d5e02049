"""Issue 15, the green industrial zone: the energy, green-economy and circularity families in
their real formats (CBS v4 with a split dimension found by its code titles, Klimaatmonitor
ODS), the derived measures, their GX suites, the regional shares, and targets that are real
(document, URL, scope; a target of another scope shown as context, never assessed)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from core.errors import ContractError
from core.geography import Geography
from core.payload import Payload
from families import circularity, energy, green_economy
from families.green_economy import load_sectors
from indicators.catalogue import CatalogueError, Target, load_catalogue, load_regions
from indicators.compute import compute_indicator_values
from indicators.progress import assess_all
from sources import klimaatmonitor
from sources.generators.statline import write_statline
from sources.registry import make_http
from sources.snapshot import DEMO_MUNICIPALITIES
from transforms.statline import parse_tables
from transforms.validation import validate_frame

GEOGRAPHY = Geography(tuple(sorted(DEMO_MUNICIPALITIES)), ())
TABLES = energy.CBS_TABLES + green_economy.CBS_TABLES + circularity.CBS_TABLES
FAMILIES = {"energy": energy.FAMILY, "green_economy": green_economy.FAMILY,
            "circularity": circularity.FAMILY}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("green")
    write_statline(root, TABLES)
    return root


@pytest.fixture(scope="module")
def payloads(generated) -> dict[str, list[Payload]]:
    out = {}
    for fam in FAMILIES.values():
        for feed in fam.feeds:
            out[feed.name] = list(feed.fetch(make_http(feed.source, mode="snapshot",
                                                       generated_dir=generated), GEOGRAPHY))
    return out


@pytest.fixture(scope="module")
def frames(payloads) -> dict[str, pl.DataFrame]:
    feeds = {f.name: f for fam in FAMILIES.values() for f in fam.feeds}
    return {name: feeds[name].parse(p) for name, p in payloads.items()}


def edited(payloads: list[Payload], suffix: str, change) -> list[Payload]:
    """The payloads with the JSON documents whose request key holds `suffix` changed."""
    out = []
    for p in payloads:
        if suffix in p.request_key:
            doc = json.loads(p.body)
            change(doc)
            p = replace(p, body=json.dumps(doc).encode())
        out.append(p)
    return out


# -- CBS: a dimension read at several codes, found by its code titles -------------------------

def test_waste_types_are_read_as_entities_of_one_measure(frames):
    waste = frames["cbs_household_waste"].filter(
        pl.col("measure") == "household_waste_kg_per_inhabitant")
    assert set(waste["entity"]) == {"total", "residual_fine", "residual_coarse"}
    assert set(waste["region_code"]) == set(DEMO_MUNICIPALITIES)
    assert set(waste["unit"]) == {"kg/inw."}


def test_the_observations_request_filters_on_the_split_codes(payloads):
    from urllib.parse import unquote_plus

    [first] = [p for p in payloads["cbs_household_waste"]
               if p.request_key.endswith("Observations/0000")]
    url = unquote_plus(first.url)
    for code in ("T001126", "A047330", "A047331"):
        assert f"Afvalsoort eq '{code}'" in url
    assert "A047336" not in url  # GFT is not read


def test_a_missing_code_title_is_an_error_naming_the_titles(payloads):
    def rename(doc):
        for row in doc["value"]:
            if row["Title"] == "Grof huishoudelijk restafval":
                row["Title"] = "Grof restafval"

    broken = edited(payloads["cbs_household_waste"], "AfvalsoortCodes", rename)
    with pytest.raises(ContractError, match="Grof huishoudelijk restafval"):
        parse_tables(circularity.CBS_TABLES, broken)


def test_the_dimension_is_found_whatever_its_identifier(payloads):
    renamed = []
    for p in payloads["cbs_household_waste"]:
        body = p.body.replace(b"Afvalsoort", b"Afvalsoorten")
        renamed.append(replace(p, body=body, request_key=p.request_key.replace(
            "AfvalsoortCodes", "AfvalsoortenCodes")))
    frame = parse_tables(circularity.CBS_TABLES, renamed)
    assert set(frame["entity"]) == {"total", "residual_fine", "residual_coarse"}


def test_a_measure_in_another_unit_is_refused(payloads):
    def unit(doc):
        doc["value"][0]["Unit"] = "ton"

    with pytest.raises(ContractError, match="kg per inwoner"):
        parse_tables(circularity.CBS_TABLES, edited(payloads["cbs_household_waste"],
                                                    "MeasureCodes", unit))


@pytest.mark.parametrize(("unit", "ok"), [("kW", True), ("kWp", True), ("MW", False)])
def test_solar_capacity_accepts_only_its_unit_spellings(payloads, unit, ok):
    def set_unit(doc):
        for row in doc["value"]:
            if row["Identifier"] == "M002461":
                row["Unit"] = unit

    changed = edited(payloads["cbs_solar_capacity"], "MeasureCodes", set_unit)
    if ok:
        frame = parse_tables(energy.CBS_TABLES, changed)
        assert set(frame["unit"]) == {"kWp"} and frame["value"].min() > 0
    else:
        with pytest.raises(ContractError, match="M002461"):
            parse_tables(energy.CBS_TABLES, changed)


def test_solar_capacity_is_read_for_all_sectors_only(payloads):
    [page] = [p for p in payloads["cbs_solar_capacity"] if "Observations" in p.request_key]
    sectors = {row["SectorEnVermogensklasse"] for row in json.loads(page.body)["value"]}
    assert sectors == {"E007161"}  # not T001081, the economic activities only


# -- derived measures -------------------------------------------------------------------------

def test_residual_and_separated_waste_add_up(frames):
    rows = frames["cbs_household_waste"].filter(pl.col("region_code") == "GM0453",
                                                pl.col("year") == 2020)
    value = {(m, e): v for m, e, v in rows.select("measure", "entity", "value").rows()}
    fine = value[("household_waste_kg_per_inhabitant", "residual_fine")]
    coarse = value[("household_waste_kg_per_inhabitant", "residual_coarse")]
    total = value[("household_waste_kg_per_inhabitant", "total")]
    assert value[("household_residual_waste_kg_per_inhabitant", "")] == pytest.approx(fine + coarse)
    assert value[("household_separated_waste_kg_per_inhabitant", "")] == \
        pytest.approx(total - fine - coarse)


def test_a_missing_input_leaves_the_derived_value_missing_with_a_reason(payloads):
    def suppress(doc):
        for row in doc["value"]:
            if row["RegioS"] == "GM0375" and row["Afvalsoort"] == "A047331":
                row["Value"], row["ValueAttribute"] = None, "Confidential"

    broken = edited(payloads["cbs_household_waste"], "/Observations/", suppress)
    frame = circularity.FAMILY.feeds[0].parse(broken)
    residual = frame.filter(pl.col("region_code") == "GM0375",
                            pl.col("measure") == "household_residual_waste_kg_per_inhabitant")
    assert residual.height and residual["value"].null_count() == residual.height
    assert residual["missing_reason"].null_count() == 0


def test_transition_jobs_sum_the_configured_sectors_and_count_suppressed_as_zero(frames):
    jobs = frames["cbs_jobs_by_activity"]
    _, transition = load_sectors()

    def total(region, entities):
        return jobs.filter(pl.col("region_code") == region, pl.col("year") == 2022,
                           pl.col("entity").is_in(entities))["value"].fill_null(0).sum()

    for region in ("GM0453", "GM0246"):  # Heerde has D Energievoorziening suppressed
        assert total(region, ["transition_sectors"]) == pytest.approx(total(region, list(transition)))
    suppressed = jobs.filter(pl.col("region_code") == "GM0246", pl.col("entity") == "energy_supply")
    assert suppressed["value"].null_count() == suppressed.height


def test_transition_sectors_are_configuration(tmp_path):
    config = tmp_path / "sectors.yaml"
    config.write_text('total: {entity: all, title: "A-U Alle economische activiteiten"}\n'
                      'transition_sectors:\n  - {entity: energy, title: "D Energievoorziening"}\n')
    titles, transition = load_sectors(config)
    assert transition == ("energy",) and titles["D Energievoorziening"] == "energy"
    config.write_text('total: {entity: energy, title: "A-U Alle economische activiteiten"}\n'
                      'transition_sectors:\n  - {entity: energy, title: "D Energievoorziening"}\n')
    with pytest.raises(ValueError, match="own entity"):
        load_sectors(config)


def test_energy_derives_the_non_renewable_part(frames):
    rows = frames["klimaatmonitor_energy"].filter(pl.col("region_code") == "GM0200",
                                                  pl.col("year") == 2020)
    value = dict(rows.select("measure", "value").rows())
    assert value["non_renewable_energy_tj"] == pytest.approx(
        value["energy_use_tj"] - value["renewable_energy_tj"])
    assert dict(rows.select("measure", "unit").rows())["gas_use_per_dwelling_m3"] == "m3"


def test_an_energy_variable_missing_from_the_catalogue_stops_the_feed():
    http = make_http("klimaatmonitor", mode="snapshot")
    with pytest.raises(klimaatmonitor.UnknownVariable, match="energie_totaal_kwh"):
        klimaatmonitor.fetch_all(http, ["energie_totaal_kwh"])


def test_business_gas_is_read_per_sbi_section_and_summed_into_a_lower_bound(frames, payloads):
    """Real-format Values pages (fixture: the committed snapshot recordings, OData v4 JSON as the
    Klimaatmonitor ODS sends them; ids and unit per docs/evidence/green_zone_more.md G1)."""
    from transforms.green_zone import BUSINESS_GAS_TOTAL, BUSINESS_GAS_VARIABLES

    gas = frames["klimaatmonitor_energy"].filter(pl.col("measure") == "business_gas_m3")
    assert set(gas["unit"]) == {"m3"}
    sections = gas.filter(pl.col("entity") != BUSINESS_GAS_TOTAL)
    # each variable became its SBI section, found by the variable id, never by position
    assert set(sections["entity"]) == set(BUSINESS_GAS_VARIABLES.values())
    assert "D" not in set(sections["entity"])  # the service has no energy-supply figure
    per_year = sections.filter(pl.col("region_code") == "GM0246", pl.col("year") == 2020)
    [total] = gas.filter(pl.col("region_code") == "GM0246", pl.col("year") == 2020,
                         pl.col("entity") == BUSINESS_GAS_TOTAL)["value"].to_list()
    assert total == pytest.approx(per_year["value"].sum())
    # a suppressed section ('?') stays missing with its reason and is left out of the sum
    [suppressed] = per_year.filter(pl.col("entity") == "B").select(
        "value", "missing_reason").rows()
    assert suppressed[0] is None and "?" in suppressed[1]
    assert set(gas["region_code"]) == set(DEMO_MUNICIPALITIES) | {"NL01"}
    # a page of a variable the feed does not read is refused, naming it
    [page] = [p for p in payloads["klimaatmonitor_energy"]
              if "vbrzg_a')/GeoLevels('nederland" in p.url]
    foreign = replace(page, url=page.url.replace("vbrzg_a", "vbrzg_d"))
    with pytest.raises(ContractError, match="vbrzg_d"):
        energy.parse_energy([foreign])


# -- GX suites ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_each_family_snapshot_passes_its_suite(frames, name):
    family = FAMILIES[name]
    frame = pl.concat([frames[f.name] for f in family.feeds])
    assert validate_frame(family.table, frame, family.rules()).success


@pytest.mark.parametrize(("name", "feed", "column", "bad"), [
    ("circularity", "cbs_household_waste", "value", -5.0),
    ("green_economy", "cbs_jobs_by_activity", "entity", "agriculture"),
    ("energy", "klimaatmonitor_energy", "unit", "GWh"),
])
def test_each_family_suite_fails_a_faulty_frame(frames, name, feed, column, bad):
    family = FAMILIES[name]
    frame = frames[feed]
    faulty = frame.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit(bad))
                                .otherwise(pl.col(column)).alias(column))
    result = validate_frame(family.table, faulty, family.rules())
    assert not result.success
    assert all(f.unexpected_count in (None, 1) for f in result.failed)  # the one bad row


# -- indicators and targets -------------------------------------------------------------------

def test_every_region_gets_the_new_indicators_and_the_cleantech_goal_is_assessed(frames):
    catalogue, regions = load_catalogue(), load_regions()
    population = pl.concat([frames["cbs_household_waste"].head(0)])  # schema only
    people = (frames["cbs_household_waste"].filter(
        pl.col("measure") == "household_residual_waste_kg_per_inhabitant")
        .select("region_code", "period", "year", "source", "source_table", "is_provisional")
        .with_columns(entity=pl.lit(""), measure=pl.lit("population_count"), unit=pl.lit("inwoners"),
                      value=pl.lit(50_000.0), missing_reason=pl.lit(None, pl.String))
        .select(population.columns))
    tables = {"clean_energy": pl.concat([frames["klimaatmonitor_energy"], frames["cbs_solar_capacity"]]),
              "clean_green_economy": frames["cbs_jobs_by_activity"],
              "clean_circularity": frames["cbs_household_waste"], "clean_employment": people}
    # (a figure per COROP area reaches only the regions an area holds: tested on its own)
    new = [i for i in catalogue.indicators if i.theme in ("energy", "green_economy", "circularity")
           and i.aggregation != "holding_area"]
    mine = catalogue.model_copy(update={"indicators": new})
    values = compute_indicator_values(mine, regions, tables)
    for indicator in new:
        got = set(values.filter(pl.col("indicator_id") == indicator.id)["region_id"])
        assert got == {r.id for r in regions.regions}, indicator.id
    assessments = assess_all(mine, regions, values)
    cleantech = assessments.filter(pl.col("indicator_id") == "renewable_energy_share",
                                   pl.col("region_id") == "cleantech_regio")
    assert cleantech["target_id"].to_list() == ["cleantech_energy_neutral_2030"]
    assert cleantech["status"][0] in {"on_track", "acceleration_needed", "limited_progress",
                                      "moving_away"}
    ijmond = assessments.filter(pl.col("indicator_id") == "renewable_energy_share",
                                pl.col("region_id") == "ijmond")
    assert ijmond["target_id"].to_list() == [None]  # the Cleantech goal is not the IJmond's


def test_the_separation_share_is_exact_over_municipalities():
    catalogue, regions = load_catalogue(), load_regions()
    share = catalogue.model_copy(update={"indicators": [catalogue.get("household_waste_separation")]})
    rows = []
    for code, separated, total, people in (("GM0453", 200, 400, 60_000), ("GM0375", 100, 500, 40_000),
                                           ("GM0396", 300, 400, 40_000)):
        for measure, entity, value in (("household_separated_waste_kg_per_inhabitant", "", separated),
                                       ("household_waste_kg_per_inhabitant", "total", total),
                                       ("population_count", "", people)):
            rows.append({"region_code": code, "entity": entity, "measure": measure, "period": "2022",
                         "year": 2022, "value": float(value), "is_provisional": False})
    table = pl.DataFrame(rows)
    values = compute_indicator_values(share, regions, {"clean_circularity": table,
                                                       "clean_employment": table})
    [ijmond] = values.filter(pl.col("region_id") == "ijmond")["value"].to_list()
    expected = (200 * 60 + 100 * 40 + 300 * 40) / (400 * 60 + 500 * 40 + 400 * 40) * 100
    assert ijmond == pytest.approx(expected)


def test_every_target_names_its_document_url_and_scope():
    for indicator in load_catalogue().indicators:
        for target in indicator.targets:
            assert target.document and target.url.startswith("https://"), target.id
            assert target.scope.nl and target.scope.en, target.id
            text = " ".join([target.label.nl, target.label.en, target.document]).lower()
            assert "(check" not in text and "illustrat" not in text, target.id


def test_targets_of_another_scope_are_context_never_assessed():
    catalogue = load_catalogue()
    context = {(i.id, t.id) for i in catalogue.indicators for t in i.targets if not t.assessed}
    assert {("co2_total", "klimaatwet_2030"), ("co2_industry_ets", "tata_eop_2030"),
            ("co2_industry_ets", "nzkg_cluster_2030")} <= context
    tata = next(t for t in catalogue.get("co2_industry_ets").targets if t.id == "tata_eop_2030")
    assert "process gases" in tata.scope.en and "6 Mt" in tata.scope_note.en
    assert catalogue.get("net_labour_participation").targets == []  # no document sets one
    regions = load_regions()
    years, values = list(range(2013, 2024)), [7000.0 - 100 * n for n in range(11)]
    frame = pl.DataFrame({"indicator_id": "co2_industry_ets", "region_id": "ijmond",
                          "station_code": None, "year": years, "value": values,
                          "is_provisional": False, "low_coverage": False},
                         schema_overrides={"station_code": pl.String, "year": pl.Int32})
    only = catalogue.model_copy(update={"indicators": [catalogue.get("co2_industry_ets")]})
    rows = assess_all(only, regions, frame).filter(pl.col("region_id") == "ijmond")
    # no target of its own scope: assessed by its direction of travel, never against them
    assert rows["target_id"].to_list() == [None] and rows["status"].to_list() == ["improving"]


def test_a_context_target_without_a_scope_note_is_refused():
    with pytest.raises(ValueError, match="scope_note"):
        Target(id="x", kind="trajectory", target_year=2030, label={"nl": "a", "en": "a"},
               document="doc", url="https://example.org", scope={"nl": "s", "en": "s"},
               assessed=False)
    with pytest.raises(ValueError):
        Target(id="x", kind="threshold", value=1, label={"nl": "a", "en": "a"},
               document="doc", url="javascript:alert(1)", scope={"nl": "s", "en": "s"})
    assert CatalogueError  # the loader's error type names the entry (tested elsewhere)


def test_a_context_target_is_shown_with_its_scope_note_and_never_drawn_or_assessed():
    from factories import make_inputs

    from reports.pages import render_indicator
    from reports.view import build_view

    inputs = make_inputs()
    context = inputs.targets.filter(pl.col("target_id") == "pm10-eu").with_columns(
        target_id=pl.lit("pm10-cluster"), label_en=pl.lit("Cluster ambition"),
        assessed=pl.lit(False), scope_en=pl.lit("The whole industry cluster"),
        scope_note_en=pl.lit("Context only: one installation here."))
    view = build_view(replace(inputs, targets=pl.concat([inputs.targets, context])))
    page = render_indicator(view, "pm10", "en")
    targets = page[page.index('id="targets-heading"'):]
    assert "Scope: The whole industry cluster" in targets
    assert "Context, not assessed:</em> Context only: one installation here." in targets
    assert targets.count("Context, not assessed") == 1  # the assessed targets are not context
    table = re.search(r'<table class="assessments">(.*?)</table>', page, re.S).group(1)
    assert "Cluster ambition" not in table  # no status row for a target never assessed
