"""Every word the report pages say, in Dutch (first) and English (`reports/locales/nl.yaml`,
`en.yaml`), and the plain-language sentences built from a progress assessment.

Statuses are shown as text plus a symbol, never by colour alone; the colour is an extra cue
from the Okabe-Ito palette, which stays distinguishable with the common colour-vision
deficiencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from indicators.catalogue import THEMES as CATALOGUE_THEMES
from reports.formatting import format_number, format_percent

LANGUAGES = ("nl", "en")
OTHER_LANGUAGE = {"nl": "en", "en": "nl"}


LOCALES_DIR = Path(__file__).parent / "locales"


def _load_locale(lang: str) -> dict[str, dict[str, str]]:
    return yaml.safe_load((LOCALES_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))


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

THEMES = _pairs("themes")
THEME_ORDER = tuple(CATALOGUE_THEMES)  # the catalogue's order
AGENDAS = _pairs("agendas")
CHANGE_KINDS = _pairs("change_kinds")
TEXT: dict[str, tuple[str, str]] = _pairs("text")


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
