"""Which sources could not be refreshed: a raw asset whose newest step failure in Dagster's
event log is newer than its newest materialisation failed its last fetch, and the edition
shows that source's older figures (with a banner saying from when).

Read from the Dagster instance, so every run counts (schedules, the CLI build, the web UI).
A record of fetch failures kept in the warehouse can be added as a second producer of the
same frame (`reports.contract.FETCH_FAILURE_SCHEMA`).
"""

import os
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from orchestration.freshness import raw_asset_sources
from reports.contract import FETCH_FAILURE_SCHEMA
from sources.http import redact
from sources.registry import SOURCES

RECENT_FAILED_RUNS = 1000  # runs that did not succeed, read newest first
# Every status but success: a run with a failed step ends failed or canceled (Dagster's
# `job_execution_iterator`), and one still in progress may already hold a step failure.
NOT_SUCCEEDED = [s for s in dg.DagsterRunStatus if s != dg.DagsterRunStatus.SUCCESS]


def _root_message(event) -> str:
    error = event.event_specific_data.error if event.event_specific_data else None
    while error is not None and error.cause is not None:  # the source's own error
        error = error.cause
    return (error.message if error else "").strip()


def failed_fetches(instance: dg.DagsterInstance) -> pl.DataFrame:
    """One row per source whose raw asset failed after its last successful materialisation
    (source, title, asset, failed_at, error); an empty frame when every last fetch succeeded."""
    assets = raw_asset_sources()
    newest_failure: dict[str, tuple[float, str]] = {}
    # Only the runs that did not succeed can hold a step failure: reading their events alone
    # spares opening the event shard of every run ever made (the SQLite instance keeps one
    # per run, and a query across runs opens them all: seconds of every build, growing).
    runs = instance.get_run_records(dg.RunsFilter(statuses=NOT_SUCCEEDED),
                                    limit=RECENT_FAILED_RUNS)
    records = [record for run in runs for record in instance.get_records_for_run(
        run.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records]
    for record in sorted(records, key=lambda r: r.event_log_entry.timestamp, reverse=True):
        event = record.event_log_entry.dagster_event
        step = event.step_key if event else None
        if step in assets and step not in newest_failure:
            newest_failure[step] = (record.event_log_entry.timestamp, _root_message(event))
    secrets = {name: os.environ.get(name, "") for spec in SOURCES.values()
               for name in spec.secret_names}
    rows = []
    for asset, (failed_ts, message) in sorted(newest_failure.items()):
        done = instance.get_latest_materialization_event(dg.AssetKey(asset))
        if done is not None and done.timestamp >= failed_ts:
            continue  # fetched again since
        source = SOURCES.get(assets[asset])
        rows.append({"source": assets[asset], "title": source.title if source else None,
                     "asset": asset,
                     "failed_at": datetime.fromtimestamp(failed_ts, UTC),
                     "error": redact(message, secrets)[:500]})
    return pl.DataFrame(rows, schema=FETCH_FAILURE_SCHEMA)
