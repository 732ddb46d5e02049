"""Schedules per source cadence, all in Europe/Amsterdam.

Air quality runs every morning over the previous UTC day; statistics monthly (CBS, DUO,
Klimaatmonitor publish yearly or quarterly, so monthly catches new periods within weeks);
RIVM's validated year monthly for the latest year; a report edition every Monday.

Every schedule starts RUNNING as soon as a daemon runs (`default_status`): a deployment that
runs unattended publishes without anyone switching toggles. Turning one off (the UI toggle, or
`dagster schedule stop NAME -w workspace.yaml` with the same DAGSTER_HOME) is stored in the
instance and outlasts restarts; `dagster schedule start NAME` turns it back on.
"""


from datetime import UTC, datetime, timedelta

import dagster as dg

from orchestration.jobs import (
    air_quality_daily_job,
    edition_job,
    statistics_job,
    validated_air_quality_job,
)
from orchestration.partitions import VALIDATED_AIR_QUALITY_YEARS

TIMEZONE = "Europe/Amsterdam"
ON = dg.DefaultScheduleStatus.RUNNING


def previous_utc_day(scheduled: datetime) -> str:
    """The partition key of the UTC day before the (zone-aware) scheduled time.

    Converting to UTC first makes the key independent of DST: 06:15 in Amsterdam is 05:15 or
    04:15 UTC, both on the same UTC date, so the previous day is always complete.
    """
    return (scheduled.astimezone(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")


@dg.schedule(cron_schedule="15 6 * * *", execution_timezone=TIMEZONE, job=air_quality_daily_job,
             default_status=ON)
def air_quality_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    key = previous_utc_day(context.scheduled_execution_time)
    return dg.RunRequest(run_key=key, partition_key=key)


@dg.schedule(cron_schedule="30 6 5 * *", execution_timezone=TIMEZONE, job=validated_air_quality_job,
             default_status=ON)
def validated_air_quality_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    key = VALIDATED_AIR_QUALITY_YEARS[-1]
    return dg.RunRequest(run_key=f"{key}-{context.scheduled_execution_time:%Y%m}", partition_key=key)


statistics_schedule = dg.ScheduleDefinition(
    name="statistics_monthly_schedule", job=statistics_job, cron_schedule="0 7 3 * *",
    execution_timezone=TIMEZONE, default_status=ON)

edition_weekly_schedule = dg.ScheduleDefinition(
    name="edition_weekly_schedule", job=edition_job, cron_schedule="0 8 * * 1",
    execution_timezone=TIMEZONE, default_status=ON)

ALL_SCHEDULES = [air_quality_daily_schedule, validated_air_quality_schedule, statistics_schedule,
                 edition_weekly_schedule]
