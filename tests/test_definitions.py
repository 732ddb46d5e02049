"""Definitions smoke test: the one `Definitions` loads, names follow the convention, every
clean asset has its blocking GX check, every writer is in the DuckDB pool, and jobs,
schedules and sensors resolve."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.assets import WAREHOUSE_POOL
from orchestration.definitions import build_defs
from warehouse.schema import CLEAN_TABLES


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    return build_defs(home=str(tmp_path_factory.mktemp("home")), mode="snapshot")


def asset_names(defs: dg.Definitions) -> set[str]:
    return {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}


def test_definitions_load_and_validate(defs):
    dg.Definitions.validate_loadable(defs)
    for job in ("air_quality_daily_job", "validated_air_quality_job", "statistics_job",
                "edition_job"):
        assert defs.resolve_job_def(job) is not None


def test_asset_names_follow_the_convention(defs):
    names = asset_names(defs)
    assert set(CLEAN_TABLES) <= names
    assert {"indicator_values", "progress_assessments", "report_edition"} <= names
    allowed = ("raw_", "clean_")
    extra = {n for n in names if not n.startswith(allowed)} - {
        "air_station_annual", "indicator_values", "progress_assessments", "report_edition"}
    assert not extra, extra


def test_every_clean_asset_has_a_blocking_gx_check(defs):
    graph = defs.resolve_asset_graph()
    for name in CLEAN_TABLES:
        specs = [s for s in graph.get(dg.AssetKey(name)).check_keys]
        assert any(k.name == "great_expectations_suite" for k in specs), name
    blocking = {spec.key.asset_key.to_user_string()
                for a in defs.assets for spec in getattr(a, "check_specs", []) if spec.blocking}
    assert set(CLEAN_TABLES) <= blocking


def test_every_writer_is_in_the_single_writer_pool(defs):
    for assets_def in defs.assets:
        for key in assets_def.keys:
            name = key.to_user_string()
            node = assets_def.node_def
            assert getattr(node, "pool", None) == WAREHOUSE_POOL, name


def test_schedules_and_sensors_resolve(defs):
    schedules = {s.name for s in defs.schedules}
    assert {"air_quality_daily_schedule", "statistics_monthly_schedule",
            "edition_weekly_schedule"} <= schedules
    assert all(s.execution_timezone == "Europe/Amsterdam" for s in defs.schedules)
    sensors = {s.name for s in defs.sensors}
    assert {"edition_after_new_data", "alert_on_run_failure", "alert_on_failed_checks"} <= sensors


def test_schedules_and_sensors_run_by_default_when_a_daemon_runs(defs):
    """Unattended deployments publish without toggles: every schedule and sensor is RUNNING
    in code (turning one off is stored in the instance; see the README)."""
    assert len(defs.schedules) == 4 and len(defs.sensors) == 3
    for schedule in defs.schedules:
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING, schedule.name
    for sensor in defs.sensors:
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING, sensor.name


def test_cli_builds_wait_briefly_for_a_source_that_stays_down(tmp_path, monkeypatch):
    """Issue 20: a source that stayed down cost 646 s per partition in a `build` (two run-level
    waits of 300 s). The CLI builds its definitions interactive: one retry after 10 s; the
    schedules keep their patient retries."""
    from orchestration import cli, definitions
    from orchestration.definitions import default_resources
    from orchestration.settings import paths

    p = paths(str(tmp_path))
    interactive = default_resources(p, "live", interactive=True)["sources"]
    scheduled = default_resources(p, "live")["sources"]
    assert interactive.run_retries * interactive.run_retry_wait_s <= 30
    assert scheduled.run_retries * scheduled.run_retry_wait_s >= 300

    asked = {}

    class Stop(Exception):
        pass

    def capture(*args, **kwargs):
        asked.update(kwargs)
        raise Stop

    monkeypatch.setattr(definitions, "build_defs", capture)
    with pytest.raises(Stop):
        cli.run_build(p, "live", 1, say=lambda _m: None, only_edition=True)
    assert asked.get("interactive") is True
