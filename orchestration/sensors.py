"""Sensors: a new edition after new clean data, and failure alerts through the notifier."""

from __future__ import annotations

import dagster as dg

from orchestration.jobs import edition_job
from orchestration.resources import NotifierResource
from sources.http import redact
from sources.registry import SOURCES

CLEAN_ASSETS = ["clean_air_quality_validated_hourly", "clean_emissions", "clean_employment",
                "clean_training", "clean_offshore_wind"]


@dg.multi_asset_sensor(monitored_assets=[dg.AssetKey(k) for k in CLEAN_ASSETS], job=edition_job,
                       minimum_interval_seconds=3600)
def edition_after_new_data(context: dg.MultiAssetSensorEvaluationContext):
    """Request an edition when any clean statistical table was materialised since last time."""
    records = context.latest_materialization_records_by_key()
    new = [key.to_user_string() for key, record in records.items() if record]
    if new:
        context.advance_all_cursors()
        yield dg.RunRequest(run_key=None, tags={"trigger": ",".join(sorted(new))})


def failure_message(job: str, run_id: str, step: str | None, error: str) -> dict[str, object]:
    """What an alert says: where it failed and what to do, with any key redacted."""
    secrets = {name: "" for spec in SOURCES.values() for name in spec.secret_names}
    return {"job": job, "run_id": run_id, "step": step or "(run)",
            "error": redact(error, secrets)[:500],
            "hint": "Open the run in the web UI (transition-monitor ui); a source fault is retried "
                    "by the next schedule, a validation failure needs the input fixed."}


@dg.run_failure_sensor(name="alert_on_run_failure", monitor_all_code_locations=False)
def alert_on_run_failure(context: dg.RunFailureSensorContext, notifier: NotifierResource) -> None:
    step_failures = context.get_step_failure_events()
    step = step_failures[0].step_key if step_failures else None
    error = context.failure_event.message or ""
    notifier.notify(f"transition-monitor run failed: {context.dagster_run.job_name}",
                    failure_message(context.dagster_run.job_name, context.dagster_run.run_id,
                                    step, error))


ALL_SENSORS = [edition_after_new_data, alert_on_run_failure]
