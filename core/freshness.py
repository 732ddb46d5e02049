"""Data-time freshness: how old a source's newest period is, against the age it may have.

A period is a year (`2024`), a month (`2024-03`) or a day (`2024-03-05`); it counts from its
end (a year from 28 December, a month from its 28th), so a yearly figure is not stale the day
after its year closes. Pure: used by the report's source table and by `transition-monitor
status`, which must stay fast (no frame library).
"""

from __future__ import annotations

from datetime import UTC, datetime


def period_end(period: str) -> datetime:
    year = int(period[:4])
    month = int(period[5:7]) if len(period) >= 7 and period[5:7].isdigit() else 12
    day = int(period[8:10]) if len(period) >= 10 else 28
    return datetime(year, month, day, tzinfo=UTC)


def data_age_days(newest_period: str | None, now: datetime) -> int | None:
    """Whole days from the end of the newest period to `now` (None: no period)."""
    return (now - period_end(newest_period)).days if newest_period else None


def is_stale(newest_period: str | None, max_age_days: int, now: datetime) -> bool:
    """The end of the newest period is older than the source allows (no period: stale)."""
    age = data_age_days(newest_period, now)
    return age is None or age > max_age_days
