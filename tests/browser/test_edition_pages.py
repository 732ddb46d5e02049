"""Every page of a written edition in headless Chromium: no console errors, every chart drawn,
the language switch, the CSV download, the keyboard region picker, no injected script runs,
and the site also works opened from disk."""

from __future__ import annotations

import io

import polars as pl
import pytest
from page_reading import csv_figures, figure_tables, table_figures

from reports.pdf import print_pdf

pytestmark = pytest.mark.browser


def edition_pages(edition_dir) -> list[str]:
    return sorted(str(p.relative_to(edition_dir)) for p in edition_dir.rglob("*.html"))


def open_page(page, url: str, *, redirects: bool = False) -> None:
    """Open a page and wait until its charts are drawn (and a redirect page has forwarded)."""
    page.goto(url, wait_until="commit" if redirects else "load")
    if redirects:
        page.wait_for_url("**/nl/index.html")
        page.wait_for_load_state("load")
    charts = page.locator("div.chart").count()
    if charts:
        page.wait_for_function(
            "n => document.querySelectorAll('div.chart .main-svg').length >= n", arg=charts,
            timeout=10_000)


def test_every_page_loads_cleanly_draws_its_charts_and_runs_no_injected_script(
        page, base_url, edition_dir):
    paths = edition_pages(edition_dir)
    assert len(paths) == 2 * (6 + 5 + 4) + 1  # 6 page kinds with print.html
    drawn = 0
    for path in paths:
        open_page(page, f"{base_url}/editions/{edition_dir.name}/{path}",
                  redirects=path == "index.html")
        for chart in page.locator("div.chart").all():
            assert chart.locator(".plot-container .main-svg").count() >= 1, path
            drawn += 1
        assert page.evaluate("window.__xss") is None, f"injected script ran on {path}"
        assert page.problems == [], (path, page.problems)
    assert drawn == 2 * 5 * 2  # one per indicator page and one per indicator on print.html


def test_injected_names_show_as_text(page, base_url, edition_dir):
    open_page(page, f"{base_url}/editions/{edition_dir.name}/nl/indicator/pm10.html")
    assert "<script>window.__xss=1</script>" in page.locator("h1").inner_text()
    legend = page.locator("div.chart g.legend").text_content()
    assert "<script>window.__xss=1</script>" in legend  # the station, shown literally
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.__xss") is None


def test_language_switch_leads_to_the_same_indicator_in_english(page, base_url, edition_dir):
    open_page(page, f"{base_url}/editions/{edition_dir.name}/nl/indicator/co2.html")
    page.click("a.lang-switch")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/editions/{edition_dir.name}/en/indicator/co2.html")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Indicator co2 (en)"
    page.click("a.lang-switch")
    page.wait_for_load_state("load")
    assert page.url.endswith("/nl/indicator/co2.html")


def test_csv_download_matches_the_table(page, base_url, edition_dir):
    open_page(page, f"{base_url}/editions/{edition_dir.name}/nl/indicator/co2.html")
    with page.expect_download() as info:
        page.click("p.download a")
    download = info.value
    assert download.suggested_filename == "co2.csv"
    csv = pl.read_csv(io.BytesIO(open(download.path(), "rb").read()),
                      schema_overrides={"station_code": pl.String})
    regions = figure_tables(page.content())[0]
    assert table_figures(regions, "nl") == csv_figures(csv, "region_name_nl")
    assert csv.height == 4 * 10


def test_region_picker_works_from_the_keyboard(page, base_url, edition_dir):
    open_page(page, f"{base_url}/editions/{edition_dir.name}/en/compare.html")
    column = page.locator('.compare-table th[data-col="1"]')
    assert column.is_visible()
    for _ in range(30):  # Tab through the page until the first region checkbox has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "checkbox":
            break
    assert page.evaluate("document.activeElement.dataset.col") == "0"
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert not column.is_visible()
    assert not page.locator('.compare-table td[data-col="1"]').first.is_visible()
    page.keyboard.press("Space")
    assert column.is_visible()


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(page, base_url, edition_dir):
    open_page(page, f"{base_url}/editions/{edition_dir.name}/nl/index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_site_works_from_disk(page, site_root, edition_dir):
    open_page(page, (edition_dir / "en" / "indicator" / "pm10.html").as_uri())
    assert page.locator("div.chart .main-svg").count() >= 1
    assert page.problems == []
    open_page(page, (site_root / "index.html").as_uri(), redirects=True)
    assert "/editions/" in page.url
    assert page.locator("h1").inner_text() == "Overzicht"


def test_overview_prints_to_pdf(chromium_path, edition_dir, tmp_path):
    pdf = tmp_path / "overview.pdf"
    assert print_pdf(edition_dir / "nl" / "index.html", pdf, chromium=chromium_path)
    assert pdf.read_bytes().startswith(b"%PDF")
