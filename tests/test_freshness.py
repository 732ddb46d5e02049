"""Freshness: a stale source (same newest period for too long) fails its data-time check and
names the stale source for the run's alert (RELIABILITY.md case 16, orchestration/alerts.py);
fresh data passes quietly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from core.freshness import is_stale as _is_stale
from core.payload import Payload
from orchestration.definitions import build_defs
from orchestration.freshness import data_freshness_check, raw_asset_sources
from orchestration.resources import WarehouseResource
from sources.registry import SOURCES


def _seed(path, newest: datetime) -> WarehouseResource:
    resource = WarehouseResource(path=str(path))
    wh = resource.warehouse()
    wh.record_payloads([Payload("luchtmeetnet", "measurements", "k", "https://x", "application/json",
                                b"{}", datetime.now(UTC))])
    frame = pl.DataFrame({"station_code": ["NL49551"], "component": ["NO2"],
                          "measured_at": [newest], "value_ugm3": [10.0],
                          "source": ["luchtmeetnet_api"]})
    day = newest.replace(hour=0)
    wh.replace_window("clean_air_quality_hourly", frame,
                      {"source": "luchtmeetnet_api", "measured_at": (day, day + timedelta(days=1))})
    return resource


def test_stale_air_quality_fails_and_alerts(tmp_path):
    old = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=10)
    check = data_freshness_check("clean_air_quality_hourly")
    result = check(warehouse=_seed(tmp_path / "wh.duckdb", old))
    assert not result.passed
    assert result.metadata["stale_sources"].value == ["luchtmeetnet"]


def test_fresh_air_quality_passes_without_alert(tmp_path):
    recent = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    result = data_freshness_check("clean_air_quality_hourly")(
        warehouse=_seed(tmp_path / "wh.duckdb", recent))
    assert result.passed and not result.metadata["stale_sources"].value


def test_staleness_rule_by_period_kind():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert not _is_stale("2026-11-21", 3, now)
    assert _is_stale("2026-11-10", 3, now)
    assert not _is_stale("2025", 400, now)  # a year counts from its end
    assert _is_stale(None, 400, now)


def test_every_raw_asset_has_a_freshness_policy_with_its_sources_fetch_age(tmp_path):
    """Materialisation time is a FreshnessPolicy per raw asset (the superseded last-update
    checks and their sensor are gone), failing after the source's declared fetch age."""
    defs = build_defs(home=str(tmp_path), mode="snapshot")
    graph = defs.resolve_asset_graph()
    with_policy = {}
    for key in graph.get_all_asset_keys():
        policy = graph.get(key).freshness_policy
        if policy is not None:
            with_policy[key.to_user_string()] = policy.fail_window.to_timedelta()
    raw = {k.to_user_string() for k in graph.get_all_asset_keys()
           if k.to_user_string().startswith("raw_")}
    assert len(raw) >= 10 and set(with_policy) == raw == set(raw_asset_sources())
    assert any(name.startswith("raw_cbs_") for name in with_policy)
    for asset, source in raw_asset_sources().items():
        assert with_policy[asset] == timedelta(days=SOURCES[source].max_fetch_age_days), asset
    assert with_policy["raw_luchtmeetnet_measurements"] < with_policy["raw_rivm_air_quality"]
    assert not any("freshness_checks" in s.name for s in defs.sensors)


def _longest_gap_days(cron: str) -> int:
    """The longest time between two runs of the project's cron forms (daily, monthly, weekly)."""
    _minute, _hour, day_of_month, month, day_of_week = cron.split()
    assert month == "*", cron
    if day_of_month != "*":
        return 31
    return 7 if day_of_week != "*" else 1


def test_one_missed_scheduled_fetch_makes_its_raw_asset_stale(tmp_path):
    """RELIABILITY.md case 16, missed schedules (issue 20: a 100,000-day limit passed every
    test). A raw asset's fail window must be no longer than two of its schedule's periods:
    when one scheduled run is missed, the asset is stale before the run after it is due."""
    defs = build_defs(home=str(tmp_path), mode="snapshot")
    graph = defs.resolve_asset_graph()
    covered = set()
    for schedule in defs.schedules:
        job = defs.resolve_job_def(schedule.job_name)
        gap = timedelta(days=_longest_gap_days(schedule.cron_schedule))
        for key in job.asset_layer.selected_asset_keys:
            policy = graph.get(key).freshness_policy
            if key.to_user_string().startswith("raw_") and policy is not None:
                window = policy.fail_window.to_timedelta()
                assert gap <= window <= 2 * gap, (key.to_user_string(), window, gap)
                covered.add(key.to_user_string())
    assert covered == set(raw_asset_sources())  # every raw asset is scheduled and bounded
