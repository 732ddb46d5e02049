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


@pytest.mark.slow
def test_the_documented_way_to_turn_a_schedule_off(tmp_path, monkeypatch):
    """README: `dagster schedule stop NAME -w workspace.yaml` stops a schedule that is RUNNING
    by default, and the instance remembers it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from orchestration.settings import paths, prepare_dagster_home

    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # restored after: prepare_ sets it
    root = Path(__file__).resolve().parent.parent
    home = paths(tmp_path)
    env = {**os.environ, "TRANSITION_MONITOR_HOME": str(home.home),
           "DAGSTER_HOME": str(prepare_dagster_home(home))}
    dagster = str(Path(sys.executable).parent / "dagster")

    def run(*args: str) -> str:
        return subprocess.run([dagster, *args, "-w", "workspace.yaml"], cwd=root, env=env,
                              capture_output=True, text=True, check=True).stdout

    assert "Schedule: edition_weekly_schedule [RUNNING]" in run("schedule", "list")
    run("schedule", "stop", "edition_weekly_schedule")
    listed = run("schedule", "list")
    assert "Schedule: edition_weekly_schedule [STOPPED]" in listed
    assert "Schedule: statistics_monthly_schedule [RUNNING]" in listed
