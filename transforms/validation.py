"""Great Expectations suites for the clean tables, kept in code, and the runner.

Each suite has schema expectations generated from `warehouse.schema` plus business rules per
table. GX 1.x validates the pandas frame from `df.to_pandas()` (its SQL datasource is broken
on DuckDB). The result is a plain `ValidationOutcome`, which the warehouse stores.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from functools import cache
from itertools import permutations
from typing import Literal

import great_expectations as gx
import numpy as np
import pandas as pd
import polars as pl
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

from core.outcomes import ExpectationOutcome, ValidationOutcome
from core.tables import TableSchema

# GX logs noisy warnings about its own optional features; keep run logs readable.
logging.getLogger("great_expectations").setLevel(logging.ERROR)

Expectation = gx.expectations.Expectation


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


# Rules about a value alone (no row condition, `mostly` 1): each holds for every row exactly
# when it holds for a few witness values of its column, so the fast pass checks those instead
# of 2.6 million rows of a national yearly partition. Sets and patterns need every distinct
# value; a range needs only the smallest and largest; "not null" only whether a null (pandas
# counts NaN as one) is there.
DISTINCT_VALUE_RULES = frozenset({"expect_column_values_to_be_in_set",
                                  "expect_column_values_to_not_be_in_set",
                                  "expect_column_values_to_match_regex",
                                  "expect_column_values_to_not_match_regex"})
EXTREMES_RULES = frozenset({"expect_column_values_to_be_between"})
MISSING_RULES = frozenset({"expect_column_values_to_not_be_null"})
VALUE_ONLY_RULES = DISTINCT_VALUE_RULES | EXTREMES_RULES | MISSING_RULES
# Rules about the column names alone: any frame with the same columns gives the same verdict.
COLUMN_NAME_RULES = ("expect_table_columns_to_match_set",
                     "expect_table_columns_to_match_ordered_list",
                     "expect_table_column_count_to_equal", "expect_column_to_exist")
# Text whose runs of equal neighbours number at most this share of its rows is coded run by
# run (see `text_codes`).
RUNS_MAX_SHARE = 0.01
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


# The domain of a multicolumn map metric, as GX's own compound-columns metric declares it.
MULTICOLUMN_DOMAIN_KEYS = ("batch_id", "table", "column_list", "row_condition",
                           "condition_parser", "ignore_row_if")


class _CompoundColumnsUniqueWhenSorted(MulticolumnMapMetricProvider):
    condition_metric_name = "compound_columns.unique_when_sorted"
    condition_domain_keys = MULTICOLUMN_DOMAIN_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):
        return unique_rows_when_sorted(column_list)


class ExpectCompoundColumnsToBeUniqueWhenSorted(gx.expectations.ExpectCompoundColumnsToBeUnique):
    """The same verdict as ExpectCompoundColumnsToBeUnique, in one linear pass over a frame
    sorted by its key (pandas' `duplicated` hashing was half of a national validation)."""

    map_metric = "compound_columns.unique_when_sorted"


class _ColumnsHaveValues(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.all_present"
    condition_domain_keys = MULTICOLUMN_DOMAIN_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):
        return column_list.notna().all(axis=1)


class ExpectColumnsToNotBeNull(MulticolumnMapExpectation):
    """Every listed column has a value on every row (pandas' notna, as the per-column rule).
    The fast pass checks a suite's per-column not-null rules with this one, which passes
    exactly when they all do: GX has a fixed cost per rule however small the frame (BENCHMARKS.md)."""

    column_list: Sequence[str]
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "multicolumn_values.all_present"


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

    A fast pass answers pass/fail (result format BOOLEAN_ONLY): rules about a value alone and
    about column names run on a few witness values per column (its distinct values, or its
    extremes, or whether it has a null), the not-null rules as one; the other rules run on all
    rows of only the columns they read, key text as categoricals. Only when it fails is the
    frame validated again in full (SUMMARY), so a stored failure has its row counts and
    examples, exactly as a single full validation would give them. A pass is a pass either
    way: nothing is sampled, and `fast_verdicts` is tested against full validations.
    """
    expectations = [*schema_expectations(schema), *rules]
    fast = fast_verdicts(expectations, frame)
    if all(result.success for result in fast):
        outcomes = [_passed(e) for e in expectations]
    else:
        outcomes = [_outcome(r) for r in _run(expectations, frame.to_pandas(), "SUMMARY")]
    return ValidationOutcome(table_name=schema.name, partition_key=partition_key,
                             row_count=frame.height, expectations=outcomes)


def fast_verdicts(expectations: Sequence[Expectation], frame: pl.DataFrame) -> list:
    """A GX result (BOOLEAN_ONLY) per rule of `expectations`, in their order, from frames far
    smaller than `frame` (see `validate_frame`). A rule's result passes only if the rule
    passes on `frame`, and all pass exactly when all rules do; a failure may stand for several
    rules (the not-null rules are checked together), which the full pass then tells apart."""
    on_values = [n for n, e in enumerate(expectations) if _decided_by_values(e, frame)]
    on_rows = sorted(set(range(len(expectations))) - set(on_values))
    needs: dict[str, set[str]] = {}  # column -> the value-only rule kinds reading it
    for n in on_values:
        if expectations[n].expectation_type in VALUE_ONLY_RULES:
            needs.setdefault(expectations[n].column, set()).add(expectations[n].expectation_type)
    row_rules = [_fast_variant(expectations[n]) for n in on_rows]
    row_columns = _columns_read(row_rules, frame)
    rows, witnesses = _frames_for_gx(frame, row_columns, needs, _compared_only(row_rules, frame))
    results: dict[int, object] = {}
    if on_rows:
        results.update(zip(on_rows, _run(row_rules, rows, "BOOLEAN_ONLY"), strict=True))
    not_null = [n for n in on_values if expectations[n].expectation_type in MISSING_RULES]
    others = [n for n in on_values if n not in not_null]
    value_rules = [expectations[n] for n in others]
    if not_null:  # one rule for all of them (see ExpectColumnsToNotBeNull)
        value_rules.append(ExpectColumnsToNotBeNull(
            column_list=[expectations[n].column for n in not_null]))
    if value_rules:
        value_results = _run(value_rules, witnesses, "BOOLEAN_ONLY")
        results.update(zip(others, value_results, strict=False))
        results.update(dict.fromkeys(not_null, value_results[-1]))
    return [results[n] for n in range(len(expectations))]


def _decided_by_values(expectation: Expectation, frame: pl.DataFrame) -> bool:
    """Whether the rule's verdict follows from each column's distinct values (or its names)."""
    if expectation.expectation_type in COLUMN_NAME_RULES:
        return True
    return (expectation.expectation_type in VALUE_ONLY_RULES
            and getattr(expectation, "row_condition", None) is None
            and getattr(expectation, "mostly", 1) in (None, 1)
            and getattr(expectation, "column", None) in frame.columns)


def _columns_read(expectations: Sequence[Expectation], frame: pl.DataFrame) -> list[str]:
    """The frame's columns the rules read, in frame order; all of them when a rule has a row
    condition or names no columns (a table-level rule may read any)."""
    read: set[str] = set()
    for expectation in expectations:
        named = [getattr(expectation, a, None) for a in ("column", "column_A", "column_B")]
        named += list(getattr(expectation, "column_list", None) or [])
        named = [n for n in named if n]
        if getattr(expectation, "row_condition", None) or not named:
            return frame.columns
        read.update(named)
    return [c for c in frame.columns if c in read]


def _compared_only(rules: Sequence[Expectation], frame: pl.DataFrame) -> set[str]:
    """Columns the row rules only compare for equality: those of the linear key check, when no
    other row rule reads them."""
    key_rules = [r for r in rules if isinstance(r, ExpectCompoundColumnsToBeUniqueWhenSorted)]
    others = [r for r in rules if r not in key_rules]
    return {c for r in key_rules for c in r.column_list} - set(_columns_read(others, frame))


def _frames_for_gx(frame: pl.DataFrame, row_columns: Sequence[str],
                   needs: dict[str, set[str]], compared_only: set[str] = frozenset()
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two pandas frames for GX: all rows of `row_columns`, and a few witness values of every
    column (`needs`: the value-only rules reading each column).

    Text columns the row rules only compare (`compared_only`: the key) go over as pandas
    categoricals built from `text_codes`, not as millions of strings: the same values, and
    GX's batch fingerprint hashes a categorical's few categories and gathers them by code
    (one pass, where an integer or text column takes several), while the key check compares
    codes. The witness frame has all columns, so the column-name rules see them."""
    coded = {c: text_codes(frame[c]) for c in row_columns
             if c in compared_only and frame.schema[c] == pl.String}
    rows = frame.select(c for c in row_columns if c not in coded).to_pandas()
    for c, (codes, texts) in coded.items():
        rows.insert(row_columns.index(c), c, pd.Categorical.from_codes(
            codes, categories=pd.Index(texts.drop_nulls().to_list(), dtype=object)))
    witnesses = {c: texts for c, (_, texts) in coded.items()
                 if needs.get(c, set()) & DISTINCT_VALUE_RULES}
    for column in frame.columns:
        if column not in witnesses:
            witnesses[column] = _witness(frame[column], needs.get(column, set()))
    return rows, _padded_frame(frame.columns, witnesses)


def text_codes(column: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Codes for a text column: the rank of each value among the column's distinct texts
    (so a frame sorted by the text is sorted by its codes, which the linear key check relies
    on), -1 for a null (pandas' code for a missing category); and the distinct texts, in
    order, then a null if there is one."""
    runs = column.rle()  # neighbours compared, nothing hashed
    if len(runs) <= RUNS_MAX_SHARE * len(column):
        # a key column of a parsed frame comes in long runs (a station's hours, a component's
        # file): code the runs (much cheaper than hashing every value; BENCHMARKS.md)
        values, lengths = runs.struct.field("value"), runs.struct.field("len")
        texts = values.unique().sort(nulls_last=True)
        known = texts.drop_nulls()
        codes = known.search_sorted(values).to_numpy().astype(np.int32)
        codes[values.is_null().to_numpy()] = -1
        return np.repeat(codes, lengths.to_numpy()), texts
    categorical = column.cast(pl.Categorical)  # hashes the text once, in parallel
    present = categorical.unique()
    order = present.cast(pl.String).arg_sort(nulls_last=True)
    texts, ids = present.gather(order).cast(pl.String), present.to_physical().gather(order)
    known = ids.drop_nulls()
    rank = np.zeros(int(known.max()) + 1 if len(known) else 1, dtype=np.int32)
    rank[known.to_numpy()] = np.arange(len(known), dtype=np.int32)
    physical = categorical.to_physical()
    codes = rank[physical.fill_null(0).to_numpy()]
    if physical.null_count():
        codes[physical.is_null().to_numpy()] = -1
    return codes, texts


def _witness(column: pl.Series, needs: set[str]) -> pl.Series:
    """Values of `column` on which every rule kind in `needs` gives the verdict it gives on the
    whole column: all distinct values, or its first value plus (as needed) its smallest and
    largest value and a null if any value is missing. Polars' min and max skip NaN, as GX
    skips missing values; pandas counts NaN as missing, so a NaN adds the null."""
    if needs & DISTINCT_VALUE_RULES:
        return column.unique()
    parts = [column.head(1)]  # some value: the column-name rules need the column present
    if needs & EXTREMES_RULES and column.null_count() < len(column):
        parts.append(pl.Series(column.name, [column.min(), column.max()], dtype=column.dtype))
    if column.null_count() or (column.dtype.is_float() and column.is_nan().any()):
        parts.append(pl.Series(column.name, [None], dtype=column.dtype))
    return pl.concat(parts)


def _padded_frame(columns: Sequence[str], values: dict[str, pl.Series]) -> pd.DataFrame:
    """Witness values of each column side by side, shorter columns padded by repeating their
    last value: a value-only rule's verdict does not change when a value repeats."""
    length = max((len(v) for v in values.values()), default=0)
    padded = {c: values[c].gather(np.minimum(np.arange(length), len(values[c]) - 1))
              if length and len(values[c]) else values[c] for c in columns}
    return pl.DataFrame(padded).to_pandas()


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


def _passed(expectation: Expectation) -> ExpectationOutcome:
    # Named after the suite's rule (not the fast pass's stand-in), with its own parameters.
    # BOOLEAN_ONLY carries no counts: a passing row-level rule had no unexpected rows.
    parameters = _parameters(expectation.configuration)
    return ExpectationOutcome(expectation=expectation.expectation_type,
                              column=parameters.get("column"), parameters=parameters,
                              success=True,
                              unexpected_count=0 if isinstance(expectation, ROW_LEVEL) else None,
                              unexpected_examples=[])


def _parameters(config) -> dict:
    """A rule's parameters as stored: its kwargs without the batch GX ran it on."""
    return {k: v for k, v in config.kwargs.items() if k != "batch_id"}


def _outcome(r) -> ExpectationOutcome:
    config = r.expectation_config
    kwargs = _parameters(config)
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
