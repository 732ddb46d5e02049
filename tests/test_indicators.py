"""Catalogue and region files (validated on load, errors name entry and field), the
aggregations on tiny frames, and change detection between editions."""

from __future__ import annotations

import re

import polars as pl
import pytest
import yaml

from indicators.catalogue import CatalogueError, load_catalogue, load_regions
from indicators.changes import status_changes
from indicators.compute import LOW_COVERAGE_NOTE, catalogue_frames, compute_indicator_values
from indicators.progress import STATUSES, assess_all


def stat_rows(rows: list[tuple[str, str, int, float | None]], entity: str = "") -> pl.DataFrame:
    return pl.DataFrame([{
        "region_code": code, "entity": entity, "measure": measure, "period": str(year),
        "year": year, "value": value, "unit": "", "is_provisional": False,
        "missing_reason": None if value is not None else "not available", "source": "test",
        "source_table": "t"} for code, measure, year, value in rows])


IJMOND = ["GM0453", "GM0375", "GM0396"]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def regions():
    return load_regions()


def values_for(catalogue, regions, tables, indicator_id):
    values = compute_indicator_values(catalogue, regions, tables)
    return values.filter(pl.col("indicator_id") == indicator_id)


def test_shipped_files_are_valid(catalogue, regions):
    assert len(catalogue.indicators) >= 17
    assert all(t.document for i in catalogue.indicators for t in i.targets)
    assert {r.id for r in regions.regions} == {"ijmond", "ijmond_jtf", "cleantech_regio",
                                               "den_haag", "nederland"}


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["indicators"][0].update(direction="up"), "indicator 'co2_total', field 'direction'"),
    (lambda d: next(i for i in d["indicators"] if i["id"] == "no2_annual_mean")["targets"][0]
     .pop("value"), "indicator 'no2_annual_mean', field 'targets.0'"),
    (lambda d: d["indicators"][1].update(theme="sports"), "field 'theme'"),
    (lambda d: d["indicators"].append(dict(d["indicators"][0])), "duplicate id"),
])
def test_catalogue_errors_name_entry_and_field(tmp_path, mutate, message):
    from indicators.catalogue import CATALOGUE_FILE

    doc = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    mutate(doc)
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError, match=message.replace(".", r"\.")):
        load_catalogue(path)


def _regions_file(tmp_path, featured) -> str:
    doc = yaml.safe_load(open("indicators/regions.yaml", encoding="utf-8"))
    doc["featured"] = featured
    path = tmp_path / "regions.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_every_region_is_featured_unless_the_file_says_otherwise(tmp_path, regions):
    assert regions.featured is None
    assert regions.featured_ids == ["ijmond", "ijmond_jtf", "cleantech_regio", "den_haag",
                                    "nederland"]
    chosen = load_regions(_regions_file(tmp_path, ["nederland", "ijmond"]))
    assert chosen.featured_ids == ["ijmond", "nederland"]  # declaration order, as on the pages


@pytest.mark.parametrize(("featured", "message"), [
    (["ijmond", "atlantis"], "field 'featured': unknown region id(s) ['atlantis']"),
    ([], "field 'featured': list at least one region id"),
    (["ijmond", "ijmond"], "field 'featured': region id(s) ['ijmond'] listed more than once"),
])
def test_featured_regions_must_be_declared(tmp_path, featured, message):
    with pytest.raises(CatalogueError, match=re.escape(f"regions.yaml: file, {message}")):
        load_regions(_regions_file(tmp_path, featured))


def test_sum_needs_every_member_and_missing_region_is_not_zero(catalogue, regions):
    rows = [(c, "co2_total_kt", 2020, 100.0) for c in IJMOND]
    rows += [("GM0453", "co2_total_kt", 2021, 90.0), ("GM0375", "co2_total_kt", 2021, 90.0)]
    out = values_for(catalogue, regions, {"clean_emissions": stat_rows(rows)}, "co2_total")
    assert out.select("region_id", "year", "value").rows() == [("ijmond", 2020, 300.0)]
    assessed = assess_all(catalogue, regions, compute_indicator_values(
        catalogue, regions, {"clean_emissions": stat_rows(rows)}))
    cleantech = assessed.filter((pl.col("indicator_id") == "co2_total")
                                & (pl.col("region_id") == "cleantech_regio"))
    assert cleantech["status"].to_list() == ["not_measured"]
    assert cleantech["latest_value"].to_list() == [None]


def test_population_weighted_mean_and_per_inhabitant(catalogue, regions):
    pops = [("GM0453", 60_000.0), ("GM0375", 40_000.0), ("GM0396", 100_000.0)]
    employment = stat_rows([(c, "population_count", 2020, p) for c, p in pops]
                           + [(c, "net_labour_participation_pct", 2020, v)
                              for (c, _), v in zip(pops, (70.0, 60.0, 65.0), strict=True)])
    emissions = stat_rows([(c, "co2_total_kt", 2020, 1000.0) for c in IJMOND])
    tables = {"clean_employment": employment, "clean_emissions": emissions}
    part = values_for(catalogue, regions, tables, "net_labour_participation")
    # (70*60k + 60*40k + 65*100k) / 200k = 65.5
    assert part.filter(pl.col("region_id") == "ijmond")["value"].to_list() == [65.5]
    per = values_for(catalogue, regions, tables, "co2_per_inhabitant")
    # 3000 kt = 3,000,000 t over 200,000 inhabitants = 15 t
    assert per["value"].to_list() == [pytest.approx(15.0)]


def test_station_mean_leaves_out_low_coverage_and_keeps_station_rows(catalogue, regions):
    annual = pl.DataFrame({
        "station_code": ["NL49551", "NL49553", "NL49570"], "component": ["PM10"] * 3,
        "year": [2020] * 3, "mean_ugm3": [20.0, 24.0, 40.0], "hours_with_value": [8000, 8000, 5000],
        "hours_in_year": [8784] * 3, "coverage_pct": [91.1, 91.1, 56.9],
        "low_coverage": [False, False, True]})
    out = values_for(catalogue, regions, {"air_station_annual": annual}, "pm10_annual_mean")
    region = out.filter((pl.col("region_id") == "ijmond") & pl.col("station_code").is_null())
    assert region["value"].to_list() == [22.0]
    assert region["members_reporting"].to_list() == [2]
    stations = out.filter((pl.col("region_id") == "ijmond") & pl.col("station_code").is_not_null())
    assert stations.height == 3 and stations["low_coverage"].sum() == 1
    assert out.filter(pl.col("region_id") == "cleantech_regio").is_empty()
    assert region["note"].to_list() == [LOW_COVERAGE_NOTE]


def test_a_station_without_a_mean_is_not_called_left_out_for_low_coverage(catalogue, regions):
    """A region station with no mean for the component (it does not measure it) is fewer
    members reporting; the note that stations were left out for low coverage would be untrue."""
    annual = pl.DataFrame({
        "station_code": ["NL49551", "NL49553"], "component": ["PM10"] * 2,
        "year": [2020] * 2, "mean_ugm3": [20.0, 24.0], "hours_with_value": [8000, 8000],
        "hours_in_year": [8784] * 2, "coverage_pct": [91.1, 91.1],
        "low_coverage": [False, False]})
    out = values_for(catalogue, regions, {"air_station_annual": annual}, "pm10_annual_mean")
    region = out.filter((pl.col("region_id") == "ijmond") & pl.col("station_code").is_null())
    assert region["value"].to_list() == [22.0]
    assert region["members_reporting"].to_list() == [2]
    assert region["members_expected"].to_list()[0] > 2
    assert region["note"].to_list() == [None]


def test_share_of_two_measures(catalogue, regions):
    wind = stat_rows([("NL01", "offshore_wind_production_gwh", 2023, 11_553.0),
                      ("NL01", "electricity_consumption_gwh", 2023, 115_530.0)])
    out = values_for(catalogue, regions, {"clean_offshore_wind": wind},
                     "offshore_wind_share_of_electricity")
    assert out.select("region_id", "value").rows() == [("nederland", pytest.approx(10.0))]


def test_a_partner_adds_a_region_by_configuration_only(tmp_path, catalogue):
    doc = yaml.safe_load(open("indicators/regions.yaml", encoding="utf-8"))
    doc["regions"].append({"id": "zuid_kennemerland", "name": {"nl": "Zuid-Kennemerland",
                           "en": "South Kennemerland"}, "kind": "region",
                           "municipalities": ["GM0392", "GM0377"], "stations": ["NL49703"]})
    doc["municipality_names"].update({"GM0392": "Haarlem", "GM0377": "Bloemendaal"})
    path = tmp_path / "regions.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    regions = load_regions(path)
    emissions = stat_rows([("GM0392", "co2_total_kt", 2020, 500.0),
                           ("GM0377", "co2_total_kt", 2020, 250.0)])
    out = values_for(catalogue, regions, {"clean_emissions": emissions}, "co2_total")
    assert out.filter(pl.col("region_id") == "zuid_kennemerland")["value"].to_list() == [750.0]


def test_statuses_stay_in_the_allowed_set(catalogue, regions):
    emissions = stat_rows([(c, "co2_total_kt", y, 100.0 - y % 10) for c in IJMOND
                           for y in range(2015, 2021)])
    values = compute_indicator_values(catalogue, regions, {"clean_emissions": emissions})
    assessed = assess_all(catalogue, regions, values)
    assert set(assessed["status"]) <= set(STATUSES)
    assert assessed.height >= len(catalogue.indicators) * 4


def test_changes_between_editions(catalogue):
    cols = {"station_code": None, "unit": "kt", "coverage_pct": None, "low_coverage": False,
            "members_expected": 3, "members_reporting": 3, "note": None}
    prev = pl.DataFrame([{"indicator_id": "co2_total", "region_id": "ijmond", "year": 2021,
                          "value": 100.0, "is_provisional": True, **cols}])
    cur = pl.DataFrame([{"indicator_id": "co2_total", "region_id": "ijmond", "year": y,
                         "value": v, "is_provisional": False, **cols} for y, v in ((2021, 103.0), (2022, 99.0))])
    pa = pl.DataFrame({"indicator_id": ["co2_total"], "region_id": ["ijmond"], "target_id": ["t"],
                       "status": ["on_track"], "latest_year": [2021]})
    ca = pa.with_columns(status=pl.lit("acceleration_needed"), latest_year=pl.lit(2022))
    changes = status_changes(prev, cur, pa, ca)
    assert sorted(changes["change"].to_list()) == ["new_period", "revision", "status_change"]
    revision = changes.filter(pl.col("change") == "revision").row(0, named=True)
    assert (revision["old_value"], revision["new_value"]) == (100.0, 103.0)


def test_catalogue_frames_flatten_targets(catalogue):
    indicators, targets = catalogue_frames(catalogue)
    assert indicators.height == len(catalogue.indicators)
    assert targets.filter(pl.col("indicator_id") == "no2_annual_mean")["value"].to_list() == [10.0, 20.0]


def test_each_page_names_a_target_document_in_its_own_language(catalogue):
    """A document titled in English is named in Dutch on Dutch pages (and the other way
    round)."""
    _, targets = catalogue_frames(catalogue)
    eu = targets.filter(pl.col("target_id") == "eu_2030").row(0, named=True)
    assert eu["document_nl"].startswith("Richtlijn (EU)") and eu["document_en"].startswith(
        "Directive (EU)")
    english = re.compile(r"\b(Directive|guidelines|January|Action Plan|new|Principles|as "
                         r"amended|not binding)\b")
    assert not [d for d in targets["document_nl"] if english.search(d)]


def test_farm_register_counts_operating_farms_and_notes_planned_ones(catalogue, regions):
    farms = stat_rows([("NL01", "farm_capacity_mw", 2007, 108.0),
                       ("NL01", "farm_capacity_mw", 2015, 129.0)], entity="egmond_aan_zee")
    farms = farms.with_columns(entity=pl.Series(["egmond_aan_zee", "luchterduinen"]))
    planned = stat_rows([("NL01", "farm_capacity_planned_mw", 2029, 2000.0)],
                        entity="ijmuiden_ver_alpha")
    both = values_for(catalogue, regions, {"clean_offshore_wind": pl.concat([farms, planned])},
                      "ijmond_coast_wind_capacity")
    out = both.filter(pl.col("region_id") == "ijmond")
    # the Just Transition Fund's IJmond lists the same farms: the same series
    assert both.filter(pl.col("region_id") == "ijmond_jtf")["value"].to_list() \
        == out["value"].to_list()
    assert out["year"].to_list() == list(range(2007, 2016))
    assert out["value"].to_list()[0] == 108.0 and out["value"].to_list()[-1] == 237.0
    assert "+2000 MW by 2029" in out["note"].to_list()[-1]


def test_farm_register_indicator_reads_the_shipped_register(catalogue, regions):
    from sources import wind_farms
    from transforms.offshore_wind import parse_wind_farm_register

    register = wind_farms.wind_farms()
    table = parse_wind_farm_register(wind_farms.fetch_register())
    out = values_for(catalogue, regions, {"clean_offshore_wind": table},
                     "ijmond_coast_wind_capacity").filter(region_id="ijmond").sort("year")
    (ijmond,) = [r for r in regions.regions if r.id == "ijmond"]
    mine = register.filter(pl.col("farm_id").is_in(ijmond.wind_farms))
    operating = mine.filter(status="operational")
    expected = mine.filter(pl.col("status") != "operational").drop_nulls("commissioning_year")
    assert out["year"].to_list() == list(range(operating["commissioning_year"].min(),
                                               operating["commissioning_year"].max() + 1))
    assert out["value"].to_list()[-1] == operating["capacity_mw"].sum()
    assert out["value"].to_list()[0] == operating.sort("commissioning_year")["capacity_mw"][0]
    note = out["note"].to_list()[-1]
    assert f"+{expected['capacity_mw'].sum():.0f} MW by {expected['commissioning_year'].max()}" \
        in note and all(farm in note for farm in expected["farm_id"])
    # what the pages read back from it (said in their language, reports/pages.py)
    from indicators.compute import read_planned_note

    assert read_planned_note(note) == (round(expected["capacity_mw"].sum()),
                                       expected["commissioning_year"].max(),
                                       sorted(expected["farm_id"]))
    assert read_planned_note("CR20") is None and read_planned_note(None) is None


def test_completeness_expects_values_where_inputs_exist(catalogue, regions):
    from indicators.compute import regions_with_inputs

    rows = [(c, "co2_total_kt", 2020, 100.0) for c in IJMOND] + [("GM0200", "co2_total_kt", 2020, 5.0)]
    tables = {"clean_emissions": stat_rows(rows)}
    expected = regions_with_inputs(catalogue, regions, tables)
    produced = set(compute_indicator_values(catalogue, regions, tables)
                   .select("indicator_id", "region_id").unique().iter_rows())
    # Cleantech has one of eight municipalities: expected, but not computed -> flagged.
    assert ("co2_total", "cleantech_regio") in expected - produced
    assert ("co2_total", "ijmond") in expected & produced
    assert ("co2_total", "den_haag") not in expected


def test_no_catalogue_text_a_page_shows_is_a_placeholder_or_an_internal_note():
    """Labels, scopes, documents, names and definitions reach the pages: no "(check)", no
    illustrative target, no note to maintainers; every target names its document."""
    import re

    from indicators.catalogue import load_catalogue

    shown = []
    for indicator in load_catalogue().indicators:
        for text in (indicator.name, indicator.description, indicator.definition):
            shown += [text.nl, text.en]
        for target in indicator.targets:
            assert target.document.strip(), (indicator.id, target.id)
            shown += [target.label.nl, target.label.en, target.document]
            shown += [target.document_name.nl, target.document_name.en] \
                if target.document_name else []
            shown += [target.scope.nl, target.scope.en] if target.scope else []
    for text in shown:
        assert not re.search(r"\(check\)|illustrat|replace with|placeholder|TODO", text,
                             re.IGNORECASE), text
        # identifiers and file paths stay in the code and the downloads, not on a page
        assert not re.search(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b|\b[\w/]+\.(yaml|py|csv)\b",
                             text), text


def test_english_pages_get_english_units():
    """A unit with Dutch words ("GJ/inw.", "banen") has an English label for English pages."""
    dutch = re.compile(r"\binw\b|inwoner|\bbanen\b|studenten")
    for indicator in load_catalogue().indicators:
        assert not dutch.search(indicator.unit_in("en")), (indicator.id, indicator.unit_in("en"))


def test_sum_of_parts_adds_every_sector_and_the_breakdown_adds_up_to_it(catalogue, regions):
    from indicators.compute import OTHER_PART, compute_breakdowns

    rows = []
    for code, energy, traffic in (("GM0453", 5000.0, 60.0), ("GM0375", 40.0, 70.0),
                                  ("GM0396", 10.0, 50.0)):
        rows.append(stat_rows([(code, "co2_sector_kt", 2021, energy)], "energiesector"))
        rows.append(stat_rows([(code, "co2_sector_kt", 2021, traffic)], "verkeer_en_vervoer"))
    rows.append(stat_rows([("GM0453", "co2_sector_kt", 2021, 1.5)], "a_new_sector"))
    # 2022: Heemskerk has no figure, so the region has no 2022 value and no 2022 parts
    rows.append(stat_rows([("GM0453", "co2_sector_kt", 2022, 4000.0)], "energiesector"))
    tables = {"clean_emissions": pl.concat(rows)}
    out = values_for(catalogue, regions, tables, "co2_by_sector")
    ijmond = out.filter(pl.col("region_id") == "ijmond")
    assert ijmond.select("year", "value").rows() == [(2021, 5231.5)]
    parts = compute_breakdowns(catalogue, regions, tables).filter(
        pl.col("region_id") == "ijmond")
    assert parts["year"].unique().to_list() == [2021]
    by_part = dict(parts.select("part", "value").rows())
    assert by_part == {"energiesector": 5050.0, "verkeer_en_vervoer": 180.0, OTHER_PART: 1.5}
    assert sum(by_part.values()) == ijmond["value"][0]
    # declared order (energy sector first), the undeclared part last, words in both languages
    assert parts["part"].to_list() == ["energiesector", "verkeer_en_vervoer", OTHER_PART]
    assert parts.filter(pl.col("part") == "energiesector")["label_en"].to_list() == [
        "Energy sector"]


def test_a_breakdown_needs_the_sum_of_parts_aggregation(tmp_path):
    from indicators.catalogue import CATALOGUE_FILE

    doc = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    entry = next(i for i in doc["indicators"] if i["id"] == "co2_by_sector")
    entry["aggregation"] = "sum"
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError, match="breakdown"):
        load_catalogue(path)
