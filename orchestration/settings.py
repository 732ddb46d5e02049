"""Where generated state lives: one directory, configurable, with a sensible default.

`TRANSITION_MONITOR_HOME` (default `./var`) holds the DuckDB file, DAGSTER_HOME (telemetry
off, one writer at a time), the synthesized snapshot files, the published site and the
notification log. Nothing the project writes goes anywhere else.
"""


import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "TRANSITION_MONITOR_HOME"
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
    """Create DAGSTER_HOME with telemetry off and export it for this process."""
    p.dagster_home.mkdir(parents=True, exist_ok=True)
    config = p.dagster_home / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_YAML:
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(p.dagster_home)
    return p.dagster_home
