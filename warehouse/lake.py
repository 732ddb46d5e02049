"""The distributed backend: a DuckLake lakehouse whose catalogue lives in PostgreSQL and whose
data files are Parquet in S3-compatible object storage (or a local folder).

Chosen by configuration (README "Distributed profile"): `LakeSettings.from_env()` reads
`TM_LAKE_CATALOG` (a libpq connection string, e.g. `host=127.0.0.1 port=5432 dbname=lake
user=tm`); unset means the embedded DuckDB file. DuckDB extensions are not downloaded: they
are loaded from the `duckdb-extension-*` packages, which are built for one DuckDB version
(pyproject.toml pins both). Several processes may write at once: DuckLake commits each
transaction as a snapshot in the PostgreSQL catalogue, retrying when another writer committed
first; write-log ids come from one PostgreSQL sequence. Write transactions take a PostgreSQL
advisory lock (`write_lock`): DuckLake detects conflicts per table (two transactions deleting
from one table conflict even on different partitions, and the later commit fails), so commits
go one at a time while fetching, parsing and validation run in parallel; a write-log id is then
also taken in commit order.
"""

from __future__ import annotations

import importlib.util
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.s3 import S3Access

EXTENSIONS = ("httpfs", "postgres_scanner", "ducklake")
LAKE = "lake"  # the attached DuckLake catalogue's name inside each connection
CATALOG_PG = "lake_catalog_pg"  # the same PostgreSQL database, attached plainly (the sequence)
WRITE_ID_SEQUENCE = "tm_write_log_seq"
# The advisory lock every lake write transaction holds (one key per catalogue database).
WRITE_LOCK_KEY = zlib.crc32(b"transition-monitor lake writes")


def extension_path(name: str) -> Path:
    """The packaged extension file for this DuckDB version (`duckdb-extension-<name>`)."""
    package = "duckdb_extension_" + name
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the distributed profile needs the package "
                           f"{package.replace('_', '-')} (uv sync installs it)")
    root = Path(next(iter(spec.submodule_search_locations)))
    wanted = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not wanted.exists():
        found = sorted(p.parent.name for p in root.glob("extensions/*/*.duckdb_extension"))
        raise RuntimeError(f"{package} has no build for duckdb {duckdb.__version__} "
                           f"(it has {found}); pin both to one version")
    return wanted


@dataclass(frozen=True)
class LakeSettings:
    """Where the lake lives. `data_path` is `s3://bucket/prefix/` or a local folder."""
    catalog: str  # libpq connection string of the PostgreSQL catalogue database
    data_path: str
    s3_endpoint: str | None = None  # host:port of an S3-compatible endpoint (None: AWS)
    s3_key_id: str | None = None
    s3_secret: str | None = None
    s3_region: str = "us-east-1"
    s3_use_ssl: bool = True

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> LakeSettings | None:
        env = os.environ if environ is None else environ
        catalog = env.get("TM_LAKE_CATALOG")
        if not catalog:
            return None
        data_path = env.get("TM_LAKE_DATA_PATH")
        if not data_path:
            raise RuntimeError("TM_LAKE_CATALOG is set but TM_LAKE_DATA_PATH is not "
                               "(s3://bucket/prefix/ or a local folder)")
        s3 = S3Access.from_env(env)
        return cls(catalog=catalog, data_path=data_path, s3_endpoint=s3.endpoint,
                   s3_key_id=s3.key_id, s3_secret=s3.secret, s3_region=s3.region,
                   s3_use_ssl=s3.use_ssl)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A connection with the lake attached and in use (`USE lake`): a cursor on one
        in-memory database per process (loading the extensions and attaching cost over a
        second; a cursor has its own transactions and costs milliseconds)."""
        key = (self, os.getpid())
        base = _BASES.get(key)
        if base is None:
            base = _BASES[key] = self._open()
        cursor = base.cursor()
        cursor.execute(f"USE {LAKE}")
        return cursor

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the lake's write lock: a PostgreSQL session-level advisory lock on a
        connection of this process's own, so a killed process releases it with its
        connection (nothing committed, nothing left locked)."""
        key = (self, os.getpid())
        pg = _LOCKS.get(key)
        if pg is None or pg.closed:
            import psycopg2  # with dagster-postgres, in the `distributed` group

            pg = _LOCKS[key] = psycopg2.connect(self.catalog)
            pg.autocommit = True
        with pg.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK_KEY,))
        try:
            yield
        finally:
            with pg.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK_KEY,))

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(config={"autoinstall_known_extensions": False,
                                     "autoload_known_extensions": False})
        try:
            for name in EXTENSIONS:
                con.execute(f"LOAD '{extension_path(name)}'")
            if self.data_path.startswith("s3://"):
                options = [f"KEY_ID '{_literal(self.s3_key_id or '')}'",
                           f"SECRET '{_literal(self.s3_secret or '')}'",
                           f"REGION '{_literal(self.s3_region)}'"]
                if self.s3_endpoint:
                    options += [f"ENDPOINT '{_literal(self.s3_endpoint)}'", "URL_STYLE 'path'"]
                options.append(f"USE_SSL {'true' if self.s3_use_ssl else 'false'}")
                con.execute(f"CREATE TEMPORARY SECRET lake_s3 (TYPE s3, {', '.join(options)})")
            else:
                Path(self.data_path).mkdir(parents=True, exist_ok=True)
            for attempt in range(10):  # a new catalogue: the first writers race to create it
                try:
                    con.execute(f"ATTACH '{_literal('ducklake:postgres:' + self.catalog)}' "
                                f"AS {LAKE} (DATA_PATH '{_literal(self.data_path)}')")
                    break
                except duckdb.Error:
                    if attempt == 9:
                        raise
                    time.sleep(0.3 * (attempt + 1))
            con.execute(f"ATTACH '{_literal(self.catalog)}' AS {CATALOG_PG} (TYPE postgres)")
            con.execute(f"USE {LAKE}")
        except BaseException:
            con.close()
            raise
        return con


_BASES: dict[tuple[LakeSettings, int], duckdb.DuckDBPyConnection] = {}
_LOCKS: dict[tuple[LakeSettings, int], object] = {}  # psycopg2 connections

# The next write-log id, from a PostgreSQL sequence every writer shares (DuckLake has none).
WRITE_ID_SQL = (f"(SELECT nextval FROM postgres_query('{CATALOG_PG}', "  # noqa: S608 (constants)
                f"'SELECT nextval(''{WRITE_ID_SEQUENCE}'') AS nextval'))")


def ensure_sequence(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CALL postgres_execute('{CATALOG_PG}', "
                f"'CREATE SEQUENCE IF NOT EXISTS {WRITE_ID_SEQUENCE}')")


def _literal(text: str) -> str:
    return text.replace("'", "''")
