"""The published report edition: a static site written atomically, archived per edition,
with its council edition printed to PDF in Dutch and English."""

from functools import partial

import dagster as dg

from orchestration.assets import GROUP_REPORTS, WAREHOUSE_POOL, keys_redacted
from orchestration.assets.indicators import progress_assessments
from orchestration.resources import SiteResource, SourcesResource, WarehouseResource
from orchestration.run_health import failed_fetches
from reports.inputs import load_edition_inputs
from reports.publish import PublishRefused, publish_edition
from warehouse.fetch_failures import replace_fetch_failures

PDF_CHECK = "pdf_printed"


@dg.asset(group_name=GROUP_REPORTS, deps=[progress_assessments], kinds={"html", "plotly"},
          pool=WAREHOUSE_POOL,
          check_specs=[dg.AssetCheckSpec(PDF_CHECK, asset="report_edition", blocking=True,
                                         description="The council edition was printed to PDF "
                                                     "in every language (when asked for).")])
@keys_redacted
def report_edition(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   sources: SourcesResource, site: SiteResource):
    """The static report site for this edition (Dutch and English), plus CSV/Parquet exports
    and the printed edition (PDF per language). Refuses to publish while any clean table's
    latest validation failed; the previous edition then stays the current one. Sources whose
    last fetch failed are named on every page, with the date their figures are from. A PDF
    that could not be printed fails this asset's check (the edition's pages are published)."""
    fetch_failures = failed_fetches(context.instance)
    # the same verdict for `status` (scheduled runs too; the CLI build also records it last)
    replace_fetch_failures(warehouse.warehouse(), fetch_failures)
    try:
        edition = publish_edition(warehouse.warehouse(), site.root(), source_mode=sources.mode,
                                  pdf=site.pdf, progress=context.log.info,
                                  load_inputs=partial(load_edition_inputs,
                                                      fetch_failures=fetch_failures))
    except PublishRefused as exc:
        raise dg.Failure(description=str(exc), metadata={"failed_tables": exc.tables}) from None
    yield dg.MaterializeResult(metadata={
        "edition_id": edition.edition_id, "index": dg.MetadataValue.path(str(edition.index)),
        "pages": edition.pages, "demo_data": sources.mode == "snapshot",
        "pdfs": list(edition.pdfs), "failed_fetches": fetch_failures["source"].to_list()})
    yield dg.AssetCheckResult(
        check_name=PDF_CHECK, passed=not edition.pdf_errors,
        severity=dg.AssetCheckSeverity.ERROR, metadata={"errors": list(edition.pdf_errors)},
        description="; ".join(edition.pdf_errors) or None)
