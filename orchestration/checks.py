"""Asset checks: the blocking GX gate on every clean asset, and freshness checks.

A clean asset declares `gx_check_spec(...)` and yields `gx_check_result(...)`; a failed
suite fails the step, so downstream indicators and the report do not run in that run.
"""


import dagster as dg
import polars as pl

from warehouse.gate import GateResult, failure_summary

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
