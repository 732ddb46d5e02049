"""Partitions, defined once and imported everywhere.

Air-quality days are UTC days: the upstream stamps hours in UTC, so a UTC day always has 24
hours and partition keys never shift or double across Europe/Amsterdam DST changes. Schedules
run in Europe/Amsterdam and pick the previous UTC day (see schedules.py).
"""

import dagster as dg

AIR_QUALITY_START = "2025-01-01"
VALIDATED_AIR_QUALITY_YEARS = [str(y) for y in range(2016, 2025)]

air_quality_daily = dg.DailyPartitionsDefinition(start_date=AIR_QUALITY_START, timezone="UTC")
validated_air_quality_yearly = dg.StaticPartitionsDefinition(VALIDATED_AIR_QUALITY_YEARS)
