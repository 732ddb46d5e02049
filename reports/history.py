"""Status history across editions: since which edition an indicator has had its current
status in a region ("op koers sinds de editie van 5 oktober 2026"), from the statuses kept per edition
(`progress_assessments_history`). Pure: frames in, words out."""

from __future__ import annotations

import polars as pl

from reports.formatting import format_date
from reports.i18n import LOCALES, status_words


def history_words(key: str, lang: str, **fields) -> str:
    template = LOCALES[lang]["history"][key]
    return template.format(**fields) if fields else template


def status_runs(history: pl.DataFrame) -> dict[tuple, list[tuple[str, str]]]:
    """(indicator, region, target) -> [(edition_id, status), ...], oldest edition first."""
    runs: dict[tuple, list[tuple[str, str]]] = {}
    if history.height == 0:
        return runs
    for row in history.sort("built_at", maintain_order=True).iter_rows(named=True):
        key = (row["indicator_id"], row["region_id"], row["target_id"])
        editions = runs.setdefault(key, [])
        if editions and editions[-1][0] == row["edition_id"]:
            editions[-1] = (row["edition_id"], row["status"])  # one status per edition
        else:
            editions.append((row["edition_id"], row["status"]))
    return runs


def since(runs: dict, indicator_id: str, region_id: str, target_id: str | None,
          status: str | None) -> tuple[str | None, str | None]:
    """(the first edition of the current unbroken run of `status`, the status before it).

    (None, None) without earlier editions; (None, previous) when the status is new in this
    edition."""
    earlier = runs.get((indicator_id, region_id, target_id), [])
    first, previous = None, None
    for edition_id, old in reversed(earlier):
        if old != status:
            previous = old
            break
        first = edition_id
    return first, previous


def since_text(runs: dict, indicator_id: str, region_id: str, target_id: str | None,
               status: str | None, lang: str) -> str:
    """"sinds de editie van 5 oktober 2026" / "nieuw in deze editie (was: op koers)" / ""
    (no history)."""
    if not runs:
        return ""
    first, previous = since(runs, indicator_id, region_id, target_id, status)
    if first:
        return history_words("since", lang, edition=edition_date(first, lang))
    if previous:
        return history_words("changed", lang, old=status_words(previous, lang))
    return history_words("new", lang)


def edition_date(edition_id: str, lang: str) -> str:
    """An edition by its day in words ("5 oktober 2026"); a second edition of one day
    ("2026-10-05-2") reads as that day too. An id that is not a date stays as it is."""
    try:
        return format_date(edition_id[:10], lang)
    except ValueError:
        return edition_id
