"""Freshness checks, on materialisation time and on data time, with thresholds from
`sources.registry` (declared next to each source).

Materialisation time: a Dagster `FreshnessPolicy` on every raw asset (`fetch_freshness` in
orchestration/assets: failing when its last materialisation is older than the source's
`max_fetch_age_days`), evaluated by the daemon's freshness loop (enabled in DAGSTER_HOME's
dagster.yaml) and shown as the asset's freshness state in the UI. Data time: a check on each clean table comparing its newest period per source with
the allowed age; a stale source (the same last timestamp for days) fails it; the alert goes out once per table
after the run (orchestration/alerts.py), together with any other failure of that table.
"""


import dagster as dg
import polars as pl

from families.registry import FAMILIES, feeds
from orchestration.assets.air_quality import RAW_ASSET_SOURCES
from orchestration.resources import WarehouseResource
from reports.inputs import source_freshness
from sources.registry import SOURCES

CLEAN_TABLE_SOURCES = {f.table_name: list(f.sources) for f in FAMILIES}


def raw_asset_sources() -> dict[str, str]:
    return {**RAW_ASSET_SOURCES, **{f"raw_{feed.name}": feed.source for _, feed in feeds()}}


FRESHNESS_CHECK = "data_is_fresh"


def freshness_result(warehouse: WarehouseResource, table: str,
                     freshness: pl.DataFrame | None = None) -> dg.AssetCheckResult:
    """The verdict of a clean table's data-freshness check (the alert is sent per table after
    the run, orchestration/alerts.py, or by `report_freshness` when no run was needed).
    `freshness`: `source_freshness` read already, for judging several tables with one read."""
    sources = sorted(set(CLEAN_TABLE_SOURCES[table]))
    if freshness is None:
        freshness = source_freshness(warehouse.warehouse())
    rows = [r for r in freshness.to_dicts() if r["source"] in sources]
    stale = [r["source"] for r in rows if r["stale"]] + \
        [s for s in sources if s not in {r["source"] for r in rows}]
    return dg.AssetCheckResult(
        check_name=FRESHNESS_CHECK, passed=not stale, severity=dg.AssetCheckSeverity.WARN,
        metadata={"stale_sources": stale,
                  "newest_periods": {r["source"]: r["newest_period"] for r in rows},
                  "max_age_days": {s: SOURCES[s].max_data_age_days for s in sources}})


def data_freshness_check(table: str) -> dg.AssetChecksDefinition:
    sources = sorted(set(CLEAN_TABLE_SOURCES[table]))

    @dg.asset_check(asset=table, name=FRESHNESS_CHECK,
                    description=f"Newest data period of {', '.join(sources)} within the age "
                                "declared for the source.")
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        return freshness_result(warehouse, table)

    return _check


def all_freshness_checks() -> list[dg.AssetChecksDefinition]:
    return [data_freshness_check(t) for t in CLEAN_TABLE_SOURCES]
