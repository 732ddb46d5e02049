"""Asset checks: the blocking GX gate on every clean asset, and freshness checks.

A clean asset declares `gx_check_spec(...)` and yields `gx_check_result(...)`; a failed
suite fails the step, so downstream indicators and the report do not run in that run.
"""


from collections.abc import Iterable
from functools import cache
from importlib import metadata

import dagster as dg
import polars as pl

from core.tables import TableSchema
from warehouse.gate import GateResult, failure_summary
from warehouse.store import Warehouse

GX_CHECK = "great_expectations_suite"


def gx_check_spec(asset_name: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(GX_CHECK, asset=asset_name, blocking=True,
                             description="Great Expectations suite (schema + business rules); "
                                         "blocking: a failure stops downstream assets.")


def frame_metadata(frame: pl.DataFrame, result: GateResult) -> dict[str, object]:
    """Row count, validation flag and a small preview for the asset's materialisation."""
    preview = f"```\n{frame.head(5)}\n```" if frame.height else "(no rows)"
    return {"rows": result.rows_written, "validated": result.outcome.success,
            "preview": dg.MetadataValue.md(preview)}


def gx_check_result(result: GateResult) -> dg.AssetCheckResult:
    outcome = result.outcome
    return dg.AssetCheckResult(
        check_name=GX_CHECK,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "validation_id": result.validation_id,
            "rows": outcome.row_count,
            "expectations": len(outcome.expectations),
            "failed": len(outcome.failed),
            "failures": dg.MetadataValue.json(failure_summary(outcome)),
        },
        description=None if outcome.success else
        f"{len(outcome.failed)} expectation(s) failed on {outcome.table_name} "
        f"{outcome.partition_key or ''}; nothing written, previous rows kept.",
    )


@cache
def _project_version() -> str:
    try:
        return metadata.version("transition-monitor")
    except metadata.PackageNotFoundError:
        return "unknown"


def inputs_fingerprint(wh: Warehouse, table: TableSchema,
                       requests: Iterable[tuple[str, str | None, str | None]],
                       rules: Iterable) -> str:
    """The fingerprint of a clean write's inputs: its payloads' hashes, the table's schema,
    the business rules it must pass (each with its settings) and the project version (a new
    version may parse differently). Building the rules imports Great Expectations: a run with
    nothing new pays that import once, so that a changed rule is never skipped."""
    described = [f"{type(rule).__name__}:{rule.json()}" for rule in rules]
    return wh.inputs_fingerprint(requests, table.ddl(), _project_version(), *described)


def unchanged_events(wh: Warehouse, table: str, partition_key: str,
                     fingerprint: str) -> list | None:
    """When the window's inputs are those of its latest passed validation: the events that
    say so (the stored rows stand; nothing is parsed, validated or written). Else None."""
    found = wh.unchanged_inputs(table, partition_key, fingerprint)
    if found is None:
        return None
    note = "raw payloads unchanged since this validation: not parsed, validated or written again"
    return [
        dg.MaterializeResult(metadata={"rows": found.row_count, "validated": True,
                                       "unchanged_inputs": True,
                                       "validation_id": found.validation_id}),
        dg.AssetCheckResult(check_name=GX_CHECK, passed=True,
                            severity=dg.AssetCheckSeverity.ERROR, description=note,
                            metadata={"validation_id": found.validation_id,
                                      "rows": found.row_count,
                                      "expectations": found.expectations, "failed": 0,
                                      "unchanged_inputs": True}),
    ]
