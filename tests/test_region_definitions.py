"""Two definitions of one place (issue 15): the IJmond the monitor follows (Velsen, Beverwijk,
Heemskerk) and the IJmond of the EU Just Transition Fund (those three with Castricum and
Uitgeest, CBS's COROP area IJmond), configured in regions.yaml only. Figures summed over
municipalities differ between them; a figure of the COROP area or the province is the same
for both, and each region page says which definition its figures use."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import polars as pl
import pytest
from factories import make_inputs

from indicators.catalogue import load_catalogue, load_regions
from indicators.compute import catalogue_frames, compute_indicator_values, regions_frame
from indicators.progress import assess_all
from orchestration.cli import main as cli_main
from reports.pages import render_indicator, render_region
from reports.view import build_view

IJMOND = {"GM0453", "GM0375", "GM0396"}
JTF = IJMOND | {"GM0383", "GM0450"}
YEARS = (2021, 2022, 2023)


def _rows(measure: str, values: dict[str, float], years=YEARS) -> list[dict]:
    return [{"region_code": code, "measure": measure, "entity": "", "period": str(year),
             "year": year, "value": value * (1 + 0.1 * (year - YEARS[0])),
             "is_provisional": False}
            for code, value in values.items() for year in years]


@pytest.fixture(scope="module")
def catalogue():
    full = load_catalogue()
    return full.model_copy(update={"indicators": [
        full.get(i) for i in ("co2_total", "business_startups", "neet_province")]})


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    # CO2 per municipality (Castricum lacks 2023: the JTF region has no 2023 total)
    co2 = {"GM0453": 5000.0, "GM0375": 200.0, "GM0396": 150.0, "GM0383": 120.0,
           "GM0450": 50.0, "GM0518": 2000.0, "NL01": 150000.0}
    emissions = [r for r in _rows("co2_total_kt", co2)
                 if not (r["region_code"] == "GM0383" and r["year"] == 2023)]
    startups = _rows("establishment_startups", {"CR20": 2400.0, "CR26": 9000.0,
                                                 "NL01": 190000.0})
    neet = _rows("neet_15_29_pct", {"NL32": 5.3, "NL33": 6.1, "NL": 5.0})
    return {"clean_emissions": pl.DataFrame(emissions),
            "clean_business_dynamics": pl.DataFrame(startups),
            "clean_eu_regional": pl.DataFrame(neet)}


@pytest.fixture(scope="module")
def values(catalogue, tables) -> pl.DataFrame:
    return compute_indicator_values(catalogue, load_regions(), tables)


def _series(values: pl.DataFrame, indicator: str, region: str) -> dict[int, float]:
    rows = values.filter((pl.col("indicator_id") == indicator) & (pl.col("region_id") == region)
                         & pl.col("station_code").is_null())
    return dict(zip(rows["year"].to_list(), rows["value"].to_list(), strict=True))


def test_the_jtf_ijmond_is_configured_with_five_municipalities():
    regions = {r.id: r for r in load_regions().regions}
    assert set(regions["ijmond_jtf"].municipalities) == JTF
    assert set(regions["ijmond"].municipalities) == IJMOND
    # stations only where they stand inside the region's municipalities
    register = {s.code: s.municipality for s in load_regions().station_register}
    assert {register[s] for s in regions["ijmond_jtf"].stations} <= JTF
    assert regions["ijmond_jtf"].wind_farms == regions["ijmond"].wind_farms


def test_a_summed_figure_is_summed_over_five_municipalities_and_all_must_report(tables, values):
    co2 = tables["clean_emissions"]

    def total(codes, year):
        return co2.filter(pl.col("region_code").is_in(list(codes))
                          & (pl.col("year") == year))["value"].sum()

    jtf, ijmond = _series(values, "co2_total", "ijmond_jtf"), _series(values, "co2_total", "ijmond")
    assert jtf == pytest.approx({y: total(JTF, y) for y in (2021, 2022)})
    assert ijmond == pytest.approx({y: total(IJMOND, y) for y in YEARS})
    assert jtf[2021] > ijmond[2021]  # Castricum and Uitgeest counted
    members = values.filter((pl.col("indicator_id") == "co2_total")
                            & (pl.col("region_id") == "ijmond_jtf"))
    assert set(members["members_expected"]) == {5} and set(members["members_reporting"]) == {5}


def test_a_corop_and_a_provincial_figure_are_the_same_for_both_definitions(tables, values):
    startups = tables["clean_business_dynamics"].filter(pl.col("region_code") == "CR20")
    cr20 = dict(zip(startups["year"].to_list(), startups["value"].to_list(), strict=True))
    assert _series(values, "business_startups", "ijmond_jtf") == cr20
    assert _series(values, "business_startups", "ijmond") == cr20
    notes = values.filter(pl.col("indicator_id") == "business_startups")
    assert set(notes.filter(pl.col("region_id").is_in(["ijmond", "ijmond_jtf"]))["note"]) \
        == {"CR20"}
    assert _series(values, "neet_province", "ijmond_jtf") \
        == _series(values, "neet_province", "ijmond") != {}


@pytest.fixture(scope="module")
def view(catalogue, values):
    regions = load_regions()
    indicators, targets = catalogue_frames(catalogue)
    return build_view(replace(
        make_inputs(), indicators=indicators, targets=targets, regions=regions_frame(regions),
        values=values, assessments=assess_all(catalogue, regions, values),
        indicator_sources={}))


def _visible(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _row(page: str, indicator_name: str) -> str:
    """The visible text of the region table's row of one indicator."""
    [row] = [r for r in re.findall(r"(?s)<tr>.*?</tr>", page) if indicator_name in r]
    return _visible(row)


def test_each_region_page_says_which_definition_its_figures_use(view):
    jtf, ijmond = render_region(view, "ijmond_jtf", "nl"), render_region(view, "ijmond", "nl")
    text = _visible(jtf)
    assert "De IJmond van het Just Transition Fund (JTF) van de EU" in text  # regions.yaml
    assert ("Cijfers per gemeente zijn opgeteld over Velsen, Beverwijk, Heemskerk, Castricum "
            "en Uitgeest") in text
    assert ("Oprichtingen van vestigingen: het cijfer van het COROP-gebied IJmond (Beverwijk, "
            "Castricum, Heemskerk, Uitgeest en Velsen)") in text
    assert "Hetzelfde cijfer staat bij IJmond." in text
    assert "het cijfer van de provincie Noord-Holland" in text
    assert "IJmond telt een deel van deze gemeenten: zonder Castricum en Uitgeest." in text
    other = _visible(ijmond)
    assert "opgeteld over Velsen, Beverwijk en Heemskerk;" in other
    assert "Dat gebied is groter dan deze regio: het telt ook Castricum en Uitgeest." in other
    assert "Hetzelfde cijfer staat bij IJmond (JTF)." in other
    # the COROP figure reads the same on both pages (but for the region's name in the
    # sentence); the summed one does not
    def row(page, name):
        return _row(page, name).replace("IJmond (JTF)", "IJmond")
    assert row(jtf, "Oprichtingen van vestigingen") == row(ijmond, "Oprichtingen van vestigingen")
    assert "2.880 vestigingen in 2023" in row(jtf, "Oprichtingen van vestigingen")
    assert row(jtf, "CO2-uitstoot") != row(ijmond, "CO2-uitstoot")
    # a Dutch page names municipalities and areas, never their codes
    assert not re.search(r"\b(GM\d{4}|CR\d{2}|NL\d{2})\b", text)


def test_the_definition_is_in_english_too(view):
    text = _visible(render_region(view, "ijmond_jtf", "en"))
    assert "The IJmond of the EU's Just Transition Fund (JTF)" in text
    assert ("Municipal figures are summed over Velsen, Beverwijk, Heemskerk, Castricum and "
            "Uitgeest") in text
    assert "the figure of the COROP area IJmond (Beverwijk, Castricum, Heemskerk, Uitgeest " \
        "and Velsen)" in text
    assert "The same figure is shown for IJmond." in text
    assert "the figure of the province of Noord-Holland" in text
    assert "De IJmond van het" not in text


def test_a_region_in_two_provinces_or_no_corop_area_says_so(view):
    text = _visible(render_region(view, "cleantech_regio", "nl"))
    assert "geen COROP-gebied omvat de hele regio" in text
    assert "de regio ligt in meer dan één provincie" in text
    assert "Hetzelfde cijfer" not in text
    # the indicator page names each region's province
    page = _visible(render_indicator(view, "neet_province", "nl"))
    assert "IJmond (JTF): de provincie Noord-Holland" in page
    assert "Den Haag: de provincie Zuid-Holland" in page


def test_check_accepts_the_shipped_regions(capsys):
    assert cli_main(["check"]) == 0
    assert "configuration valid" in capsys.readouterr().err
