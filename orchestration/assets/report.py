"""The published report edition: a static site written atomically, archived per edition."""


import dagster as dg

from orchestration.assets import GROUP_REPORTS, WAREHOUSE_POOL
from orchestration.assets.indicators import progress_assessments
from orchestration.resources import SiteResource, SourcesResource, WarehouseResource
from reports.inputs import load_edition_inputs
from reports.publish import PublishRefused, publish_edition


@dg.asset(group_name=GROUP_REPORTS, deps=[progress_assessments], kinds={"html", "plotly"},
          pool=WAREHOUSE_POOL)
def report_edition(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   sources: SourcesResource, site: SiteResource) -> dg.MaterializeResult:
    """The static report site for this edition (Dutch and English), plus CSV/Parquet exports.
    Refuses to publish while any clean table's latest validation failed; the previous edition
    then stays the current one."""
    try:
        edition = publish_edition(warehouse.warehouse(), site.root(), source_mode=sources.mode,
                                  pdf=site.pdf, progress=context.log.info,
                                  load_inputs=load_edition_inputs)
    except PublishRefused as exc:
        raise dg.Failure(description=str(exc), metadata={"failed_tables": exc.tables}) from None
    return dg.MaterializeResult(metadata={
        "edition_id": edition.edition_id, "index": dg.MetadataValue.path(str(edition.index)),
        "pages": edition.pages, "demo_data": sources.mode == "snapshot"})
