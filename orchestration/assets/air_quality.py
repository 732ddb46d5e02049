"""Air quality: hourly Luchtmeetnet measurements (daily partitions) and RIVM's validated
yearly history (yearly partitions), each fetched raw, then parsed and validated into UTC rows.
"""


from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial

import dagster as dg
import polars as pl

from families.air_quality import HOURLY, VALIDATED_HOURLY
from orchestration.assets import (
    GROUP_AIR_QUALITY,
    WAREHOUSE_POOL,
    fetch_freshness,
    keys_redacted,
)
from orchestration.checks import (
    each_partition,
    frame_metadata,
    gx_check_result,
    gx_check_spec,
    inputs_fingerprint,
    unchanged_events,
)
from orchestration.partitions import air_quality_daily, validated_air_quality_yearly
from orchestration.resources import SourcesResource, WarehouseResource
from sources import luchtmeetnet, rivm_air_quality
from transforms.air_quality import (
    keep_window,
    parse_luchtmeetnet_measurements,
)
from warehouse.gate import validate_then_write
from warehouse.guard import require_rows
from warehouse.validated_air import write_validated_year


def _record(warehouse_res: WarehouseResource, payloads, partition: str) -> dict[str, int]:
    added = warehouse_res.warehouse().record_payloads(payloads, partition_key=partition)
    return {"payloads": len(payloads), "new_vintages": added,
            "bytes": sum(len(p.body) for p in payloads)}


# The raw assets' work as plain functions (sources, warehouse, partition, call), where
# `call(source, fetch)` runs `fetch` with the source's client: the asset passes
# `SourcesResource.fetch` (Dagster's step retries), `build` its pre-run fetch (orchestration.probe).
Call = Callable[[str, Callable], object]


def fetch_luchtmeetnet_day(sources: SourcesResource, warehouse: WarehouseResource,
                           partition: str, call: Call) -> dict[str, int]:
    day = date.fromisoformat(partition)
    stations = sources.geography().stations
    payloads = call("luchtmeetnet", lambda http: luchtmeetnet.fetch_measurements(
        http, day, stations=stations, partition=partition))
    return _record(warehouse, payloads, partition)


def fetch_rivm_year(sources: SourcesResource, warehouse: WarehouseResource,
                    partition: str, call: Call) -> dict[str, int]:
    payloads = call("rivm_air_quality", lambda http: rivm_air_quality.fetch_year(
        http, int(partition), partition=partition))
    return _record(warehouse, payloads, partition)


def hourly_inputs(wh, partition: str) -> str:
    return inputs_fingerprint(wh, HOURLY.table, [("luchtmeetnet", "measurements", partition)],
                              HOURLY.rules)


def validated_hourly_inputs(wh, partition: str) -> str:
    return inputs_fingerprint(wh, VALIDATED_HOURLY.table,
                              [("rivm_air_quality", "validated_yearly", partition)],
                              VALIDATED_HOURLY.rules)


@dg.asset(partitions_def=air_quality_daily, group_name=GROUP_AIR_QUALITY, pool=WAREHOUSE_POOL,
          kinds={"duckdb"}, freshness_policy=fetch_freshness("luchtmeetnet"))
@keys_redacted
def raw_luchtmeetnet_measurements(context: dg.AssetExecutionContext, sources: SourcesResource,
                                  warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Luchtmeetnet `/measurements` JSON pages for one UTC day, every station and component,
    stored as append-only vintages (a new vintage only when a page's content changes)."""
    return dg.MaterializeResult(metadata=fetch_luchtmeetnet_day(
        sources, warehouse, context.partition_key, partial(sources.fetch, context)))


@dg.asset(partitions_def=air_quality_daily, group_name=GROUP_AIR_QUALITY, pool=WAREHOUSE_POOL,
          deps=[raw_luchtmeetnet_measurements], kinds={"duckdb", "polars"},
          check_specs=[gx_check_spec(HOURLY.table_name)])
@keys_redacted
def clean_air_quality_hourly(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Hourly means (µg/m³) per station and component in UTC from the open API (unvalidated
    by the network operators), keyed by the start of the hour. NULL means no value, never
    zero. The day's pages also hold an hour or two of the neighbouring days (the API's window
    bounds the hours' end stamps): those rows are left out and counted. A run over a range of
    days (a CLI build) gates each day on its own (`each_partition`)."""
    wh = warehouse.warehouse()
    yield from each_partition(context, partial(_hourly_day, context, wh))


def _hourly_day(context: dg.AssetExecutionContext, wh, key: str):
    day = date.fromisoformat(key)
    inputs = hourly_inputs(wh, key)
    if (unchanged := unchanged_events(wh, HOURLY.table_name, key, inputs)):
        yield from unchanged
        return
    payloads = wh.current_payloads("luchtmeetnet", "measurements", key)
    frame = parse_luchtmeetnet_measurements(payloads)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    frame, outside = keep_window(frame, start, start + timedelta(days=1))
    if outside:
        context.log.info(f"{outside} row(s) of neighbouring days left out of {key}")
    window = {"source": "luchtmeetnet_api", "measured_at": (start, start + timedelta(days=1))}
    yield from _gate(wh, HOURLY, frame, window, key, {"rows_outside_window": outside},
                     inputs=inputs, fetched=bool(payloads))


@dg.asset(partitions_def=validated_air_quality_yearly, group_name=GROUP_AIR_QUALITY,
          pool=WAREHOUSE_POOL, kinds={"duckdb"}, freshness_policy=fetch_freshness("rivm_air_quality"))
@keys_redacted
def raw_rivm_air_quality(context: dg.AssetExecutionContext, sources: SourcesResource,
                         warehouse: WarehouseResource) -> dg.MaterializeResult:
    """RIVM's validated yearly CSV files (`;`-separated, a column per station, a row per
    hour) for NO2, PM10 and PM2.5, stored as append-only vintages."""
    return dg.MaterializeResult(metadata=fetch_rivm_year(
        sources, warehouse, context.partition_key, partial(sources.fetch, context)))


@dg.asset(partitions_def=validated_air_quality_yearly, group_name=GROUP_AIR_QUALITY,
          pool=WAREHOUSE_POOL, deps=[raw_rivm_air_quality], kinds={"duckdb", "polars"},
          check_specs=[gx_check_spec(VALIDATED_HOURLY.table_name)])
@keys_redacted
def clean_air_quality_validated_hourly(context: dg.AssetExecutionContext,
                                       warehouse: WarehouseResource):
    """Validated hourly means (µg/m³) per station and component in UTC, from RIVM's yearly
    files; preferred over API values for the same hour. A run over a range of years (a CLI
    build) gates each year on its own (`each_partition`); a year larger than
    `TRANSITION_MONITOR_CHUNK_ROWS` rows is parsed, validated and written in chunks
    (`warehouse.validated_air`), so memory follows the chunk, not the partition."""
    wh = warehouse.warehouse()
    yield from each_partition(context, partial(_validated_year, wh))


def _validated_year(wh, key: str):
    inputs = validated_hourly_inputs(wh, key)
    if (unchanged := unchanged_events(wh, VALIDATED_HOURLY.table_name, key, inputs)):
        yield from unchanged
        return
    payloads = wh.stored_payloads("rivm_air_quality", "validated_yearly", key)
    result, frame = write_validated_year(wh, payloads, key, inputs=inputs)
    yield dg.MaterializeResult(metadata=frame_metadata(frame, result))
    yield gx_check_result(result)


def _gate(wh, family, frame: pl.DataFrame, window, partition: str, extra=None, inputs=None,
          fetched: bool = False):
    if not frame.columns:  # no payloads at all: validate an empty frame of the right shape
        frame = family.table.empty()
    if fetched:  # payloads that hold no (or too few) hours: refused, the stored hours stay
        require_rows(family.table_name, f"partition {partition}", frame.height,
                     family.min_rows, partition=partition)
    result = validate_then_write(wh, family.table_name, frame, family.rules(), window, partition,
                                 inputs=inputs)
    yield dg.MaterializeResult(metadata={**frame_metadata(frame, result), **(extra or {})})
    yield gx_check_result(result)


# The source behind each raw air asset (for its freshness policy and the checks' tests).
RAW_ASSET_SOURCES = {"raw_luchtmeetnet_measurements": "luchtmeetnet",
                     "raw_rivm_air_quality": "rivm_air_quality"}

# For `build`'s pre-run check (orchestration.probe): each raw asset's fetch, and each clean
# asset's (table, fingerprint of its inputs) for a partition.
RAW_FETCHES = {"raw_luchtmeetnet_measurements": fetch_luchtmeetnet_day,
               "raw_rivm_air_quality": fetch_rivm_year}
CLEAN_INPUTS = {HOURLY.table_name: hourly_inputs,
                VALIDATED_HOURLY.table_name: validated_hourly_inputs}

air_quality_assets = [raw_luchtmeetnet_measurements, clean_air_quality_hourly,
                      raw_rivm_air_quality, clean_air_quality_validated_hourly]
