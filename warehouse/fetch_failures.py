"""The sources whose last fetch failed, as the latest build saw them, for `status`.

Dagster's event log is the one source of truth (`orchestration.run_health.failed_fetches`);
the edition asset and `transition-monitor build` (at its end) copy its verdict here, so `status`,
which reads only the warehouse (it must not import the pipeline), shows each source's last
failure. Replaced whole each time: a source fetched again since is no longer listed. The table
is part of the schema every backend creates (`warehouse.connection.RAW_DDL`).
"""

from __future__ import annotations

import polars as pl

from warehouse.store import Warehouse

COLUMNS = ("source", "title", "asset", "failed_at", "error")


def replace_fetch_failures(wh: Warehouse, failures: pl.DataFrame) -> None:
    """Store the current failed fetches (columns as `reports.contract.FETCH_FAILURE_SCHEMA`)."""
    rows = failures.select(COLUMNS).rows()
    with wh.transaction() as con:
        con.execute("DELETE FROM source_fetch_failures")
        if rows:
            con.executemany("INSERT INTO source_fetch_failures VALUES (?, ?, ?, ?, ?)", rows)
