"""Schedules in Europe/Amsterdam pick the right UTC-day partition, across DST changes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.schedules import air_quality_daily_schedule, previous_utc_day

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(("local", "expected"), [
    (datetime(2025, 3, 30, 6, 15, tzinfo=AMS), "2025-03-29"),   # spring forward that night
    (datetime(2025, 3, 31, 6, 15, tzinfo=AMS), "2025-03-30"),   # the 23-hour local day
    (datetime(2025, 10, 26, 6, 15, tzinfo=AMS), "2025-10-25"),  # fall back that night
    (datetime(2025, 10, 27, 6, 15, tzinfo=AMS), "2025-10-26"),  # the 25-hour local day
    (datetime(2025, 1, 1, 0, 30, tzinfo=AMS), "2024-12-30"),    # just after local midnight = previous UTC day's 23:30
])
def test_previous_utc_day_is_stable_across_dst(local, expected):
    assert previous_utc_day(local) == expected


def test_a_year_of_daily_runs_has_no_gap_and_no_duplicate():
    """Every UTC day of 2025 is requested exactly once by the 06:15 Amsterdam schedule."""
    keys = []
    for ordinal in range(datetime(2025, 1, 2).toordinal(), datetime(2026, 1, 2).toordinal()):
        day = datetime.fromordinal(ordinal)
        tick = datetime(day.year, day.month, day.day, 6, 15, tzinfo=AMS)
        context = dg.build_schedule_context(scheduled_execution_time=tick)
        keys.append(air_quality_daily_schedule(context).partition_key)
    assert len(keys) == len(set(keys)) == 365
    assert keys[0] == "2025-01-01" and keys[-1] == "2025-12-31"
