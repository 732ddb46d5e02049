"""The council edition on paper: the PDF per language (overview, the focus region's agenda, then
every indicator with its drawn chart, page numbers, the edition and the demo label), linked from the overview; and an
indicator page printed from the browser keeps its whole chart on the page."""

from __future__ import annotations

import re
from dataclasses import replace

import pypdfium2 as pdfium
import pytest
from factories import make_inputs

from indicators.agenda import load_agendas
from reports.writer import write_edition

pytestmark = pytest.mark.browser

WORDS = {"nl": {"page": "Pagina {i} van {n}", "demo": "DEMODATA, GEEN OFFICIËLE CIJFERS",
                "path": "Benodigd pad naar het doel", "other": "Page 1 of",
                "agenda": "De agenda van de regio: IJmond"},
         "en": {"page": "Page {i} of {n}", "demo": "DEMO DATA, NOT OFFICIAL FIGURES",
                "path": "Required path to the target", "other": "Pagina 1 van",
                "agenda": "The region's own agenda: IJmond"}}


@pytest.fixture(scope="module")
def printed(chromium_path, tmp_path_factory):
    root = tmp_path_factory.mktemp("printed")
    inputs = replace(make_inputs(n_indicators=5), agendas={"ijmond": load_agendas()["ijmond"]})
    index = write_edition(inputs, root, pdf=True, chromium=chromium_path)
    return inputs, index.parent.parent


def pdf_pages(path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc))]
    finally:
        doc.close()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_council_edition_prints_every_indicator_with_page_numbers(printed, lang):
    inputs, edition = printed
    pages = pdf_pages(edition / f"edition-{inputs.edition_id}-{lang}.pdf")
    words = WORDS[lang]
    n = len(pages)
    assert n >= 3  # the overview, then the indicators
    for i, text in enumerate(pages, start=1):
        assert words["page"].format(i=i, n=n) in text, (i, text[:200])
        assert words["demo"] in text and inputs.edition_id in text
        assert words["other"] not in text
    everything = " ".join(pages)
    for row in inputs.indicators.iter_rows(named=True):
        assert everything.count(row[f"name_{lang}"]) >= 2, row  # overview row and section
    # The charts were drawn (their legends are text in the PDF), not their fallback.
    assert everything.count(words["path"]) >= 3
    # The focus region's agenda: its heading and every theme and goal, in its order.
    agenda = inputs.agendas["ijmond"]
    names = [words["agenda"]] + [n for t in agenda.themes for n in (
        getattr(t.name, lang), *(getattr(g.name, lang) for g in t.goals))]
    positions = [everything.find(n) for n in names]
    assert -1 not in positions and positions == sorted(positions), \
        dict(zip(names, positions, strict=True))


def test_the_overview_links_both_printed_editions(printed):
    inputs, edition = printed
    for lang, other in (("nl", "en"), ("en", "nl")):
        overview = (edition / lang / "index.html").read_text(encoding="utf-8")
        links = re.findall(r'href="\.\./(edition-[^"]+\.pdf)" hreflang="(\w+)"', overview)
        assert links == [(f"edition-{inputs.edition_id}-{lang}.pdf", lang),
                         (f"edition-{inputs.edition_id}-{other}.pdf", other)]
        assert all((edition / name).is_file() for name, _ in links)
    assert (edition.parent.parent / "latest" / "edition-en.pdf").is_file()


def test_an_indicator_page_printed_from_a_wide_screen_keeps_its_whole_chart(printed, page):
    _, edition = printed
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto((edition / "nl" / "indicator" / "co2.html").as_uri())
    page.wait_for_function("() => document.querySelector('div.chart .main-svg') !== null")
    width = "document.querySelector('div.chart .main-svg').getAttribute('width') * 1"
    assert page.evaluate(f"() => {width}") > 900  # drawn for the screen
    page.emulate_media(media="print")
    page.wait_for_function(f"() => {width} <= 680")
    fits = page.evaluate("""() => {
        const svg = document.querySelector('div.chart .main-svg').getBoundingClientRect();
        return svg.right <= document.querySelector('main').getBoundingClientRect().right + 1;
    }""")
    assert fits
    page.emulate_media(media="screen")
    page.wait_for_function(f"() => {width} > 900")  # and given back its screen size
    assert not page.problems
