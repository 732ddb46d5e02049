"""Sensors: a new edition after new clean data, and failure alerts through the notifier.

Both start RUNNING when a daemon runs (`default_status`); `dagster sensor stop NAME -w
workspace.yaml` (or the UI toggle) turns one off and the instance remembers it.
"""


import json

import dagster as dg

from families.registry import FAMILIES
from orchestration.jobs import edition_job
from orchestration.resources import NotifierResource
from sources.http import redact
from sources.registry import SOURCES

# The clean tables whose new data asks for an edition: all but the daily API air hours, which
# the weekly edition picks up (an edition a day for them would be noise).
CLEAN_ASSETS = [f.table_name for f in FAMILIES if f.partitioning != "daily"]


def new_materialisations(latest: dict[str, float | None], cursor: dict[str, float]) -> list[str]:
    """Clean assets materialised since the cursor's timestamps."""
    return sorted(k for k, ts in latest.items() if ts is not None and ts > cursor.get(k, 0.0))


@dg.sensor(job=edition_job, minimum_interval_seconds=3600,
           default_status=dg.DefaultSensorStatus.RUNNING)
def edition_after_new_data(context: dg.SensorEvaluationContext):
    """Request an edition when a clean statistical table was materialised since last time."""
    latest = {}
    for key in CLEAN_ASSETS:
        event = context.instance.get_latest_materialization_event(dg.AssetKey(key))
        latest[key] = event.timestamp if event else None
    cursor = json.loads(context.cursor) if context.cursor else {}
    new = new_materialisations(latest, cursor)
    if not new:
        return dg.SkipReason("no clean table changed since the last edition request")
    context.update_cursor(json.dumps({k: v for k, v in latest.items() if v is not None}))
    return dg.RunRequest(run_key=None, tags={"trigger": ",".join(new)})


def failure_message(job: str, run_id: str, step: str | None, error: str) -> dict[str, object]:
    """What an alert says: where it failed and what to do, with any key redacted."""
    secrets = {name: "" for spec in SOURCES.values() for name in spec.secret_names}
    return {"job": job, "run_id": run_id, "step": step or "(run)",
            "error": redact(error, secrets)[:500],
            "hint": "Open the run in the web UI (transition-monitor ui); a source fault is retried "
                    "by the next schedule, a validation failure needs the input fixed."}


# A run whose failure its starter announces itself (a CLI build) carries this tag; the sensor
# skips it, so a daemon running beside a build does not send the alert twice.
NOTIFIED_TAG = "transition-monitor/notified"


def notify_run_failure(notifier: NotifierResource, job: str, run_id: str, step: str | None,
                       error: str) -> bool:
    """The one alert a failed run sends (the sensor's and the CLI build's)."""
    return notifier.notify(f"transition-monitor run failed: {job}",
                           failure_message(job, run_id, step, error))


@dg.run_failure_sensor(name="alert_on_run_failure", monitor_all_code_locations=False,
                       default_status=dg.DefaultSensorStatus.RUNNING)
def alert_on_run_failure(context: dg.RunFailureSensorContext, notifier: NotifierResource) -> None:
    if NOTIFIED_TAG in context.dagster_run.tags:
        return
    step_failures = context.get_step_failure_events()
    step = step_failures[0].step_key if step_failures else None
    error = context.failure_event.message or ""
    notify_run_failure(notifier, context.dagster_run.job_name, context.dagster_run.run_id,
                       step, error)


ALL_SENSORS = [edition_after_new_data, alert_on_run_failure]
