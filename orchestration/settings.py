"""Where generated state lives: one directory, configurable, with a sensible default.

`TRANSITION_MONITOR_HOME` (default `./var`) holds the DuckDB file, DAGSTER_HOME (telemetry
off, one writer at a time), the synthesized snapshot files, the published site and the
notification log. Nothing the project writes goes anywhere else.

The distributed profile (README "Beyond one machine") is chosen by the environment too: the
DuckLake warehouse (`TM_LAKE_*`, warehouse/lake.py), Dagster's storage in PostgreSQL
(`TM_DAGSTER_POSTGRES_URL`), `TM_WORKERS` worker processes and, with
`TM_CELERY_BROKER_URL`, Celery workers executing the steps (`distributed_profile`).
"""


import os
from dataclasses import dataclass, field
from pathlib import Path

HOME_ENV = "TRANSITION_MONITOR_HOME"
WORKERS_ENV = "TM_WORKERS"
DAGSTER_POSTGRES_ENV = "TM_DAGSTER_POSTGRES_URL"
CELERY_BROKER_ENV = "TM_CELERY_BROKER_URL"
SOURCE_MODE_ENV = "TRANSITION_MONITOR_SOURCE"

# Telemetry off (no outside connection), a single concurrency slot for the DuckDB writers, and
# the daemon's evaluation of the raw assets' freshness policies (off by default in Dagster 1.13).
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
freshness:
  enabled: true
"""


# The distributed profile's instance: run, event and schedule storage in PostgreSQL (the URL is
# read from the environment by Dagster, never written to the file); runs of different
# partitions at once up to the worker count, runs of one partition one at a time (the queue's
# per-value tag limit on `dagster/partition`); warehouse writers up to the worker count (the
# lake serialises their commits itself, warehouse/lake.py `write_lock`).
DISTRIBUTED_DAGSTER_YAML = """\
telemetry:
  enabled: false
storage:
  postgres:
    postgres_url:
      env: {url_env}
concurrency:
  runs:
    max_concurrent_runs: {workers}
    tag_concurrency_limits:
      - key: dagster/partition
        value:
          applyLimitPerUniqueValue: true
        limit: 1
  pools:
    default_limit: {workers}
freshness:
  enabled: true
"""


@dataclass(frozen=True)
class DistributedProfile:
    """How many worker processes a build fans out to, where Dagster keeps its runs, and the
    Celery broker whose workers execute the runs' steps (None: the runs' own processes do)."""
    workers: int = 1
    dagster_postgres_url: str | None = None
    celery_broker_url: str | None = field(default=None, repr=False)  # may hold a password

    @property
    def distributed(self) -> bool:
        return self.workers > 1 or self.dagster_postgres_url is not None or self.celery

    @property
    def celery(self) -> bool:
        return self.celery_broker_url is not None

    def dagster_yaml(self) -> str:
        if self.dagster_postgres_url is None:
            return DAGSTER_YAML
        return DISTRIBUTED_DAGSTER_YAML.format(url_env=DAGSTER_POSTGRES_ENV,
                                               workers=self.workers)


def distributed_profile(environ: dict[str, str] | None = None) -> DistributedProfile:
    """The profile the environment asks for. Several workers need the lake: the embedded
    DuckDB file allows one writing process."""
    env = os.environ if environ is None else environ
    raw = env.get(WORKERS_ENV) or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"${WORKERS_ENV} must be a whole number of at least 1, not {raw!r}")
    workers = int(raw)
    if workers > 1 and not env.get("TM_LAKE_CATALOG"):
        raise ValueError(f"${WORKERS_ENV}={workers} needs the DuckLake warehouse "
                         "(TM_LAKE_CATALOG): the embedded DuckDB file takes one writer")
    broker = env.get(CELERY_BROKER_ENV) or None
    # A Celery worker reads the run from Dagster's storage and writes the warehouse from
    # another process (or machine): both must be shared services.
    if broker and not (env.get("TM_LAKE_CATALOG") and env.get(DAGSTER_POSTGRES_ENV)):
        raise ValueError(f"${CELERY_BROKER_ENV} needs the DuckLake warehouse (TM_LAKE_CATALOG) "
                         f"and Dagster's storage in PostgreSQL (${DAGSTER_POSTGRES_ENV}): "
                         "Celery workers run steps in processes of their own")
    return DistributedProfile(workers, env.get(DAGSTER_POSTGRES_ENV) or None, broker)


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def generated_snapshot(self) -> Path:
        return self.home / "snapshot-generated"

    @property
    def drop(self) -> Path:
        """Drop folders of file sources: `drop/<source>/` (see sources.files)."""
        return self.home / "drop"

    @property
    def site(self) -> Path:
        return self.home / "site"

    @property
    def notifications(self) -> Path:
        return self.home / "notifications.log"


def paths(home: str | Path | None = None) -> Paths:
    chosen = home or os.environ.get(HOME_ENV) or Path.cwd() / "var"
    return Paths(Path(chosen).resolve())


def source_mode() -> str:
    mode = os.environ.get(SOURCE_MODE_ENV, "snapshot")
    if mode not in ("snapshot", "live"):
        raise ValueError(f"${SOURCE_MODE_ENV} must be 'snapshot' or 'live', not {mode!r}")
    return mode


def prepare_dagster_home(p: Paths) -> Path:
    """Create DAGSTER_HOME with telemetry off (and the distributed profile's storage and
    concurrency when configured) and export it for this process."""
    p.dagster_home.mkdir(parents=True, exist_ok=True)
    config = p.dagster_home / "dagster.yaml"
    wanted = distributed_profile().dagster_yaml()
    if not config.exists() or config.read_text() != wanted:
        config.write_text(wanted)
    os.environ["DAGSTER_HOME"] = str(p.dagster_home)
    return p.dagster_home
