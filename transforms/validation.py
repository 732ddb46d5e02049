"""Great Expectations suites for the clean tables, kept in code, and the runner.

Each suite has schema expectations generated from `warehouse.schema` plus business rules per
table. GX 1.x validates the pandas frame from `df.to_pandas()` (its SQL datasource is broken
on DuckDB). The result is a plain `ValidationOutcome`, which the warehouse stores.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import cache

import great_expectations as gx
import polars as pl
from great_expectations.data_context.types.base import ProgressBarsConfig

from warehouse.schema import TableSchema
from warehouse.store import ExpectationOutcome, ValidationOutcome

# GX logs noisy warnings about its own optional features; keep run logs readable.
logging.getLogger("great_expectations").setLevel(logging.ERROR)

Expectation = gx.expectations.Expectation
SuiteRules = Callable[[], Sequence[Expectation]]


def schema_expectations(schema: TableSchema) -> list[Expectation]:
    """Generated from the table schema: exact columns, and non-null where declared."""
    out: list[Expectation] = [
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=schema.column_names,
                                                     exact_match=True),
    ]
    out += [gx.expectations.ExpectColumnValuesToNotBeNull(column=c.name)
            for c in schema.columns if not c.nullable]
    if schema.key:
        out.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=list(schema.key)))
    return out


@cache
def _context() -> gx.data_context.AbstractDataContext:
    context = gx.get_context(mode="ephemeral")
    # Progress bars would spam every run log; this is the setting GX honours (not TQDM_DISABLE).
    context.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                         metric_calculations=False)
    return context


def _batch_definition():
    context = _context()
    try:
        source = context.data_sources.get("clean_frames")
    except (KeyError, ValueError):
        source = context.data_sources.add_pandas("clean_frames")
    try:
        asset = source.get_asset("frame")
    except (LookupError, ValueError):
        asset = source.add_dataframe_asset("frame")
    try:
        return asset.get_batch_definition("whole")
    except (KeyError, ValueError):
        return asset.add_batch_definition_whole_dataframe("whole")


def validate_frame(schema: TableSchema, frame: pl.DataFrame, rules: Sequence[Expectation],
                   partition_key: str = "") -> ValidationOutcome:
    """Validate one clean frame against its generated schema checks plus `rules`."""
    _context()  # GX needs an active context before a suite is built
    suite = gx.ExpectationSuite(name=f"{schema.name}_suite")
    for expectation in [*schema_expectations(schema), *rules]:
        suite.add_expectation(expectation)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame.to_pandas()})
    result = batch.validate(suite, result_format="SUMMARY")
    outcomes = [_outcome(r) for r in result.results]
    return ValidationOutcome(table_name=schema.name, partition_key=partition_key,
                             row_count=frame.height, expectations=outcomes)


def _outcome(r) -> ExpectationOutcome:
    config = r.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
    details = r.result or {}
    examples = details.get("partial_unexpected_list") or []
    if r.exception_info and r.exception_info.get("raised_exception"):
        examples = [r.exception_info.get("exception_message")]
    return ExpectationOutcome(
        expectation=config.type,
        column=kwargs.get("column"),
        parameters=kwargs,
        success=bool(r.success),
        unexpected_count=details.get("unexpected_count"),
        unexpected_examples=examples,
    )
