"""The DuckDB warehouse: raw vintages, clean tables, validation results, checksums.

Rules (DESIGN.md): raw payloads are append-only, a new vintage only when the content hash
changes; clean writes replace one window in one transaction; SQL binds values as parameters
and takes identifiers only from `warehouse.schema`; readers may open the file read-only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from core.outcomes import ValidationOutcome
from core.payload import Payload
from families.air_quality.sql import (
    AIR_HOURLY_TABLES,
    BEST_AIR_VIEW,
    STATION_ANNUAL_SELECT,
    STATION_ANNUAL_SQL,
    STATION_ANNUAL_YEARS_SQL,
)
from transforms.air_quality import reporting_year_window
from warehouse.payload_store import PayloadStore
from warehouse.schema import CLEAN_TABLES, TableSchema, clean_table
from warehouse.views import REFERENCE_TABLES, create_views, write_source_reference

RAW_DDL = """
CREATE TABLE IF NOT EXISTS raw_payloads (
  source VARCHAR NOT NULL,
  dataset VARCHAR NOT NULL,
  request_key VARCHAR NOT NULL,
  partition_key VARCHAR NOT NULL,
  url VARCHAR NOT NULL,
  media_type VARCHAR NOT NULL,
  content_hash VARCHAR NOT NULL,  -- SHA-256 of the body, which the payload store keeps
  fetched_at TIMESTAMPTZ NOT NULL,
  body_bytes BIGINT NOT NULL
);
CREATE OR REPLACE VIEW raw_payloads_current AS
SELECT * EXCLUDE (rn) FROM (
  SELECT *, row_number() OVER (PARTITION BY source, dataset, request_key
                               ORDER BY fetched_at DESC) AS rn
  FROM raw_payloads) WHERE rn = 1;
CREATE TABLE IF NOT EXISTS validation_runs (
  validation_id VARCHAR NOT NULL,
  table_name VARCHAR NOT NULL,
  partition_key VARCHAR NOT NULL,
  validated_at TIMESTAMPTZ NOT NULL,
  success BOOLEAN NOT NULL,
  row_count BIGINT NOT NULL,
  expectations INTEGER NOT NULL,
  failed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS validation_expectations (
  validation_id VARCHAR NOT NULL,
  expectation VARCHAR NOT NULL,
  column_name VARCHAR,
  parameters VARCHAR,
  success BOOLEAN NOT NULL,
  unexpected_count BIGINT,
  unexpected_examples VARCHAR
);
CREATE TABLE IF NOT EXISTS editions (
  edition_id VARCHAR NOT NULL,
  built_at TIMESTAMPTZ NOT NULL,
  source_mode VARCHAR NOT NULL,
  path VARCHAR NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS write_log_seq;
CREATE TABLE IF NOT EXISTS write_log (
  write_id BIGINT NOT NULL DEFAULT nextval('write_log_seq'),
  table_name VARCHAR NOT NULL,
  window_start TIMESTAMPTZ,
  window_end TIMESTAMPTZ,
  keys VARCHAR,
  row_count BIGINT NOT NULL,
  written_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS consumer_marks (
  consumer VARCHAR PRIMARY KEY,
  write_id BIGINT NOT NULL,
  config VARCHAR NOT NULL,
  marked_at TIMESTAMPTZ NOT NULL
);
CREATE OR REPLACE VIEW validation_latest AS
SELECT * EXCLUDE (rn) FROM (
  SELECT *, row_number() OVER (PARTITION BY table_name, partition_key
                               ORDER BY validated_at DESC) AS rn
  FROM validation_runs) WHERE rn = 1;
"""

# Which writes happened, and which of them each derived table has seen.
BOOKKEEPING_TABLES = ("write_log", "consumer_marks")
# Derived tables: replaced whole on each computation; their history is kept per edition.
DERIVED_TABLES = ("indicator_values", "progress_assessments", "air_station_annual")


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


class WarehouseBusy(RuntimeError):
    """Another process holds the DuckDB file's write lock."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


class Warehouse:
    """One DuckDB file. Open a connection per unit of work; never share one across processes."""

    def __init__(self, path: Path | str, *, lock_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        # The schema statements run on the first write connection of this object, not on every
        # one (each open costs tens of milliseconds on a national file; BENCHMARKS.md).
        self._schema_ready = False
        self._session: duckdb.DuckDBPyConnection | None = None  # see `session`
        self.payloads = PayloadStore(self.path.with_name(self.path.stem + "-payloads"))

    # -- connections --------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[None]:
        """One write connection for a run of calls (an asset's or a refresh step's work):
        every `connect` and `transaction` inside reuses it, so the file is opened and
        checkpointed once instead of once per call (see BENCHMARKS.md for the cost).
        Nested sessions share the outer one. Not for sharing across threads."""
        if self._session is not None:
            yield
            return
        with self.connect() as con:
            self._session = con
            try:
                yield
            finally:
                self._session = None

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection, waiting a bounded time for another process's lock to go. Inside a
        `session`, that session's connection (read-only requests included)."""
        if self._session is not None:
            yield self._session
            return
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"no warehouse at {self.path}; run `transition-monitor build`")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_s
        fresh_file = not self.path.exists()
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if not _is_lock_error(exc) or time.monotonic() >= deadline:
                    if _is_lock_error(exc):
                        raise WarehouseBusy(
                            f"another process holds {self.path} (waited "
                            f"{self.lock_timeout_s:.0f}s); stop the other run or wait for it, "
                            "then retry") from None
                    raise
                time.sleep(0.25)
        try:
            if not read_only:
                if fresh_file or not self._schema_ready:
                    self._ensure_schema(con)
                    self._schema_ready = True
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection inside one transaction: all of it commits, or none of it."""
        with self.connect() as con:
            con.begin()
            try:
                yield con
                con.commit()
            except BaseException:
                con.rollback()
                raise

    def _ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        self._move_bodies_to_payload_store(con)
        con.execute(RAW_DDL)
        for table in CLEAN_TABLES.values():
            con.execute(table.ddl())
        con.execute(BEST_AIR_VIEW)
        write_source_reference(con)
        create_views(con)

    def _move_bodies_to_payload_store(self, con: duckdb.DuckDBPyConnection) -> None:
        """A warehouse written before bodies moved out of DuckDB: copy each body into the
        payload store (verified by its hash), then drop the column. Nothing is lost."""
        columns = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'raw_payloads'").fetchall()}
        if "body" not in columns:
            return
        for content_hash, body in con.execute(
                "SELECT DISTINCT content_hash, body FROM raw_payloads").fetchall():
            self.payloads.put(content_hash, bytes(body))
        con.begin()
        con.execute("DROP VIEW IF EXISTS raw_payloads_current")
        con.execute("ALTER TABLE raw_payloads RENAME TO raw_payloads_with_bodies")
        con.execute(RAW_DDL)
        con.execute("INSERT INTO raw_payloads BY NAME SELECT * EXCLUDE (body), "
                    "octet_length(body) AS body_bytes FROM raw_payloads_with_bodies")
        con.execute("DROP TABLE raw_payloads_with_bodies")
        con.commit()

    def initialise(self) -> None:
        with self.connect():
            pass

    # -- raw vintages -------------------------------------------------------------------

    def record_payloads(self, payloads: Sequence[Payload], partition_key: str = "") -> int:
        """Append payloads whose content differs from the current vintage; return how many.

        One lookup for the whole batch and one insert: a query per payload cost 3.4 s for a
        national day of 300 pages, the batch lookup a few milliseconds."""
        if not payloads:
            return 0
        keys = pa.table({"source": [p.source for p in payloads],
                         "dataset": [p.dataset for p in payloads],
                         "request_key": [p.request_key for p in payloads]})
        with self.transaction() as con:
            con.register("batch_keys", keys)
            current = dict(((r[0], r[1], r[2]), r[3]) for r in con.execute(
                "SELECT r.source, r.dataset, r.request_key, arg_max(r.content_hash, r.fetched_at) "
                "FROM raw_payloads r SEMI JOIN (SELECT DISTINCT * FROM batch_keys) k "
                "USING (source, dataset, request_key) GROUP BY ALL").fetchall())
            con.unregister("batch_keys")
            new = []
            for p in payloads:
                key = (p.source, p.dataset, p.request_key)
                if current.get(key) != p.content_hash:
                    current[key] = p.content_hash
                    new.append(p)
            # bodies first: a row never points at a body not yet stored
            self.payloads.put_many((p.content_hash, p.body) for p in new)
            if new:
                rows = pa.table({
                    "source": [p.source for p in new], "dataset": [p.dataset for p in new],
                    "request_key": [p.request_key for p in new],
                    "partition_key": [partition_key] * len(new), "url": [p.url for p in new],
                    "media_type": [p.media_type for p in new],
                    "content_hash": [p.content_hash for p in new],
                    "fetched_at": pa.array([p.fetched_at for p in new], pa.timestamp("us", "UTC")),
                    "body_bytes": [len(p.body) for p in new]})
                con.register("new_payloads", rows)
                con.execute("INSERT INTO raw_payloads BY NAME SELECT * FROM new_payloads")
                con.unregister("new_payloads")
        return len(new)

    def current_payloads(self, source: str, dataset: str | None = None,
                         partition_key: str | None = None) -> list[Payload]:
        """The newest vintage of each request of a source (optionally one dataset/partition)."""
        sql = ("SELECT source, dataset, request_key, url, media_type, content_hash, fetched_at "
               "FROM raw_payloads_current WHERE source = ?")
        params: list[object] = [source]
        if dataset is not None:
            sql += " AND dataset = ?"
            params.append(dataset)
        if partition_key is not None:
            sql += " AND partition_key = ?"
            params.append(partition_key)
        with self.connect(read_only=False) as con:
            rows = con.execute(sql + " ORDER BY request_key", params).fetchall()
        return [Payload(source=r[0], dataset=r[1], request_key=r[2], url=r[3], media_type=r[4],
                        body=self.payloads.get(r[5]), fetched_at=r[6]) for r in rows]

    # -- clean tables -------------------------------------------------------------------

    def replace_window(self, table: str, frame: pl.DataFrame,
                       window: Mapping[str, object | tuple[object, object]]) -> int:
        """Delete the rows in `window` and insert `frame`, in one transaction.

        `window` maps column -> value (equality) or (low, high) (half-open range). Every row of
        `frame` must fall inside the window, so a re-run replaces exactly what it wrote before.
        """
        schema = clean_table(table)
        frame = schema.conform(frame)
        where, params = _window_sql(schema, window)
        _check_inside_window(schema, frame, window)
        with self.transaction() as con:
            con.execute(f"DELETE FROM {schema.name} WHERE {where}", params)  # noqa: S608
            if frame.height:
                con.register("incoming_frame", frame.to_arrow())
                con.execute(f"INSERT INTO {schema.name} SELECT * FROM incoming_frame")  # noqa: S608
                con.unregister("incoming_frame")
            start, end = next(((b[0], b[1]) for b in window.values() if isinstance(b, tuple)
                               and isinstance(b[0], datetime)), (None, None))
            _log_write(con, schema.name, frame.height, start, end)
        return frame.height

    def read_table(self, table: str, where: Mapping[str, object | tuple[object, object]] | None = None,
                   *, read_only: bool = True) -> pl.DataFrame:
        schema = clean_table(table)
        sql = f"SELECT * FROM {schema.name}"  # noqa: S608
        params: list[object] = []
        if where:
            clause, params = _window_sql(schema, where)
            sql += f" WHERE {clause}"
        with self.connect(read_only=read_only and self.path.exists()) as con:
            return con.execute(sql, params).pl()

    def read_tables(self, tables: Sequence[str], *, read_only: bool = True) -> dict[str, pl.DataFrame]:
        """Whole clean or derived tables, read over one connection; a missing derived table
        reads as None."""
        for name in tables:
            if name not in DERIVED_TABLES:
                clean_table(name)  # the allowlist: raises for an unknown name
        out: dict[str, pl.DataFrame] = {}
        with self.connect(read_only=read_only and self.path.exists()) as con:
            present = {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()}
            for name in tables:
                out[name] = con.execute(f"SELECT * FROM {name}").pl() if name in present else None  # noqa: S608
        return out

    def query(self, sql: str, params: Sequence[object] = (), *, read_only: bool = True) -> pl.DataFrame:
        """Run a fixed, project-written query with bound values (never user-built SQL)."""
        with self.connect(read_only=read_only and self.path.exists()) as con:
            return con.execute(sql, list(params)).pl()

    def station_annual_sums(self, years: Iterable[int] | None = None) -> pl.DataFrame:
        """Mean and hours with a value per station, component and reporting year (UTC+1),
        aggregated inside DuckDB over the best hourly view: only the small result leaves the
        database (pulling every hour into a frame took 15x longer and 7 GB nationally).
        `years` limits the work to those reporting years (a range filter on the timestamp, so
        DuckDB skips the row groups of other years); None means every year. When only one of
        the two hourly tables has rows in those years, the best-of rule has nothing to decide
        and that table is aggregated alone (the year to date, before RIVM's validated file
        exists; BENCHMARKS.md)."""
        with self.connect(read_only=self.path.exists()) as con:
            con.execute("SET TimeZone = 'UTC'")
            try:
                return con.execute(*self._station_annual_query(con, years)).pl()
            finally:  # a session's connection goes on with its own setting
                con.execute("RESET TimeZone")

    def _station_annual_query(self, con, years: Iterable[int] | None) -> tuple[str, list]:
        if years is None:
            return STATION_ANNUAL_SQL, []
        ranges = [reporting_year_window(year) for year in sorted(set(years))]
        if not ranges:
            return f"{STATION_ANNUAL_SELECT} FROM clean_air_quality_hourly WHERE false " \
                   "GROUP BY ALL", []
        where = " OR ".join(["(measured_at >= ? AND measured_at < ?)"] * len(ranges))
        params = [bound for pair in ranges for bound in pair]
        holding = [table for table in AIR_HOURLY_TABLES if con.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {where})", params).fetchone()[0]]  # noqa: S608
        if len(holding) == 1:
            return f"{STATION_ANNUAL_SELECT} FROM {holding[0]} WHERE {where} GROUP BY ALL", params  # noqa: S608
        return STATION_ANNUAL_YEARS_SQL.format(where=where), params * 2  # once per table

    # -- derived tables and their per-edition history ----------------------------------

    def replace_derived(self, name: str, frame: pl.DataFrame, *,
                        consumed: Changes | None = None) -> int:
        """Replace a derived table with `frame`, atomically (and mark `consumed` as seen)."""
        _check_derived(name)
        with self.transaction() as con:
            con.register("incoming_frame", frame.to_arrow())
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM incoming_frame")  # noqa: S608
            con.unregister("incoming_frame")
            _log_write(con, name, frame.height)
            if consumed is not None:
                _mark(con, consumed)
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
            _log_write(con, name, frame.height, keys=[str(k) for k in keys])
            if consumed is not None:
                _mark(con, consumed)
            return con.execute(f"SELECT * FROM {name}").pl()  # noqa: S608 (allowlisted name)

    # -- what changed since a consumer last ran ------------------------------------------

    def changes_since(self, consumer: str, tables: Sequence[str], config: str = "") -> Changes:
        """The writes to `tables` that `consumer` has not marked as seen. A consumer that is a
        derived table and does not exist (yet, or any more) must recompute everything."""
        with self.connect() as con:
            missing = consumer in DERIVED_TABLES and not con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
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
            _mark(con, consumed)

    def snapshot_derived(self, name: str, edition_id: str) -> None:
        """Copy a derived table into `<name>_history` under an edition id (vintages kept)."""
        _check_derived(name)
        with self.transaction() as con:
            con.execute(f"CREATE TABLE IF NOT EXISTS {name}_history AS "  # noqa: S608
                        f"SELECT ''::VARCHAR AS edition_id, * FROM {name} WHERE false")
            con.execute(f"DELETE FROM {name}_history WHERE edition_id = ?", [edition_id])  # noqa: S608
            con.execute(f"INSERT INTO {name}_history SELECT ?, * FROM {name}", [edition_id])  # noqa: S608

    def record_edition(self, edition_id: str, source_mode: str, path: str) -> None:
        with self.connect() as con:
            con.execute("INSERT INTO editions VALUES (?, ?, ?, ?)",
                        [edition_id, datetime.now(UTC), source_mode, path])

    def has_table(self, name: str) -> bool:
        if not self.path.exists():
            return False
        with self.connect(read_only=True) as con:
            return bool(con.execute("SELECT count(*) FROM information_schema.tables "
                                    "WHERE table_name = ?", [name]).fetchone()[0])

    # -- validation results -------------------------------------------------------------

    def record_validation(self, outcome: ValidationOutcome, validation_id: str) -> None:
        with self.transaction() as con:
            con.execute(
                "INSERT INTO validation_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [validation_id, outcome.table_name, outcome.partition_key, datetime.now(UTC),
                 outcome.success, outcome.row_count, len(outcome.expectations),
                 len(outcome.failed)],
            )
            for e in outcome.expectations:
                con.execute(
                    "INSERT INTO validation_expectations VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [validation_id, e.expectation, e.column,
                     json.dumps(e.parameters, default=str, sort_keys=True), e.success,
                     e.unexpected_count, json.dumps(list(e.unexpected_examples)[:20], default=str)],
                )

    def failed_tables(self) -> list[str]:
        """Tables whose latest validation of any partition failed."""
        frame = self.query("SELECT DISTINCT table_name FROM validation_latest WHERE NOT success "
                           "ORDER BY table_name")
        return frame["table_name"].to_list()

    # -- checksums ----------------------------------------------------------------------

    def checksums(self) -> dict[str, tuple[int, str]]:
        """Row count and an order-independent content hash per table, for before/after checks
        (the write log and consumer marks are bookkeeping about writes, not content)."""
        out: dict[str, tuple[int, str]] = {}
        if not self.path.exists():
            return out
        with self.connect(read_only=True) as con:
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "ORDER BY table_name").fetchall()]
            for name in (t for t in tables if t not in BOOKKEEPING_TABLES):
                quoted = '"' + name.replace('"', '""') + '"'  # names come from the catalog
                count, digest = con.execute(
                    f"SELECT count(*), coalesce(sum(hash(CAST(t AS VARCHAR))), 0)::VARCHAR "  # noqa: S608
                    f"FROM {quoted} t").fetchone()
                out[name] = (count, digest)
        return out


def _check_derived(name: str) -> None:
    if name not in DERIVED_TABLES:
        raise ValueError(f"unknown derived table {name!r}; allowed: {DERIVED_TABLES}")


def _window_sql(schema: TableSchema, window: Mapping[str, object]) -> tuple[str, list[object]]:
    clauses, params = [], []
    for column, bound in window.items():
        if column not in schema.column_names:
            raise ValueError(f"{schema.name}: {column!r} is not a column")
        if isinstance(bound, tuple):
            clauses.append(f"{column} >= ? AND {column} < ?")
            params.extend(bound)
        else:
            clauses.append(f"{column} = ?")
            params.append(bound)
    return (" AND ".join(clauses) or "TRUE"), params


def _check_inside_window(schema: TableSchema, frame: pl.DataFrame,
                         window: Mapping[str, object]) -> None:
    for column, bound in window.items():
        series = frame[column]
        if isinstance(bound, tuple):
            outside = series.filter((series < bound[0]) | (series >= bound[1]))
        else:
            outside = series.filter(series != bound)
        if outside.len():
            raise ValueError(f"{schema.name}: {outside.len()} row(s) fall outside the write "
                             f"window on {column} (first: {outside[0]!r})")


def _log_write(con: duckdb.DuckDBPyConnection, table: str, rows: int,
               start: datetime | None = None, end: datetime | None = None,
               keys: Sequence[str] | None = None) -> None:
    # Inside the writer's transaction: a write and its log entry commit together.
    con.execute("INSERT INTO write_log (table_name, window_start, window_end, keys, row_count, "
                "written_at) VALUES (?, ?, ?, ?, ?, ?)",
                [table, start, end, json.dumps(list(keys)) if keys is not None else None, rows,
                 datetime.now(UTC)])


def _mark(con: duckdb.DuckDBPyConnection, consumed: Changes) -> None:
    con.execute("INSERT OR REPLACE INTO consumer_marks VALUES (?, ?, ?, ?)",
                [consumed.consumer, consumed.high_water, consumed.config, datetime.now(UTC)])


def _identifier(frame: pl.DataFrame, column: str) -> str:
    # Column names of derived frames come from project code; refuse anything else as SQL.
    if column not in frame.columns or not column.replace("_", "").isalnum():
        raise ValueError(f"not a column name: {column!r}")
    return column
