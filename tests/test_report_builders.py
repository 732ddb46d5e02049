"""Pure report builders: figures, sentences, number formatting, status labels, escaping.

`make_inputs` builds a small, deterministic edition from inline frames; the site-writer and
browser tests reuse it. Nothing here touches the disk or the network.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from datetime import UTC, datetime

import polars as pl
import pytest
from factories import FEATURED, GENERATED_AT, XSS, make_inputs, with_many_regions
from page_reading import chart_payload, figure_tables

from indicators.progress import reason
from reports import i18n
from reports.contract import EditionInputs
from reports.figures import figure_json, indicator_figure, sparkline_svg
from reports.formatting import decimals_for, format_date, format_number, parse_number
from reports.pages import (
    indicator_download,
    render_changes,
    render_compare,
    render_data_quality,
    render_indicator,
    render_overview,
    render_region,
    safe_url,
)
from reports.view import build_view, sentence


@pytest.fixture(scope="module")
def view():
    return build_view(make_inputs())


# -- formatting ----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "lang", "decimals", "expected"), [
    (1234.5, "nl", 1, "1.234,5"), (1234.5, "en", 1, "1,234.5"), (1234567, "nl", 0, "1.234.567"),
    (0.25, "nl", 2, "0,25"), (-3.14159, "nl", 2, "-3,14"), (-0.01, "nl", 1, "0,0"),
    (None, "nl", 1, "–"), (float("nan"), "en", 1, "–"),
])
def test_format_number_per_language(value, lang, decimals, expected):
    assert format_number(value, lang, decimals) == expected


def test_parse_number_inverts_format_number():
    for value in (0.5, 1234.56, -98765.4):
        for lang in ("nl", "en"):
            assert parse_number(format_number(value, lang, 2), lang) == pytest.approx(value)


def test_format_date_uses_month_names():
    assert format_date(datetime(2026, 3, 5, tzinfo=UTC), "nl") == "5 maart 2026"
    assert format_date(datetime(2026, 3, 5, tzinfo=UTC), "en") == "5 March 2026"
    assert format_date(None, "nl") == "–"


def test_decimals_follow_the_typical_magnitude():
    assert decimals_for([15182.0, 11553.0]) == 0
    assert decimals_for([24.3, 26.1, None]) == 1
    assert decimals_for([0.52, 0.61]) == 2


# -- statuses and sentences ------------------------------------------------------------------


def test_every_status_has_a_symbol_and_words_in_both_languages():
    for status, spec in i18n.STATUSES.items():
        nl, en = i18n.status_label(status, "nl"), i18n.status_label(status, "en")
        assert nl.startswith(spec.symbol + " ") and en.startswith(spec.symbol + " "), status
        assert len(nl) > 3 and len(en) > 3
    assert len({spec.symbol for spec in i18n.STATUSES.values()}) == len(i18n.STATUSES)
    assert i18n.status_label("on_track", "en") == "✔ on track"
    assert i18n.status_label("not_met", "nl") == "○ norm niet gehaald"


def test_threshold_sentence_reads_like_the_example():
    obs = i18n.Observation("IJmond", "µg/m³", 0, 2024, 24.0, 2023, 26.0)
    assessment = {"status": "not_met", "target_value": 15.0}
    assert i18n.progress_sentence(obs, assessment, "WHO guideline", "en") == (
        "IJmond: 24 µg/m³ in 2024, down from 26 in 2023; above the WHO guideline of 15 "
        "(not met).")
    assert i18n.progress_sentence(obs, assessment, "WHO-advieswaarde", "nl") == (
        "IJmond: 24 µg/m³ in 2024, gedaald van 26 in 2023; boven de WHO-advieswaarde van 15 "
        "(norm niet gehaald).")


def test_trajectory_sentence_names_target_status_and_pace():
    obs = i18n.Observation("IJmond", "kt", 1, 2024, 1234.5, 2023, 1200.0)
    assessment = {"status": "acceleration_needed", "target_value": 900.0, "target_year": 2030,
                  "ratio": 0.7}
    text = i18n.progress_sentence(obs, assessment, "Klimaatwet", "nl")
    assert text == ("IJmond: 1.234,5 kt in 2024, gestegen van 1.200,0 in 2023; doel 900,0 in "
                    "2030 (Klimaatwet): versnelling nodig, tempo 70% van het benodigde.")


def test_a_direction_of_travel_status_closes_its_sentence_in_brackets():
    obs = i18n.Observation("IJmond", "kt", 0, 2023, 4500.0, 2022, 5800.0)
    assert i18n.progress_sentence(obs, {"status": "improving"}, "", "nl") == (
        "IJmond: 4.500 kt in 2023, gedaald van 5.800 in 2022 (verbetert).")


def test_a_direction_of_travel_sentence_names_the_year_its_direction_runs_from():
    # "up from 9.7 in 2023 (improving)" alone reads as a contradiction: the status is the
    # direction since the base year, so the sentence says which.
    obs = i18n.Observation("IJmond", "%", 1, 2024, 10.0, 2023, 9.7)
    assessment = {"status": "improving", "base_year": 2020}
    assert i18n.progress_sentence(obs, assessment, "", "nl") == (
        "IJmond: 10,0 % in 2024, gestegen van 9,7 in 2023 (verbetert sinds 2020).")
    assert i18n.progress_sentence(obs, {"status": "worsening", "base_year": 2020}, "", "en") \
        == "IJmond: 10.0 % in 2024, up from 9.7 in 2023 (worsening since 2020)."


def test_a_region_without_a_figure_says_why_when_the_way_it_is_published_explains_it():
    base = make_inputs()
    first = base.indicators["indicator_id"][0]
    is_first = pl.col("indicator_id") == first
    # only the country has the figure (offshore wind)
    regions = base.regions.with_columns(kind=pl.when(pl.col("region_id") == "nl")
                                        .then(pl.lit("country")).otherwise(pl.col("kind")))
    country_only = build_view(replace(base, regions=regions, values=base.values.filter(
        ~is_first | (pl.col("region_id") == "nl"))))
    assert sentence(country_only, first, "ijmond", "nl") == \
        "IJmond: niet gemeten; dit cijfer bestaat alleen voor heel Nederland."
    # published per COROP area, and Apeldoorn and Deventer lie in different ones
    no_cleantech = base.values.filter(~is_first | (pl.col("region_id") != "cleantech"))
    per_area = base.indicators.with_columns(aggregation=pl.when(is_first)
                                            .then(pl.lit("holding_area"))
                                            .otherwise(pl.col("aggregation")))
    view_ = build_view(replace(base, indicators=per_area, values=no_cleantech))
    assert sentence(view_, first, "cleantech", "en") == (
        "Cleantech Region: not measured; this figure is published per COROP area only, and no "
        "COROP area holds the whole region.")
    # measured at monitoring stations, and the region has none
    at_stations = base.indicators.with_columns(aggregation=pl.when(is_first)
                                               .then(pl.lit("station_mean"))
                                               .otherwise(pl.col("aggregation")))
    view_ = build_view(replace(base, indicators=at_stations, values=no_cleantech))
    assert sentence(view_, first, "cleantech", "nl") == \
        "Cleantech Regio: niet gemeten; er staat geen meetstation in de regio."
    # published per province, and the Cleantech Regio (regions.yaml) spans two
    renamed = pl.col("region_id").replace("cleantech", "cleantech_regio")
    per_province = replace(base, regions=base.regions.with_columns(region_id=renamed),
                           values=no_cleantech.with_columns(region_id=renamed),
                           indicators=base.indicators.with_columns(
                               aggregation=pl.when(is_first).then(pl.lit("nuts_region"))
                               .otherwise(pl.col("aggregation"))))
    assert sentence(build_view(per_province), first, "cleantech_regio", "nl") == (
        "Cleantech Regio: niet gemeten; dit cijfer bestaat alleen per provincie, en de regio "
        "ligt in meer dan één provincie.")
    # a region whose figures are simply missing gets no invented reason
    assert sentence(build_view(replace(base, values=no_cleantech)), first, "cleantech", "nl") \
        == "Cleantech Regio: niet gemeten."


def test_not_measured_and_cannot_assess_sentences():
    empty = i18n.Observation("Cleantech Regio", "µg/m³", 1, None, None)
    assert i18n.progress_sentence(empty, {"status": "not_measured"}, "", "en") == \
        "Cleantech Regio: not measured."
    obs = i18n.Observation("Den Haag", "%", 1, 2024, 61.6)
    why = reason("too_few_points", n=2, min=3)
    text = i18n.progress_sentence(obs, {"status": "cannot_assess", "reason": why}, "", "en")
    assert text == ("Den Haag: 61.6 % in 2024; cannot assess (Too few data points: 2, at least "
                    "3 are needed).")


def test_sentence_from_view_uses_headline_target(view):
    text = sentence(view, "pm10", "ijmond", "en")
    assert text.startswith("IJmond: ") and "above the WHO guideline of 15.0 (not met)" in text
    assert sentence(view, "pm10", "cleantech", "nl") == "Cleantech Regio: niet gemeten."


# -- figures -------------------------------------------------------------------------------


def _figure(view, indicator_id: str, lang: str = "nl"):
    page = render_indicator(view, indicator_id, lang)
    return chart_payload(page)["figure"]


def test_threshold_indicator_has_horizontal_limit_lines(view):
    figure = _figure(view, "pm10", "en")
    lines = [t for t in figure["data"] if t["name"].startswith(("WHO guideline", "EU limit"))]
    assert len(lines) == 2
    for trace in lines:
        assert trace["y"][0] == trace["y"][1]
    assert {t["y"][0] for t in lines} == {15.0, 40.0}


def test_trajectory_is_the_compound_path_year_by_year_with_its_on_track_edge(view):
    figure = _figure(view, "co2", "en")
    for trace in figure["data"]:  # long legend entries wrap onto lines
        trace["name"] = trace["name"].replace("<br>", " ")
    paths = [t for t in figure["data"] if "Required path to the target" in t["name"]]
    edges = [t for t in figure["data"] if t["name"].startswith("Edge of ‘on track’")]
    assert len(paths) == len(edges) == 4
    ijmond = next(t for t in paths if t["name"].startswith("IJmond:"))
    assert "(compound growth from 2015)" in ijmond["name"]
    assert ijmond["x"] == list(range(2015, 2031))
    base, goal = ijmond["y"][0], ijmond["y"][-1]
    assert goal == pytest.approx(9800 - 180 * 20, abs=1)
    rate = (goal / base) ** (1 / 15)  # compound: the same ratio every year, not a straight line
    for before, after in zip(ijmond["y"], ijmond["y"][1:], strict=False):
        assert after / before == pytest.approx(rate, rel=1e-3)


def test_provisional_and_low_coverage_points_have_own_markers_and_legend(view):
    figure = _figure(view, "pm10", "nl")
    provisional = [t for t in figure["data"] if t.get("legendgroup") == "is_provisional"]
    low = [t for t in figure["data"] if t.get("legendgroup") == "low_coverage"]
    assert provisional and low
    assert sum(t.get("showlegend", True) for t in provisional) == 1
    assert provisional[0]["name"] == "Voorlopig cijfer"
    assert provisional[0]["marker"]["symbol"] != "circle"
    assert all(t["x"] == [2024] for t in provisional)
    assert all(t["x"] == [2017] for t in low)


def test_dutch_figure_uses_decimal_comma_and_compact_json(view):
    page = render_indicator(view, "pm10", "nl")
    figure = chart_payload(page)["figure"]
    assert figure["layout"]["separators"] == ",."
    assert chart_payload(render_indicator(view, "pm10", "en"))["figure"]["layout"][
        "separators"] == ".,"
    assert figure["layout"]["template"] == {}
    assert "MathJax" not in page and "mathjax" not in page


def test_station_lines_are_hidden_until_chosen(view):
    figure = _figure(view, "pm10", "en")
    station = [t for t in figure["data"] if t["name"] == "IJmuiden-Kanaalstraat, IJmond"]
    assert station and station[0]["visible"] == "legendonly"
    assert not any("NL49551" in t["name"] for t in figure["data"])  # the code: download only


def test_every_kind_of_chart_is_valid_plotly(view):
    """Figures are built as plain data (fast); plotly.graph_objects refuses a property or a
    value Plotly does not know, so each kind of trace and layout goes through it here: every
    indicator chart of the test edition, its printed form, a chart with every feature (band,
    stations, flags, trajectories with their edge, thresholds, a right axis) and stacked
    parts."""
    import plotly.graph_objects as go

    from reports.figures import (
        Band,
        ChartInput,
        PartsInput,
        Trajectory,
        parts_figure,
        region_styles,
    )
    from reports.pages import indicator_chart
    from reports.print_page import print_figure

    def checked(fig) -> dict:
        as_data = json.loads(fig.to_json())
        go.Figure(as_data)  # raises ValueError on an unknown property or a bad value
        return as_data

    kinds = set()
    for indicator_id in [i["indicator_id"] for i in view.indicators]:
        for lang in ("nl", "en"):
            chart = indicator_chart(view, indicator_id, lang)[0]
            kinds |= {t["type"] for t in checked(indicator_figure(chart, lang))["data"]}
            checked(print_figure(indicator_figure(chart, lang)))
    series = pl.DataFrame({"series_id": ["a", "a", "b", "b"], "label": ["A", "A", "B", "B"],
                           "year": [2020, 2021, 2020, 2021], "value": [1.0, None, 300.0, 310.0],
                           "is_provisional": [False, True, False, False],
                           "low_coverage": [True, False, False, False]})
    full = ChartInput(
        "µg/m³", 1, series, region_styles(["a", "b"]), stations=series.with_columns(
            series_id=pl.lit("s1"), label=pl.lit("Station")),
        thresholds=[("Grenswaarde", 40.0)],
        trajectories=[Trajectory("a", "Pad", [(2020, 1.0), (2025, 0.5), (2030, 0.2)],
                                 "Op koers", [(2020, 1.0), (2030, 0.4)])],
        band=Band("Overige regio's", "laagste", "hoogste", [2020, 2021], [0.5, 0.6], [2.0, 2.1]),
        title="Titel", credit="Bron: test", right_axis=frozenset({"b"}), right_axis_title="NL")
    data = checked(indicator_figure(full, "nl"))
    assert {t.get("fill") for t in data["data"]} >= {"tonexty"} and "yaxis2" in data["layout"]
    assert any(t.get("visible") == "legendonly" for t in data["data"])
    printed = checked(print_figure(indicator_figure(full, "en")))
    assert not any(t.get("visible") == "legendonly" for t in printed["data"])
    parts = checked(parts_figure(PartsInput("Delen", "kt", 1, ["A 2023", "B 2023"],
                                            [("Industrie", [1.0, 2.0]), ("Verkeer", [None, 1.5])]),
                                 "nl"))
    assert kinds == {"scatter"} and {t["type"] for t in parts["data"]} == {"bar"}


def test_figure_json_cannot_end_its_script_element():
    from reports.figures import ChartInput, region_styles

    series = pl.DataFrame({"series_id": ["a"], "label": ["</script><script>alert(1)</script>"],
                           "year": [2020], "value": [1.0], "is_provisional": [False],
                           "low_coverage": [False]})
    fig = indicator_figure(ChartInput("<!--", 1, series, region_styles(["a"])), "nl")
    payload = figure_json(fig)
    assert "</" not in payload and "<" not in payload and "<!--" not in payload
    assert json.loads(payload)["figure"]["data"][0]["name"] == \
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def test_sparkline_breaks_at_gaps_and_escapes_its_label():
    svg = str(sparkline_svg([2020, 2021, 2022, 2023, 2024], [1.0, 2.0, None, 3.0, 4.0], XSS))
    assert svg.count("<polyline") == 2
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'aria-label="&lt;script&gt;' in svg


# -- pages ---------------------------------------------------------------------------------


def test_overview_groups_by_theme_with_symbols_and_summary(view):
    page = render_overview(view, "nl")
    assert '<html lang="nl">' in page
    assert page.count("<h1") == 1
    assert "Demodata, geen officiële cijfers" in page
    assert "○ norm niet gehaald" in page and "▲ versnelling nodig" in page
    assert re.search(r"\d+ van \d+ beoordeelde indicatoren op koers, gehaald of verbeterend", page)
    assert page.count('class="sparkline"') == 5
    assert 'href="#main"' in page and 'id="main"' in page


def test_theme_summary_counts_good_statuses():
    from reports.pages import _theme_summary

    assert _theme_summary(["on_track", "met", "not_met", "context"], "en") == \
        "2 of 3 assessed indicators on track, met or improving (1 not assessed)"
    # a direction of travel is an assessment: improving counts as good, little change does not
    assert _theme_summary(["improving", "little_change", "worsening"], "en") == \
        "1 of 3 assessed indicators on track, met or improving"
    assert _theme_summary(["context"], "nl") == "Geen beoordeelde indicator in dit thema."


def test_english_page_has_english_banner_and_switch_back(view):
    page = render_indicator(view, "pm10", "en")
    assert '<html lang="en">' in page
    assert "Demo data, not official figures" in page
    assert 'href="../../nl/indicator/pm10.html"' in page


def test_no_banner_for_official_figures():
    page = render_overview(build_view(make_inputs(n_indicators=2, demo_data=False)), "nl")
    assert "Demodata" not in page


def test_indicator_table_shows_the_download_figures_in_dutch(view):
    page = render_indicator(view, "co2", "nl")
    tables = figure_tables(page)
    header, *rows = tables[0]
    download = indicator_download(view, "co2").filter(pl.col("region_id") == "ijmond")
    column = header.index("IJmond")
    shown = [parse_number(row[column], "nl") for row in rows]
    assert shown == download["value"].to_list()
    assert "," in rows[0][column] or "." in rows[0][column]


def test_indicator_page_lists_source_licence_vintage_validation(view):
    page = render_indicator(view, "pm10", "en")
    for fact in ("RIVM Luchtmeetnet", "CC BY 4.0", "22 November 2026, 06:00 UTC",
                 "figures up to and including 2024", "Next expected update",
                 "figures for 2025 expected before", "checks failed for 1 of 2 parts",
                 "Hourly air measurements (current)", "accessed on", "edition 2026-11-23"):
        assert fact in page, fact
    assert 'href="../../data/pm10.csv"' in page


def test_region_page_says_not_measured_instead_of_zero(view):
    page = render_region(view, "cleantech", "nl")
    assert "– niet gemeten" in page
    assert "Cleantech Regio: niet gemeten." in page


AGENDA = """region: ijmond
documents: [{id: plan, title: "Strategische Agenda Testdorp", publisher: "Gemeente Testdorp", year: 2021}]
themes:
  - id: meedoen
    name: {nl: "Iedereen doet mee", en: "Everyone takes part"}
    goals:
      - {id: werk, name: {nl: "Iedereen heeft werk", en: "Everyone has work"}, document: plan,
         indicators: [participation, bbl]}
      - id: nieuwkomers
        name: {nl: "Nieuwkomers doen mee", en: "Newcomers take part"}
        document: plan
        not_measured: {nl: "Geen open gemeentelijke reeks.", en: "No open municipal series."}
  - id: klimaat
    name: {nl: "Klimaat", en: "Climate"}
    goals:
      - id: co2
        name: {nl: "Minder CO2", en: "Less CO2"}
        document: plan
        indicators: [co2]
        not_measured: {nl: "De haven zelf niet.", en: "Not the port itself."}
"""


@pytest.fixture(scope="module")
def agenda_view(tmp_path_factory):
    import yaml

    from indicators.agenda import Agenda

    agenda = Agenda.model_validate(yaml.safe_load(AGENDA))
    return build_view(replace(make_inputs(), agendas={"ijmond": agenda}))


def _agenda_text(page: str) -> str:
    """The agenda section's text, tags removed (it ends where the monitor's themes begin)."""
    section = page[page.index('class="agenda"'):page.index('class="lead all-themes"')]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", section)))


@pytest.mark.parametrize("render", [render_overview, lambda v, lang: render_region(v, "ijmond", lang)])
def test_the_region_agenda_reads_theme_goal_indicator_with_documents(agenda_view, render):
    nl = _agenda_text(render(agenda_view, "nl"))
    order = ["De agenda van de regio: IJmond", "Iedereen doet mee", "Iedereen heeft werk",
             "Indicator participation (nl)", "Indicator bbl (nl)", "Nieuwkomers doen mee",
             "Niet gemeten met open data: Geen open gemeentelijke reeks.", "Klimaat",
             "Minder CO2", "Indicator co2 (nl)", "Wat open data niet meet: De haven zelf niet."]
    positions = [nl.find(words) for words in order]
    assert -1 not in positions and positions == sorted(positions), dict(zip(order, positions, strict=True))
    assert nl.count("Document: Strategische Agenda Testdorp (Gemeente Testdorp, 2021)") == 3
    assert "Indicator pm10" not in nl  # not on the agenda: only under the monitor's themes
    en = _agenda_text(render(agenda_view, "en"))
    assert "Not measured with open data: No open municipal series." in en
    assert "Everyone has work" in en and "Indicator participation (en)" in en
    assert "niet gemeten" not in en.lower() and "Iedereen" not in en


def test_a_region_without_an_agenda_has_only_the_monitor_themes(agenda_view):
    assert 'class="agenda"' not in render_region(agenda_view, "den_haag", "nl")
    assert 'class="agenda"' in render_region(agenda_view, "ijmond", "nl")


def test_compare_page_has_all_regions_and_a_keyboard_picker(view):
    page = render_compare(view, "en")
    assert page.count('type="checkbox"') == 4
    assert "<legend>Show regions</legend>" in page
    assert 'id="region-picker" class="region-picker" hidden' in page  # full table without JS
    for name in ("IJmond", "Cleantech Region", "The Hague", "The Netherlands"):
        assert f">{name}</a></th>" in page
    # a cell without a figure says "not measured" once, not a bare dash above it
    assert '<span class="value">–</span>' not in page
    assert "not measured" in page and '<span class="value">' in page


def test_no_javascript_links_even_from_source_urls(view):
    page = render_data_quality(view, "en")
    assert "javascript:" not in page
    assert "CBS StatLine" in page
    assert safe_url("javascript:alert(1)") == "" and safe_url(" JAVASCRIPT:x") == ""
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"


def test_the_wind_farm_registers_future_newest_period_is_called_a_plan(view):
    """The register's newest period is the expected year of a farm not yet built (2032 in
    the shipped register): the data-quality page says it is a plan, in each language, and
    adds nothing to another source's period."""
    from dataclasses import replace

    from reports.view import build_view

    register = pl.DataFrame([{"source": "wind_farms", "title": "register", "licence": "",
                              "url": "", "last_fetched_at": None, "newest_period": "2032",
                              "rows": 10, "stale": False}])
    sources = pl.concat([view.inputs.sources, register], how="diagonal_relaxed")
    planned = build_view(replace(view.inputs, sources=sources))
    for lang, words in (("nl", "2032 (het register telt geplande parken mee in hun verwachte "
                               "jaar: plannen, geen gerealiseerd vermogen)"),
                        ("en", "2032 (the register includes planned farms in their expected "
                               "year: plans, not realised capacity)")):
        page = render_data_quality(planned, lang)
        assert words in page
        assert "<td>2026-11-21</td>" in page  # another source's period as it was
    assert "plans, not realised" not in render_data_quality(view, "en")


def test_the_notes_values_carry_are_said_under_the_table_in_the_pages_language(view):
    """A wind-farm region's farms not yet operating (stored in the latest year's note) and a
    station mean that left stations out are footnotes under the indicator's table, in each
    page's language, the planned years called plans; a note that is a code (the COROP area of
    a holding-area figure) and the farm ids are not shown, nor notes on other indicators."""
    from dataclasses import replace

    from indicators.compute import LOW_COVERAGE_NOTE, planned_note
    from reports.view import build_view

    values = view.inputs.values
    years = sorted(values.filter(indicator_id="wind", region_id="ijmond")["year"].to_list())
    note = (pl.when((pl.col("indicator_id") == "wind") & (pl.col("region_id") == "ijmond")
                    & (pl.col("year") == years[-1]))
            .then(pl.lit(planned_note(4012.4, 2032, ["ijmuiden_ver_alpha", "nederwiek_1"])))
            .when((pl.col("indicator_id") == "wind") & (pl.col("region_id") == "ijmond")
                  & pl.col("year").is_in(years[:2]))
            .then(pl.lit(LOW_COVERAGE_NOTE))
            .when((pl.col("indicator_id") == "wind") & (pl.col("region_id") == "den_haag"))
            .then(pl.lit("CR26")).otherwise(pl.col("note")))
    noted = build_view(replace(view.inputs, values=values.with_columns(note=note)))
    expected = {
        "nl": ["IJmond: nog niet in bedrijf en niet meegeteld: 2 windparken in aanbouw, gegund "
               "of gepland, samen 4.012 MW, het laatste verwacht in 2032. Die jaren zijn "
               "plannen, geen gerealiseerd vermogen.",
               f"IJmond: meetstations met minder dan 90% meetdekking telden niet mee in "
               f"{years[0]}, {years[1]}."],
        "en": ["IJmond: not yet operating and not counted: 2 wind farms under construction, "
               "awarded or planned, together 4,012 MW, the last expected in 2032. Those years "
               "are plans, not realised capacity.",
               f"IJmond: stations with less than 90% coverage were left out in {years[0]}, "
               f"{years[1]}."]}
    for lang, lines in expected.items():
        page = render_indicator(noted, "wind", lang)
        notes = re.search(r'<ul class="value-notes">(.*?)</ul>', page, re.S)
        assert notes, lang
        assert re.findall(r"<li>(.*?)</li>", notes[1]) == lines
        assert "CR26" not in page and "ijmuiden_ver_alpha" not in page
        assert 'class="value-notes"' not in render_indicator(noted, "pm10", lang)
        assert 'class="value-notes"' not in render_indicator(view, "wind", lang)


# -- a national edition: a few featured regions among hundreds -----------------------------


MAX_PAGE_BYTES = 300 * 1024


@pytest.fixture(scope="module")
def national_view():
    return build_view(with_many_regions(make_inputs(n_indicators=10, n_years=20), 300))


def _band(figure: dict) -> list[dict]:
    return [t for t in figure["data"] if t.get("legendgroup") == "band"]


@pytest.mark.parametrize("indicator_id", ["pm10", "co2", "participation", "bbl"])
def test_indicator_page_of_300_regions_shows_the_featured_ones_and_stays_small(
        national_view, indicator_id):
    page = render_indicator(national_view, indicator_id, "en")
    assert len(page.encode()) < MAX_PAGE_BYTES
    header = figure_tables(page)[0][0]
    featured = ["IJmond", "Cleantech Region", "The Hague", "The Netherlands"]
    if indicator_id == "pm10":
        featured.remove("Cleantech Region")  # no station there: no figures, no column
    assert header == ["Year", *featured]
    assert "Municipality 0" not in page  # not in the table, the sentences nor the targets
    names = {t["name"] for t in chart_payload(page)["figure"]["data"]}
    assert not any("Municipality" in name for name in names)
    assert "the other 300 regions each have a region page" in page
    assert f'href="../../data/{indicator_id}.csv" download>Download every region' in page
    sentences = re.search(r'<ul class="sentences">(.*?)</ul>', page, re.S).group(1)
    assert sentences.count("<li>") == 4


def test_csv_download_keeps_every_region(national_view):
    download = indicator_download(national_view, "participation")
    assert download["region_id"].n_unique() == 304


def test_compare_page_of_300_regions_shows_the_featured_ones_and_stays_small(national_view):
    page = render_compare(national_view, "nl")
    assert len(page.encode()) < MAX_PAGE_BYTES
    assert page.count('type="checkbox"') == 4
    assert "Gemeente 0" not in page
    assert "de andere 300 regio's hebben elk een regiopagina" in html.unescape(page)
    assert 'href="../data/indicator_values.csv" download>' in page


def test_targets_section_has_one_row_per_target_with_a_cell_per_featured_region(national_view):
    page = render_indicator(national_view, "pm10", "en")
    table = re.search(r'<table class="assessments">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    assert len(rows) == 1 + 2  # header, the WHO guideline, the EU limit value
    assert [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<th[^>]*>.*?</th>", rows[0])] == [
        "Target", "IJmond", "Cleantech Region", "The Hague", "The Netherlands"]
    assert all(row.count("<td>") == 4 for row in rows[1:])
    assert "WHO guideline" in rows[1] and "○ not met" in rows[1]
    assert "Latest value: " in rows[1]  # the inputs to recompute the status stay
    assert 'href="../../data/progress_assessments.csv"' in page


def test_band_shows_the_middle_80_percent_of_the_other_regions(national_view):
    figure = _figure(national_view, "participation", "en")
    low, high = _band(figure)
    assert high["fill"] == "tonexty" and high["showlegend"] and not low["showlegend"]
    assert high["name"].replace("<br>", " ") == \
        "Middle 80% of the other 300 regions (10th–90th percentile)"
    assert figure["data"].index(high) < min(
        i for i, t in enumerate(figure["data"]) if t["name"] == "IJmond")  # drawn beneath
    others = indicator_download(national_view, "participation").filter(
        ~pl.col("region_id").is_in(FEATURED) & (pl.col("year") == 2015))["value"]
    year = low["x"].index(2015)
    assert low["y"][year] == pytest.approx(others.quantile(0.1, "linear"), abs=0.051)
    assert high["y"][year] == pytest.approx(others.quantile(0.9, "linear"), abs=0.051)
    assert low["y"][year] < high["y"][year]


def test_no_band_and_no_note_when_every_region_is_featured(view):
    for inputs in (make_inputs(), with_many_regions(make_inputs(), 5, featured=None)):
        page = render_indicator(build_view(inputs), "participation", "en")
        assert not _band(chart_payload(page)["figure"])
        assert "other regions" not in page and "others-note" not in page


def test_featured_region_without_its_own_values_still_has_a_row_and_sentence():
    inputs = with_many_regions(make_inputs(), 30, featured=["cleantech", "gm0003"])
    view = build_view(inputs)
    page = render_indicator(view, "pm10", "nl")
    assert figure_tables(page)[0][0] == ["Jaar", "Gemeente 0003"]  # cleantech has no pm10
    assert "Cleantech Regio: niet gemeten." in page
    assert view.focus_region == "cleantech"
    alone = render_indicator(build_view(replace(inputs, featured_regions=["cleantech"])),
                             "pm10", "nl")
    assert _band(chart_payload(alone)["figure"])  # the country is still drawn, as a band
    assert "per regio, 2015–2024" in alone  # the caption says which years the band covers


def test_a_region_with_more_stations_than_a_chart_can_show_leaves_them_to_the_download():
    inputs = make_inputs(n_indicators=1)
    template = inputs.values.filter(pl.col("station_code").is_not_null())
    country = pl.concat([template.with_columns(region_id=pl.lit("nl"),
                                               station_code=pl.lit(f"NL9{i:04d}"))
                         for i in range(25)])
    view = build_view(replace(inputs, values=pl.concat([inputs.values, country])))
    page = render_indicator(view, "pm10", "en")
    stations = figure_tables(page)[1][0]
    assert stations == ["Year", "IJmuiden-Kanaalstraat, IJmond"]
    assert "NL90000" not in page
    assert "More stations than a chart can show: The Netherlands (25)." in page
    assert indicator_download(view, "pm10").filter(pl.col("region_id") == "nl")[
        "station_code"].drop_nulls().n_unique() == 25


# -- escaping ------------------------------------------------------------------------------


def _assert_escaped(page: str) -> None:
    assert "<script>alert" not in page
    assert 'onmouseover="alert' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_hostile_station_name_is_escaped_in_html_and_figure():
    view = build_view(make_inputs(station=XSS))
    page = render_indicator(view, "pm10", "nl")
    _assert_escaped(page)
    body = page.split('class="chart-data"', 1)[1]
    assert "</script>" not in body.split("</script>", 1)[0]  # the JSON block ends only once
    names = [t["name"] for t in chart_payload(page)["figure"]["data"]]
    assert any(n.startswith("&lt;script&gt;") for n in names)


def test_hostile_indicator_and_source_names_are_escaped_everywhere():
    view = build_view(make_inputs(indicator_name=XSS, source_title=XSS))
    for page in (render_overview(view, "nl"), render_indicator(view, "pm10", "nl"),
                 render_compare(view, "nl"), render_region(view, "ijmond", "nl")):
        _assert_escaped(page)
    _assert_escaped(render_data_quality(view, "en"))


def test_failed_expectation_examples_are_escaped(view):
    page = render_data_quality(view, "nl")
    _assert_escaped(page)
    assert "expect_column_values_to_be_between" in page and "value_ugm3" in page


def test_hostile_unit_is_escaped_in_page_and_chart_axis():
    inputs = make_inputs(n_indicators=1)
    inputs.indicators = inputs.indicators.with_columns(unit=pl.lit(XSS), unit_en=pl.lit(XSS))
    page = render_indicator(build_view(inputs), "pm10", "en")
    _assert_escaped(page)
    layout = chart_payload(page)["figure"]["layout"]
    assert layout["yaxis"]["title"]["text"].startswith("&lt;script&gt;")


# -- a first edition: nothing to compare with, nothing validated yet -------------------------


def test_first_edition_with_empty_frames_renders_every_page():
    full = make_inputs(n_indicators=2)
    inputs = EditionInputs(
        edition_id="2026-01-05", generated_at=GENERATED_AT, demo_data=True,
        indicators=full.indicators, targets=full.targets.clear(), regions=full.regions,
        values=full.values.clear(), assessments=full.assessments.clear(),
        sources=full.sources.clear(), validation=full.validation.clear(),
        validation_failures=full.validation_failures.clear(), changes=full.changes.clear())
    view = build_view(inputs)
    indicator = render_indicator(view, "pm10", "nl")
    assert "Nog geen cijfers." in indicator and "chart-data" not in indicator
    assert "Geen validatieresultaat" in indicator
    assert "– niet gemeten" in render_overview(view, "nl")
    assert "This is the first edition; there is no earlier edition" in render_changes(view, "en")
    assert "No failed expectations." in render_data_quality(view, "en")
    assert indicator_download(view, "pm10").height == 0


def test_the_changes_page_names_the_edition_it_compares_with_and_points_to_source_ages():
    """A first edition has nothing to compare with; a later one without changes names the
    previous edition. The demo sources' age is listed on the data-quality page, not here."""
    inputs = make_inputs(n_indicators=2, demo_data=True)
    inputs = replace(inputs, changes=inputs.changes.clear(),  # no problem to list either
                     validation=inputs.validation.with_columns(success=pl.lit(True)),
                     validation_failures=inputs.validation_failures.clear())
    first = render_changes(build_view(inputs), "nl")
    assert "Dit is de eerste editie" in first and "sinds de vorige editie" not in first
    later = render_changes(build_view(replace(inputs, previous_edition="2026-11-16")), "nl")
    assert "Geen wijzigingen ten opzichte van de vorige editie (2026-11-16)." in later
    for page in (first, later):
        assert "hieronder" not in page and "de pagina Datakwaliteit toont per bron hoe oud" in page
    quality = render_data_quality(build_view(inputs), "nl")
    assert "daarom staan bronnen hieronder als verouderd" in quality


def test_naive_and_text_timestamps_are_read_as_utc():
    from reports.formatting import format_datetime

    assert format_datetime(datetime(2026, 1, 5, 8, 0), "nl") == "5 januari 2026, 08:00 UTC"
    assert format_datetime("2026-01-05T08:00:00+01:00", "en") == "5 January 2026, 07:00 UTC"


def test_overview_shows_the_national_figure_of_a_nationally_measured_indicator_and_says_so():
    import dataclasses

    inputs = make_inputs()
    country_only = dataclasses.replace(  # wind: figures for the country only
        inputs,
        regions=inputs.regions.with_columns(kind=pl.when(pl.col("region_id") == "nl")
                                            .then(pl.lit("country")).otherwise("kind")),
        values=inputs.values.filter((pl.col("indicator_id") != "wind") | (pl.col("region_id") == "nl")),
        assessments=inputs.assessments.filter((pl.col("indicator_id") != "wind")
                                              | (pl.col("region_id") == "nl")))
    from reports.pages import _latest_text

    view = build_view(country_only)
    page = render_overview(view, "en")
    row = re.search(r'<tr>\s*<th scope="row"><a href="indicator/wind.html">.*?</tr>', page, re.S).group(0)
    assert "National figure (The Netherlands): measured for the whole country only" in row
    assert "not measured" not in row
    assert _latest_text(view, "wind", "nl", "en") in row  # the country's latest figure
    # an indicator measured per region keeps the focus region's own figure, without the note
    pm10 = re.search(r'<a href="indicator/pm10.html">.*?</tr>', page, re.S).group(0)
    assert "National figure" not in pm10


def test_every_locale_key_exists_in_both_languages_with_the_same_placeholders():
    import re
    import string

    from reports.i18n import LOCALES

    nl, en = LOCALES["nl"], LOCALES["en"]
    assert nl.keys() == en.keys()
    for section in nl:
        assert nl[section].keys() == en[section].keys(), section
        for key, dutch in nl[section].items():
            fields = {f for _, f, _, _ in string.Formatter().parse(dutch) if f}
            english = {f for _, f, _, _ in string.Formatter().parse(en[section][key]) if f}
            assert fields == english, (section, key)
            assert dutch.strip() and en[section][key].strip(), (section, key)
            assert not re.search(r"\(check\)|illustrat", dutch + en[section][key], re.I)


def test_every_theme_agenda_and_status_the_indicators_know_has_words_and_a_look():
    from families.registry import FAMILIES
    from indicators.catalogue import THEMES
    from indicators.progress import STATUSES

    for lang in ("nl", "en"):
        words = i18n.LOCALES[lang]
        assert set(words["themes"]) == set(THEMES)
        assert set(words["agendas"]) == set(THEMES.values())
        assert set(words["statuses"]) == set(STATUSES)
        assert {f.table_name for f in FAMILIES} <= set(words["tables"])
    assert set(i18n.STATUSES) == set(STATUSES)


def test_parts_show_as_stacked_bars_and_a_table_that_add_up_to_the_total():
    from indicators.compute import BREAKDOWN_SCHEMA, OTHER_PART

    rows = [("ijmond", 2023, "energiesector", "Energiesector", "Energy sector", 0, 5000.0, True),
            ("ijmond", 2023, "verkeer_en_vervoer", "Verkeer en vervoer",
             "Traffic and transport", 1, 180.0, False),
            ("ijmond", 2023, OTHER_PART, None, None, 2, 1.5, False),
            ("ijmond", 2022, "energiesector", "Energiesector", "Energy sector", 0, 9.0, False),
            ("den_haag", 2022, "verkeer_en_vervoer", "Verkeer en vervoer",
             "Traffic and transport", 1, 700.0, False)]
    parts = pl.DataFrame([{"indicator_id": "co2", "region_id": r, "year": y, "part": p,
                           "label_nl": nl, "label_en": en, "part_order": o, "value": v,
                           "unit": "kt CO2", "is_provisional": prov}
                          for r, y, p, nl, en, o, v, prov in rows], schema=BREAKDOWN_SCHEMA)
    view = build_view(replace(make_inputs(), breakdowns=parts))
    page = render_indicator(view, "co2", "nl")
    table = next(t for t in figure_tables(page) if t[0][0] == "Sector")
    header, *body = table
    assert header[1:] == ["IJmond (2023)", "Den Haag (2022)"]  # each region's latest year
    labels = [row[0] for row in body]
    assert labels == ["Energiesector", "Verkeer en vervoer", "Niet ingedeelde sectoren",
                      "Totaal"]
    ijmond = [parse_number(row[1].rstrip("v"), "nl") for row in body]
    assert sum(ijmond[:-1]) == ijmond[-1]
    blocks = re.findall(r'<script type="application/json" class="chart-data"[^>]*>(.*?)</script>',
                        page, re.S)
    bars = next(json.loads(b)["figure"] for b in blocks
                if json.loads(b)["figure"]["layout"].get("barnorm") == "percent")
    assert [t["name"] for t in bars["data"]] == labels[:-1]
    assert bars["data"][0]["y"][0] == 5000.0  # shares drawn by the chart, kilotonnes kept
    assert bars["layout"]["barmode"] == "stack"
    english = render_indicator(view, "co2", "en")
    assert "Traffic and transport" in english and "Verkeer en vervoer" not in english
    # an indicator without parts has no such section
    assert "parts-heading" not in render_indicator(view, "pm10", "nl")


def test_a_figure_per_corop_area_names_the_area_each_region_shows():
    inputs = make_inputs()
    indicators = inputs.indicators.with_columns(
        aggregation=pl.when(pl.col("indicator_id") == "co2").then(pl.lit("holding_area"))
        .otherwise("aggregation"))
    regions = inputs.regions.with_columns(
        kind=pl.when(pl.col("region_id") == "nl").then(pl.lit("country")).otherwise("kind"))
    view = build_view(replace(inputs, indicators=indicators, regions=regions))
    page = html.unescape(re.sub(r"<[^>]+>", " ", render_indicator(view, "co2", "nl")))
    assert "IJmond: COROP-gebied IJmond (Beverwijk, Castricum, Heemskerk, Uitgeest, Velsen)" in page
    assert "Cleantech Regio: geen COROP-gebied omvat de hele regio; niet gemeten" in page
    assert "Nederland: het landelijke cijfer" in page
    assert "COROP" not in render_indicator(view, "pm10", "nl")


def test_a_printed_chart_keeps_room_for_its_title_and_source_lines():
    """On paper the source lines inside the figure must not print over the plot: the print
    figure keeps the screen figure's top margin and grows by it."""
    from reports.figures import ChartInput, region_styles
    from reports.print_page import PRINT_CHART_HEIGHT, print_figure

    series = pl.DataFrame({"series_id": ["a", "a"], "label": ["IJmond", "IJmond"],
                           "year": [2020, 2021], "value": [1.0, 2.0],
                           "is_provisional": [False, False], "low_coverage": [False, False]})
    credit = "Bron: Luchtmeetnet (RIVM, GGD's en provincies), actuele metingen; " * 3
    screen = indicator_figure(ChartInput("µg/m³", 1, series, region_styles(["a"]),
                                         title="Stikstofdioxide", credit=credit), "nl")
    top = screen.layout["margin"]["t"]
    assert top > 60  # the title and three source lines
    printed = print_figure(screen)
    assert printed.layout["margin"]["t"] == top
    assert printed.layout["height"] >= PRINT_CHART_HEIGHT + top - 10


def test_the_method_named_is_the_one_the_statuses_come_from(view):
    """An indicator judged by its direction of travel says how, not 'not judged'; one shown
    as context only says it is not judged; a threshold indicator names the threshold method."""
    from dataclasses import replace

    from reports.pages import _method_words

    assert "zonder oordeel" in _method_words(view, view.indicator("bbl"), "nl")
    threshold = _method_words(view, view.indicator("pm10"), "nl")
    assert "grenswaarde" in threshold and "verbetert" not in threshold
    directed = replace(view, assessments={("bbl", "ijmond"): [
        {"target_kind": "direction_of_travel", "status": "improving"}]})
    words = _method_words(directed, {**view.indicator("bbl"), "context_only": False}, "nl")
    assert "‘verbetert’" in words and "0,5%" in words and "zonder oordeel" not in words
    assert "‘improving’" in _method_words(directed, {**view.indicator("bbl"),
                                                     "context_only": False}, "en")


def test_the_quality_page_headline_does_not_contradict_the_stale_marks_of_demo_data():
    """A demo edition's sources are old by design and marked stale in the sources table: the
    all-clear headline says so instead of "every source was refreshed"."""
    def healthy(demo: bool):
        inputs = make_inputs(demo_data=demo)
        return build_view(replace(
            inputs, validation=inputs.validation.with_columns(success=pl.lit(True)),
            validation_failures=inputs.validation_failures.clear()))

    demo, real = (render_data_quality(healthy(d), "nl") for d in (True, False))
    assert "met opzet oud" in demo and "Alle bronnen zijn ververst" not in demo
    assert "met opzet oud" not in real
    assert "old by design" in render_data_quality(healthy(True), "en")
