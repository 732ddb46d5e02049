"""Page builders: the view in, one HTML page out (Jinja templates, autoescaped; source text
is never marked safe)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import polars as pl
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from indicators.areas import holding_area, load_areas
from indicators.compute import LOW_COVERAGE_NOTE, read_planned_note
from indicators.progress import (
    DIRECTION_KIND,
    DIRECTION_STATUSES,
    DIRECTION_THRESHOLD,
    ON_TRACK_RATIO,
    TREND_POINTS,
    required_path,
)
from reports import health, history, i18n, plotly_bundle
from reports.contract import SourceUse
from reports.figures import (
    Band,
    ChartInput,
    PartsInput,
    Trajectory,
    figure_json,
    indicator_figure,
    parts_figure,
    region_styles,
    sparkline_svg,
)
from reports.formatting import (
    format_date,
    format_datetime,
    format_number,
    format_percent,
)
from reports.i18n import (
    AGGREGATIONS,
    LOCALES,
    OTHER_LANGUAGE,
    SOURCE_LICENCES,
    SOURCE_PERIOD_NOTES,
    SOURCE_TITLES,
    month_name,
    pick,
    reason_text,
    status_label,
    status_tone,
    status_words,
    table_words,
    text,
    words,
)
from reports.view import (
    EditionView,
    _localized,
    _series,
    headline,
    observation,
    sentence,
    slug,
    unit_of,
)

PACKAGE_DIR = Path(__file__).parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
PLOTLY_JS = plotly_bundle.ASSET
MAX_LISTED_ROWS = 200  # longer lists (failures, changes) are cut on the page, whole in data/


def safe_url(url: str | None) -> str:
    """Only http(s) links to documents and sources; anything else (javascript:, data:) is
    dropped, and the template then shows the text without a link."""
    url = (url or "").strip()
    return url if re.match(r"^https?://[^\s<>\"']+$", url, re.IGNORECASE) else ""


ENV = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
ENV.filters["safe_url"] = safe_url

NAV = (("overview", "index.html"), ("compare", "compare.html"),
       ("data_quality", "data-quality.html"), ("changes", "changes.html"),
       ("archive", "archive.html"))


def _page_context(view: EditionView, lang: str, page_path: str, title: str) -> dict:
    """What the shared layout needs: language, relative prefixes, navigation, banner."""
    to_lang = "../" * page_path.count("/")
    to_edition = to_lang + "../"
    other = OTHER_LANGUAGE[lang]
    return {
        "lang": lang, "other_lang": other, "title": title, "to_lang": to_lang,
        "to_edition": to_edition, "to_site": to_edition + "../../",
        "css_href": f"{to_edition}assets/style.css",
        "switch_href": f"{to_edition}{other}/{page_path}",
        "nav": [(text(key, lang), f"{to_lang}{href}", href == page_path) for key, href in NAV],
        "demo": view.inputs.demo_data, "edition_id": view.inputs.edition_id,
        "snapshot_gaps": _snapshot_gaps(view, lang),
        "generated": format_datetime(view.inputs.generated_at, lang),
        "t": partial(text, lang=lang), "scripts": [],
        "health_banner": _health_banner(view, lang),
        "health_href": f"{to_lang}data-quality.html",
    }


def _problems(view: EditionView, lang: str) -> list[health.Problem]:
    key = ("problems", lang)
    if key not in view.memo:
        view.memo[key] = health.problems(view.inputs, lang)
    return view.memo[key]


def _health_banner(view: EditionView, lang: str) -> dict | None:
    """The banner on every page when a source could not be refreshed (or was rejected)."""
    found = _problems(view, lang)
    if not found:
        return None
    return {"label": health.words("banner_label", lang),
            "lines": [p.banner for p in found], "more": health.words("banner_more", lang)}


def _snapshot_gaps(view: EditionView, lang: str) -> str:
    """"Region (member, member), ...": what the demo snapshot has no figures for."""
    gaps = view.inputs.not_in_snapshot
    return "; ".join(f"{_localized(view.region(region_id), 'name', lang)} ({', '.join(names)})"
                     for region_id, names in gaps.items())


def _render(template: str, context: dict) -> str:
    return ENV.get_template(template).render(**context)


def _fmt_value(view: EditionView, indicator_id: str, value: float | None, lang: str) -> str:
    return format_number(value, lang, view.decimals.get(indicator_id, 1))


def _latest_text(view: EditionView, indicator_id: str, region_id: str, lang: str) -> str:
    obs = observation(view, indicator_id, region_id, lang)
    if obs.latest_value is None:
        return format_number(None, lang)
    unit = f" {obs.unit}" if obs.unit else ""
    return f"{format_number(obs.latest_value, lang, obs.decimals)}{unit} ({obs.latest_year})"


def _status_cell(view: EditionView, indicator_id: str, region_id: str, lang: str) -> dict:
    assessment = headline(view, indicator_id, region_id)
    return {"label": status_label(assessment["status"], lang),
            "tone": status_tone(assessment["status"]),
            "target": view.target_label(assessment.get("target_id"), lang)}


# -- overview -------------------------------------------------------------------------------


def render_overview(view: EditionView, lang: str) -> str:
    """Every indicator grouped by theme, for the focus region: status, latest value,
    sparkline, and a one-line count per theme."""
    context = _page_context(view, lang, "index.html", text("overview", lang))
    focus = view.focus_region
    context.update(
        themes=[_theme_section(view, theme, lang) for theme in _themes(view)],
        agenda=_agenda_section(view, focus, lang, partial(_overview_row, view)) if focus else None,
        focus_note=text("focus_region", lang, region=view.region_name(focus, lang))
        if focus else "",
        regions=[_region_link(view, r, lang) for r in view.regions],
        pdf_links=_pdf_links(view, lang, context["to_edition"]))
    return _render("overview.html", context)


def _pdf_links(view: EditionView, lang: str, to_edition: str) -> list[dict]:
    """The printed editions that exist, this page's language first."""
    pdfs = view.memo.get("pdfs") or {}
    words = LOCALES[lang]["print"]
    return [{"href": f"{to_edition}{pdfs[code]}", "hreflang": code,
             "label": words["pdf_link"] if code == lang else words["pdf_other"]}
            for code in (lang, OTHER_LANGUAGE[lang]) if code in pdfs]


def _themes(view: EditionView) -> list[str]:
    present = {i["theme"] for i in view.indicators}
    return [t for t in i18n.THEME_ORDER if t in present] + sorted(present - set(i18n.THEMES))


def _theme_section(view: EditionView, theme: str, lang: str) -> dict:
    rows = [_overview_row(view, i, lang) for i in view.indicators if i["theme"] == theme]
    return {"id": slug(theme), "name": pick(i18n.THEMES.get(theme, (theme, theme)), lang),
            "summary": _theme_summary([r["status"] for r in rows], lang), "rows": rows}


def _theme_summary(statuses: list[str], lang: str) -> str:
    """"3 of 5 assessed indicators on track or met (2 not assessed)"."""
    assessed = [s for s in statuses if s not in i18n.UNASSESSED_STATUSES]
    if not assessed:
        return text("theme_none", lang)
    line = text("theme_summary", lang, good=sum(s in i18n.GOOD_STATUSES for s in assessed),
                assessed=len(assessed))
    unassessed = len(statuses) - len(assessed)
    return f"{line} ({text('theme_unassessed', lang, n=unassessed)})" if unassessed else line


def _overview_row(view: EditionView, indicator: dict, lang: str,
                  region: str | None = None) -> dict:
    indicator_id, region = indicator["indicator_id"], region or view.focus_region
    scope_note = ""
    # An indicator with figures for the country alone (offshore wind) would read "not
    # measured" for every region; the overview shows the national figure instead, says so.
    country = next((r["region_id"] for r in view.regions if r["kind"] == "country"), None)
    if region and country not in (None, region) \
            and _only_measured_for(view, indicator_id, country, lang):
        region = country
        scope_note = text("national_figure", lang, region=view.region_name(country, lang))
    series = _series(view, indicator_id, region) if region else _series(view, indicator_id, "")
    return {"href": f"indicator/{slug(indicator_id)}.html",
            "name": _localized(indicator, "name", lang),
            "status": headline(view, indicator_id, region)["status"] if region else "not_measured",
            "cell": _status_cell(view, indicator_id, region, lang) if region else {},
            "scope_note": scope_note,
            "latest": _latest_text(view, indicator_id, region, lang) if region else "",
            "sparkline": _sparkline(view, indicator_id, series, lang)}


def _only_measured_for(view: EditionView, indicator_id: str, region_id: str, lang: str) -> bool:
    def measured(rid: str) -> bool:
        return observation(view, indicator_id, rid, lang).latest_value is not None

    return measured(region_id) and not any(
        measured(r["region_id"]) for r in view.regions if r["region_id"] != region_id)


def _sparkline(view: EditionView, indicator_id: str, series: pl.DataFrame, lang: str) -> Markup:
    years, shown = series["year"].to_list(), series["shown"].to_list()
    known = [(y, v) for y, v in zip(years, shown, strict=True) if v is not None]
    label = text("no_data", lang) if not known else text(
        "sparkline_label", lang, first=known[0][0], last=known[-1][0],
        start=_fmt_value(view, indicator_id, known[0][1], lang),
        end=_fmt_value(view, indicator_id, known[-1][1], lang))
    return sparkline_svg(years, shown, label)


def _agenda_section(view: EditionView, region_id: str, lang: str, row) -> dict | None:
    """The region's own agenda, in its words: theme -> goal -> the indicators that measure
    it (`row(indicator, lang, region_id)` builds each, as the page's own tables do), each
    goal with the document it comes from, and what open data does not measure said so."""
    agenda = view.inputs.agendas.get(region_id)
    if agenda is None:
        return None
    documents = {d.id: d for d in agenda.documents}
    themes = []
    for theme in agenda.themes:
        goals = []
        for goal in theme.goals:
            rows = [row(view.indicator(i), lang, region_id) for i in goal.indicators
                    if i in view.indicators_by_id]
            goals.append({
                "id": slug(f"{theme.id}-{goal.id}"), "name": getattr(goal.name, lang),
                "document": _document_words(documents[goal.document]), "rows": rows,
                "not_measured": getattr(goal.not_measured, lang) if goal.not_measured else ""})
        themes.append({"id": slug(theme.id), "name": getattr(theme.name, lang),
                       "goals": goals})
    return {"heading": text("agenda_heading", lang, region=view.region_name(region_id, lang)),
            "intro": text("agenda_intro", lang), "themes": themes}


def _document_words(document) -> str:
    """A document as a reader cites it: its own title, then who publishes it (and when)."""
    by = ", ".join(str(x) for x in (document.publisher, document.year) if x)
    return f"{document.title} ({by})"


def _region_link(view: EditionView, region: dict, lang: str) -> dict:
    return {"href": f"region/{slug(region['region_id'])}.html",
            "name": _localized(region, "name", lang), "benchmark": bool(region.get("benchmark"))}


# -- indicator page -------------------------------------------------------------------------


DOWNLOAD_COLUMNS = ("indicator_id", "region_id", "region_name_nl", "region_name_en",
                    "station_code", "year", "value", "unit", "is_provisional", "low_coverage")


def indicator_download(view: EditionView, indicator_id: str) -> pl.DataFrame:
    """Every region's figures (regions, then stations), as rounded on the page: the
    per-indicator CSV download. The page shows the featured regions' rows of it."""
    parts = [view.region_values.get(indicator_id), view.station_values.get(indicator_id)]
    frame = pl.concat([p for p in parts if p is not None and p.height], how="diagonal_relaxed") \
        if any(p is not None and p.height for p in parts) else None
    if frame is None:
        return pl.DataFrame(schema=dict.fromkeys(DOWNLOAD_COLUMNS, pl.String))
    names = pl.DataFrame({"region_id": [r["region_id"] for r in view.regions],
                          "region_name_nl": [_localized(r, "name", "nl") for r in view.regions],
                          "region_name_en": [_localized(r, "name", "en") for r in view.regions]},
                         schema={"region_id": pl.String, "region_name_nl": pl.String,
                                 "region_name_en": pl.String})
    order = {r["region_id"]: i for i, r in enumerate(view.regions)}
    return (frame.join(names, on="region_id", how="left")
            .with_columns(value=pl.col("shown"),
                          _order=pl.col("region_id").replace_strict(order, default=len(order),
                                                                    return_dtype=pl.Int64))
            .sort(["_order", "station_code", "year"], nulls_last=False)
            .select(DOWNLOAD_COLUMNS))


def render_indicator(view: EditionView, indicator_id: str, lang: str) -> str:
    """One indicator: chart with targets, sentences per featured region, the same figures
    as a table, each target's status per featured region with its inputs, definition, source,
    licence, vintage, validation, CSV download (every region, featured or not)."""
    indicator = view.indicator(indicator_id)
    page = f"indicator/{slug(indicator_id)}.html"
    context = _page_context(view, lang, page, _localized(indicator, "name", lang))
    chart, shown, others, many_stations = indicator_chart(view, indicator_id, lang)
    csv_href = f"{context['to_edition']}data/{slug(indicator_id)}.csv"
    context.update(
        indicator=_indicator_facts(view, indicator, lang), chart_id=f"chart-{slug(indicator_id)}",
        figure_json=Markup(figure_json(indicator_figure(chart, lang)))
        if shown.height or chart.band else "",
        chart_summary=_chart_summary(view, indicator, shown if shown.height else others, lang),
        others_note=_others_note(view, lang, band=chart.band is not None),
        value_notes=_value_notes(view, indicator_id, lang),
        stations_note=text("stations_in_download", lang, regions=", ".join(
            f"{view.region_name(r, lang)} ({n})" for r, n in many_stations.items()))
        if many_stations else "",
        sentences=[sentence(view, indicator_id, r["region_id"], lang) for r in view.featured],
        region_table=_wide_table(shown.filter(pl.col("station_code").is_null()),
                                 "region_id", view, indicator_id, lang),
        station_table=_wide_table(shown.filter(pl.col("station_code").is_not_null()),
                                  "station_code", view, indicator_id, lang),
        target_statuses=_target_statuses(view, indicator_id, lang),
        parts=_parts(view, indicator_id, lang),
        featured=[_localized(r, "name", lang) for r in view.featured],
        targets=[_target_row(view, t, indicator_id, lang)
                 for t in view.targets.get(indicator_id, [])],
        csv_href=csv_href,
        assessments_href=f"{context['to_edition']}data/progress_assessments.csv",
        scripts=[f"{context['to_site']}{PLOTLY_JS}", f"{context['to_edition']}assets/charts.js"])
    return _render("indicator.html", context)


def _value_notes(view: EditionView, indicator_id: str, lang: str) -> list[str]:
    """The notes the featured regions' values carry, said in the page's language under the
    table: farms not yet operating (with their expected years called plans) and station means
    that left stations out. Other notes are not reader text (a COROP area's code: the page
    names the area in words) and are not shown."""
    values = view.inputs.values.filter(
        (pl.col("indicator_id") == indicator_id) & pl.col("station_code").is_null()
        & pl.col("note").is_not_null()).sort("year")
    lines = []
    for region in view.featured:
        rows = values.filter(pl.col("region_id") == region["region_id"])
        name = _localized(region, "name", lang)
        planned = [p for p in map(read_planned_note, rows["note"]) if p]
        if planned:
            mw, year, farms = planned[-1]
            lines.append(text("note_planned_farms", lang, region=name, farms=len(farms),
                              mw=format_number(mw, lang, 0), year=year))
        low = rows.filter(pl.col("note") == LOW_COVERAGE_NOTE)["year"].to_list()
        if low:
            lines.append(text("note_low_coverage", lang, region=name,
                              years=", ".join(str(y) for y in low)))
    return lines


def _parts(view: EditionView, indicator_id: str, lang: str) -> dict | None:
    """The parts of the featured regions' latest value (CO2 per sector) as a stacked bar
    chart and the same figures as a table (parts down, regions across, a total row); None
    for an indicator without a breakdown or without figures."""
    frame = view.inputs.breakdowns.filter((pl.col("indicator_id") == indicator_id)
                                          & pl.col("region_id").is_in(view.featured_ids))
    if frame.is_empty():
        return None
    latest = frame.group_by("region_id").agg(pl.col("year").max())
    frame = frame.join(latest, on=["region_id", "year"])
    years = dict(latest.iter_rows())
    regions = [r for r in view.featured if r["region_id"] in years]
    columns = [text("year_of", lang, name=_localized(r, "name", lang), year=years[r["region_id"]])
               for r in regions]
    cells = {(row["part"], row["region_id"]): row for row in frame.iter_rows(named=True)}
    parts = frame.select("part", "part_order", f"label_{lang}").unique("part").sort("part_order")
    rows, series = [], []
    for part, _, label in parts.iter_rows():
        label = label or text("by_part_other", lang)
        found = [cells.get((part, r["region_id"])) for r in regions]
        series.append((label, [f["value"] if f else None for f in found]))
        rows.append({"label": label, "total": False, "cells": [
            {"text": _fmt_value(view, indicator_id, f["value"] if f else None, lang),
             "provisional": bool(f and f["is_provisional"])} for f in found]})
    totals = [sum(values[i] for _, values in series if values[i] is not None)
              for i in range(len(regions))]
    rows.append({"label": text("by_part_total", lang), "total": True, "cells": [
        {"text": _fmt_value(view, indicator_id, t, lang), "provisional": False} for t in totals]})
    indicator = view.indicator(indicator_id)
    unit = unit_of(indicator, lang)
    chart = PartsInput(title=text("by_part", lang), unit=unit,
                       decimals=view.decimals.get(indicator_id, 1), columns=columns,
                       parts=series)
    return {"figure_json": Markup(figure_json(parts_figure(chart, lang))),
            "chart_id": f"parts-{slug(indicator_id)}", "columns": columns, "rows": rows,
            "caption": text("by_part_caption", lang, unit=unit),
            "summary": text("by_part_chart", lang, unit=unit)}


def indicator_chart(view: EditionView, indicator_id: str, lang: str):
    """What an indicator's chart shows: (chart input, the featured rows it draws, the other
    regions' rows, featured regions whose many stations are left to the download)."""
    download = indicator_download(view, indicator_id)
    featured = pl.col("region_id").is_in(view.featured_ids)
    many_stations = _regions_with_many_stations(download.filter(featured))
    shown = download.filter(featured & (pl.col("station_code").is_null()
                                        | ~pl.col("region_id").is_in(list(many_stations))))
    others = download.filter(pl.col("station_code").is_null() & ~featured)
    chart = _chart_input(view, indicator_id, shown, lang, band=_others_band(view, others, lang))
    return chart, shown, others, many_stations


MAX_STATIONS_SHOWN = 20  # per region: more lines than a legend or a table row can carry


def _regions_with_many_stations(featured_rows: pl.DataFrame) -> dict[str, int]:
    """Featured regions whose station series are left to the download, with how many
    stations they have: a country region can hold every station in the land."""
    counts = (featured_rows.filter(pl.col("station_code").is_not_null())
              .group_by("region_id", maintain_order=True)
              .agg(n=pl.col("station_code").n_unique())
              .filter(pl.col("n") > MAX_STATIONS_SHOWN))
    return dict(counts.iter_rows())


def _others_note(view: EditionView, lang: str, *, band: bool) -> str:
    """The sentence that says how many regions the page leaves out (empty when none)."""
    if not view.other_regions:
        return ""
    note = text("others_note", lang, featured=len(view.featured), others=view.other_regions)
    return f"{note} {text('others_band', lang)}" if band else note


BAND_QUANTILES = (0.1, 0.9)  # the middle 80%: one unusual region does not set the axis


def _others_band(view: EditionView, others: pl.DataFrame, lang: str) -> Band | None:
    """Per year, the 10th-90th percentile of the figures of the regions the page does not
    feature, so the featured lines are seen against the rest of the country."""
    known = others.filter(pl.col("value").is_not_null())
    if known.height == 0:
        return None
    low, high = BAND_QUANTILES
    per_year = known.group_by("year").agg(
        low=pl.col("value").quantile(low, "linear"),
        high=pl.col("value").quantile(high, "linear")).sort("year")
    return Band(label=text("band_legend", lang, others=view.other_regions),
                low_label=text("band_low", lang), high_label=text("band_high", lang),
                years=per_year["year"].to_list(), low=per_year["low"].to_list(),
                high=per_year["high"].to_list())


def _chart_input(view: EditionView, indicator_id: str, download: pl.DataFrame,
                 lang: str, band: Band | None = None) -> ChartInput:
    name_col = f"region_name_{lang}"
    regions = download.filter(pl.col("station_code").is_null()).select(
        series_id=pl.col("region_id"), label=pl.coalesce(name_col, "region_id"),
        year="year", value="value", is_provisional="is_provisional", low_coverage="low_coverage")
    stations = download.filter(pl.col("station_code").is_not_null()).with_columns(
        label=pl.struct("station_code", name_col).map_elements(
            lambda r: station_label(view, r["station_code"], r[name_col], lang),
            return_dtype=pl.String)).select(
        series_id=pl.col("station_code"), label="label",
        year="year", value="value", is_provisional="is_provisional", low_coverage="low_coverage")
    indicator = view.indicator(indicator_id)
    unit = unit_of(indicator, lang)
    right = _dwarfing_series(regions)
    if right:
        regions = regions.with_columns(label=pl.when(pl.col("series_id").is_in(list(right)))
                                       .then(pl.concat_str("label", pl.lit(
                                           f" ({text('right_axis', lang)})")))
                                       .otherwise("label"))
    return ChartInput(
        unit=unit, decimals=view.decimals.get(indicator_id, 1), series=regions,
        stations=stations, styles=region_styles(view.featured_ids),
        thresholds=_thresholds(view, indicator_id, lang),
        trajectories=_trajectories(view, indicator_id, lang), band=band,
        title=f"{_localized(indicator, 'name', lang)} ({unit})" if unit
        else _localized(indicator, "name", lang),
        credit=text("chart_credit", lang, sources="; ".join(
            source_title(u, lang) for u in view.inputs.indicator_sources.get(indicator_id, [])),
            site=text("site_title", lang), region=_site_region(view, lang),
            edition=view.inputs.edition_id),
        right_axis=frozenset(right),
        right_axis_title=f"{unit} ({', '.join(view.region_name(r, lang) for r in right)})"
        if right else "")


DWARF_FACTOR = 10  # a series this many times larger than every other gets its own axis


def _dwarfing_series(regions: pl.DataFrame) -> set[str]:
    """The one region series that would flatten all others on a shared axis (the country's
    total beside its regions), if there is one and there are others to see."""
    if not regions.schema["value"].is_numeric():
        return set()  # an empty download (nothing computed yet)
    peaks = (regions.filter(pl.col("value").is_not_null())
             .group_by("series_id").agg(peak=pl.col("value").abs().max())
             .sort("peak", descending=True))
    if peaks.height < 2:
        return set()
    (top, top_peak), (_, next_peak) = peaks.row(0), peaks.row(1)
    return {top} if next_peak > 0 and top_peak >= DWARF_FACTOR * next_peak else set()


def station_label(view: EditionView, code: str, region_name: str | None, lang: str) -> str:
    """A station by its name and place ("Wijk aan Zee-De Banjaert, Beverwijk"); the code
    only where the station is not in the register (it is in the download either way)."""
    for region in view.regions:
        codes = list(region.get("stations") or [])
        if code in codes:
            name = (region.get("station_names") or codes)[codes.index(code)]
            if name and name != code:
                return text("station_label", lang, name=name, place=region_name or
                            _localized(region, "name", lang))
    return f"{code} ({region_name})" if region_name else code


def _site_region(view: EditionView, lang: str) -> str:
    return view.region_name(view.focus_region, lang) if view.focus_region else ""


def source_title(use: SourceUse, lang: str) -> str:
    return words(SOURCE_TITLES, use.source, lang, use.title)


def source_licence(use: SourceUse, lang: str) -> str:
    return words(SOURCE_LICENCES, use.source, lang, use.licence)


def _thresholds(view: EditionView, indicator_id: str, lang: str) -> list[tuple[str, float]]:
    return [(f"{_localized(t, 'label', lang)} ({_fmt_value(view, indicator_id, t['value'], lang)})",
             t["value"]) for t in view.targets.get(indicator_id, [])
            if t["kind"] == "threshold" and t["value"] is not None and t.get("assessed") is not False]


def _trajectories(view: EditionView, indicator_id: str, lang: str) -> list[Trajectory]:
    """Per featured region and assessed trajectory target: the path its status is measured
    against, year by year (compound growth, or a straight line where the assessment compared
    linear rates), and the edge of "on track"; labelled with the method and base year."""
    kinds = [t for t in view.targets.get(indicator_id, [])
             if t["kind"] == "trajectory" and t.get("assessed") is not False]
    out = []
    for region in view.featured:
        for a in view.assessments.get((indicator_id, region["region_id"]), []):
            path = trajectory_points(a)
            if path is None:
                continue
            points, edge, method = path
            label = f"{_localized(region, 'name', lang)}: " + text(
                f"trajectory_{method}", lang, base_year=a["base_year"])
            if len(kinds) > 1:
                label += f" ({view.target_label(a['target_id'], lang)})"
            out.append(Trajectory(region["region_id"], label, points,
                                  text("on_track_edge", lang), edge))
    return out


def trajectory_points(a: dict):
    """(path, on-track edge, method) of one trajectory assessment, or None without a base."""
    needed = (a.get("base_year"), a.get("base_value"), a.get("target_year"),
              a.get("target_value"))
    if a.get("target_kind") != "trajectory" or any(v is None for v in needed):
        return None
    base_year, base_value, target_year, target_value = needed
    method = a.get("rate_method") or None
    points = required_path(base_year, base_value, target_year, target_value, method)
    edge = required_path(base_year, base_value, target_year, target_value, method,
                         pace=ON_TRACK_RATIO)
    method = method or ("cagr" if min(base_value, target_value) > 0 else "linear")
    return points, edge, method


def _chart_summary(view: EditionView, indicator: dict, download: pl.DataFrame, lang: str) -> str:
    years = download["year"].drop_nulls()
    if years.len() == 0:
        return text("no_data", lang)
    return text("chart_summary", lang, name=_localized(indicator, "name", lang),
                first=years.min(), last=years.max(), unit=unit_of(indicator, lang))


def _wide_table(frame: pl.DataFrame, key: str, view: EditionView, indicator_id: str,
                lang: str) -> dict:
    """Years down, series across; each cell the shown figure plus its flags."""
    if frame.height == 0:
        return {"columns": [], "rows": []}
    name_col = f"region_name_{lang}"
    columns = frame.select(key, name_col).unique(key, maintain_order=True).rows()
    cells = {(r[key], r["year"]): r for r in frame.iter_rows(named=True)}
    years = sorted(frame["year"].unique().drop_nulls().to_list())
    header = [{"key": k, "label": (n or k) if key == "region_id"
               else station_label(view, k, n, lang),
               "code": k if key == "station_code" else ""} for k, n in columns]
    rows = [{"year": y, "cells": [_cell(cells.get((k, y)), view, indicator_id, lang)
                                  for k, _ in columns]} for y in years]
    return {"columns": header, "rows": rows}


def _cell(row: dict | None, view: EditionView, indicator_id: str, lang: str) -> dict:
    if row is None:
        return {"text": format_number(None, lang), "provisional": False, "low_coverage": False}
    return {"text": _fmt_value(view, indicator_id, row["value"], lang),
            "provisional": bool(row.get("is_provisional")),
            "low_coverage": bool(row.get("low_coverage"))}


def _target_statuses(view: EditionView, indicator_id: str, lang: str) -> list[dict]:
    """One row per target, a cell per featured region: its status with the inputs to
    recompute it. Assessments without a target (context indicators, or no target applies
    to the region) share one last row. Every region's assessments are in the CSV."""
    per_region = [view.assessments.get((indicator_id, r["region_id"]), [])
                  for r in view.featured]
    rows = []
    for target in (t for t in view.targets.get(indicator_id, []) if t.get("assessed") is not False):
        found = [next((a for a in found if a.get("target_id") == target["target_id"]), None)
                 for found in per_region]
        rows.append({"label": _localized(target, "label", lang),
                     "cells": [_assessment_cell(view, indicator_id, a, lang) for a in found]})
    untargeted = [next((a for a in found if a.get("target_id") is None), None)
                  for found in per_region]
    if any(untargeted):
        rows.append({"label": text("no_target_row", lang),
                     "cells": [_assessment_cell(view, indicator_id, a, lang)
                               for a in untargeted]})
    return rows


def _assessment_cell(view: EditionView, indicator_id: str, assessment: dict | None,
                     lang: str) -> dict:
    if assessment is None:
        return {"label": format_number(None, lang), "tone": "neutral",
                "inputs": text("target_not_applicable", lang), "reason": "", "since": ""}
    a = assessment
    parts = []
    for name in ("base", "latest", "target"):  # the same names as the assessment columns
        if a.get(f"{name}_value") is not None:
            value = _fmt_value(view, indicator_id, a[f"{name}_value"], lang)
            parts.append(f"{text(name, lang)}: {_year_value(a.get(f'{name}_year'), value)}")
    if a.get("ratio") is not None:
        parts.append(f"{text('ratio', lang)}: {format_percent(a['ratio'], lang)}")
    return {"label": status_label(a["status"], lang), "tone": status_tone(a["status"]),
            "inputs": "; ".join(parts),
            "reason": reason_text(a, lambda v: _fmt_value(view, indicator_id, v, lang), lang,
                                  unit_of(view.indicator(indicator_id), lang)),
            "since": history.since_text(_status_runs(view), indicator_id, a["region_id"],
                                        a.get("target_id"), a["status"], lang)}


def _status_runs(view: EditionView) -> dict:
    if "status_runs" not in view.memo:
        view.memo["status_runs"] = history.status_runs(view.inputs.status_history)
    return view.memo["status_runs"]


def _year_value(year, value_text: str) -> str:
    return f"{value_text} ({year})" if year is not None else value_text


def _target_row(view: EditionView, target: dict, indicator_id: str, lang: str) -> dict:
    """A target as its page lists it: the value (or the change from the base year used),
    the year, the document, what it covers and, for a target of another scope, why the
    series is not assessed against it."""
    base_year = target.get("baseline_from_year") or target.get("baseline_year")
    unit = unit_of(view.indicator(indicator_id), lang)
    if target.get("value") is not None:
        value = f"{_fmt_value(view, indicator_id, target['value'], lang)} {unit}".rstrip()
    elif target.get("value_change_pct") is not None:
        pct = target["value_change_pct"]
        value = text("target_change", lang, year=base_year,
                     pct=("+" if pct > 0 else "") + format_number(pct, lang, 0))
    else:
        value = ""
    return {"label": _localized(target, "label", lang), "kind": target.get("kind"),
            "value": value, "year": target.get("target_year"), "baseline_year": base_year,
            "document": target.get(f"document_{lang}") or target.get("document") or "",
            "url": target.get("url") or "",
            "scope": _localized(target, "scope", lang) if target.get(f"scope_{lang}") else "",
            "assessed": target.get("assessed") is not False,
            "scope_note": _localized(target, "scope_note", lang)
            if target.get(f"scope_note_{lang}") else ""}


def _indicator_facts(view: EditionView, indicator: dict, lang: str) -> dict:
    indicator_id = indicator["indicator_id"]
    uses = view.inputs.indicator_sources.get(indicator_id) or []
    fetched = [u.retrieved_at for u in uses if u.retrieved_at]
    name = _localized(indicator, "name", lang)
    return {
        "name": name,
        "description": _localized(indicator, "description", lang),
        "definition": _localized(indicator, "definition", lang),
        "unit": unit_of(indicator, lang),
        "aggregation": words(AGGREGATIONS, indicator.get("aggregation"), lang),
        "direction": text(indicator["direction"], lang)
        if indicator.get("direction") in ("higher_is_better", "lower_is_better") else "",
        "theme": pick(i18n.THEMES.get(indicator["theme"], (indicator["theme"],) * 2), lang),
        "agenda": pick(i18n.AGENDAS.get(indicator.get("agenda"), ("", "")), lang),
        "sources": [source_facts(u, view.inputs.generated_at, lang) for u in uses],
        "retrieved": format_datetime(max(fetched), lang) if fetched else "",
        "method": _method_words(view, indicator, lang),
        "areas": _areas_used(view, lang) if indicator.get("aggregation") == "holding_area"
        else _provinces_used(view, lang) if indicator.get("aggregation") == "nuts_region"
        else [],
        "validation": validation_status(view, indicator, lang),
        "citation": text("citation", lang, site=text("site_title", lang),
                         region=_site_region(view, lang), edition=view.inputs.edition_id,
                         table=name),
        # the edition's date until the page's script writes the reader's today
        "consulted": format_date(view.inputs.generated_at, lang),
        "generated_iso": view.inputs.generated_at.date().isoformat()}


def _areas_used(view: EditionView, lang: str) -> list[str]:
    """Per featured region, the area whose figure it shows (a COROP area holding all its
    municipalities, with their names), the national figure, or why it has none."""
    areas = load_areas()
    lines = []
    for region in view.featured:
        name = _localized(region, "name", lang)
        found = holding_area(region.get("municipalities") or [], areas)
        if region.get("kind") == "country":
            lines.append(text("country_area", lang, region=name))
        elif found is None:
            lines.append(text("no_area_of_region", lang, region=name))
        else:
            lines.append(text("area_of_region", lang, region=name, area=getattr(found.name, lang),
                              municipalities=", ".join(found.municipality_names)))
    return lines


def _provinces_used(view: EditionView, lang: str) -> list[str]:
    """Per featured region, the province whose figure it shows, the national figure, or why
    it has none (a region in two provinces)."""
    areas = load_areas()
    lines = []
    for region in view.featured:
        name, nuts = _localized(region, "name", lang), list(region.get("nuts") or [])
        if region.get("kind") == "country":
            lines.append(text("country_area", lang, region=name))
        elif len(nuts) == 1:
            lines.append(text("province_of_region", lang, region=name,
                              area=areas.nuts_name(nuts[0], lang) or nuts[0]))
        else:
            lines.append(text("no_province_of_region", lang, region=name))
    return lines


def source_facts(use: SourceUse, now: datetime, lang: str) -> dict:
    """One source as an indicator page credits it: title, licence, link, when it was fetched,
    how far its figures reach and when new ones are due, in words."""
    return {"title": source_title(use, lang),
            "licence": source_licence(use, lang),
            "url": use.url, "retrieved": format_datetime(use.retrieved_at, lang),
            "version": data_version(use, lang), "next": next_update(use, now, lang)}


def data_version(use: SourceUse, lang: str) -> str:
    """How far a source's figures reach, in words: a year, or a day for measurements."""
    period = use.newest_period or ""
    if use.cadence == "irregular" and use.retrieved_at:
        return text("data_as_of", lang, date=format_date(use.retrieved_at, lang))
    if len(period) == 4 and period.isdigit():
        return text("data_through_year", lang, period=period)
    if len(period) >= 10:
        return text("data_through_date", lang, date=format_date(period[:10], lang))
    if len(period) == 7:
        return text("data_through_year", lang,
                    period=f"{month_name(int(period[5:7]), lang)} {period[:4]}")
    return format_number(None, lang)


def next_update(use: SourceUse, now: datetime, lang: str) -> str:
    """When new figures are due: continuously, in the publisher's release month, or within
    the age the source declares acceptable (its freshness rule), marked when overdue."""
    if use.cadence == "continuous":
        return text("next_continuous", lang)
    if use.cadence == "irregular":
        return text("next_irregular", lang)
    year = int(use.newest_period[:4]) if (use.newest_period or "")[:4].isdigit() else None
    if year is None:
        return format_number(None, lang)
    if use.release_month:  # released in that month of the year after the period ends
        due, key = datetime(year + 2, use.release_month, 1, tzinfo=now.tzinfo), \
            "next_yearly_month"
    else:
        # the freshness rule: stale once the newest period ended longer ago than this
        due = datetime(year, 12, 31, tzinfo=now.tzinfo) + timedelta(days=use.max_data_age_days)
        key = "next_yearly_by"
    words_ = text(key, lang, period=year + 1, month=month_name(due.month, lang), year=due.year)
    return f"{words_} {text('next_overdue', lang)}" if due < now else words_


def _method_words(view: EditionView, indicator: dict, lang: str) -> str:
    """The methods this page's statuses come from: per assessed target kind, the direction
    of travel where a region has no target, or no judgement at all (context only)."""
    if indicator.get("context_only"):
        return text("method_context", lang)
    indicator_id = indicator["indicator_id"]
    kinds = {a.get("target_kind") for (i, _), rows in view.assessments.items()
             if i == indicator_id for a in rows}
    parts = [text(f"method_{kind}", lang) for kind in ("trajectory", "threshold") if kind in kinds]
    if DIRECTION_KIND in kinds or not parts:
        parts.append(text("method_direction", lang, points=TREND_POINTS,
                          pct=format_number(DIRECTION_THRESHOLD * 100, lang, 1),
                          **{s: status_words(s, lang) for s in DIRECTION_STATUSES}))
    return " ".join(parts)


def validation_status(view: EditionView, indicator: dict, lang: str) -> str:
    """The latest validation of the clean tables an indicator is computed from."""
    tables = indicator.get("validated_tables") or []
    runs = view.inputs.validation
    runs = runs.filter(pl.col("table_name").is_in(list(tables))) if runs.height else runs
    if runs.height == 0:
        return text("no_validation", lang)
    failed = runs.filter(~pl.col("success").fill_null(False)).height
    when = format_datetime(runs["validated_at"].max(), lang)
    names = ", ".join(table_words(t, lang) for t in sorted(set(runs["table_name"].to_list())))
    if failed:
        return text("validation_failed", lang, failed=failed, n=runs.height, date=when,
                    tables=names)
    return text("validation_ok", lang, date=when, tables=names)


# -- region page ----------------------------------------------------------------------------


def render_region(view: EditionView, region_id: str, lang: str) -> str:
    """One region's profile: every indicator's latest value and status, with the sentence."""
    region = view.region(region_id)
    context = _page_context(view, lang, f"region/{slug(region_id)}.html",
                            _localized(region, "name", lang))
    context.update(
        region={"name": _localized(region, "name", lang), "kind": region.get("kind") or "",
                "benchmark": bool(region.get("benchmark")),
                "municipalities": list(region.get("municipality_names") or []),
                "stations": list(region.get("station_names") or []),
                "not_in_snapshot": view.inputs.not_in_snapshot.get(region_id, [])},
        definition=region_definition(view, region_id, lang),
        themes=[{"name": pick(i18n.THEMES.get(theme, (theme, theme)), lang),
                 "rows": [_region_row(view, i, region_id, lang)
                          for i in view.indicators if i["theme"] == theme]}
                for theme in _themes(view)],
        agenda=_agenda_section(view, region_id, lang,
                               lambda i, lang, rid: _region_row(view, i, rid, lang)))
    return _render("region.html", context)


def region_definition(view: EditionView, region_id: str, lang: str) -> dict:
    """Which definition the region's figures use, in words: whose boundary it follows (its
    configured `definition`), the municipalities its figures are summed over, the larger
    area each figure published only for such areas comes from (and which other regions show
    that same figure), and how it overlaps other regions, so a reader comparing two
    definitions of one place sees why their figures differ and where they are the same."""
    region = view.region(region_id)
    names = _names_of(view)
    country = region.get("kind") == "country"
    members = list(region.get("municipalities") or [])
    lines = []
    if country:
        lines.append(text("definition_country", lang))
    elif len(members) == 1:
        lines.append(text("definition_one_municipality", lang,
                          municipality=_word_list(names(members), lang)))
    else:
        lines.append(text("definition_summed", lang,
                          municipalities=_word_list(names(members), lang)))
    if not country:
        lines += _larger_areas(view, region, names, lang)
    return {"text": _localized(region, "definition", lang) if region.get("definition_nl")
            else "", "lines": lines,
            "overlaps": [] if country else _overlaps(view, region, names, lang)}


def _names_of(view: EditionView):
    """A function from municipality codes to their names (regions.yaml names)."""
    known = {code: name for r in view.regions
             for code, name in zip(r.get("municipalities") or [], r.get("municipality_names")
                                   or [], strict=False)}
    return lambda codes: [known.get(c, c) for c in codes]


def _word_list(items: list[str], lang: str) -> str:
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {text('and', lang)} {items[-1]}"


def _indicator_names(view: EditionView, aggregation: str, lang: str) -> str:
    return _word_list([_localized(i, "name", lang) for i in view.indicators
                       if i.get("aggregation") == aggregation], lang)


def _larger_areas(view: EditionView, region: dict, names, lang: str) -> list[str]:
    """Per kind of figure published only for areas larger than a municipality (a COROP area,
    a province), the area this region's figure is of, or why it has none."""
    lines = []
    areas = load_areas()
    members = list(region.get("municipalities") or [])
    held = _indicator_names(view, "holding_area", lang)
    if held:
        area = holding_area(members, areas)
        if area is None:
            lines.append(text("definition_no_area", lang, indicators=held))
        else:
            extra = [n for c, n in zip(area.municipalities, area.municipality_names, strict=True)
                     if c not in members]
            line = text("definition_area", lang, indicators=held, area=getattr(area.name, lang),
                        municipalities=_word_list(list(area.municipality_names), lang))
            if extra:
                line += " " + text("definition_area_larger", lang,
                                   extra=_word_list(extra, lang))
            line += _same_figure(view, region, lang, lambda r: (
                r.get("kind") != "country"
                and holding_area(r.get("municipalities") or [], areas) == area))
            lines.append(line)
    provincial = _indicator_names(view, "nuts_region", lang)
    nuts = list(region.get("nuts") or [])
    if provincial and len(nuts) == 1:
        line = text("definition_province", lang, indicators=provincial,
                    area=areas.nuts_name(nuts[0], lang) or nuts[0])
        lines.append(line + _same_figure(view, region, lang, lambda r: (
            r.get("kind") != "country" and list(r.get("nuts") or []) == nuts)))
    elif provincial:
        lines.append(text("definition_no_province", lang, indicators=provincial))
    return lines


def _same_figure(view: EditionView, region: dict, lang: str, same) -> str:
    """" <other regions> show the same figure." for the other regions `same` holds for."""
    others = [_localized(r, "name", lang) for r in view.regions
              if r["region_id"] != region["region_id"] and same(r)]
    return " " + text("definition_same_figure", lang, regions=_word_list(others, lang)) \
        if others else ""


def _overlaps(view: EditionView, region: dict, names, lang: str) -> list[str]:
    """How the region's municipalities relate to every other region's that shares some."""
    mine = list(region.get("municipalities") or [])
    lines = []
    for other in view.regions:
        theirs = list(other.get("municipalities") or [])
        if other["region_id"] == region["region_id"] or not set(mine) & set(theirs) \
                or set(mine) == set(theirs) or other.get("kind") == "country":
            continue
        name = _localized(other, "name", lang)
        if set(theirs) < set(mine):
            key, codes = "overlap_part_of_this", [c for c in mine if c not in theirs]
        elif set(mine) < set(theirs):
            key, codes = "overlap_this_part_of", [c for c in theirs if c not in mine]
        else:
            key, codes = "overlap_shares", [c for c in mine if c in theirs]
        lines.append(text(key, lang, region=name, municipalities=_word_list(names(codes), lang)))
    return lines


def _region_row(view: EditionView, indicator: dict, region_id: str, lang: str) -> dict:
    indicator_id = indicator["indicator_id"]
    return {"href": f"../indicator/{slug(indicator_id)}.html",
            "name": _localized(indicator, "name", lang),
            "cell": _status_cell(view, indicator_id, region_id, lang),
            "latest": _latest_text(view, indicator_id, region_id, lang),
            "sentence": sentence(view, indicator_id, region_id, lang)}


# -- comparison page ------------------------------------------------------------------------


def render_compare(view: EditionView, lang: str) -> str:
    """The featured regions side by side for every indicator; the region picker (checkboxes)
    hides columns, and without script the page is simply the full table. Regions that are
    not featured are counted, with a link to the download that has all of them."""
    context = _page_context(view, lang, "compare.html", text("compare", lang))
    context.update(
        intro=text("compare_intro_featured" if view.other_regions else "compare_intro", lang),
        others_note=_others_note(view, lang, band=False),
        csv_href=f"{context['to_edition']}data/indicator_values.csv",
        regions=[{**_region_link(view, r, lang), "col": i} for i, r in enumerate(view.featured)],
        themes=[{"name": pick(i18n.THEMES.get(theme, (theme, theme)), lang),
                 "rows": [_compare_row(view, i, lang)
                          for i in view.indicators if i["theme"] == theme]}
                for theme in _themes(view)],
        scripts=[f"{context['to_edition']}assets/compare.js"])
    return _render("compare.html", context)


def _compare_row(view: EditionView, indicator: dict, lang: str) -> dict:
    indicator_id = indicator["indicator_id"]
    return {"href": f"indicator/{slug(indicator_id)}.html",
            "name": _localized(indicator, "name", lang),
            "cells": [{"col": i, "latest": _latest_text(view, indicator_id, r["region_id"], lang),
                       "has_value": observation(view, indicator_id, r["region_id"], lang)
                       .latest_value is not None,
                       **_status_cell(view, indicator_id, r["region_id"], lang)}
                      for i, r in enumerate(view.featured)]}


# -- data quality and changes ---------------------------------------------------------------


def render_data_quality(view: EditionView, lang: str) -> str:
    """Freshness per source, the latest validation per table, and every failed expectation
    with counts and (escaped) examples."""
    context = _page_context(view, lang, "data-quality.html", text("data_quality", lang))
    failures = view.inputs.validation_failures
    context.update(
        health=_health_section(view, lang, sources_below=True),
        sources=[_source_row(r, lang) for r in view.inputs.sources.to_dicts()],
        tables=_validation_summary(view.inputs.validation, lang),
        failures=[health.describe_failure(r, lang)
                  for r in failures.head(MAX_LISTED_ROWS).to_dicts()],
        more_failures=max(failures.height - MAX_LISTED_ROWS, 0),
        failures_href=f"{context['to_edition']}data/validation_failures.csv")
    return _render("data_quality.html", context)


def _health_section(view: EditionView, lang: str, *, sources_below: bool) -> dict:
    """Failed fetches, rejected deliveries and stale sources, one row each. `sources_below`:
    the page lists the sources after this section (the data-quality page does)."""
    rows = [{"kind": health.words(p.kind, lang), "subject": p.subject, "banner": p.banner,
             "detail": p.detail} for p in _problems(view, lang)]
    return {"rows": rows, "intro": health.words("intro", lang),
            "heading": health.words("heading", lang),
            # demo data is old by design: the sources table marks it stale, so say why
            "ok": health.words(("all_refreshed_demo" if sources_below
                                else "all_refreshed_demo_elsewhere")
                               if view.inputs.demo_data else "all_refreshed", lang),
            "problem": health.words("problem", lang), "subject": health.words("subject", lang),
            "detail": health.words("detail", lang), "rule": health.words("rule", lang),
            "rule_code": health.words("rule_code", lang)}


def _source_row(row: dict, lang: str) -> dict:
    name = row.get("source")
    return {"title": words(SOURCE_TITLES, name, lang, row.get("title") or name or ""),
            "source": name, "licence": words(SOURCE_LICENCES, name, lang, row.get("licence") or ""),
            "url": row.get("url") or "",
            "last_fetched": format_datetime(row.get("last_fetched_at"), lang),
            "newest_period": _newest_period(row, lang),
            "rows": format_number(row.get("rows"), lang, 0),
            "freshness": text("stale" if row.get("stale") else "fresh", lang),
            "stale": bool(row.get("stale"))}


def _newest_period(row: dict, lang: str) -> str:
    """The source's newest period, with what it means where it can be a plan (the wind-farm
    register's newest year is the expected year of a farm not yet built)."""
    period = row.get("newest_period")
    if not period:
        return format_number(None, lang)
    note = SOURCE_PERIOD_NOTES.get(row.get("source"))
    return f"{period} ({pick(note, lang)})" if note else str(period)


def _validation_summary(validation: pl.DataFrame, lang: str) -> list[dict]:
    """One line per table: partitions validated, how many failed, when last."""
    if validation.height == 0:
        return []
    summary = validation.group_by("table_name", maintain_order=True).agg(
        partitions=pl.len(), failed=(~pl.col("success").fill_null(False)).sum(),
        last=pl.col("validated_at").max(), rows=pl.col("row_count").sum(),
        failed_partitions=pl.col("partition_key").filter(~pl.col("success").fill_null(False)))
    return [{"table": table_words(r["table_name"], lang), "partitions": format_number(r["partitions"], lang, 0),
             "failed": r["failed"], "last": format_datetime(r["last"], lang),
             "rows": format_number(r["rows"], lang, 0),
             "failed_partitions": ", ".join(str(p) for p in r["failed_partitions"][:20])}
            for r in summary.sort("table_name").to_dicts()]


def render_changes(view: EditionView, lang: str) -> str:
    """What changed since the previous edition: new periods, revisions, status changes."""
    context = _page_context(view, lang, "changes.html", text("changes", lang))
    changes = view.inputs.changes
    groups = []
    for kind, names in i18n.CHANGE_KINDS.items():
        part = changes.filter(pl.col("change") == kind) if changes.height else changes
        if part.height:
            groups.append({"id": kind, "name": pick(names, lang), "count": part.height,
                           "rows": [_change_row(view, r, lang)
                                    for r in part.head(MAX_LISTED_ROWS).to_dicts()],
                           "more": max(part.height - MAX_LISTED_ROWS, 0)})
    previous = view.inputs.previous_edition
    context.update(groups=groups, changes_href=f"{context['to_edition']}data/changes.csv",
                   health=_health_section(view, lang, sources_below=False),
                   lead=text("change_intro", lang) if previous else text("first_edition", lang),
                   none_text=text("no_changes", lang, previous=previous) if previous else "")
    return _render("changes.html", context)


def _change_row(view: EditionView, row: dict, lang: str) -> dict:
    indicator_id = row["indicator_id"]
    known = indicator_id in view.indicators_by_id
    if row["change"] == "status_change":
        old, new = (status_label(row.get(k), lang) if row.get(k) else format_number(None, lang)
                    for k in ("old_status", "new_status"))
    else:
        old, new = (_fmt_value(view, indicator_id, row.get(k), lang)
                    for k in ("old_value", "new_value"))
    return {"indicator": _localized(view.indicator(indicator_id), "name", lang) if known
            else indicator_id, "href": f"indicator/{slug(indicator_id)}.html" if known else "",
            "region": view.region_name(row["region_id"], lang), "year": row.get("year"),
            "old": old, "new": new, "explanation": _change_words(view, row, old, new, lang)}


def _change_words(view: EditionView, row: dict, old: str, new: str, lang: str) -> str:
    """A change in words: "niet gemeten → norm gehaald", "nieuw doel 'WHO-advieswaarde': ..."."""
    if row["change"] == "new_target":
        target = view.target_label(row.get("target_id"), lang)
        return text("change_new_target", lang, target=target, new=new) if target \
            else text("change_status", lang, old=old, new=new)
    if row["change"] == "status_change":
        return text("change_status", lang, old=old, new=new)
    return text("change_value", lang, old=old, new=new)


# -- archive and redirects ------------------------------------------------------------------


def render_archive(view: EditionView, lang: str, editions: list[dict]) -> str:
    """Every edition known when this one was written, newest first (the live list is the
    site root's archive page)."""
    context = _page_context(view, lang, "archive.html", text("archive", lang))
    context.update(editions=_archive_rows(editions, lang, context["to_site"] + "editions/"),
                   live_archive=context["to_site"] + ("archive.html" if lang == "nl"
                                                       else "archive-en.html"))
    return _render("archive.html", context)


def render_site_archive(editions: list[dict], lang: str) -> str:
    """The site root's archive page (always current)."""
    latest = editions[0]["edition_id"] if editions else None
    base = f"editions/{latest}/" if latest else ""
    context = {
        "lang": lang, "other_lang": OTHER_LANGUAGE[lang], "title": text("archive", lang),
        "css_href": f"{base}assets/style.css",
        "switch_href": "archive-en.html" if lang == "nl" else "archive.html",
        "nav": ([(text(key, lang), f"{base}{lang}/{href}", False) for key, href in NAV[:-1]]
                if latest else []) + [(text("archive", lang), "#main", True)],
        "demo": False, "edition_id": "",
        "generated": "", "t": partial(text, lang=lang), "scripts": [],
        "editions": _archive_rows(editions, lang, "editions/"), "live_archive": ""}
    return _render("archive.html", context)


def _archive_rows(editions: list[dict], lang: str, prefix: str) -> list[dict]:
    return [{"id": e["edition_id"], "href": f"{prefix}{e['edition_id']}/{lang}/index.html",
             "generated": format_datetime(_parse_time(e.get("generated_at")), lang),
             "demo": bool(e.get("demo_data")),
             "pdf": f"{prefix}{e['edition_id']}/{_edition_pdf(e, lang)}"
             if _edition_pdf(e, lang) else ""}
            for e in editions]


def _edition_pdf(edition: dict, lang: str) -> str | None:
    """The edition's PDF in `lang` (older editions have a Dutch one only, as `pdf`)."""
    return (edition.get("pdfs") or {}).get(lang) or edition.get("pdf")


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def render_redirect(target: str, lang: str = "nl") -> str:
    """A page that forwards to `target` (relative), with a plain link for when it does not."""
    return _render("redirect.html", {"lang": lang, "target": target})


# -- the site writer ------------------------------------------------------------------------


