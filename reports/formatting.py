"""How numbers and dates read on a report page, per language.

Dutch pages use a decimal comma and a thousands dot (1.234,5) and Dutch month names; English
pages use a decimal point and a thousands comma (1,234.5). Every figure an edition shows, in a
table, a sentence or a CSV, is rounded by the same `decimals_for` rule, so the page, the
download and the chart agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime

MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
MISSING = "–"  # an en dash reads as "no value" in both languages; never a zero

# Plotly's `separators` layout attribute: decimal mark first, thousands mark second.
PLOTLY_SEPARATORS = {"nl": ",.", "en": ".,"}


def format_number(value: float | int | None, lang: str, decimals: int = 0) -> str:
    """A value as a reader of `lang` expects it; None and NaN become an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    text = f"{value:,.{decimals}f}"  # "1,234.5" - the English convention
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # -0.0 rounds to zero: show it without a sign
    if lang == "nl":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def parse_number(text: str, lang: str) -> float | None:
    """The inverse of `format_number` (for checking what a page shows against a download)."""
    text = text.strip()
    if text in ("", MISSING):
        return None
    if lang == "nl":
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    return float(text)


def _as_datetime(value: date | datetime | str | None) -> date | datetime | None:
    """Dates may arrive as ISO text from a JSON file or a string column."""
    if isinstance(value, str):
        return datetime.fromisoformat(value) if value.strip() else None
    return value


def format_date(dt: date | datetime | str | None, lang: str) -> str:
    """A calendar date in words: "23 november 2026" / "23 November 2026"."""
    dt = _as_datetime(dt)
    if dt is None:
        return MISSING
    if isinstance(dt, datetime) and dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    months = MONTHS_NL if lang == "nl" else MONTHS_EN
    return f"{dt.day} {months[dt.month - 1]} {dt.year}"


def format_datetime(dt: datetime | str | None, lang: str) -> str:
    """A moment in UTC, with the date in words: "23 november 2026, 08:05 UTC".

    A naive datetime is taken to be UTC already (the warehouse stores UTC)."""
    dt = _as_datetime(dt)
    if dt is None:
        return MISSING
    if not isinstance(dt, datetime):
        return format_date(dt, lang)
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return f"{format_date(dt, lang)}, {dt:%H:%M} UTC"


def format_percent(ratio: float | None, lang: str) -> str:
    """A ratio (0.7) as a whole percentage ("70%")."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return MISSING
    return f"{format_number(ratio * 100, lang, 0)}%"


def decimals_for(values: Iterable[float | None]) -> int:
    """Decimals that suit a series: none for hundreds and up, one from 1, two below 1.

    Chosen on the median magnitude so that one outlier does not change how a whole indicator
    reads."""
    magnitudes = sorted(abs(v) for v in values if v is not None and not math.isnan(v))
    if not magnitudes:
        return 1
    typical = magnitudes[len(magnitudes) // 2]
    if typical >= 100:
        return 0
    return 1 if typical >= 1 else 2
