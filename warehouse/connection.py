"""Connections to the DuckDB file: sessions, transactions, the lock wait, the schema (raw
payload vintages, bookkeeping, validation results, clean tables), and plain reads."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import duckdb
import polars as pl

from families.air_quality.sql import BEST_AIR_VIEW
from warehouse import lake, year_parts
from warehouse.inputs import INPUTS_DDL
from warehouse.lake import LakeSettings
from warehouse.part_names import logical_tables
from warehouse.payload_store import PayloadStore, open_payload_store
from warehouse.schema import CLEAN_TABLES
from warehouse.views import create_views, write_source_reference

# Which writes happened, and which of them each derived table has seen.
BOOKKEEPING_TABLES = ("write_log", "consumer_marks", "input_fingerprints")
# Derived tables: replaced whole on each computation; their history is kept per edition.
DERIVED_TABLES = ("indicator_values", "progress_assessments", "air_station_annual")

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
CREATE TABLE IF NOT EXISTS source_fetch_failures (
  source VARCHAR NOT NULL,
  title VARCHAR,
  asset VARCHAR NOT NULL,
  failed_at TIMESTAMPTZ NOT NULL,
  error VARCHAR
);
CREATE OR REPLACE VIEW validation_latest AS
SELECT * EXCLUDE (rn) FROM (
  SELECT *, row_number() OVER (PARTITION BY table_name, partition_key
                               ORDER BY validated_at DESC) AS rn
  FROM validation_runs) WHERE rn = 1;
"""


# DuckLake has no sequences and no key constraints: write ids come from a PostgreSQL sequence
# (`lake.WRITE_ID_SQL`) and consumer marks are replaced by delete-then-insert.
LAKE_DDL = (RAW_DDL.replace("CREATE SEQUENCE IF NOT EXISTS write_log_seq;\n", "")
            .replace("write_id BIGINT NOT NULL DEFAULT nextval('write_log_seq')",
                     "write_id BIGINT NOT NULL")
            .replace("consumer VARCHAR PRIMARY KEY", "consumer VARCHAR NOT NULL"))
EMBEDDED_WRITE_ID_SQL = "nextval('write_log_seq')"
LAKE_WRITE_ID_SQL = lake.WRITE_ID_SQL


class WarehouseBusy(RuntimeError):
    """Another process holds the DuckDB file's write lock."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)



# The warehouse files this process has run the schema statements on, by file identity (path,
# device, inode): a build makes many `WarehouseConnection`s of one file, and each ran them again
# (a `CREATE OR REPLACE` of the reference table and views, 50-150 ms; BENCHMARKS.md). A file
# made anew, or replaced by another (a restore), has another identity and gets them again.
_SCHEMA_MADE: set[tuple[str, int, int]] = set()


def _file_identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_dev, stat.st_ino


class WarehouseConnection:
    """One DuckDB file, or a DuckLake lake when `lake` is given (or configured in the
    environment, `LakeSettings.from_env`). Open a connection per unit of work; never share one
    across processes. `path` also places the payload store's folder, unless TM_PAYLOAD_PATH
    names another store (`open_payload_store`)."""

    def __init__(self, path: Path | str, *, lock_timeout_s: float = 30.0,
                 lake: LakeSettings | None | bool = None) -> None:
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        # None: the environment decides; False: the embedded file whatever the environment says.
        self.lake = LakeSettings.from_env() if lake is None else (lake or None)
        self.write_id_sql = LAKE_WRITE_ID_SQL if self.lake else EMBEDDED_WRITE_ID_SQL
        # The schema statements run on the first write connection of this object, not on every
        # one (each open costs tens of milliseconds on a national file; BENCHMARKS.md).
        self._schema_ready = False
        self._session: duckdb.DuckDBPyConnection | None = None  # see `session`
        # Raw bodies: the folder beside the file, or the store TM_PAYLOAD_PATH names (S3 for
        # workers on several machines); `lake=False` keeps the folder, as it keeps the file.
        beside = self.path.with_name(self.path.stem + "-payloads")
        self.payloads = PayloadStore(beside) if lake is False else open_payload_store(beside)

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
        if self.lake is not None:
            con = self.lake.connect()
            try:
                if not read_only and not self._schema_ready:
                    self._ensure_lake_schema(con)
                    self._schema_ready = True
                yield con
            finally:
                con.close()
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
                    file = _file_identity(self.path)
                    if fresh_file or file not in _SCHEMA_MADE:
                        self._ensure_schema(con)
                        _SCHEMA_MADE.add(file)
                    self._schema_ready = True
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection inside one transaction: all of it commits, or none of it. On the
        lake, under its write lock (`LakeSettings.write_lock`: commits one at a time)."""
        with self.connect() as con, (self.lake.write_lock() if self.lake else nullcontext()):
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
        con.execute(INPUTS_DDL)
        for table in CLEAN_TABLES.values():
            if table.name in year_parts.YEARLY_STORED:  # a view over one table per year
                year_parts.ensure(con, table)
            else:
                con.execute(table.ddl())
        con.execute(BEST_AIR_VIEW)
        write_source_reference(con)
        create_views(con)

    def _ensure_lake_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        """The same tables and views in the lake; workers starting together may race to
        create them, so a commit that lost the race is retried (IF NOT EXISTS then holds)."""
        wanted = {"raw_payloads", "raw_payloads_current", "validation_runs",
                  "validation_expectations", "editions", "write_log", "consumer_marks",
                  "validation_latest", "air_quality_hourly_best", "input_fingerprints",
                  "ref_sources", "source_fetch_failures", *CLEAN_TABLES}
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database()").fetchall()}
        if wanted <= present:  # made already: `CREATE OR REPLACE VIEW` would be a write
            return
        lake.ensure_sequence(con)
        statements = [s for s in LAKE_DDL.split(";\n") if s.strip()]
        statements += [INPUTS_DDL] + [t.ddl() for t in CLEAN_TABLES.values()] + [BEST_AIR_VIEW]
        for attempt in range(10):
            try:
                con.begin()
                for sql in statements:
                    con.execute(sql)
                write_source_reference(con)
                con.commit()
                return
            except duckdb.TransactionException:
                try:
                    con.rollback()
                except duckdb.Error:
                    pass  # the failed commit ended the transaction already
                if attempt == 9:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def exists(self) -> bool:
        """Whether there is a warehouse to read (a lake always is: its schema is made on the
        first write)."""
        return self.lake is not None or self.path.exists()

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

    def query(self, sql: str, params: Sequence[object] = (), *, read_only: bool = True) -> pl.DataFrame:
        """Run a fixed, project-written query with bound values (never user-built SQL)."""
        with self.connect(read_only=read_only and self.exists()) as con:
            return con.execute(sql, list(params)).pl()

    def has_table(self, name: str) -> bool:
        if not self.exists():
            return False
        with self.connect(read_only=True) as con:
            return bool(con.execute("SELECT count(*) FROM information_schema.tables "
                                    "WHERE table_catalog = current_database() "
                                    "AND table_name = ?", [name]).fetchone()[0])

    def checksums(self) -> dict[str, tuple[int, str]]:
        """Row count and an order-independent content hash per table, for before/after checks
        (the write log and consumer marks are bookkeeping about writes, not content)."""
        out: dict[str, tuple[int, str]] = {}
        if not self.exists():
            return out
        with self.connect(read_only=True) as con:
            tables = logical_tables([r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND table_catalog = current_database() ORDER BY table_name").fetchall()],
                year_parts.YEARLY_STORED)
            for name in (t for t in tables if t not in BOOKKEEPING_TABLES):
                quoted = '"' + name.replace('"', '""') + '"'  # names come from the catalog
                count, digest = con.execute(
                    f"SELECT count(*), coalesce(sum(hash(CAST(t AS VARCHAR))), 0)::VARCHAR "  # noqa: S608
                    f"FROM {quoted} t").fetchone()
                out[name] = (count, digest)
        return out

