"""The council edition for printing: one page per language that lays out the overview, the focus
region's own agenda and then every indicator with its chart and summary, printed to PDF with headless Chromium.

Its charts are drawn at a fixed width that fits an A4 page and as static images (no hover,
no mode bar), so what the printer gets is exactly what was laid out. Page numbers, the
edition and the demo label sit in the page margins (`@page` margin boxes).
"""

from __future__ import annotations

from functools import partial

from markupsafe import Markup

from reports.figures import Figure, figure_json, indicator_figure
from reports.i18n import LOCALES
from reports.pages import (
    PLOTLY_JS,
    _agenda_section,
    _chart_summary,
    _health_banner,
    _localized,
    _overview_row,
    _page_context,
    _render,
    _target_statuses,
    _theme_section,
    _themes,
    indicator_chart,
    source_licence,
    source_title,
)
from reports.view import EditionView, sentence, slug

PRINT_PAGE = "print.html"
# A4 (210 mm) less 15 mm margins each side is 180 mm, 680 CSS pixels at 96 per inch.
PRINT_CHART_WIDTH = 680
PRINT_CHART_HEIGHT = 330
PRINT_CONFIG = {"staticPlot": True, "responsive": False, "displayModeBar": False}


def print_words(key: str, lang: str, **fields) -> str:
    template = LOCALES[lang]["print"][key]
    return template.format(**fields) if fields else template


def pdf_name(edition_id: str, lang: str) -> str:
    return f"edition-{edition_id}-{lang}.pdf"


LEGEND_ROW_PX, LEGEND_PER_ROW = 24, 3
PRINT_TOP_MARGIN = 10  # a figure without title or source lines


def print_figure(fig: Figure) -> Figure:
    """The screen figure at a fixed size for paper, its legend under the plot. Lines a
    screen reader switches on in the legend (stations) cannot be switched on on paper, so
    they are left out; the plot grows with its legend, so no legend entry is cut off. The
    screen figure's top margin holds its title and source lines (they travel with a copied
    chart): paper keeps that room, else the source lines print over the plot."""
    fig.data = [t for t in fig.data if t.get("visible") != "legendonly"]
    entries = sum(1 for t in fig.data if t.get("showlegend") is not False)
    rows = -(-entries // LEGEND_PER_ROW)
    top = max(fig.layout.get("margin", {}).get("t") or 0, PRINT_TOP_MARGIN)
    fig.update_layout(width=PRINT_CHART_WIDTH, autosize=False,
                      height=PRINT_CHART_HEIGHT + (top - PRINT_TOP_MARGIN)
                      + LEGEND_ROW_PX * max(rows - 2, 0),
                      margin={"l": 60, "r": 20, "t": top, "b": 30})
    return fig


def render_print(view: EditionView, lang: str) -> str:
    """Title block, the overview per theme, the focus region's agenda, then one section per
    indicator."""
    context = _page_context(view, lang, PRINT_PAGE, print_words("title", lang))
    focus = view.focus_region
    context.update(
        words={k: print_words(k, lang) for k in ("title", "contents", "indicators",
                                                 "online", "status_now")},
        heading=print_words("heading", lang, edition=view.inputs.edition_id),
        focus=view.region_name(focus, lang) if focus else "",
        themes=[_theme_section(view, theme, lang) for theme in _themes(view)],
        # the focus region's own agenda, as the overview page shows it (theme -> goal ->
        # indicator), after the overview: status and latest value, no sparkline
        agenda=_agenda_section(view, focus, lang, partial(_overview_row, view)) if focus else None,
        sections=[_indicator_section(view, i, lang) for theme in _themes(view)
                  for i in view.indicators if i["theme"] == theme],
        health_banner=_health_banner(view, lang),
        margin_css=_margin_css(view, lang),
        scripts=[f"{context['to_site']}{PLOTLY_JS}", f"{context['to_edition']}assets/charts.js"])
    return _render("print.html", context)


def _css_string(value: str) -> str:
    """A CSS string literal that cannot end its string, rule or <style> element."""
    cleaned = "".join(ch for ch in value if ch.isprintable() and ch not in '<>&')
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _margin_css(view: EditionView, lang: str) -> Markup:
    """Page numbers, the edition and the demo label in every printed page's margins."""
    top_left = _css_string(print_words("margin_title", lang, edition=view.inputs.edition_id))
    top_right = _css_string(print_words("demo_label", lang) if view.inputs.demo_data else "")
    page, of = _css_string(print_words("page", lang) + " "), _css_string(
        " " + print_words("of", lang) + " ")
    return Markup(
        f"@page {{ @top-left {{ content: {top_left}; font-size: 8pt; color: #444; }} "
        f"@top-right {{ content: {top_right}; font-size: 8pt; font-weight: bold; }} "
        f"@bottom-right {{ content: {page} counter(page) {of} counter(pages); "
        "font-size: 8pt; } }")


def _indicator_section(view: EditionView, indicator: dict, lang: str) -> dict:
    indicator_id = indicator["indicator_id"]
    chart, shown, others, _ = indicator_chart(view, indicator_id, lang)
    has_chart = bool(shown.height or chart.band)
    uses = view.inputs.indicator_sources.get(indicator_id) or []
    return {
        "id": f"ind-{slug(indicator_id)}", "name": _localized(indicator, "name", lang),
        "description": _localized(indicator, "description", lang),
        "unit": indicator.get("unit") or "",
        "href": f"indicator/{slug(indicator_id)}.html",
        "sentences": [sentence(view, indicator_id, r["region_id"], lang) for r in view.featured],
        "chart_id": f"chart-{slug(indicator_id)}",
        "figure_json": Markup(figure_json(print_figure(indicator_figure(chart, lang)),
                                          PRINT_CONFIG)) if has_chart else "",
        "chart_summary": _chart_summary(view, indicator, shown if shown.height else others,
                                        lang),
        "statuses": _target_statuses(view, indicator_id, lang),
        "featured": [_localized(r, "name", lang) for r in view.featured],
        "source": "; ".join(source_title(u, lang) for u in uses),
        "licence": "; ".join(sorted({source_licence(u, lang) for u in uses}))}
