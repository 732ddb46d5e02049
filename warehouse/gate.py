"""Validate before writing: a clean frame reaches its table only if its suite passes.

The outcome is stored either way, so the data-quality page and the report gate see every
failure; on failure the table keeps its previous rows untouched.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import polars as pl

from core.outcomes import ValidationOutcome, combined
from warehouse.guard import require_rows
from warehouse.schema import clean_table
from warehouse.store import Warehouse
from warehouse.validation_results import insert_validation

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


class _Refused(Exception):
    """A chunk or the check across chunks failed: the write transaction rolls back."""

    def __init__(self, outcome: ValidationOutcome) -> None:
        super().__init__(f"{outcome.table_name} {outcome.partition_key}: validation failed")
        self.outcome = outcome


def validate_then_write_chunks(warehouse: Warehouse, table: str, chunks: Iterable[pl.DataFrame],
                               rules: Sequence[Expectation], window: Mapping[str, object],
                               partition_key: str = "", *, chunk_rows: int,
                               min_rows: int = 0, inputs: str | None = None,
                               timed: Callable[[str], AbstractContextManager] = _untimed
                               ) -> GateResult:
    """`validate_then_write` for a partition too large to hold at once (issue 18): `chunks`
    (an iterator, so each is parsed only when asked for) are conformed, validated with the same
    rules and written one at a time into one write transaction; after the last, the rules that
    span the partition are checked inside that transaction: the key's uniqueness across chunks
    (the schema's key rule, as SQL over the written rows, `WindowWriter.repeated_keys`, in
    slices of about `chunk_rows` rows), its row count against `min_rows` (the shrink guard) and
    the replacement against `max_shrink`. Any failed rule rolls everything back (the previous
    rows stay) and the outcome, combined over the chunks (`core.outcomes.combined`), is stored
    as a single validation would store it; a passed outcome is stored in the write transaction.
    A chunk that failed a rule is not written (the key check across chunks then covers the
    chunks that passed; its own key result is added). A parse error raised by a later chunk
    also rolls back. `timed` sees "parse", "validate" and "load" phases once per chunk."""
    from transforms.validation import schema_expectations, validate_frame

    schema = clean_table(table)
    validation_id = uuid.uuid4().hex
    key_rules = [e.column_list for e in schema_expectations(schema)
                 if e.expectation_type == KEY_RULE and getattr(e, "row_condition", None) is None]
    key_columns = sorted({c for columns in key_rules for c in columns})
    with ExitStack() as session:
        session.enter_context(warehouse.session())
        pool = session.enter_context(_buffer_pool_capped(warehouse, chunk_rows))
        try:
            with ExitStack() as load:  # closed after the write transaction's commit
                with warehouse.window_writer(table, window,
                                             partition=partition_key or None) as writer:
                    parts, ranges = [], []  # ranges: of the key columns, per written chunk
                    for chunk in _pulled(chunks, timed):
                        with timed("validate"):
                            chunk = schema.conform(chunk)
                            parts.append(validate_frame(schema, chunk, rules,
                                                        partition_key=partition_key))
                        if parts[-1].success:
                            if chunk.height:
                                ranges.append(key_ranges(chunk, key_columns))
                            with timed("load"), pool.tight(writer.deleted):
                                writer.append(chunk)
                        del chunk  # the next chunk is parsed without this one in memory
                    with timed("validate"):
                        if not parts:
                            parts.append(validate_frame(schema, schema.empty(), rules,
                                                        partition_key=partition_key))
                        outcome = _with_key_checks(combined(schema.name, partition_key, parts),
                                                   parts, writer, key_rules, chunk_rows, ranges)
                        if not outcome.success:
                            raise _Refused(outcome)
                        require_rows(schema.name, f"partition {partition_key}",
                                     outcome.row_count, min_rows,
                                     partition=partition_key or None)
                        insert_validation(writer.con, outcome, validation_id)
                    load.enter_context(timed("load"))  # the shrink guard, write log, commit
        except _Refused as refused:
            outcome = refused.outcome
            warehouse.record_validation(outcome, validation_id)
        with timed("load"):
            if inputs is not None:
                warehouse.record_inputs(table, partition_key,
                                        inputs if outcome.success else None, validation_id)
            session.close()
    return GateResult(outcome, validation_id, writer.rows if outcome.success else 0)


# DuckDB's memory limits while a partition is written in chunks, per row of a chunk. Its buffer
# pool otherwise keeps the blocks the write produced (up to 80% of the machine's memory by
# default), so resident memory grew with the partition (measured: 0.24 GB more for 8 million
# more rows unlimited, 0.01 GB with 100 MB). Two limits: a tight one while a chunk is appended
# (50 bytes a row: 25 MB for 500,000 rows), and a roomier one for the statements over the whole
# window (the delete of the rows it replaces, the key check across chunks, the shrink guard and
# the commit), which at 25 MB ran out of memory on a national year beside or replacing another
# (DuckDB OutOfMemoryException in the delete and in `repeated_keys`, reproduced).
TIGHT_BYTES_PER_CHUNK_ROW = 50
TIGHT_MIN_BYTES = 16 * 1024 * 1024
ROOMY_BYTES_PER_CHUNK_ROW = 400
ROOMY_MIN_BYTES = 128 * 1024 * 1024


class _BufferPool:
    """DuckDB's memory limit on one connection: roomy, or tight for the statements inside
    `tight()`; set back to the connection's own limit at `restore()`. Limits are set by value:
    DuckDB 1.5's `RESET memory_limit` changes the setting but leaves the buffer pool at the old
    limit (measured: a query after it still failed at a 21.9 MiB limit while `current_setting`
    said 18.8 GiB)."""

    def __init__(self, con, chunk_rows: int) -> None:
        self.con = con
        self.default = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        self.roomy = _megabytes(max(ROOMY_MIN_BYTES, chunk_rows * ROOMY_BYTES_PER_CHUNK_ROW))
        self.held: int | None = None
        self.tight_bytes = max(TIGHT_MIN_BYTES, chunk_rows * TIGHT_BYTES_PER_CHUNK_ROW)
        self._set(self.roomy)

    def _set(self, limit: str) -> None:
        self.con.execute(f"SET memory_limit = '{limit}'")

    @contextmanager
    def tight(self, deleted: bool = True) -> Iterator[None]:
        """The tight limit, above what the connection held at the first call when the window's
        rows were deleted (`deleted`): those stay in memory until the commit (DuckDB keeps a
        transaction's delete information there, 31 MB for a national year's 2.6 million rows),
        and a limit below that fails ("could not free up enough memory"). A year replaced by a
        new table deleted nothing: what the connection holds then is blocks it has cached (the
        old year's, read by the shrink guard), which DuckDB evicts under the limit, and a limit
        that counted them would grow with the partition (measured: 1.25 x at 4 x the stations).
        Taken once, not at every call: the rows appended since are held too (about 9 MB a
        million rows), but DuckDB can write those out, and a limit that followed them would
        grow with the partition."""
        if self.held is None:
            self.held = int(self.con.execute(
                "SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0] or 0
            ) if deleted else 0
        self._set(_megabytes(self.tight_bytes + self.held))
        try:
            yield
        finally:
            self._set(self.roomy)

    def restore(self) -> None:
        self._set(self.default)


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes // (1024 * 1024)}MB"


@contextmanager
def _buffer_pool_capped(warehouse: Warehouse, chunk_rows: int) -> Iterator[_BufferPool]:
    """The session connection's buffer pool (`_BufferPool`), its own limit set back afterwards.
    Above a limit DuckDB evicts clean blocks, and spills a larger aggregation to disk."""
    with warehouse.connect() as con:
        pool = _BufferPool(con, chunk_rows)
        try:
            yield pool
        finally:
            pool.restore()


def _pulled(chunks: Iterable[pl.DataFrame], timed) -> Iterator[pl.DataFrame]:
    """The chunks, each parsed (pulled from its iterator) inside the "parse" phase."""
    chunks = iter(chunks)
    while True:
        with timed("parse"):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk


KEY_RULE = "expect_compound_columns_to_be_unique"


def _with_key_checks(outcome: ValidationOutcome, parts: Sequence[ValidationOutcome], writer,
                     key_rules: Sequence[Sequence[str]], slice_rows: int,
                     ranges: Sequence[Mapping[str, tuple | None]]) -> ValidationOutcome:
    """The combined outcome with each key rule decided over the whole partition: rows whose
    key repeats among the written rows (across chunks, in SQL), plus what the key rule found
    inside the chunks that were not written. The SQL is skipped when no two written chunks
    can share a key (`apart`) and none repeated one inside itself: then none repeats."""
    expectations = list(outcome.expectations)
    for columns in key_rules:
        n = next(i for i, e in enumerate(expectations) if e.expectation == KEY_RULE
                 and list(e.parameters.get("column_list") or []) == list(columns))
        written = [p.expectations[n] for p in parts if p.success]
        if apart(ranges, columns) and not any(e.unexpected_count for e in written):
            repeated, examples = 0, []
        else:
            repeated, examples = writer.repeated_keys(columns, slice_rows)
        unwritten = [p.expectations[n] for p in parts if not p.success]
        repeated += sum(e.unexpected_count or 0 for e in unwritten)
        examples = (examples + [x for e in unwritten for x in e.unexpected_examples])[:20]
        expectations[n] = replace(expectations[n], success=repeated == 0,
                                  unexpected_count=repeated, unexpected_examples=examples)
    return replace(outcome, expectations=expectations)


def key_ranges(chunk: pl.DataFrame, columns: Sequence[str]) -> dict[str, tuple | None]:
    """Per key column, the chunk's (min, max); None where it cannot rule anything out (a
    missing value, or a type without a usable order)."""
    out: dict[str, tuple | None] = {}
    for name in columns:
        column = chunk.get_column(name)
        # an order in which equal values fall in both ranges: not floats (NaN has no place)
        usable = (column.dtype.is_integer() or column.dtype.is_temporal()
                  or column.dtype in (pl.String, pl.Boolean))
        out[name] = (column.min(), column.max()) if usable and not column.null_count() else None
    return out


def apart(ranges: Sequence[Mapping[str, tuple | None]], columns: Sequence[str]) -> bool:
    """True when every two chunks differ entirely in some key column (their ranges do not
    overlap), so no key can occur in both: a yearly RIVM file's blocks cover separate hours,
    and its three files separate components. Chunks whose ranges overlap in every key column
    (a file listing some hour twice, out of order) leave it to the SQL check."""
    def disjoint(a: tuple | None, b: tuple | None) -> bool:
        return a is not None and b is not None and (a[1] < b[0] or b[1] < a[0])

    return all(any(disjoint(x[c], y[c]) for c in columns)
               for x, y in itertools.combinations(ranges, 2))


def failure_summary(outcome: ValidationOutcome, limit: int = 5) -> list[dict[str, object]]:
    """The failed expectations, compact, for run metadata and error messages."""
    return [
        {"expectation": e.expectation, "column": e.column,
         "unexpected_count": e.unexpected_count,
         "examples": [str(x)[:80] for x in list(e.unexpected_examples)[:limit]]}
        for e in outcome.failed
    ]
