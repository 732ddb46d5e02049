"""Run health for monitoring staff: which sources could not be refreshed, which validations
failed, and each failed expectation in words (pure: edition inputs in, page rows out).

Words come from the `health:` and `tables:` sections of `reports/locales/{nl,en}.yaml`. The
problems have one shape whatever their cause (a failed fetch, a failed validation, a stale
source), so a new cause is one more producer of `Problem`s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from reports.contract import FETCH_FAILURE_SCHEMA
from reports.formatting import format_date, format_datetime, format_number
from reports.i18n import LOCALES

# Column-name suffixes that carry a unit (the project's naming convention, DESIGN/STYLE).
UNIT_SUFFIXES = {"_ugm3": "µg/m³", "_mgm3": "mg/m³", "_kt": "kt", "_mw": "MW", "_gwh": "GWh",
                 "_mwh": "MWh", "_pct": "%", "_t": "t"}
# The rule GX stores (snake_case `type`) -> the key of its words in the locale files.
RULE_WORDS = {
    "expect_column_values_to_be_between": "rule_between",
    "expect_column_values_to_not_be_null": "rule_not_null",
    "expect_columns_to_not_be_null": "rule_columns_not_null",
    "expect_column_values_to_be_in_set": "rule_in_set",
    "expect_column_values_to_not_be_in_set": "rule_not_in_set",
    "expect_column_values_to_match_regex": "rule_regex",
    "expect_column_values_to_not_match_regex": "rule_not_regex",
    "expect_compound_columns_to_be_unique": "rule_unique",
    "expect_compound_columns_to_be_unique_when_sorted": "rule_unique",
    "expect_column_pair_values_to_be_in_set": "rule_pair_in_set",
    "expect_table_columns_to_match_set": "rule_columns",
    "expect_table_columns_to_match_ordered_list": "rule_columns",
    "expect_table_column_count_to_equal": "rule_column_count",
    "expect_column_to_exist": "rule_column_exists",
}
MAX_LISTED_VALUES = 8

def words(key: str, lang: str, **fields) -> str:
    """One phrase of the `health:` section in `lang`, placeholders filled."""
    template = LOCALES[lang]["health"][key]
    return template.format(**fields) if fields else template


def table_words(table: str, lang: str) -> str:
    """A clean table in words ("uitstoot (CO2)"); the table name itself when not described."""
    return LOCALES[lang]["tables"].get(table, table)


def _unit(column: str | None) -> str:
    for suffix, unit in UNIT_SUFFIXES.items():
        if column and column.endswith(suffix):
            return f" {unit}"
    return ""


def _listed(values, lang: str) -> str:
    shown = [str(v) for v in list(values or [])[:MAX_LISTED_VALUES]]
    more = len(list(values or [])) - len(shown)
    return ", ".join(shown) + (f" {words('and_more', lang, n=more)}" if more > 0 else "")


def _bound(value, lang: str) -> str:
    if value is None:
        return "…"
    if isinstance(value, int | float):
        return format_number(value, lang, 0 if float(value).is_integer() else 2)
    return str(value)


def describe_expectation(expectation: str, column: str | None, parameters: str | dict | None,
                         lang: str) -> str:
    """A failed GX expectation in plain words, e.g. "waarden buiten het bereik 0–1.000 µg/m³
    in kolom value_ugm3". Rules without words of their own still read as a sentence."""
    params = json.loads(parameters) if isinstance(parameters, str) and parameters else \
        dict(parameters or {})
    column = column or params.get("column")
    key = RULE_WORDS.get(expectation)
    if key is None:
        return words("rule_other", lang, column=column or "–")
    columns = params.get("column_list") or params.get("column_set") or []
    return words(
        key, lang, column=column or "–", unit=_unit(column),
        low=_bound(params.get("min_value"), lang), high=_bound(params.get("max_value"), lang),
        values=_listed(params.get("value_set"), lang), pattern=params.get("regex") or "",
        columns=_listed(columns, lang), a=params.get("column_A") or "",
        b=params.get("column_B") or "", n=params.get("value") or "")


def describe_failure(row: dict, lang: str) -> dict:
    """One stored failed expectation as a page row: table and rule in words, counts,
    examples (escaped by the template)."""
    count = row.get("unexpected_count")
    return {"table": table_words(row["table_name"], lang), "partition": row.get("partition_key")
            or "", "rule": describe_expectation(row["expectation"], row.get("column_name"),
                                                row.get("parameters"), lang),
            "code": row["expectation"], "column": row.get("column_name") or "",
            "count": format_number(count, lang, 0) if count is not None else "–",
            "examples": _examples(row.get("unexpected_examples"))}


def _examples(raw: str | None) -> str:
    try:
        values = json.loads(raw) if raw else []
    except ValueError:
        return raw or ""
    return ", ".join(str(v) for v in values[:MAX_LISTED_VALUES]) if isinstance(values, list) \
        else str(values)


@dataclass(frozen=True)
class Problem:
    """Something monitoring staff must know about this edition's data, with the words for the
    banner ("cijfers voor X zijn van <datum>") and for the data-quality page."""

    kind: str  # fetch_failed | validation_failed | stale
    subject: str  # source or table in words
    banner: str
    detail: str


def problems(inputs, lang: str) -> list[Problem]:
    """Every failed fetch, failed validation and (outside demo editions) stale source."""
    by_source = {r["source"]: r for r in inputs.sources.to_dicts()} if inputs.sources.height \
        else {}
    found = [_fetch_problem(r, by_source.get(r["source"]), lang)
             for r in inputs.fetch_failures.to_dicts()]
    found += [_validation_problem(table, part, lang)
              for table, part in _failed_validations(inputs.validation)]
    failed_sources = {r["source"] for r in inputs.fetch_failures.to_dicts()}
    if not inputs.demo_data:  # demo data is old by design; its banner already says so
        found += [_stale_problem(r, lang) for r in by_source.values()
                  if r.get("stale") and r["source"] not in failed_sources]
    return found


def _as_of(source_row: dict | None, lang: str) -> str:
    """The newest period a source's figures are from, in words where it is a date."""
    period = (source_row or {}).get("newest_period")
    if not period:
        return words("unknown_date", lang)
    return format_date(period, lang) if len(period) == 10 else period


def _title(source: str, source_row: dict | None) -> str:
    return (source_row or {}).get("title") or source


def _fetch_problem(row: dict, source_row: dict | None, lang: str) -> Problem:
    title = row.get("title") or _title(row["source"], source_row)
    return Problem(
        "fetch_failed", title,
        words("banner_not_refreshed", lang, source=title, date=_as_of(source_row, lang)),
        words("fetch_failed_detail", lang, when=format_datetime(row.get("failed_at"), lang),
              error=(row.get("error") or "").strip()[:300]))


def _failed_validations(validation: pl.DataFrame) -> list[tuple[str, list[str]]]:
    if validation.height == 0:
        return []
    failed = validation.filter(~pl.col("success").fill_null(False))
    return [(t, [p for p in parts if p]) for t, parts in failed.group_by(
        "table_name", maintain_order=True).agg(pl.col("partition_key")).sort("table_name")
        .iter_rows()]


def _validation_problem(table: str, partitions: list[str], lang: str) -> Problem:
    subject = table_words(table, lang)
    return Problem("validation_failed", subject,
                   words("banner_rejected", lang, table=subject),
                   words("validation_failed_detail", lang, partitions=_listed(partitions, lang))
                   if partitions else words("validation_failed_whole", lang))


def _stale_problem(row: dict, lang: str) -> Problem:
    title = _title(row["source"], row)
    return Problem("stale", title, words("banner_stale", lang, source=title,
                                         date=_as_of(row, lang)),
                   words("stale_detail", lang, date=_as_of(row, lang)))


def empty_fetch_failures() -> pl.DataFrame:
    return pl.DataFrame(schema=FETCH_FAILURE_SCHEMA)
