"""Sensors: a new edition after new clean data, and alerts through the notifier after a run
(one per table with a problem, see orchestration/alerts.py).

All start RUNNING when a daemon runs (`default_status`); `dagster sensor stop NAME -w
workspace.yaml` (or the UI toggle) turns one off and the instance remembers it.
"""


import json

import dagster as dg

from families.registry import FAMILIES
from orchestration.alerts import alert_run
from orchestration.jobs import edition_job
from orchestration.resources import NotifierResource

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


def _run_events(instance: dg.DagsterInstance, run_id: str) -> list[dg.DagsterEvent]:
    """The run's step failures and check evaluations (all an alert is made of)."""
    kinds = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.ASSET_CHECK_EVALUATION}
    return [e.dagster_event for e in instance.all_logs(run_id, of_type=kinds)
            if e.dagster_event is not None]


@dg.run_failure_sensor(name="alert_on_run_failure", monitor_all_code_locations=False,
                       default_status=dg.DefaultSensorStatus.RUNNING)
def alert_on_run_failure(context: dg.RunFailureSensorContext, notifier: NotifierResource) -> None:
    """One alert per table that failed in the run (all its failed checks in one message)."""
    run = context.dagster_run
    alert_run(notifier, run.job_name, run.run_id, _run_events(context.instance, run.run_id),
              fallback_error=context.failure_event.message or "")


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, name="alert_on_failed_checks",
                      monitor_all_code_locations=False,
                      default_status=dg.DefaultSensorStatus.RUNNING)
def alert_on_failed_checks(context: dg.RunStatusSensorContext, notifier: NotifierResource) -> None:
    """A run can succeed with a failed warning check (a stale source): one alert per table."""
    run = context.dagster_run
    alert_run(notifier, run.job_name, run.run_id, _run_events(context.instance, run.run_id))


ALL_SENSORS = [edition_after_new_data, alert_on_run_failure, alert_on_failed_checks]
