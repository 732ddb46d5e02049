"""Indicators: station annual means, indicator series per region, and progress against
targets. The catalogue and regions are declarative files in indicators/."""


import dagster as dg

from indicators.catalogue import load_catalogue, load_regions
from indicators.compute import compute_indicator_values, regions_with_inputs
from indicators.progress import STATUSES, assess_all
from orchestration.assets import GROUP_INDICATORS, WAREHOUSE_POOL
from orchestration.resources import WarehouseResource
from transforms.air_quality import with_coverage

STAT_TABLES = ("clean_emissions", "clean_employment", "clean_training", "clean_offshore_wind")


@dg.asset(group_name=GROUP_INDICATORS, pool=WAREHOUSE_POOL, kinds={"duckdb", "polars"},
          deps=["clean_air_quality_hourly", "clean_air_quality_validated_hourly"])
def air_station_annual(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Annual mean (µg/m³) per station, component and year with data coverage; validated
    hours preferred over API hours; a year below 90% coverage is flagged (as GGD reports do)."""
    wh = warehouse.warehouse()
    frame = with_coverage(wh.station_annual_sums())
    wh.replace_derived("air_station_annual", frame)
    return dg.MaterializeResult(metadata={"rows": frame.height,
                                          "low_coverage_years": int(frame["low_coverage"].sum())})


@dg.asset(group_name=GROUP_INDICATORS, pool=WAREHOUSE_POOL, kinds={"duckdb", "polars"},
          deps=[air_station_annual, *STAT_TABLES],
          check_specs=[dg.AssetCheckSpec("every_indicator_for_every_region_with_data",
                                         asset="indicator_values")])
def indicator_values(warehouse: WarehouseResource):
    """Indicator series per region (and per station for air quality) and year, computed from
    the clean tables by the rules in indicators/catalogue.yaml and regions.yaml."""
    wh = warehouse.warehouse()
    tables = {name: wh.read_table(name, read_only=False) for name in STAT_TABLES}
    tables["air_station_annual"] = wh.query("SELECT * FROM air_station_annual", read_only=False)
    catalogue, regions = load_catalogue(), load_regions()
    values = compute_indicator_values(catalogue, regions, tables)
    wh.replace_derived("indicator_values", values)
    yield dg.MaterializeResult(metadata={
        "rows": values.height, "indicators": values["indicator_id"].n_unique(),
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
def progress_assessments(warehouse: WarehouseResource):
    """Status per indicator, region and target (ratio of observed to required growth, or
    threshold met / not met), with every input needed to recompute it by hand."""
    wh = warehouse.warehouse()
    values = wh.query("SELECT * FROM indicator_values", read_only=False)
    assessments = assess_all(load_catalogue(), load_regions(), values)
    wh.replace_derived("progress_assessments", assessments)
    counts = assessments.group_by("status").len().sort("status")
    yield dg.MaterializeResult(metadata={
        "rows": assessments.height,
        "statuses": dg.MetadataValue.json(dict(zip(counts["status"], counts["len"], strict=True)))})
    unknown = sorted(set(assessments["status"].unique()) - set(STATUSES))
    yield dg.AssetCheckResult(passed=not unknown, check_name="statuses_in_allowed_set",
                              metadata={"unknown_statuses": unknown})


indicator_assets = [air_station_annual, indicator_values, progress_assessments]
