"""The edition a user sees, read in headless Chromium at desktop (1366 px) and phone (390 px)
width: no page wider than the screen, no table column on a phone squeezed narrow or pushed
off the screen, no identifier or English jargon on a Dutch page (nor
Dutch on an English one), a filled source block on every indicator page, and axe-core with
no serious or critical violation on any page kind in either language.

One real edition is built from the snapshot per session, and every page is opened once per
width; the tests below read what that one pass recorded."""

from __future__ import annotations

import re
from pathlib import Path

import axe_playwright_python
import polars as pl
import pytest
import yaml
from page_reading import chart_payload

from families.registry import FAMILIES
from indicators.catalogue import AGGREGATIONS, load_catalogue, load_regions
from indicators.progress import STATUSES
from sources.registry import SOURCES

pytestmark = pytest.mark.browser

WIDTHS = (1366, 390)
AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
# One page of each kind gets the axe-core run (every page gets the width and text checks).
AXE_PAGES = ("index.html", "indicator/no2_annual_mean.html", "indicator/co2_total.html",
             "region/ijmond.html", "compare.html", "data-quality.html", "changes.html",
             "archive.html")
# Words and shapes that betray code or English on a Dutch page: what the issue saw there.
DUTCH_PAGE_JARGON = re.compile(
    r"\d\.\d+e[+-]?\d+|\(check\)|[Ii]llustrati|[Rr]eplace with|Latest value|[Oo]bserved|cagr"
    r"|No target|No data|\bvs\.?\s|\bthe\b|\band\b|\btarget\b|\brequired\b|\blimit\b"
    r"|\bsource\b|\bpartitions?\b|\bratio\b|\brate\b|t/inw\.|->")
ENGLISH_PAGE_DUTCH = re.compile(
    r"t/inw\.|\bstudenten\b|\bniet gemeten\b|\bvoorlopig\b|\bdoel\b|\bgeen\b|\bper inwoner\b")
CODES = re.compile(r"\b(?:NL\d{5}|GM\d{4}|NL01)\b")
# On a phone a table row's cells stack at full width: a column narrower than this (half the
# 390 px screen) holds a few words a line, a region page's explanation ten lines of them.
NARROWEST_CELL_PX = 195
# Each cell with text in a page's tables: its width and its right edge.
TABLE_CELLS = """() => Array.from(document.querySelectorAll("main table tr > *"))
    .filter(c => c.innerText.trim() && c.getBoundingClientRect().width > 0)
    .map(c => { const r = c.getBoundingClientRect();
                return [c.innerText.trim().slice(0, 40), Math.round(r.width),
                        Math.round(r.right)]; })"""


def identifiers() -> set[str]:
    """Every identifier the project uses that a reader should never see as text."""
    catalogue, regions = load_catalogue(), load_regions()
    ids = {i.id for i in catalogue.indicators} | {t.id for i in catalogue.indicators
                                                   for t in i.targets}
    ids |= {r.id for r in regions.regions} | set(SOURCES) | set(AGGREGATIONS) | set(STATUSES)
    ids |= {f.table_name for f in FAMILIES} | {"air_station_annual", "indicator_values",
                                               "progress_assessments"}
    # words that are also plain Dutch or English ("met", "context", "sum") are not codes
    return {i for i in ids if re.search(r"[_\d]", i)} | set(SOURCES)


def found_identifiers(text: str, ids: set[str]) -> set[str]:
    hits = {i for i in ids if re.search(rf"(?<![\w/.-]){re.escape(i)}(?![\w.-])", text)}
    return hits | set(CODES.findall(text))


def _open(page, url: str) -> None:
    page.goto(url, wait_until="load")
    charts = page.locator("div.chart").count()
    if charts:
        page.wait_for_function(
            "n => document.querySelectorAll('div.chart .main-svg').length >= n", arg=charts,
            timeout=15_000)


def _boxes(browser, url: str, width: int, body: str) -> dict:
    """What `body` (a script's statements, with `box(element)`: its left, top, right and
    bottom on the page) returns for the page at `url` opened at `width`."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    _open(page, url)
    try:
        return page.evaluate("""() => {
            const box = e => { const r = e.getBoundingClientRect();
                               return [r.left, r.top, r.right, r.bottom]; };
            """ + body + "\n}")
    finally:
        page.close()


@pytest.fixture(scope="module")
def readings(browser, built_edition, built_base_url) -> dict:
    """Every page of the built edition at both widths: its widths, its rendered text (SVG
    legends included) and, for one page per kind, axe-core's serious and critical findings."""
    paths = sorted(str(p.relative_to(built_edition)) for lang in ("nl", "en")
                   for p in (built_edition / lang).rglob("*.html"))
    out = {}
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        for path in paths:
            _open(page, f"{built_base_url}/{path}")
            reading = page.evaluate("""() => ({
                scroll: document.documentElement.scrollWidth,
                client: document.documentElement.clientWidth,
                text: document.body.innerText + " " + Array.from(
                    document.querySelectorAll("svg text")).map(t => t.textContent).join(" ")})""")
            if "/region/" in path or path.endswith("/index.html"):
                reading["cells"] = page.evaluate(TABLE_CELLS)
            if path.split("/", 1)[1] in AXE_PAGES:
                page.evaluate(AXE_SOURCE)
                reading["axe"] = page.evaluate(
                    """() => axe.run({resultTypes: ["violations"]}).then(r => r.violations
                       .filter(v => v.impact === "serious" || v.impact === "critical")
                       .map(v => [v.id, v.impact, v.nodes.map(n => n.target.join(" "))]))""")
            out[(width, path)] = reading
        context.close()
    return out


def test_every_page_kind_in_both_languages_was_read(readings, built_edition):
    indicators = len(load_catalogue().indicators)
    for lang in ("nl", "en"):
        pages = {p for (w, p) in readings if w == 390 and p.startswith(f"{lang}/")}
        assert len([p for p in pages if p.startswith(f"{lang}/indicator/")]) == indicators
        assert {f"{lang}/{p}" for p in AXE_PAGES} <= pages


def test_no_page_is_wider_than_the_screen(readings):
    too_wide = {(w, p): (r["scroll"], r["client"]) for (w, p), r in readings.items()
                if r["scroll"] > r["client"]}
    assert too_wide == {}


def squeezed(cells: list, client: int) -> list:
    """The cells a phone reader has to read in a narrow column or scroll sideways to."""
    return [c for c in cells if c[1] < NARROWEST_CELL_PX or c[2] > client]


def test_no_table_column_on_a_phone_is_squeezed_or_off_the_screen(readings):
    """Issue: at 390 px a region page's explanation column was 118 px wide (a sentence ten
    lines tall) and most of it beyond the screen's edge, in a box that scrolled sideways.
    The region pages and overviews hold the agenda's and the themes' tables."""
    read = {p: r for (w, p), r in readings.items() if w == 390 and "cells" in r}
    assert {f"{lang}/region/ijmond.html" for lang in ("nl", "en")} <= set(read)
    assert all(r["cells"] for r in read.values()), [p for p, r in read.items() if not r["cells"]]
    found = {p: squeezed(r["cells"], r["client"])[:3] for p, r in read.items()}
    assert {p: cells for p, cells in found.items() if cells} == {}


def test_the_column_check_finds_a_squeezed_table(browser, built_base_url):
    """The check is real: the same region page with its rows laid out as a table again (the
    stacking class removed) has narrow cells beyond the screen's edge."""
    page = browser.new_page(viewport={"width": 390, "height": 900})
    _open(page, f"{built_base_url}/nl/region/ijmond.html")
    page.evaluate("""() => document.querySelectorAll("table.stacked")
                   .forEach(t => t.classList.remove("stacked"))""")
    cells, client = page.evaluate(TABLE_CELLS), page.evaluate(
        "document.documentElement.clientWidth")
    page.close()
    assert squeezed(cells, client)


def test_no_identifier_or_english_jargon_on_a_dutch_page(readings):
    ids = identifiers()
    found = {}
    for (width, path), reading in readings.items():
        if width != 1366 or not path.startswith("nl/"):
            continue
        hits = found_identifiers(reading["text"], ids) | set(
            DUTCH_PAGE_JARGON.findall(reading["text"]))
        if hits:
            found[path] = sorted(hits)
    assert found == {}


def test_no_identifier_or_dutch_unit_on_an_english_page(readings):
    ids = identifiers()
    found = {}
    for (width, path), reading in readings.items():
        if width != 1366 or not path.startswith("en/"):
            continue
        hits = found_identifiers(reading["text"], ids) | set(
            ENGLISH_PAGE_DUTCH.findall(reading["text"]))
        if hits:
            found[path] = sorted(hits)
    assert found == {}


def test_the_scan_finds_what_it_looks_for():
    """The forbidden-token scan is not vacuous: the texts the issue saw are caught."""
    ids = identifiers()
    seen = ("From 1.702e+05 (2010) to 1.394e+05 (2023): observed cagr rate -0.01524/yr",
            "Latest value 18.43 (2024) is not at or below the limit 10",
            "Berekening: station_mean", "Versie: rivm_air_quality 2024-12-31",
            "new_target (who_2021): - -> not_measured", "tabel clean_emissions",
            "NL49551 (IJmond)", "Cluster Energie Strategie (check)")
    for line in seen:
        assert found_identifiers(line, ids) or DUTCH_PAGE_JARGON.search(line), line


def test_every_indicator_page_names_its_sources_in_full(browser, built_edition, built_base_url):
    catalogue = load_catalogue()
    context = browser.new_context()
    page = context.new_page()
    for lang in ("nl", "en"):
        for indicator in catalogue.indicators:
            page.goto(f"{built_base_url}/{lang}/indicator/{indicator.id}.html")
            blocks = page.locator("dl.source-facts")
            assert blocks.count() >= 1, (lang, indicator.id)
            for block in blocks.all():
                values = [d.inner_text().strip() for d in block.locator("dd").all()]
                assert len(values) == 5 and all(v and v != "–" for v in values), \
                    (lang, indicator.id, values)
                assert block.locator("dd a[href^='https://']").count() == 1
            citation = page.locator("p.citation").inner_text()
            assert built_edition.name in citation and indicator.name.nl if lang == "nl" \
                else indicator.name.en in citation
            validation = page.locator("dt", has_text=re.compile("^(Validatie|Validation)$"))
            assert "✔" in validation.locator("xpath=following-sibling::dd[1]").inner_text()
    context.close()


def test_every_part_of_a_stacked_chart_is_painted(browser, built_base_url):
    """The parts beyond the palette are drawn with a pattern: its background must be the
    part's colour, or the part is white lines on white, gone from the bars and the legend."""
    page = browser.new_page()
    _open(page, f"{built_base_url}/nl/indicator/co2_by_sector.html")
    swatches = page.evaluate("""() => Array.from(
        document.querySelectorAll("#parts-co2_by_sector .legendpoints path")).map(p => {
            const fill = getComputedStyle(p).fill;
            const ref = fill.match(/url\\("?#([^")]+)/);
            if (!ref) return fill;
            const ground = document.getElementById(ref[1])?.querySelector("rect");
            return ground ? getComputedStyle(ground).fill : "none";
        })""")
    page.close()
    assert len(swatches) > 8  # more parts than the palette has colours: some are patterned
    unpainted = [f for f in swatches if f in ("none", "rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")]
    assert unpainted == [], swatches


@pytest.mark.parametrize("width", WIDTHS)
def test_a_right_axis_title_keeps_clear_of_its_tick_labels(browser, built_base_url, width):
    """The country on its own right axis (start-ups: six-digit ticks) needs its margin: its
    title overlapped the tick labels, at both widths and in print."""
    boxes = _boxes(browser, f"{built_base_url}/nl/indicator/business_startups.html", width, """
        const title = document.querySelector(".chart .g-y2title text");
        return {title: title && box(title), svg: box(document.querySelector(".chart .main-svg")),
                ticks: Array.from(document.querySelectorAll(".chart .y2tick text")).map(box)};""")
    assert boxes["title"] and boxes["ticks"], boxes
    left, _, right, _ = boxes["title"]
    assert all(tick[2] <= left for tick in boxes["ticks"]), boxes
    assert right <= boxes["svg"][2], boxes


def test_axe_core_finds_no_serious_or_critical_violation(readings):
    found = {(w, p): r["axe"] for (w, p), r in readings.items() if r.get("axe")}
    assert found == {}


def test_axe_core_runs_and_would_report_a_violation(browser, built_base_url):
    """The axe run is real: a scroll box without a name or focus is reported."""
    context = browser.new_context()
    page = context.new_page()
    _open(page, f"{built_base_url}/nl/index.html")
    page.evaluate("""() => { const img = document.createElement("img");
                   img.src = "data:,"; document.querySelector("main").appendChild(img); }""")
    page.evaluate(AXE_SOURCE)
    ids = page.evaluate("() => axe.run().then(r => r.violations.map(v => v.id))")
    assert "image-alt" in ids
    context.close()


def test_locales_name_every_source_and_table():
    """Pages name sources and tables in words: every registered one has them in both."""
    for lang in ("nl", "en"):
        locale = yaml.safe_load((Path(__file__).parents[2] / "reports" / "locales" /
                                 f"{lang}.yaml").read_text(encoding="utf-8"))
        assert set(SOURCES) <= set(locale["source_titles"]) & set(locale["source_licences"])
        assert {f.table_name for f in FAMILIES} <= set(locale["tables"])
        assert set(AGGREGATIONS) <= set(locale["aggregations"])


AHEAD = {"on_track", "achieved"}
BEHIND = {"acceleration_needed", "limited_progress", "moving_away"}


def test_drawn_trajectory_and_status_agree_on_the_side_of_the_latest_value(built_edition):
    """For every assessed trajectory target of a charted region: the latest value lies on
    the target's side of the drawn "on track" edge exactly when the status says on track
    (or achieved), and beyond the drawn path only then."""
    assessments = pl.read_csv(built_edition / "data" / "progress_assessments.csv")
    assessed = assessments.filter((pl.col("target_kind") == "trajectory")
                                  & pl.col("status").is_in(AHEAD | BEHIND))
    assert assessed.height, "the snapshot edition has no assessed trajectory to check"
    checked = 0
    for a in assessed.iter_rows(named=True):
        page = (built_edition / "nl" / "indicator" / f"{a['indicator_id']}.html").read_text()
        traces = [t for t in chart_payload(page)["figure"]["data"]
                  if t.get("legendgroup") == a["region_id"] and t.get("mode") != "markers"]
        path = next((t for t in traces if "Benodigd pad" in t["name"]), None)
        edge = next((t for t in traces if "Grens" in t["name"]), None)
        if path is None:
            continue  # a region the page does not chart (it is in the download)
        at = path["x"].index(a["latest_year"])
        lower = a["direction"] == "lower_is_better"
        tolerance = 10 ** -_decimals(path["y"])  # the drawn values are rounded as shown

        latest = a["latest_value"]
        assert _beyond(latest, edge["y"][at], lower, tolerance) == (a["status"] in AHEAD), a
        if _beyond(latest, path["y"][at], lower, -tolerance):  # clearly ahead of the path
            assert a["status"] in AHEAD, a
        checked += 1
    assert checked >= 2  # Netherlands CO2 and offshore wind at least


def _beyond(latest: float, drawn: float, lower: bool, margin: float) -> bool:
    """The latest value is on the target's side of a drawn line (within `margin`)."""
    return latest <= drawn + margin if lower else latest >= drawn - margin


def _decimals(values: list[float]) -> int:
    return max((len(str(v).split(".")[1]) if "." in str(v) else 0) for v in values)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_comparison_table_shows_every_region_on_a_desktop_screen(browser, built_base_url,
                                                                     lang):
    """At 1366 px the last region's column (the country) lay beyond the table's box: a
    comparison the reader had to scroll sideways to finish."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _open(page, f"{built_base_url}/{lang}/compare.html")
    fit = page.evaluate("""() => {
        const wrap = document.querySelector(".compare-table").closest(".table-wrap");
        const box = wrap.getBoundingClientRect();
        return {scroll: wrap.scrollWidth, client: wrap.clientWidth, right: box.right,
                heads: Array.from(document.querySelectorAll(".compare-table thead th"))
                  .map(th => Math.round(th.getBoundingClientRect().right))};
    }""")
    page.close()
    assert len(fit["heads"]) >= 5, fit  # the indicator column and the configured regions
    assert fit["scroll"] <= fit["client"], fit
    assert max(fit["heads"]) <= fit["right"] + 1, fit


@pytest.mark.parametrize("width", WIDTHS)
def test_a_chart_title_is_not_under_the_chart_tool_bar(browser, built_base_url, width):
    """On a phone the chart's tool bar (zoom, download) was drawn over the chart's title."""
    boxes = _boxes(browser, f"{built_base_url}/nl/indicator/co2_total.html", width, """
        const chart = document.querySelector("div.chart");
        chart.dispatchEvent(new MouseEvent("mousemove", {bubbles: true}));
        const bar = chart.querySelector(".modebar");
        const shown = bar && bar.getBoundingClientRect().width > 0
                      && getComputedStyle(bar.closest(".modebar-container")).display !== "none";
        return {title: box(chart.querySelector(".gtitle")), bar: shown ? box(bar) : null};""")
    title, bar = boxes["title"], boxes["bar"]
    assert title[2] > title[0], boxes  # the title is drawn
    if bar is not None:
        apart = bar[0] >= title[2] or bar[2] <= title[0] or bar[1] >= title[3] or bar[3] <= title[1]
        assert apart, boxes


def test_the_edition_id_in_the_header_is_never_broken_across_lines(browser, tmp_path):
    """At 390 px the header's "Edition 2026-12-03-2" broke after "2026-12-", leaving "03-2"
    alone on the next line."""
    from factories import make_inputs

    from reports.writer import write_edition

    write_edition(make_inputs(n_indicators=1, edition_id="2026-11-23-12"), tmp_path, pdf=False)
    for lang in ("nl", "en"):
        url = (tmp_path / "editions" / "2026-11-23-12" / lang / "index.html").as_uri()
        lines = _boxes(browser, url, 390, """
            const range = document.createRange();
            range.selectNodeContents(document.querySelector(".edition-id"));
            return new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size;""")
        assert lines == 1, (lang, lines)
