"""Derived tables and the write log: every clean and derived write is logged; a derived
table reads the writes it has not seen and marks them seen with its own write."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl
import pyarrow as pa

from warehouse.connection import DERIVED_TABLES
from warehouse.views import REFERENCE_TABLES, create_views


@dataclass(frozen=True)
class TableChange:
    """One logged write: which table, which time window (None: not a time window, e.g. a
    whole table or a source), and for derived tables which keys changed (None: all)."""
    table_name: str
    window_start: datetime | None
    window_end: datetime | None
    keys: tuple[str, ...] | None


@dataclass(frozen=True)
class Changes:
    """What a consumer has not seen yet. `everything` when it has never run, or ran with
    another configuration (a new region or indicator changes every result)."""
    consumer: str
    changes: tuple[TableChange, ...]
    high_water: int
    config: str
    everything: bool

    @property
    def tables(self) -> set[str]:
        return {c.table_name for c in self.changes}


def _check_derived(name: str) -> None:
    if name not in DERIVED_TABLES:
        raise ValueError(f"unknown derived table {name!r}; allowed: {DERIVED_TABLES}")


def log_write(con: duckdb.DuckDBPyConnection, table: str, rows: int,
               start: datetime | None = None, end: datetime | None = None,
               keys: Sequence[str] | None = None, *,
               write_id_sql: str = "nextval('write_log_seq')") -> None:
    # Inside the writer's transaction: a write and its log entry commit together. The id comes
    # from the backend's sequence (`WarehouseConnection.write_id_sql`, a fixed expression).
    con.execute("INSERT INTO write_log (write_id, table_name, window_start, window_end, keys, "  # noqa: S608
                f"row_count, written_at) VALUES ({write_id_sql}, ?, ?, ?, ?, ?, ?)",
                [table, start, end, json.dumps(list(keys)) if keys is not None else None, rows,
                 datetime.now(UTC)])


def _mark(con: duckdb.DuckDBPyConnection, consumed: Changes, *, keyless: bool = False) -> None:
    if keyless:  # a lake has no primary key to replace by: delete, then insert
        con.execute("DELETE FROM consumer_marks WHERE consumer = ?", [consumed.consumer])
        con.execute("INSERT INTO consumer_marks VALUES (?, ?, ?, ?)",
                    [consumed.consumer, consumed.high_water, consumed.config, datetime.now(UTC)])
        return
    con.execute("INSERT OR REPLACE INTO consumer_marks VALUES (?, ?, ?, ?)",
                [consumed.consumer, consumed.high_water, consumed.config, datetime.now(UTC)])


def _snapshot_derived(con: duckdb.DuckDBPyConnection, name: str, edition_id: str) -> None:
    _check_derived(name)
    con.execute(f"CREATE TABLE IF NOT EXISTS {name}_history AS "  # noqa: S608
                f"SELECT ''::VARCHAR AS edition_id, * FROM {name} WHERE false")
    con.execute(f"DELETE FROM {name}_history WHERE edition_id = ?", [edition_id])  # noqa: S608
    con.execute(f"INSERT INTO {name}_history SELECT ?, * FROM {name}", [edition_id])  # noqa: S608


def _identifier(frame: pl.DataFrame, column: str) -> str:
    # Column names of derived frames come from project code; refuse anything else as SQL.
    if column not in frame.columns or not column.replace("_", "").isalnum():
        raise ValueError(f"not a column name: {column!r}")
    return column



class DerivedTables:
    """Derived tables, the write log and edition history (a mixin of `Warehouse`)."""

    def replace_derived(self, name: str, frame: pl.DataFrame, *,
                        consumed: Changes | None = None) -> int:
        """Replace a derived table with `frame`, atomically (and mark `consumed` as seen)."""
        _check_derived(name)
        with self.transaction() as con:
            con.register("incoming_frame", frame.to_arrow())
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM incoming_frame")  # noqa: S608
            con.unregister("incoming_frame")
            log_write(con, name, frame.height, write_id_sql=self.write_id_sql)
            if consumed is not None:
                _mark(con, consumed, keyless=self.lake is not None)
            create_views(con)
        return frame.height

    def replace_reference(self, name: str, frame: pl.DataFrame) -> None:
        """Replace a reference table of names (`ref_*`, for the SQL views) with `frame`."""
        if name not in REFERENCE_TABLES:
            raise ValueError(f"not a reference table: {name!r}; allowed: {REFERENCE_TABLES}")
        with self.transaction() as con:
            con.register("incoming_frame", frame.to_arrow())
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM incoming_frame")  # noqa: S608
            con.unregister("incoming_frame")
            create_views(con)

    def replace_derived_part(self, name: str, frame: pl.DataFrame, column: str,
                             keys: Sequence[object], *,
                             consumed: Changes | None = None) -> pl.DataFrame:
        """Replace the rows of a derived table whose `column` is in `keys` with `frame`, in one
        transaction: the incremental path (some station-years, some indicators). Returns the
        whole table as written (read in the same transaction, not over a new connection)."""
        _check_derived(name)
        if column not in frame.columns or frame.filter(~pl.col(column).is_in(list(keys))).height:
            raise ValueError(f"{name}: every row written must have its {column} in the keys replaced")
        with self.transaction() as con:
            con.register("incoming_frame", frame.to_arrow())
            con.register("replaced_keys", pa.table({"key": pa.array(list(keys))}))
            con.execute(f"DELETE FROM {name} WHERE {_identifier(frame, column)} IN "  # noqa: S608
                        "(SELECT key FROM replaced_keys)")
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM incoming_frame")  # noqa: S608
            con.unregister("incoming_frame")
            con.unregister("replaced_keys")
            log_write(con, name, frame.height, keys=[str(k) for k in keys],
                      write_id_sql=self.write_id_sql)
            if consumed is not None:
                _mark(con, consumed, keyless=self.lake is not None)
            return con.execute(f"SELECT * FROM {name}").pl()  # noqa: S608 (allowlisted name)

    def changes_since(self, consumer: str, tables: Sequence[str], config: str = "") -> Changes:
        """The writes to `tables` that `consumer` has not marked as seen. A consumer that is a
        derived table and does not exist (yet, or any more) must recompute everything."""
        with self.connect() as con:
            missing = consumer in DERIVED_TABLES and not con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_catalog = current_database() AND table_name = ?",
                [consumer]).fetchone()[0]
            high = con.execute("SELECT coalesce(max(write_id), 0) FROM write_log").fetchone()[0]
            mark = con.execute("SELECT write_id, config FROM consumer_marks WHERE consumer = ?",
                               [consumer]).fetchone()
            seen = mark[0] if mark else -1
            rows = con.execute(
                "SELECT table_name, window_start, window_end, keys FROM write_log "
                "WHERE write_id > ? AND write_id <= ? AND list_contains(?, table_name) "
                "ORDER BY write_id", [seen, high, list(tables)]).fetchall()
        changes = tuple(TableChange(r[0], r[1], r[2], tuple(json.loads(r[3])) if r[3] else None)
                        for r in rows)
        return Changes(consumer=consumer, changes=changes, high_water=high, config=config,
                       everything=missing or mark is None or mark[1] != config)

    def mark_seen(self, consumed: Changes) -> None:
        with self.transaction() as con:
            _mark(con, consumed, keyless=self.lake is not None)

    def snapshot_derived(self, name: str, edition_id: str) -> None:
        """Copy a derived table into `<name>_history` under an edition id (vintages kept)."""
        with self.transaction() as con:
            _snapshot_derived(con, name, edition_id)

    def commit_edition(self, edition_id: str, source_mode: str, path: str,
                       consumed: Changes, history: Sequence[str]) -> None:
        """Everything the warehouse keeps of a published edition, in one transaction: the
        `history` derived tables' vintages, the edition's record, and the writes it consumed
        marked seen. A kill leaves all of it or none (the site writer relies on that)."""
        with self.transaction() as con:
            for name in history:
                _snapshot_derived(con, name, edition_id)
            con.execute("INSERT INTO editions VALUES (?, ?, ?, ?)",
                        [edition_id, datetime.now(UTC), source_mode, path])
            _mark(con, consumed, keyless=self.lake is not None)

    def edition_ids(self) -> set[str]:
        """The ids of every recorded edition."""
        if not self.exists():
            return set()
        with self.connect(read_only=True) as con:
            return {r[0] for r in con.execute("SELECT edition_id FROM editions").fetchall()}

    def record_edition(self, edition_id: str, source_mode: str, path: str) -> None:
        with self.connect() as con:
            con.execute("INSERT INTO editions VALUES (?, ?, ?, ?)",
                        [edition_id, datetime.now(UTC), source_mode, path])

