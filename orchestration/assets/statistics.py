"""Statistical families (emissions, employment, training, offshore wind), built by factory:
one raw asset per feed, one clean asset per family that parses the current vintages of all
its feeds and replaces its table in one transaction after the GX suite passes.
"""


from dataclasses import replace

import dagster as dg
import polars as pl

from orchestration.assets import GROUP_STATISTICS, WAREHOUSE_POOL
from orchestration.checks import frame_metadata, gx_check_result, gx_check_spec
from orchestration.resources import SourcesResource, WarehouseResource
from sources.feeds import FAMILIES, Feed
from sources.inventory import feeds_for
from transforms.family_rules import FAMILY_RULES
from warehouse.gate import validate_then_write
from warehouse.schema import clean_table


def raw_feed_asset(feed: Feed) -> dg.AssetsDefinition:
    @dg.asset(name=f"raw_{feed.name}", group_name=GROUP_STATISTICS, pool=WAREHOUSE_POOL,
              description=feed.description, kinds={"duckdb"},
              metadata={"source": feed.source, "family": feed.family})
    def _raw(context: dg.AssetExecutionContext, sources: SourcesResource,
             warehouse: WarehouseResource) -> dg.MaterializeResult:
        # Stored under the feed's name, so the clean asset finds exactly this feed's payloads.
        payloads = [replace(p, dataset=feed.name)
                    for p in sources.fetch(context, feed.source, feed.fetch)]
        added = warehouse.warehouse().record_payloads(payloads)
        return dg.MaterializeResult(metadata={"payloads": len(payloads), "new_vintages": added})

    return _raw


def clean_family_asset(family: str) -> dg.AssetsDefinition:
    feeds = feeds_for(family)
    table = clean_table(f"clean_{family}")

    @dg.asset(name=table.name, group_name=GROUP_STATISTICS, pool=WAREHOUSE_POOL,
              deps=[f"raw_{f.name}" for f in feeds], description=table.description,
              kinds={"duckdb", "polars"}, check_specs=[gx_check_spec(table.name)])
    def _clean(warehouse: WarehouseResource):
        wh = warehouse.warehouse()
        frames = [table.conform(f.parse(wh.current_payloads(f.source, f.name))) for f in feeds]
        frame = pl.concat(frames) if frames else table.empty()
        result = validate_then_write(wh, table.name, frame, FAMILY_RULES[family](), window={})
        yield dg.MaterializeResult(metadata=frame_metadata(frame, result))
        yield gx_check_result(result)

    return _clean


def statistics_assets() -> list[dg.AssetsDefinition]:
    raws = [raw_feed_asset(f) for family in FAMILIES for f in feeds_for(family)]
    return raws + [clean_family_asset(family) for family in FAMILIES]
