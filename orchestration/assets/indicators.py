"""Indicators: station annual means, indicator series per region, and progress against
targets. The catalogue and regions are declarative files in indicators/."""


import dagster as dg

from indicators.catalogue import load_catalogue, load_regions
from indicators.compute import regions_with_inputs
from indicators.progress import STATUSES
from indicators.reference import reference_frames
from indicators.refresh import (
    STAT_TABLES,
    Refresh,
    refresh_indicator_values,
    refresh_progress,
    refresh_station_annual,
)
from orchestration.assets import GROUP_INDICATORS, WAREHOUSE_POOL, keys_redacted
from orchestration.resources import WarehouseResource


def _refresh_metadata(refresh: Refresh) -> dict:
    return {"recomputed": refresh.scope, "recomputed_keys": dg.MetadataValue.json(list(refresh.keys)),
            "rows_written": refresh.rows_written, "rows": refresh.frame.height}


@dg.asset(group_name=GROUP_INDICATORS, pool=WAREHOUSE_POOL, kinds={"duckdb", "polars"},
          deps=["clean_air_quality_hourly", "clean_air_quality_validated_hourly"])
@keys_redacted
def air_station_annual(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Annual mean (µg/m³) per station, component and year with data coverage; validated
    hours preferred over API hours; a year below 90% coverage is flagged (as GGD reports do).
    Only the reporting years whose hourly data changed since the last run are recomputed."""
    refresh = refresh_station_annual(warehouse.warehouse())
    return dg.MaterializeResult(metadata={
        **_refresh_metadata(refresh),
        "low_coverage_years": int(refresh.frame["low_coverage"].sum())})


@dg.asset(group_name=GROUP_INDICATORS, pool=WAREHOUSE_POOL, kinds={"duckdb", "polars"},
          deps=[air_station_annual, *STAT_TABLES],
          check_specs=[dg.AssetCheckSpec("every_indicator_for_every_region_with_data",
                                         asset="indicator_values")])
@keys_redacted
def indicator_values(warehouse: WarehouseResource):
    """Indicator series per region (and per station for air quality) and year, computed from
    the clean tables by the rules in indicators/catalogue.yaml and regions.yaml; only the
    indicators whose input tables changed since the last run are recomputed."""
    wh = warehouse.warehouse()
    catalogue, regions = load_catalogue(), load_regions()
    # read once: the completeness check below needs every input table anyway
    tables = wh.read_tables([*STAT_TABLES, "air_station_annual"], read_only=False)
    refresh = refresh_indicator_values(wh, catalogue, regions, tables)
    for name, frame in reference_frames(catalogue, regions).items():
        wh.replace_reference(name, frame)  # names for the SQL views
    values = refresh.frame
    yield dg.MaterializeResult(metadata={
        **_refresh_metadata(refresh), "indicators": values["indicator_id"].n_unique(),
        "regions": values["region_id"].n_unique()})
    produced = set(values.select("indicator_id", "region_id").unique().iter_rows())
    missing = sorted(regions_with_inputs(catalogue, regions, tables) - produced)
    yield dg.AssetCheckResult(
        passed=not missing, check_name="every_indicator_for_every_region_with_data",
        metadata={"missing": dg.MetadataValue.json([f"{i} / {r}" for i, r in missing])},
        description="Input data exists for these indicator/region pairs but no value was "
                    "computed (e.g. a member municipality missing every year)." if missing else None)


@dg.asset(group_name=GROUP_INDICATORS, pool=WAREHOUSE_POOL, kinds={"duckdb", "polars"},
          deps=[indicator_values],
          check_specs=[dg.AssetCheckSpec("statuses_in_allowed_set", asset="progress_assessments",
                                         blocking=True)])
@keys_redacted
def progress_assessments(warehouse: WarehouseResource):
    """Status per indicator, region and target (ratio of observed to required growth, or
    threshold met / not met), with every input needed to recompute it by hand; only the
    indicators whose values changed since the last run are reassessed."""
    refresh = refresh_progress(warehouse.warehouse(), load_catalogue(), load_regions())
    assessments = refresh.frame
    counts = assessments.group_by("status").len().sort("status")
    yield dg.MaterializeResult(metadata={
        **_refresh_metadata(refresh),
        "statuses": dg.MetadataValue.json(dict(zip(counts["status"], counts["len"], strict=True)))})
    unknown = sorted(set(assessments["status"].unique()) - set(STATUSES))
    yield dg.AssetCheckResult(passed=not unknown, check_name="statuses_in_allowed_set",
                              metadata={"unknown_statuses": unknown})


indicator_assets = [air_station_annual, indicator_values, progress_assessments]
