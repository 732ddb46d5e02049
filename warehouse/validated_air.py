"""A yearly partition of RIVM's validated air-quality files, from its stored payloads to its
clean window: parsed, validated and written at once, or in chunks when it is larger than the
configured number of rows (issue 18: memory bounded by the chunk, not the partition). The
clean asset and the benchmarks run this same function."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager

import polars as pl

from core.payload import Payload
from families.air_quality import VALIDATED_HOURLY
from transforms.air_quality import (
    VALIDATED_SOURCE,
    parse_rivm_yearly_csv,
    reporting_year_window,
    rivm_yearly_chunks,
    rivm_yearly_rows,
)
from warehouse.gate import GateResult, _untimed, validate_then_write, validate_then_write_chunks
from warehouse.guard import require_rows
from warehouse.raw import StoredPayload
from warehouse.store import Warehouse

CHUNK_ROWS_ENV = "TRANSITION_MONITOR_CHUNK_ROWS"
# A partition above this many rows is written in chunks of about this many: about 85 MB of
# parsed rows (0.17 GB per million, BENCHMARKS.md), where a national yearly partition is 2.6
# million rows.
DEFAULT_CHUNK_ROWS = 500_000


def chunk_rows(env: Mapping[str, str] | None = None) -> int:
    """The configured chunk size in rows (`TRANSITION_MONITOR_CHUNK_ROWS`, a positive whole
    number; default `DEFAULT_CHUNK_ROWS`)."""
    value = (os.environ if env is None else env).get(CHUNK_ROWS_ENV, "").strip()
    if not value:
        return DEFAULT_CHUNK_ROWS
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{CHUNK_ROWS_ENV}={value!r}: expected a positive whole number of rows")
    return int(value)


def write_validated_year(warehouse: Warehouse, payloads: Sequence[Payload | StoredPayload],
                         partition: str, *,
                         inputs: str | None = None, limit: int | None = None,
                         timed: Callable[[str], AbstractContextManager] = _untimed
                         ) -> tuple[GateResult, pl.DataFrame | None]:
    """Validate and write one reporting year's files; the frame too when it was parsed whole
    (None when written in chunks). `limit`: the chunk size (default: `chunk_rows()`). Each
    file's body is taken through `load()` when it is counted and again when it is parsed, so
    with `StoredPayload`s (`Warehouse.stored_payloads`) one body is in memory at a time.
    `timed(phase)` wraps the "parse", "validate" and "load" phases (`warehouse.gate`)."""
    family = VALIDATED_HOURLY
    window = {"source": VALIDATED_SOURCE, "measured_at": reporting_year_window(int(partition))}
    limit = chunk_rows() if limit is None else limit
    if payloads and sum(rivm_yearly_rows(p.load()) for p in payloads) > limit:
        chunks = (chunk for p in payloads for chunk in rivm_yearly_chunks(p.load(), limit))
        result = validate_then_write_chunks(
            warehouse, family.table_name, chunks, family.rules(), window, partition,
            chunk_rows=limit, min_rows=family.min_rows, inputs=inputs, timed=timed)
        return result, None
    with timed("parse"):
        frame = (pl.concat([parse_rivm_yearly_csv(p.load()) for p in payloads]) if payloads
                 else family.table.empty())
    if payloads:  # payloads that hold no (or too few) hours: refused, the stored hours stay
        require_rows(family.table_name, f"partition {partition}", frame.height,
                     family.min_rows, partition=partition)
    return validate_then_write(warehouse, family.table_name, frame, family.rules(), window,
                               partition, inputs=inputs, timed=timed), frame
