"""Every word the report pages say, in Dutch (first) and English, and the plain-language
sentences built from a progress assessment.

Statuses are shown as text plus a symbol, never by colour alone; the colour is an extra cue
from the Okabe-Ito palette, which stays distinguishable with the common colour-vision
deficiencies.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.formatting import format_number, format_percent

LANGUAGES = ("nl", "en")
OTHER_LANGUAGE = {"nl": "en", "en": "nl"}


@dataclass(frozen=True)
class Status:
    """How one assessment status is shown: symbol, words per language, and a tone for CSS."""

    symbol: str
    nl: str
    en: str
    tone: str  # good | warn | bad | neutral


STATUSES: dict[str, Status] = {
    "achieved": Status("★", "doel bereikt", "target achieved", "good"),
    "on_track": Status("✔", "op koers", "on track", "good"),
    "acceleration_needed": Status("▲", "versnelling nodig", "acceleration needed", "warn"),
    "limited_progress": Status("◆", "beperkte vooruitgang", "limited progress", "bad"),
    "moving_away": Status("✖", "beweegt van het doel af", "moving away", "bad"),
    "met": Status("●", "norm gehaald", "met", "good"),
    "not_met": Status("○", "norm niet gehaald", "not met", "bad"),
    "cannot_assess": Status("?", "niet te beoordelen", "cannot assess", "neutral"),
    "not_measured": Status("–", "niet gemeten", "not measured", "neutral"),
    "context": Status("ℹ", "context, geen doel", "context, no target", "neutral"),
}
GOOD_STATUSES = frozenset(s for s, spec in STATUSES.items() if spec.tone == "good")
UNASSESSED_STATUSES = frozenset({"cannot_assess", "not_measured", "context"})

THEMES = {
    "climate": ("Klimaat en CO2", "Climate and CO2"),
    "air": ("Luchtkwaliteit", "Air quality"),
    "offshore_wind": ("Wind op zee", "Offshore wind"),
    "work": ("Werk", "Work"),
    "learning": ("Leren en opleiding", "Learning and training"),
}
THEME_ORDER = tuple(THEMES)

AGENDAS = {
    "green_industrial_zone": ("Groene industriële zone", "Green industrial zone"),
    "inclusion": ("Inclusie", "Inclusion"),
}

CHANGE_KINDS = {
    "new_period": ("Nieuwe perioden", "New periods"),
    "revision": ("Herzieningen", "Revisions"),
    "status_change": ("Statuswijzigingen", "Status changes"),
    "new_target": ("Nieuwe doelen", "New targets"),
    "removed": ("Verwijderd", "Removed"),
}

TEXT: dict[str, tuple[str, str]] = {
    "site_title": ("Transitiemonitor", "Transition monitor"),
    "skip": ("Naar de inhoud", "Skip to content"),
    "demo_banner": ("Demodata, geen officiële cijfers", "Demo data, not official figures"),
    "demo_detail": ("Deze editie is gebouwd uit de meegeleverde momentopname: een deel van de "
                    "waarden is gesynthetiseerd.",
                    "This edition was built from the bundled snapshot: some values are "
                    "synthesized."),
    "edition": ("Editie", "Edition"),
    "generated": ("Gemaakt op", "Generated on"),
    "nav_label": ("Hoofdmenu", "Main menu"),
    "overview": ("Overzicht", "Overview"),
    "compare": ("Regio's vergelijken", "Compare regions"),
    "data_quality": ("Datakwaliteit", "Data quality"),
    "changes": ("Wijzigingen", "Changes"),
    "archive": ("Archief", "Archive"),
    "switch_language": ("English", "Nederlands"),
    "switch_language_label": ("Deze pagina in het Engels", "This page in Dutch"),
    "indicator": ("Indicator", "Indicator"),
    "themes": ("Thema's", "Themes"),
    "status": ("Status", "Status"),
    "latest": ("Laatste waarde", "Latest value"),
    "trend": ("Verloop", "Trend"),
    "year": ("Jaar", "Year"),
    "region": ("Regio", "Region"),
    "regions": ("Regio's", "Regions"),
    "station": ("Meetstation", "Station"),
    "value": ("Waarde", "Value"),
    "unit": ("Eenheid", "Unit"),
    "target": ("Doel", "Target"),
    "targets": ("Doelen en normen", "Targets and limit values"),
    "no_targets": ("Voor deze indicator is geen doel vastgelegd.",
                   "No target is set for this indicator."),
    "definition": ("Definitie", "Definition"),
    "source": ("Bron", "Source"),
    "licence": ("Licentie", "Licence"),
    "retrieved": ("Opgehaald", "Retrieved"),
    "vintage": ("Versie van de gegevens", "Data vintage"),
    "validation": ("Validatie", "Validation"),
    "download_csv": ("Download de cijfers (CSV)", "Download the figures (CSV)"),
    "download_all": ("Alle indicatorwaarden downloaden", "Download all indicator values"),
    "chart": ("Grafiek", "Chart"),
    "table_alternative": ("Tabel met dezelfde cijfers", "Table with the same figures"),
    "per_station": ("Per meetstation", "Per station"),
    "progress": ("Voortgang per regio", "Progress per region"),
    "provisional": ("voorlopig cijfer", "provisional figure"),
    "provisional_legend": ("Voorlopig cijfer", "Provisional figure"),
    "low_coverage": ("lage datadekking", "low data coverage"),
    "low_coverage_legend": ("Lage datadekking", "Low data coverage"),
    "trajectory": ("Traject naar doel", "Path to target"),
    "marks": ("v = voorlopig cijfer; † = lage datadekking; – = geen waarde.",
              "p = provisional figure; † = low data coverage; – = no value."),
    "provisional_mark": ("v", "p"),
    "about": ("Over deze indicator", "About this indicator"),
    "description": ("Beschrijving", "Description"),
    "aggregation": ("Berekening", "Aggregation"),
    "direction": ("Richting", "Direction"),
    "higher_is_better": ("hoger is beter", "higher is better"),
    "lower_is_better": ("lager is beter", "lower is better"),
    "agenda": ("Agenda", "Agenda"),
    "baseline_year": ("basisjaar", "base year"),
    "base": ("Basis", "Base"),
    "ratio": ("Tempo t.o.v. nodig", "Pace vs required"),
    "assessment_caption": ("Beoordeling per doel, met de invoer om die na te rekenen",
                           "Assessment per target, with the inputs to recompute it"),
    "document": ("Document", "Document"),
    "by_year": ("in", "by"),
    "stations": ("Meetstations", "Stations"),
    "municipalities": ("Gemeenten", "Municipalities"),
    "no_stations": ("Geen meetstation in deze regio.", "No station in this region."),
    "benchmark": ("referentie", "benchmark"),
    "region_profile": ("Regioprofiel", "Region profile"),
    "show_regions": ("Toon regio's", "Show regions"),
    "compare_intro_featured": ("De uitgelichte regio's naast elkaar: laatste waarde en status "
                               "per indicator.",
                               "The featured regions side by side: latest value and status per "
                               "indicator."),
    "others_note": ("Deze pagina toont {featured} uitgelichte regio's; de andere {others} regio's "
                    "hebben elk een regiopagina en staan in de download met alle regio's.",
                    "This page shows {featured} featured regions; the other {others} regions "
                    "each have a region page and are in the download with every region."),
    "others_band": ("De grijze band in de grafiek is per jaar het middelste 80% van die andere "
                    "regio's (10e tot 90e percentiel).",
                    "The grey band in the chart is, per year, the middle 80% of those other "
                    "regions (10th to 90th percentile)."),
    "band_legend": ("Middelste 80% van de andere {others} regio's (10e–90e percentiel)",
                    "Middle 80% of the other {others} regions (10th–90th percentile)"),
    "band_low": ("10e percentiel van de andere regio's", "10th percentile of the other regions"),
    "band_high": ("90e percentiel van de andere regio's", "90th percentile of the other regions"),
    "download_all_regions": ("Alle regio's downloaden (CSV)", "Download every region (CSV)"),
    "assessments_csv": ("Beoordeling van elke regio, met alle invoer (CSV)",
                        "Assessment of every region, with all inputs (CSV)"),
    "stations_in_download": ("Meer meetstations dan een grafiek kan tonen: {regions}. Hun cijfers "
                             "per station staan in de download.",
                             "More stations than a chart can show: {regions}. Their figures per "
                             "station are in the download."),
    "no_target_row": ("Zonder doel", "Without a target"),
    "target_not_applicable": ("doel geldt niet voor deze regio",
                              "target does not apply to this region"),
    "compare_intro": ("Alle regio's naast elkaar: laatste waarde en status per indicator.",
                      "All regions side by side: latest value and status per indicator."),
    "sources": ("Bronnen", "Sources"),
    "last_fetched": ("Laatst opgehaald", "Last fetched"),
    "newest_period": ("Nieuwste periode", "Newest period"),
    "rows": ("Rijen", "Rows"),
    "freshness": ("Actualiteit", "Freshness"),
    "stale": ("✖ verouderd", "✖ stale"),
    "fresh": ("✔ actueel", "✔ up to date"),
    "table": ("Tabel", "Table"),
    "partitions": ("Partities", "Partitions"),
    "passed": ("✔ geslaagd", "✔ passed"),
    "failed": ("✖ mislukt", "✖ failed"),
    "last_validated": ("Laatst gevalideerd", "Last validated"),
    "failed_expectations": ("Mislukte controles", "Failed expectations"),
    "no_failures": ("Geen mislukte controles.", "No failed expectations."),
    "expectation": ("Controle", "Expectation"),
    "column": ("Kolom", "Column"),
    "unexpected_count": ("Afwijkend", "Unexpected"),
    "examples": ("Voorbeelden", "Examples"),
    "partition": ("Partitie", "Partition"),
    "more_rows": ("en nog {n} rijen in de download", "and {n} more rows in the download"),
    "no_changes": ("Geen wijzigingen ten opzichte van de vorige editie.",
                   "No changes since the previous edition."),
    "change_intro": ("Wat er veranderde sinds de vorige editie.",
                     "What changed since the previous edition."),
    "old": ("Was", "Was"),
    "new": ("Nu", "Now"),
    "explanation": ("Toelichting", "Explanation"),
    "archive_intro": ("Alle gepubliceerde edities, de nieuwste eerst.",
                      "Every published edition, newest first."),
    "demo": ("demodata", "demo data"),
    "official": ("officiële bronnen", "official sources"),
    "current_archive": ("Actuele lijst van alle edities", "Current list of all editions"),
    "pdf": ("PDF", "PDF"),
    "no_validation": ("Geen validatieresultaat voor de brontabellen.",
                      "No validation result for the source tables."),
    "validation_ok": ("✔ {n} partities geslaagd, laatst op {date}",
                      "✔ {n} partitions passed, last on {date}"),
    "validation_failed": ("✖ {failed} van {n} partities mislukt, laatst op {date}",
                          "✖ {failed} of {n} partitions failed, last on {date}"),
    "theme_summary": ("{good} van {assessed} beoordeelde indicatoren op koers of gehaald",
                      "{good} of {assessed} assessed indicators on track or met"),
    "theme_unassessed": ("{n} zonder beoordeling", "{n} not assessed"),
    "theme_none": ("Geen indicator met een doel in dit thema.",
                   "No indicator with a target in this theme."),
    "focus_region": ("Cijfers voor {region}; de andere regio's staan op de regio- en "
                     "vergelijkingspagina's.",
                     "Figures for {region}; the other regions are on the region and comparison "
                     "pages."),
    "national_figure": ("Landelijk cijfer ({region}): alleen voor heel Nederland gemeten",
                        "National figure ({region}): measured for the whole country only"),
    "sparkline_label": ("Verloop {first}–{last}: van {start} naar {end}",
                        "Trend {first}–{last}: from {start} to {end}"),
    "chart_summary": ("{name} per regio, {first}–{last}, in {unit}. De tabel hieronder geeft "
                      "dezelfde cijfers.",
                      "{name} per region, {first}–{last}, in {unit}. The table below gives the "
                      "same figures."),
    "no_data": ("Nog geen cijfers.", "No figures yet."),
    "footer": ("Cijfers per editie gearchiveerd; bronnen en licenties per indicator.",
               "Figures archived per edition; sources and licences per indicator."),
}


def text(key: str, lang: str, **fields) -> str:
    """One interface string in `lang`, with `{field}` placeholders filled."""
    nl, en = TEXT[key]
    template = nl if lang == "nl" else en
    return template.format(**fields) if fields else template


def pick(pair: tuple[str, str], lang: str) -> str:
    """The Dutch or English half of a (nl, en) pair."""
    return pair[0] if lang == "nl" else pair[1]


def status_label(status: str | None, lang: str) -> str:
    """"✔ op koers" / "✔ on track": symbol and words together, so colour is never needed."""
    spec = STATUSES.get(status or "not_measured", STATUSES["cannot_assess"])
    return f"{spec.symbol} {spec.nl if lang == 'nl' else spec.en}"


def status_words(status: str | None, lang: str) -> str:
    spec = STATUSES.get(status or "not_measured", STATUSES["cannot_assess"])
    return spec.nl if lang == "nl" else spec.en


def status_tone(status: str | None) -> str:
    return STATUSES.get(status or "not_measured", STATUSES["cannot_assess"]).tone


# -- plain-language sentences ---------------------------------------------------------------

_MOVES = {"nl": ("gedaald van", "gestegen van", "gelijk aan"),
          "en": ("down from", "up from", "the same as")}
_RELATIVE = {"nl": ("onder", "boven", "op"), "en": ("below", "above", "at")}


@dataclass(frozen=True)
class Observation:
    """The newest figure of one series and the one before it, as shown on the page."""

    region: str
    unit: str
    decimals: int
    latest_year: int | None
    latest_value: float | None
    previous_year: int | None = None
    previous_value: float | None = None


def progress_sentence(obs: Observation, assessment: dict | None, target_label: str,
                      lang: str) -> str:
    """What changed in one region and whether it is on track, in one sentence.

    e.g. "IJmond: 24 µg/m³ in 2024, down from 26 in 2023; above the WHO guideline of 15
    (not met)." Built from the assessment; words only, no judgement beyond its status."""
    status = (assessment or {}).get("status") or ("not_measured" if obs.latest_value is None
                                                   else "context")
    if obs.latest_value is None:
        return f"{obs.region}: {status_words('not_measured', lang)}."
    parts = [_latest_clause(obs, lang)]
    if status in ("met", "not_met"):
        parts.append(_threshold_clause(obs, assessment, target_label, lang))
    elif status in ("achieved", "on_track", "acceleration_needed", "limited_progress",
                    "moving_away"):
        parts.append(_trajectory_clause(obs, assessment, target_label, lang))
    elif status == "cannot_assess":
        parts.append(_cannot_assess_clause(assessment, lang))
    else:
        parts.append(f"({status_words(status, lang)})")
    return f"{obs.region}: " + "; ".join(p for p in parts if p) + "."


def _fmt(value: float | None, obs: Observation, lang: str) -> str:
    return format_number(value, lang, obs.decimals)


def _latest_clause(obs: Observation, lang: str) -> str:
    unit = f" {obs.unit}" if obs.unit else ""
    clause = f"{_fmt(obs.latest_value, obs, lang)}{unit} in {obs.latest_year}"
    if obs.previous_value is None:
        return clause
    latest = round(obs.latest_value, obs.decimals)
    previous = round(obs.previous_value, obs.decimals)
    down, up, same = _MOVES[lang]
    move = down if latest < previous else up if latest > previous else same
    return f"{clause}, {move} {_fmt(obs.previous_value, obs, lang)} in {obs.previous_year}"


def _threshold_clause(obs: Observation, assessment: dict, label: str, lang: str) -> str:
    limit = assessment.get("target_value")
    if limit is None:
        return f"({status_words(assessment['status'], lang)})"
    below, above, at = _RELATIVE[lang]
    latest = round(obs.latest_value, obs.decimals)
    where = below if latest < limit else above if latest > limit else at
    article = "de" if lang == "nl" else "the"
    of = "van" if lang == "nl" else "of"
    return (f"{where} {article} {label} {of} {_fmt(limit, obs, lang)} "
            f"({status_words(assessment['status'], lang)})")


def _trajectory_clause(obs: Observation, assessment: dict, label: str, lang: str) -> str:
    status = assessment["status"]
    goal = assessment.get("target_value")
    year = assessment.get("target_year")
    if lang == "nl":
        aim = f"doel {_fmt(goal, obs, lang)} in {year} ({label})"
    else:
        aim = f"target {_fmt(goal, obs, lang)} by {year} ({label})"
    ratio = assessment.get("ratio")
    pace = ""
    if ratio is not None and status not in ("achieved", "moving_away"):
        pace = (f", tempo {format_percent(ratio, lang)} van het benodigde" if lang == "nl"
                else f", pace {format_percent(ratio, lang)} of the required")
    return f"{aim}: {status_words(status, lang)}{pace}"


def _cannot_assess_clause(assessment: dict | None, lang: str) -> str:
    reason = (assessment or {}).get("reason")
    words = status_words("cannot_assess", lang)
    return f"{words} ({reason})" if reason else words
