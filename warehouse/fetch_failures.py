"""The sources whose last fetch failed, as the latest build saw them, for `status`.

Dagster's event log is the one source of truth (`orchestration.run_health.failed_fetches`);
`transition-monitor build` copies its verdict here at the end of every build, so `status`,
which reads only the warehouse (it must not import the pipeline), shows each source's last
failure. Replaced whole each time: a source fetched again since is no longer listed.
"""

from __future__ import annotations

import polars as pl

from warehouse.store import Warehouse

CREATE = ("CREATE TABLE IF NOT EXISTS source_fetch_failures (source VARCHAR, title VARCHAR, "
          "asset VARCHAR, failed_at TIMESTAMPTZ, error VARCHAR)")
COLUMNS = ("source", "title", "asset", "failed_at", "error")


def replace_fetch_failures(wh: Warehouse, failures: pl.DataFrame) -> None:
    """Store the current failed fetches (columns as `reports.contract.FETCH_FAILURE_SCHEMA`)."""
    rows = failures.select(COLUMNS).rows()
    with wh.transaction() as con:
        con.execute(CREATE)
        con.execute("DELETE FROM source_fetch_failures")
        if rows:
            con.executemany("INSERT INTO source_fetch_failures VALUES (?, ?, ?, ?, ?)", rows)
