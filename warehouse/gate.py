"""Validate before writing: a clean frame reaches its table only if its suite passes.

The outcome is stored either way, so the data-quality page and the report gate see every
failure; on failure the table keeps its previous rows untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from core.outcomes import ValidationOutcome
from warehouse.schema import clean_table
from warehouse.store import Warehouse

if TYPE_CHECKING:  # Great Expectations loads in seconds: only a step that validates imports it
    from transforms.validation import Expectation


@dataclass(frozen=True)
class GateResult:
    outcome: ValidationOutcome
    validation_id: str
    rows_written: int  # 0 when validation failed (nothing written)


def _untimed(_phase: str) -> AbstractContextManager:
    return nullcontext()


def validate_then_write(warehouse: Warehouse, table: str, frame: pl.DataFrame,
                        rules: Sequence[Expectation], window: Mapping[str, object],
                        partition_key: str = "",
                        timed: Callable[[str], AbstractContextManager] = _untimed,
                        inputs: str | None = None) -> GateResult:
    """Validate `frame` against the table's schema and `rules`, record the outcome, and write
    the rows only if it passed. The outcome and the rows go over one warehouse session.
    `timed(phase)` wraps the "validate" phase (including opening the session and recording the
    outcome) and the "load" phase (the write and the session's closing checkpoint); the
    benchmark uses it to time the two apart. `inputs`, the fingerprint of the raw payloads the
    frame was parsed from (`Warehouse.inputs_fingerprint`), is recorded with a passed write, so
    a later run with the same inputs can skip the work (`Warehouse.unchanged_inputs`)."""
    from transforms.validation import validate_frame

    schema = clean_table(table)
    validation_id = uuid.uuid4().hex
    with ExitStack() as session:
        with timed("validate"):
            frame = schema.conform(frame)
            outcome = validate_frame(schema, frame, rules, partition_key=partition_key)
            session.enter_context(warehouse.session())
            warehouse.record_validation(outcome, validation_id)
        with timed("load"):
            written = (warehouse.replace_window(table, frame, window,
                                                partition=partition_key or None)
                       if outcome.success else 0)
            if inputs is not None:
                warehouse.record_inputs(table, partition_key,
                                        inputs if outcome.success else None, validation_id)
            session.close()
    return GateResult(outcome, validation_id, written)


def failure_summary(outcome: ValidationOutcome, limit: int = 5) -> list[dict[str, object]]:
    """The failed expectations, compact, for run metadata and error messages."""
    return [
        {"expectation": e.expectation, "column": e.column,
         "unexpected_count": e.unexpected_count,
         "examples": [str(x)[:80] for x in list(e.unexpected_examples)[:limit]]}
        for e in outcome.failed
    ]
