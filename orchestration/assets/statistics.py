"""Statistical families, built by factory from the family registry: one raw asset per feed,
one clean asset per family that parses the current vintages of all its feeds and replaces its
table in one transaction after the GX suite passes.
"""


from dataclasses import replace
from functools import partial

import dagster as dg
import polars as pl

from families.base import Family, Feed
from families.registry import statistical
from orchestration.assets import GROUP_STATISTICS, WAREHOUSE_POOL, fetch_freshness
from orchestration.checks import (
    frame_metadata,
    gx_check_result,
    gx_check_spec,
    inputs_fingerprint,
    unchanged_events,
)
from orchestration.resources import SourcesResource, WarehouseResource
from warehouse.gate import validate_then_write


def feed_fetch(feed: Feed):
    """The raw asset's work as a plain function (see `air_quality.Call`)."""
    def fetch(sources: SourcesResource, warehouse: WarehouseResource, _partition, call):
        geography = sources.geography()
        # Stored under the feed's name, so the clean asset finds exactly this feed's payloads.
        payloads = [replace(p, dataset=feed.name) for p in
                    call(feed.source, lambda http: feed.fetch(http, geography))]
        added = warehouse.warehouse().record_payloads(payloads)
        return {"payloads": len(payloads), "new_vintages": added}

    return fetch


def family_inputs(family: Family):
    """The clean asset's inputs fingerprint (one window: the whole table)."""
    return lambda wh, _partition: inputs_fingerprint(
        wh, family.table, [(f.source, f.name, None) for f in family.feeds], family.rules)


def raw_feed_asset(family: Family, feed: Feed) -> dg.AssetsDefinition:
    fetch = feed_fetch(feed)

    @dg.asset(name=f"raw_{feed.name}", group_name=GROUP_STATISTICS, pool=WAREHOUSE_POOL,
              description=feed.description, kinds={"duckdb"},
              metadata={"source": feed.source, "family": family.name},
              freshness_policy=fetch_freshness(feed.source))
    def _raw(context: dg.AssetExecutionContext, sources: SourcesResource,
             warehouse: WarehouseResource) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata=fetch(sources, warehouse, None,
                                                   partial(sources.fetch, context)))

    return _raw


def clean_family_asset(family: Family) -> dg.AssetsDefinition:
    table = family.table
    fingerprint = family_inputs(family)

    @dg.asset(name=table.name, group_name=GROUP_STATISTICS, pool=WAREHOUSE_POOL,
              deps=[f"raw_{f.name}" for f in family.feeds], description=table.description,
              kinds={"duckdb", "polars"}, check_specs=[gx_check_spec(table.name)])
    def _clean(warehouse: WarehouseResource):
        wh = warehouse.warehouse()
        inputs = fingerprint(wh, None)
        if (unchanged := unchanged_events(wh, table.name, "", inputs)):
            yield from unchanged
            return
        # parsers return their shape; the gate conforms the whole frame once more before writing
        frames = [f.parse(wh.current_payloads(f.source, f.name)) for f in family.feeds]
        frame = pl.concat(frames) if frames else table.empty()
        result = validate_then_write(wh, table.name, frame, family.rules(), window={},
                                     inputs=inputs)
        yield dg.MaterializeResult(metadata=frame_metadata(frame, result))
        yield gx_check_result(result)

    return _clean


def statistics_assets(families: tuple[Family, ...] | None = None) -> list[dg.AssetsDefinition]:
    families = statistical() if families is None else families
    raws = [raw_feed_asset(family, feed) for family in families for feed in family.feeds]
    return raws + [clean_family_asset(family) for family in families]


def statistics_probes(families: tuple[Family, ...] | None = None) -> tuple[dict, dict]:
    """For `build`'s pre-run check (orchestration.probe): each raw asset's fetch and each
    clean asset's inputs fingerprint, by asset name."""
    families = statistical() if families is None else families
    return ({f"raw_{feed.name}": feed_fetch(feed) for family in families for feed in family.feeds},
            {family.table.name: family_inputs(family) for family in families})
