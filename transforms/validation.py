"""Great Expectations suites for the clean tables, kept in code, and the runner.

Each suite has schema expectations generated from `warehouse.schema` plus business rules per
table. GX 1.x validates the pandas frame from `df.to_pandas()` (its SQL datasource is broken
on DuckDB). The result is a plain `ValidationOutcome`, which the warehouse stores.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from functools import cache
from itertools import permutations

import great_expectations as gx
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.compute as pc
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.metrics.map_metric_provider import (
    MulticolumnMapMetricProvider,
)
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (  # noqa: E501
    multicolumn_condition_partial,
)

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


# Rules about a value alone (no row condition): they hold for every row exactly when they hold
# for every distinct value, so the fast pass checks each distinct value once (a station code
# once instead of 2.6 million times in a national yearly partition).
VALUE_ONLY_RULES = ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set",
                    "expect_column_values_to_match_regex",
                    "expect_column_values_to_not_match_regex")
# Text columns with at most this share of distinct values go to pandas as categoricals, so
# GX's null checks, key check and batch fingerprint hash codes rather than strings.
CATEGORICAL_MAX_DISTINCT_SHARE = 0.05
ROW_LEVEL = (ColumnMapExpectation, MulticolumnMapExpectation, ColumnPairMapExpectation)


def unique_rows_when_sorted(frame: pd.DataFrame) -> pd.Series:
    """Per row: is its key (the frame's columns) unique? Linear when the frame is sorted by its
    key columns in some order (the parsers sort by the key; a yearly air partition is its
    per-component files one after the other): equal keys are then neighbours. Categorical
    codes stand for their values. Otherwise pandas' hash-based `duplicated` answers, so the
    verdict never depends on the order."""
    n = len(frame)
    if n < 2:
        return pd.Series(True, index=frame.index)
    arrays = [_comparable(frame[name]) for name in frame.columns]
    orders = permutations(arrays) if len(arrays) <= 3 else [arrays]
    same = next((s for s in map(_neighbours_if_sorted, orders) if s is not None), None)
    if same is None:
        return ~frame.duplicated(keep=False)
    repeated = np.zeros(n, dtype=bool)
    repeated[:-1] |= same
    repeated[1:] |= same
    return pd.Series(~repeated, index=frame.index)


def _comparable(column: pd.Series) -> np.ndarray:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy()
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column.array.asi8
    return column.to_numpy()


def _neighbours_if_sorted(arrays) -> np.ndarray | None:
    """For rows sorted lexicographically by `arrays`: whether each row equals the next one;
    None when they are not sorted that way."""
    n = len(arrays[0])
    earlier = np.zeros(n - 1, dtype=bool)  # row i sorts before row i + 1 on the columns so far
    same = np.ones(n - 1, dtype=bool)  # rows i and i + 1 are equal on the columns so far
    for values in arrays:
        earlier |= same & (values[:-1] < values[1:])
        same &= values[:-1] == values[1:]
    return same if (earlier | same).all() else None


class _CompoundColumnsUniqueWhenSorted(MulticolumnMapMetricProvider):
    condition_metric_name = "compound_columns.unique_when_sorted"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition",
                             "condition_parser", "ignore_row_if")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):
        return unique_rows_when_sorted(column_list)


class ExpectCompoundColumnsToBeUniqueWhenSorted(gx.expectations.ExpectCompoundColumnsToBeUnique):
    """The same verdict as ExpectCompoundColumnsToBeUnique, in one linear pass over a frame
    sorted by its key (pandas' `duplicated` hashing was half of a national validation)."""

    map_metric = "compound_columns.unique_when_sorted"


def _fast_variant(expectation: Expectation) -> Expectation:
    if type(expectation) is gx.expectations.ExpectCompoundColumnsToBeUnique \
            and getattr(expectation, "row_condition", None) is None:
        return ExpectCompoundColumnsToBeUniqueWhenSorted(
            column_list=expectation.column_list, ignore_row_if=expectation.ignore_row_if,
            mostly=expectation.mostly)
    return expectation


def validate_frame(schema: TableSchema, frame: pl.DataFrame, rules: Sequence[Expectation],
                   partition_key: str = "") -> ValidationOutcome:
    """Validate one clean frame against its generated schema checks plus `rules`.

    A fast pass answers pass/fail (result format BOOLEAN_ONLY, value-only rules on distinct
    values, low-cardinality text as categoricals). Only when it fails is the frame validated
    again in full (SUMMARY), so a stored failure has its row counts and examples, exactly as a
    single full validation would give them. A pass is a pass either way: nothing is sampled.
    """
    expectations = [*schema_expectations(schema), *rules]
    value_only = [n for n, e in enumerate(expectations) if _is_value_only(e, frame)]
    row_level = [n for n in range(len(expectations)) if n not in value_only]
    rows, distinct = _frames_for_gx(frame)
    fast = list(zip(row_level, _run([_fast_variant(expectations[n]) for n in row_level], rows,
                                    "BOOLEAN_ONLY"), strict=True))
    if value_only:
        columns = sorted({expectations[n].column for n in value_only})
        fast += zip(value_only, _run([expectations[n] for n in value_only],
                                     _padded_frame({c: distinct[c] for c in columns}),
                                     "BOOLEAN_ONLY"), strict=True)
    if all(result.success for _, result in fast):
        outcomes = [_passed(expectations[n], result) for n, result in sorted(fast, key=_first)]
    else:
        outcomes = [_outcome(r) for r in _run(expectations, frame.to_pandas(), "SUMMARY")]
    return ValidationOutcome(table_name=schema.name, partition_key=partition_key,
                             row_count=frame.height, expectations=outcomes)


def _is_value_only(expectation: Expectation, frame: pl.DataFrame) -> bool:
    column = getattr(expectation, "column", None)
    return (expectation.expectation_type in VALUE_ONLY_RULES
            and getattr(expectation, "row_condition", None) is None
            and getattr(expectation, "mostly", 1) in (None, 1)
            and column in frame.columns and frame.schema[column] == pl.String)


def _frames_for_gx(frame: pl.DataFrame) -> tuple:
    """The frame as pandas for the row-level rules, and the distinct values of each text column.

    Low-cardinality text is dictionary-encoded on the Arrow side (pandas categoricals), which
    is cheaper than converting millions of strings and lets GX hash codes, not text."""
    table = frame.to_arrow()
    distinct = {}
    for index, column in enumerate(table.column_names):
        if frame.schema[column] != pl.String:
            continue
        distinct[column] = pc.unique(table[column])
        if frame.height and len(distinct[column]) <= CATEGORICAL_MAX_DISTINCT_SHARE * frame.height:
            table = table.set_column(index, column, pc.dictionary_encode(table[column]))
    return table.to_pandas(), distinct


def _padded_frame(values: dict):
    """Distinct values of several columns side by side, shorter columns padded by repeating
    their first value: a value-only rule's verdict does not change when a value repeats."""
    length = max(len(v) for v in values.values())
    return pd.DataFrame({column: [*v.to_pylist(), *[v[0].as_py()] * (length - len(v))]
                         if len(v) else [None] * length for column, v in values.items()})


def _run(expectations: Sequence[Expectation], pdf, result_format: str) -> list:
    """One GX validation of `pdf`; the batch is built once (Batch.validate builds it twice)."""
    from great_expectations.validator.v1_validator import Validator

    _context()  # GX needs an active context before a suite is built
    suite = gx.ExpectationSuite(name="clean_frame_suite")
    # Each rule gets a fresh id (an ephemeral suite assigns none), to find its result by.
    ids = [uuid.uuid4().hex for _ in expectations]
    for expectation, rule_id in zip(expectations, ids, strict=True):
        suite.add_expectation(expectation.copy(update={"id": None})).id = rule_id
    validator = Validator(_batch_definition(), result_format=result_format,
                          batch_parameters={"dataframe": pdf})
    by_id = {r.expectation_config.id: r for r in validator.validate_expectation_suite(suite).results}
    # GX groups results by kind; hand them back in the order of `expectations`.
    return [by_id[rule_id] for rule_id in ids]


def _passed(expectation: Expectation, result) -> ExpectationOutcome:
    # BOOLEAN_ONLY carries no counts: a passing row-level rule had no unexpected rows.
    outcome = _outcome(result)  # named after the suite's rule, not its fast variant
    return ExpectationOutcome(expectation=expectation.expectation_type, column=outcome.column,
                              parameters=outcome.parameters, success=True,
                              unexpected_count=0 if isinstance(expectation, ROW_LEVEL) else None,
                              unexpected_examples=[])


def _first(pair: tuple) -> object:
    return pair[0]


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
