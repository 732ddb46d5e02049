"""Freshness: a stale source (same newest period for too long) fails its data-time check and
alerts through the notifier (RELIABILITY.md case 16); fresh data passes quietly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl

from core.payload import Payload
from orchestration.freshness import data_freshness_check, materialisation_freshness_checks
from orchestration.resources import NotifierResource, WarehouseResource
from reports.inputs import _is_stale


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
    log = tmp_path / "alerts.log"
    check = data_freshness_check("clean_air_quality_hourly")
    result = check(warehouse=_seed(tmp_path / "wh.duckdb", old),
                   notifier=NotifierResource(file_path=str(log)))
    assert not result.passed
    assert result.metadata["stale_sources"].value == ["luchtmeetnet"]
    alert = json.loads(log.read_text().splitlines()[0])
    assert alert["stale_sources"] == ["luchtmeetnet"] and "hint" in alert


def test_fresh_air_quality_passes_without_alert(tmp_path):
    recent = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    log = tmp_path / "alerts.log"
    result = data_freshness_check("clean_air_quality_hourly")(
        warehouse=_seed(tmp_path / "wh.duckdb", recent), notifier=NotifierResource(file_path=str(log)))
    assert result.passed and not log.exists()


def test_staleness_rule_by_period_kind():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert not _is_stale("2026-11-21", 3, now)
    assert _is_stale("2026-11-10", 3, now)
    assert not _is_stale("2025", 400, now)  # a year counts from its end
    assert _is_stale(None, 400, now)


def test_every_raw_asset_has_a_materialisation_freshness_check():
    from orchestration.definitions import build_defs

    raw = {k.to_user_string() for k in build_defs().resolve_all_asset_keys()
           if k.to_user_string().startswith("raw_")}
    checked = {key.asset_key.to_user_string() for c in materialisation_freshness_checks()
               for key in c.check_keys}
    assert len(raw) >= 10 and checked == raw
