"""The regions' own agendas (indicators/agendas/*.yaml): goal -> theme -> indicator, each goal
with its document, goals that no open data measures said to be so."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import CatalogueError
from indicators.agenda import load_agendas
from indicators.catalogue import load_catalogue

GOOD = """region: ijmond
documents: [{id: doc, title: "A document", publisher: "Someone"}]
themes:
  - id: t
    name: {nl: "Thema", en: "Theme"}
    goals:
      - {id: g1, name: {nl: "Doel", en: "Goal"}, document: doc, indicators: [unemployment]}
      - id: g2
        name: {nl: "Doel 2", en: "Goal 2"}
        document: doc
        not_measured: {nl: "Geen open data.", en: "No open data."}
"""


def write(tmp_path: Path, text: str, name: str = "ijmond.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_shipped_agendas_load_and_cover_every_inclusion_indicator():
    agendas = load_agendas()
    assert {"ijmond", "cleantech_regio", "den_haag"} <= set(agendas)
    assert [t.name.nl for t in agendas["cleantech_regio"].themes] == ["Inclusie", "Duurzaam", "Groei"]
    assert agendas["ijmond"].themes[0].name.nl == "In Velsen doet iedereen mee"
    on_an_agenda = {i for a in agendas.values() for g in a.goals for i in g.indicators}
    inclusion = {i.id for i in load_catalogue().indicators if i.agenda == "inclusion"}
    assert inclusion <= on_an_agenda, inclusion - on_an_agenda
    unmeasured = [g for a in agendas.values() for g in a.goals if not g.indicators]
    assert unmeasured and all(g.not_measured.nl and g.not_measured.en for g in unmeasured)


def test_a_valid_agenda_loads(tmp_path):
    agenda = load_agendas(write(tmp_path, GOOD))["ijmond"]
    assert [g.id for g in agenda.goals] == ["g1", "g2"]


@pytest.mark.parametrize(("change", "message"), [
    (("indicators: [unemployment]", "indicators: [no_such_indicator]"),
     "goal 'g1', field 'indicators': not in the catalogue: ['no_such_indicator']"),
    (("document: doc, indicators", "document: other, indicators"),
     "goal 'g1', field 'document': unknown document 'other'"),
    (("region: ijmond", "region: atlantis"), "region 'atlantis' is not declared"),
    (("        not_measured: {nl: \"Geen open data.\", en: \"No open data.\"}\n", ""),
     "give 'indicators' or say in 'not_measured' why none measures it"),
    (("id: g2", "id: g1"), "duplicate"),
])
def test_mistakes_are_named(tmp_path, change, message):
    with pytest.raises(CatalogueError, match=message.replace("[", r"\[").replace("]", r"\]")
                       .replace("(", r"\(").replace(")", r"\)")):
        load_agendas(write(tmp_path, GOOD.replace(*change)))


def test_two_agendas_for_one_region_are_refused(tmp_path):
    write(tmp_path, GOOD)
    write(tmp_path, GOOD, "ijmond_again.yaml")
    with pytest.raises(CatalogueError, match="a second agenda for region 'ijmond'"):
        load_agendas(tmp_path)


@pytest.mark.parametrize(("region_id", "agenda_region"), [("ijmond", "ijmond"),
                                                         ("cleantech", "cleantech_regio")])
def test_the_region_page_reads_the_shipped_agenda_in_its_structure(region_id, agenda_region):
    """The IJmond's page in the Velsen agenda's order, the Cleantech Regio's in its Regio
    Deal's; every goal names its document, every goal without indicators says it is not
    measured with open data, in each page's language."""
    import html
    import re
    from dataclasses import replace

    from factories import make_inputs

    from reports.pages import render_region
    from reports.view import build_view

    agenda = load_agendas()[agenda_region]
    view = build_view(replace(make_inputs(n_indicators=2), agendas={region_id: agenda}))
    for lang, label in (("nl", "Niet gemeten met open data:"),
                        ("en", "Not measured with open data:")):
        page = render_region(view, region_id, lang)
        words = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
        names = [n for t in agenda.themes
                 for n in (getattr(t.name, lang), *(getattr(g.name, lang) for g in t.goals))]
        positions = [words.find(f" {n} ") for n in names]
        assert -1 not in positions and positions == sorted(positions), dict(zip(names, positions, strict=True))
        unmeasured = [g for g in agenda.goals if not g.indicators]
        for goal in unmeasured:
            assert f"{label} {getattr(goal.not_measured, lang)}" in words, goal.id
        assert words.count("Document: ") == len(agenda.goals)


def test_an_edition_of_another_catalogue_leaves_out_the_agendas_that_do_not_fit(tmp_path):
    from indicators.agenda import agendas_for
    from indicators.catalogue import load_regions

    full = load_catalogue()
    assert set(agendas_for(full, load_regions())) == set(load_agendas())
    smaller = full.model_copy(update={"indicators": [i for i in full.indicators
                                                     if i.id != "unemployment"]})
    kept = agendas_for(smaller, load_regions())
    users = {a.region for a in load_agendas().values()
             if any("unemployment" in g.indicators for g in a.goals)}
    assert users and set(kept) == set(load_agendas()) - users


def test_the_printed_edition_holds_the_focus_regions_agenda():
    """The council edition (print HTML, both languages) has the agenda the overview shows:
    every theme and goal of the focus region's agenda, in the agenda's order, after the
    overview and before the indicators."""
    import html
    import re
    from dataclasses import replace

    from factories import make_inputs

    from reports.print_page import render_print
    from reports.view import build_view

    agenda = load_agendas()["ijmond"]
    view = build_view(replace(make_inputs(n_indicators=2), agendas={"ijmond": agenda}))
    assert view.focus_region == "ijmond"
    for lang, heading, label in (
            ("nl", "De agenda van de regio: IJmond", "Niet gemeten met open data:"),
            ("en", "The region's own agenda: IJmond", "Not measured with open data:")):
        page = render_print(view, lang)
        words = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
        names = [heading] + [n for t in agenda.themes for n in (
            getattr(t.name, lang), *(getattr(g.name, lang) for g in t.goals))]
        positions = [words.find(f" {n} ") for n in names]
        assert -1 not in positions and positions == sorted(positions), \
            dict(zip(names, positions, strict=True))
        indicators = words.find(" Indicatoren " if lang == "nl" else " Indicators ")
        assert words.find(" Overzicht " if lang == "nl" else " Overview ") < positions[0] \
            < positions[-1] < indicators
        for goal in (g for g in agenda.goals if not g.indicators):
            assert f"{label} {getattr(goal.not_measured, lang)}" in words, goal.id
        assert words.count("(Document: ") == len(agenda.goals)
    no_agenda = build_view(make_inputs(n_indicators=2))
    assert "agenda-heading" not in render_print(no_agenda, "nl")
