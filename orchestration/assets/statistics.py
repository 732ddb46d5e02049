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
from orchestration.assets import (
    GROUP_STATISTICS,
    WAREHOUSE_POOL,
    fetch_freshness,
    keys_redacted,
)
from orchestration.checks import (
    frame_metadata,
    gx_check_result,
    gx_check_spec,
    inputs_fingerprint,
    unchanged_events,
)
from orchestration.resources import SourcesResource, WarehouseResource
from warehouse.gate import validate_then_write
from warehouse.guard import require_rows


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
    @keys_redacted
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
    @keys_redacted
    def _clean(warehouse: WarehouseResource):
        wh = warehouse.warehouse()
        inputs = fingerprint(wh, None)
        if (unchanged := unchanged_events(wh, table.name, "", inputs)):
            yield from unchanged
            return
        # parsers return their shape; the gate conforms the whole frame once more before writing
        frames = [_parsed_feed(wh, table.name, f) for f in family.feeds]
        frame = pl.concat(frames) if frames else table.empty()
        result = validate_then_write(wh, table.name, frame, family.rules(), window={},
                                     inputs=inputs)
        yield dg.MaterializeResult(metadata=frame_metadata(frame, result))
        yield gx_check_result(result)

    return _clean


def _parsed_feed(wh, table: str, feed: Feed) -> pl.DataFrame:
    """A feed's rows from its current payloads; a feed that has payloads but parses to fewer
    than its declared minimum is refused ("200, no data" never deletes stored rows)."""
    payloads = wh.current_payloads(feed.source, feed.name)
    frame = feed.parse(payloads)
    if payloads:
        require_rows(table, f"feed {feed.name}", frame.height, feed.min_rows)
    return frame


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
