"""Every word the report pages say, in Dutch (first) and English (`reports/locales/nl.yaml`,
`en.yaml`), and the plain-language sentences built from a progress assessment.

Statuses are shown as text plus a symbol, never by colour alone; the colour is an extra cue
from the Okabe-Ito palette, which stays distinguishable with the common colour-vision
deficiencies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.config import safe_yaml
from indicators.catalogue import THEMES as CATALOGUE_THEMES
from indicators.progress import parse_reason
from reports.formatting import MONTHS_EN, MONTHS_NL, format_number, format_percent

LANGUAGES = ("nl", "en")
OTHER_LANGUAGE = {"nl": "en", "en": "nl"}


LOCALES_DIR = Path(__file__).parent / "locales"


def _load_locale(lang: str) -> dict[str, dict[str, str]]:
    return safe_yaml((LOCALES_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))


# The words per language: `reports/locales/<lang>.yaml`, one file per language.
LOCALES: dict[str, dict[str, dict[str, str]]] = {lang: _load_locale(lang) for lang in LANGUAGES}


def _pairs(section: str) -> dict[str, tuple[str, str]]:
    """(nl, en) pairs of one section, in the Dutch file's order."""
    nl, en = LOCALES["nl"][section], LOCALES["en"][section]
    return {key: (nl[key], en[key]) for key in nl}


@dataclass(frozen=True)
class Status:
    """How one assessment status is shown: symbol, words per language, and a tone for CSS."""

    symbol: str
    nl: str
    en: str
    tone: str  # good | warn | bad | neutral


# Symbol and tone per status (the words come from the locale files).
_STATUS_LOOK = {
    "achieved": ("★", "good"), "on_track": ("✔", "good"),
    "acceleration_needed": ("▲", "warn"), "limited_progress": ("◆", "bad"),
    "moving_away": ("✖", "bad"), "met": ("●", "good"), "not_met": ("○", "bad"),
    "improving": ("↗", "good"), "little_change": ("→", "neutral"), "worsening": ("↘", "bad"),
    "cannot_assess": ("?", "neutral"), "not_measured": ("–", "neutral"),
    "context": ("ℹ", "neutral"),
}
STATUSES: dict[str, Status] = {
    status: Status(symbol, *_pairs("statuses")[status], tone)
    for status, (symbol, tone) in _STATUS_LOOK.items()}
GOOD_STATUSES = frozenset(s for s, spec in STATUSES.items() if spec.tone == "good")
UNASSESSED_STATUSES = frozenset({"cannot_assess", "not_measured", "context"})
DIRECTION_STATUSES = frozenset({"improving", "little_change", "worsening"})

THEMES = _pairs("themes")
THEME_ORDER = tuple(CATALOGUE_THEMES)  # the catalogue's order
AGENDAS = _pairs("agendas")
CHANGE_KINDS = _pairs("change_kinds")
TEXT: dict[str, tuple[str, str]] = _pairs("text")
SOURCE_TITLES = _pairs("source_titles")
SOURCE_LICENCES = _pairs("source_licences")
SOURCE_PERIOD_NOTES = _pairs("source_period_notes")
AGGREGATIONS = _pairs("aggregations")
REASONS = _pairs("reasons")
TRENDS = _pairs("trends")
TABLES = _pairs("tables")


def month_name(month: int, lang: str) -> str:
    return (MONTHS_NL if lang == "nl" else MONTHS_EN)[month - 1]


def words(section: dict[str, tuple[str, str]], key: str | None, lang: str,
          default: str = "") -> str:
    """The words for `key` in one locale section, or `default` where it has none."""
    pair = section.get(key or "")
    return pick(pair, lang) if pair else default


def table_words(table: str, lang: str) -> str:
    """A clean table in words ("Uitstoot"); the table name only where no words exist."""
    return words(TABLES, table, lang, table)


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
        parts.append(_cannot_assess_clause(assessment, lang, lambda v: _fmt(v, obs, lang)))
    elif status in DIRECTION_STATUSES and (assessment or {}).get("base_year"):
        # The status is the direction since the base year, not the last step: without the
        # year, "up from 9.7 in 2023 (improving)" reads as a contradiction.
        since = "sinds" if lang == "nl" else "since"
        parts.append(f"({status_words(status, lang)} {since} {assessment['base_year']})")
    else:
        parts.append(f"({status_words(status, lang)})")
    # a bare status in brackets belongs to the clause before it: "..., in 2022 (improving)."
    text_ = parts[0]
    for part in filter(None, parts[1:]):
        text_ += f" {part}" if part.startswith("(") else f"; {part}"
    return f"{obs.region}: {text_}."


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


def _cannot_assess_clause(assessment: dict | None, lang: str,
                          number: Callable[[float | None], str] | None = None) -> str:
    why = reason_text(assessment, number or (lambda v: format_number(v, lang, 1)), lang)
    label = status_words("cannot_assess", lang)
    return f"{label} ({why.rstrip('.')})" if why else label


def reason_text(assessment: dict | None, number: Callable[[float | None], str], lang: str,
                unit: str = "") -> str:
    """Why an assessment has its status, in `lang`, from its stored code and numbers.

    `number` formats a figure of the indicator as its page shows it; growth rates read as a
    percentage a year (compound) or as units a year (linear); a reason stored before reasons
    were codes (an English sentence) is not shown."""
    stored = parse_reason((assessment or {}).get("reason"))
    if stored is None:
        return ""
    code, p = stored["code"], stored
    if code == "threshold":
        side = "lower" if p.get("direction") == "lower_is_better" else "higher"
        code = f"threshold_{'met' if p.get('met') else 'not_met'}_{side}"
    if code not in REASONS:
        return ""
    fields = {k: number(v) if k in _FIGURES and v is not None else v for k, v in p.items()}
    if stored["code"] == "pace":
        fields.update(ratio=format_percent(p.get("ratio"), lang),
                      observed=_rate(p.get("observed"), p.get("method"), number, unit, lang),
                      required=_rate(p.get("required"), p.get("method"), number, unit, lang))
    if stored["code"] == "direction":  # a relative rate either way (see direction_of_travel)
        fields.update(observed=_rate(p.get("observed"), "cagr", number, unit, lang),
                      threshold=f"{format_number((p.get('threshold') or 0) * 100, lang, 1)}%")
    sentence = pick(REASONS[code], lang).format(**fields)
    if stored["code"] == "threshold":
        trend_key = (assessment or {}).get("trend") or "none"
        sentence += f" {text('trend', lang)}: {words(TRENDS, trend_key, lang, trend_key)}."
    return sentence


_FIGURES = ("latest", "limit", "target", "base")  # reason parameters in the indicator's unit


def _rate(rate: float | None, method: str | None, number, unit: str, lang: str) -> str:
    if rate is None:
        return format_number(None, lang)
    if method == "linear":
        sign = "+" if rate > 0 else ""
        return f"{sign}{number(rate)} {unit}".rstrip()
    sign = "+" if rate > 0 else ""
    return f"{sign}{format_number(rate * 100, lang, 1)}%"
