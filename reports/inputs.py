"""Gather everything one edition shows from the warehouse, read-only, into `EditionInputs`.

The site writer never touches DuckDB; this module is the one place that turns stored tables
(indicator values, assessments, validation results, payload vintages, edition history) into
the frames the page builders take.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from families.registry import statistical
from indicators.catalogue import load_catalogue, load_regions
from indicators.changes import status_changes
from indicators.compute import catalogue_frames, regions_frame
from reports.contract import FETCH_FAILURE_SCHEMA, STATUS_HISTORY_SCHEMA, EditionInputs
from sources.registry import SOURCES
from sources.snapshot import DEMO_MUNICIPALITIES, DEMO_STATIONS
from warehouse.store import Warehouse

# Every statistical family's table, by name from the registry (the allowlist).
STAT_UNION = " UNION ALL ".join(
    f"SELECT source, period, value FROM {f.table_name}" for f in statistical())  # noqa: S608
SOURCE_FRESHNESS_SQL = f"""
WITH fetched AS (
  SELECT source, max(fetched_at) AS last_fetched_at, count(*) AS payloads
  FROM raw_payloads_current GROUP BY source),
stat_periods AS (
  -- the newest period with a value: CBS publishes a new period empty first
  SELECT source, max(period) FILTER (WHERE value IS NOT NULL) AS newest_period,
         count(*) AS rows FROM ({STAT_UNION})
  GROUP BY source),
periods AS (
  -- hourly tables: take the max first, format one value (not millions of timestamps)
  SELECT * FROM stat_periods UNION ALL
  SELECT 'luchtmeetnet', strftime(max(measured_at), '%Y-%m-%d'), count(*)
    FROM clean_air_quality_hourly UNION ALL
  SELECT 'rivm_air_quality', strftime(max(measured_at), '%Y-%m-%d'), count(*)
    FROM clean_air_quality_validated_hourly)
SELECT f.source, f.last_fetched_at, p.newest_period, coalesce(p.rows, 0) AS rows
FROM fetched f LEFT JOIN periods p ON p.source = f.source ORDER BY f.source
"""  # noqa: S608

FAILURES_SQL = """
SELECT r.table_name, r.partition_key, e.expectation, e.column_name, e.parameters,
       e.unexpected_count, e.unexpected_examples
FROM validation_latest r JOIN validation_expectations e USING (validation_id)
WHERE NOT e.success ORDER BY r.table_name, r.partition_key
"""


def source_freshness(wh: Warehouse, now: datetime | None = None) -> pl.DataFrame:
    """Per source: title, licence, last fetch, newest period, rows, and whether it is stale."""
    now = now or datetime.now(UTC)
    frame = wh.query(SOURCE_FRESHNESS_SQL)
    rows = []
    for r in frame.iter_rows(named=True):
        spec = SOURCES.get(r["source"])
        rows.append({**r, "title": spec.title if spec else r["source"],
                     "licence": spec.licence if spec else "", "url": spec.base_url if spec else "",
                     "stale": _is_stale(r["newest_period"], spec.max_data_age_days if spec else 400, now)})
    schema = {"source": pl.String, "last_fetched_at": pl.Datetime("us", "UTC"),
              "newest_period": pl.String, "rows": pl.Int64, "title": pl.String,
              "licence": pl.String, "url": pl.String, "stale": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


def _is_stale(newest_period: str | None, max_age_days: int, now: datetime) -> bool:
    """Data-time freshness: the end of the newest period is older than the source allows."""
    if not newest_period:
        return True
    year = int(newest_period[:4])
    month = int(newest_period[5:7]) if len(newest_period) >= 7 and newest_period[5:7].isdigit() else 12
    day = int(newest_period[8:10]) if len(newest_period) >= 10 else 28
    end = datetime(year, month, day, tzinfo=UTC)
    return (now - end).days > max_age_days


def previous_edition(wh: Warehouse, before: str) -> str | None:
    frame = wh.query("SELECT edition_id FROM editions WHERE edition_id <> ? "
                     "ORDER BY built_at DESC LIMIT 1", [before])
    return frame["edition_id"][0] if frame.height else None


def _history(wh: Warehouse, name: str, edition_id: str | None, like: pl.DataFrame) -> pl.DataFrame:
    if edition_id is None or not wh.has_table(f"{name}_history"):
        return like.clear()
    frame = wh.query(f"SELECT * EXCLUDE (edition_id) FROM {name}_history "  # noqa: S608
                     "WHERE edition_id = ?", [edition_id])
    return frame


def load_edition_inputs(wh: Warehouse, edition_id: str, *, demo_data: bool,
                        fetch_failures: pl.DataFrame | None = None) -> EditionInputs:
    """Everything an edition shows. `fetch_failures` (contract.FETCH_FAILURE_SCHEMA): the
    sources whose latest fetch failed, as the orchestration layer knows them."""
    catalogue, regions = load_catalogue(), load_regions()
    indicators, targets = catalogue_frames(catalogue)
    values = wh.query("SELECT * FROM indicator_values")
    assessments = wh.query("SELECT * FROM progress_assessments")
    prev = previous_edition(wh, edition_id)
    changes = status_changes(_history(wh, "indicator_values", prev, values), values,
                             _history(wh, "progress_assessments", prev, assessments), assessments)
    sources = source_freshness(wh)
    return EditionInputs(
        edition_id=edition_id, generated_at=datetime.now(UTC), demo_data=demo_data,
        indicators=indicators, targets=targets, regions=regions_frame(regions), values=values,
        assessments=assessments, sources=sources,
        validation=wh.query("SELECT * FROM validation_latest ORDER BY table_name, partition_key"),
        validation_failures=wh.query(FAILURES_SQL), changes=changes,
        indicator_sources=indicator_sources(wh, catalogue, sources),
        featured_regions=regions.featured,
        not_in_snapshot=not_in_snapshot(regions) if demo_data else {},
        fetch_failures=fetch_failures if fetch_failures is not None
        else pl.DataFrame(schema=FETCH_FAILURE_SCHEMA),
        status_history=status_history(wh),
    )


STATUS_HISTORY_SQL = """
SELECT h.edition_id, e.built_at, h.indicator_id, h.region_id, h.target_id, h.status
FROM progress_assessments_history h JOIN editions e USING (edition_id)
ORDER BY e.built_at, h.indicator_id, h.region_id
"""


def status_history(wh: Warehouse) -> pl.DataFrame:
    """Every status of earlier editions, oldest edition first (kept per edition by publish)."""
    if not wh.has_table("progress_assessments_history"):
        return pl.DataFrame(schema=STATUS_HISTORY_SCHEMA)
    return wh.query(STATUS_HISTORY_SQL).cast(STATUS_HISTORY_SCHEMA)


def not_in_snapshot(regions) -> dict[str, list[str]]:
    """Per region: the names of its municipalities and stations the demo snapshot lacks."""
    out = {}
    for region in regions.regions:
        missing = [regions.municipality_name(m) for m in region.municipalities
                   if m not in DEMO_MUNICIPALITIES]
        missing += [(regions.station(s).name if regions.station(s) else s)
                    for s in region.stations if s not in DEMO_STATIONS]
        if missing:
            out[region.id] = missing
    return out


def indicator_sources(wh: Warehouse, catalogue, sources: pl.DataFrame) -> dict[str, dict]:
    """Per indicator: the upstream(s) behind it, licence, retrieval date and vintage."""
    by_source = {r["source"]: r for r in sources.iter_rows(named=True)}
    out: dict[str, dict] = {}
    for indicator in catalogue.indicators:
        names = sorted({_source_of(st.table) for st in indicator.source_tables} - {None})
        rows = [by_source[n] for n in names if n in by_source]
        fetched = [r["last_fetched_at"] for r in rows if r["last_fetched_at"]]
        out[indicator.id] = {
            "source_title": "; ".join(r["title"] for r in rows) or "; ".join(names),
            "licence": "; ".join(sorted({r["licence"] for r in rows})),
            "retrieved_at": max(fetched) if fetched else None,
            "vintage": ", ".join(f"{r['source']} {r['newest_period']}" for r in rows),
        }
    return out


def _source_of(table: str) -> str | None:
    """The upstream source name a catalogue source table refers to (best effort)."""
    return {"air_station_annual": "rivm_air_quality"}.get(table, table if table in SOURCES else None)
