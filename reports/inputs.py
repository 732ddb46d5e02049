"""Gather everything one edition shows from the warehouse, read-only, into `EditionInputs`.

The site writer never touches DuckDB; this module is the one place that turns stored tables
(indicator values, assessments, validation results, payload vintages, edition history) into
the frames the page builders take.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from core.freshness import is_stale
from families.registry import FAMILIES, statistical
from indicators.agenda import agendas_for
from indicators.catalogue import load_catalogue, load_regions
from indicators.changes import status_changes
from indicators.compute import (
    DERIVED_FROM,
    POPULATION,
    catalogue_frames,
    compute_breakdowns,
    regions_frame,
)
from reports.contract import (
    FETCH_FAILURE_SCHEMA,
    STATUS_HISTORY_SCHEMA,
    EditionInputs,
    SourceUse,
)
from sources.registry import SOURCES
from sources.snapshot import DEMO_MUNICIPALITIES, DEMO_STATIONS
from warehouse.health_sql import source_freshness_sql
from warehouse.store import Warehouse

# Every statistical family's table, by name from the registry (the allowlist).
SOURCE_FRESHNESS_SQL = source_freshness_sql([f.table_name for f in statistical()])

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
                     "stale": is_stale(r["newest_period"], spec.max_data_age_days if spec else 400, now)})
    schema = {"source": pl.String, "last_fetched_at": pl.Datetime("us", "UTC"),
              "newest_period": pl.String, "rows": pl.Int64, "title": pl.String,
              "licence": pl.String, "url": pl.String, "stale": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


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
        breakdowns=breakdowns(wh, catalogue, regions),
        agendas=agendas_for(catalogue, regions),
        previous_edition=prev,
    )


def breakdowns(wh: Warehouse, catalogue, regions) -> pl.DataFrame:
    """The parts of the indicators with a breakdown, from their clean tables' rows of the
    measure (read-only; computed as the indicator values are)."""
    tables = {}
    for indicator in (i for i in catalogue.indicators if i.breakdown is not None):
        source = indicator.source_tables[0]
        if source.table in {f.table_name for f in statistical()} and wh.has_table(source.table):
            rows = wh.query(f"SELECT * FROM {source.table} WHERE measure = ?",  # noqa: S608
                            [source.measure])
            tables[source.table] = pl.concat([tables[source.table], rows]) \
                if source.table in tables else rows
    return compute_breakdowns(catalogue, regions, tables)


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


def indicator_sources(wh: Warehouse, catalogue, sources: pl.DataFrame) -> dict[str, list[SourceUse]]:
    """Per indicator: the upstreams behind it. Each clean table it reads (through a derived
    table such as the stations' annual means, and the population weights) is the table of a
    family; the sources are that family's, narrowed to those with rows of the measures the
    indicator uses, each with the newest year it has a value for."""
    fetched = {r["source"]: r for r in sources.iter_rows(named=True)}
    measured = _measure_sources(wh)
    out = {}
    for indicator in catalogue.indicators:
        newest: dict[str, str | None] = {}
        for table, measure, entity in _clean_inputs(indicator):
            found = _found(measured.get(table, {}), measure, entity)
            for name in (found or dict.fromkeys(_family_sources(table))):
                newest[name] = max(filter(None, (newest.get(name), (found or {}).get(name))),
                                   default=None)
        out[indicator.id] = [_source_use(name, period, fetched.get(name))
                             for name, period in sorted(newest.items())]
    return out


def _clean_inputs(indicator) -> list[tuple[str, str, str]]:
    """(clean table, measure, entity) an indicator reads; derived tables become every clean
    table they are computed from (measure '' there: the whole family counts)."""
    inputs = [(s.table, s.measure, s.entity) for s in indicator.source_tables]
    if indicator.aggregation == "population_weighted_mean":
        inputs.append((POPULATION.table, POPULATION.measure, POPULATION.entity))
    return [(clean, measure if clean == table else "", entity)
            for table, measure, entity in inputs for clean in DERIVED_FROM.get(table, (table,))]


def _found(table: dict, measure: str, entity: str) -> dict[str, str | None] | None:
    """Sources (with newest year) of one measure: its entity's rows, or when the catalogue
    names no entity (a register summed over its entities), the rows of every entity."""
    if (measure, entity) in table:
        return table[(measure, entity)]
    rows = [found for (m, _), found in table.items() if m == measure] if not entity else []
    merged: dict[str, str | None] = {}
    for found in rows:
        for name, newest in found.items():
            merged[name] = max(filter(None, (merged.get(name), newest)), default=None)
    return merged or None


def _family_sources(table: str) -> tuple[str, ...]:
    return next((f.sources for f in FAMILIES if f.table_name == table), ())


def _measure_sources(wh: Warehouse) -> dict[str, dict[tuple[str, str], dict[str, str | None]]]:
    """Per statistical table, per (measure, entity): each source with its newest year."""
    out: dict[str, dict] = {}
    for fam in statistical():
        if not wh.has_table(fam.table_name):
            continue
        rows = wh.query(
            "SELECT measure, entity, source, max(period) FILTER (WHERE value IS NOT NULL "  # noqa: S608
            f"AND length(period) = 4) AS newest FROM {fam.table_name} GROUP BY ALL")
        for r in rows.iter_rows(named=True):
            out.setdefault(fam.table_name, {}).setdefault(
                (r["measure"], r["entity"]), {})[r["source"]] = r["newest"]
    return out


def _source_use(name: str, newest: str | None, fetched: dict | None) -> SourceUse:
    spec = SOURCES.get(name)
    fetched = fetched or {}
    return SourceUse(
        source=name, title=spec.title if spec else name, licence=spec.licence if spec else "",
        url=spec.link if spec else "", retrieved_at=fetched.get("last_fetched_at"),
        newest_period=newest or fetched.get("newest_period"),
        cadence=spec.cadence if spec else "yearly",
        release_month=spec.release_month if spec else None,
        max_data_age_days=spec.max_data_age_days if spec else 400)
