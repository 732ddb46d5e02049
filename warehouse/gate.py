"""Validate before writing: a clean frame reaches its table only if its suite passes.

The outcome is stored either way, so the data-quality page and the report gate see every
failure; on failure the table keeps its previous rows untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from transforms.validation import Expectation, validate_frame
from warehouse.schema import clean_table
from warehouse.store import ValidationOutcome, Warehouse


@dataclass(frozen=True)
class GateResult:
    outcome: ValidationOutcome
    validation_id: str
    rows_written: int  # 0 when validation failed (nothing written)


def validate_then_write(warehouse: Warehouse, table: str, frame: pl.DataFrame,
                        rules: Sequence[Expectation], window: Mapping[str, object],
                        partition_key: str = "") -> GateResult:
    schema = clean_table(table)
    frame = schema.conform(frame)
    outcome = validate_frame(schema, frame, rules, partition_key=partition_key)
    validation_id = uuid.uuid4().hex
    with warehouse.session():  # the outcome and the rows over one connection
        warehouse.record_validation(outcome, validation_id)
        written = warehouse.replace_window(table, frame, window) if outcome.success else 0
    return GateResult(outcome, validation_id, written)


def failure_summary(outcome: ValidationOutcome, limit: int = 5) -> list[dict[str, object]]:
    """The failed expectations, compact, for run metadata and error messages."""
    return [
        {"expectation": e.expectation, "column": e.column,
         "unexpected_count": e.unexpected_count,
         "examples": [str(x)[:80] for x in list(e.unexpected_examples)[:limit]]}
        for e in outcome.failed
    ]
