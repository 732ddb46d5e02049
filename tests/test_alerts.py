"""Run alerts: one message per table with a problem in the run (all its failed checks in it),
with job, run id and step, no secrets; each (run, table) alert is sent once; a failing notifier
is logged, never fatal (RELIABILITY.md cases 16 and 17)."""

from __future__ import annotations

import json

import dagster as dg

from orchestration.alerts import TableProblems, alert_run, table_alert
from orchestration.resources import NotifierResource
from orchestration.sensors import alert_on_run_failure

FAKE_KEY = "fake-entsoe-token-123"


@dg.op
def failing_step():
    raise RuntimeError(f"upstream said no for https://web-api.tp.entsoe.eu/api?securityToken={FAKE_KEY}")


@dg.job
def failing_job():
    failing_step()


def _failure_context(instance: dg.DagsterInstance):
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    return dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure", dagster_event=failure, dagster_instance=instance,
        dagster_run=run).for_run_failure(), result.run_id


def test_a_run_failure_writes_one_alert_with_job_run_and_step_and_no_key(tmp_path):
    log = tmp_path / "alerts.log"
    with dg.instance_for_test() as instance:
        context, run_id = _failure_context(instance)
        alert_on_run_failure(context, notifier=NotifierResource(file_path=str(log)))
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    alert = json.loads(lines[0])
    assert alert["job"] == "failing_job" and alert["run_id"] == run_id
    assert alert["step"] == "failing_step"
    assert FAKE_KEY not in lines[0]


def test_a_failing_notifier_is_logged_not_raised(tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where a directory is needed")
    notifier = NotifierResource(file_path=str(blocked / "alerts.log"))
    assert notifier.notify("subject", {"job": "x"}) is False


def test_a_table_alert_redacts_keys_in_any_known_secret_parameter():
    message = table_alert("j", "r", TableProblems(
        "(run)", errors=[f"GET /api?securityToken={FAKE_KEY}&x=1"]))
    assert FAKE_KEY not in json.dumps(message)
    assert message["step"] == "(run)" and "hint" in message


@dg.asset(check_specs=[dg.AssetCheckSpec("rows_present", asset="clean_things"),
                       dg.AssetCheckSpec("codes_known", asset="clean_things")])
def clean_things():
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(check_name="rows_present", passed=False,
                              description="no rows for 2024")
    yield dg.AssetCheckResult(check_name="codes_known", passed=False,
                              description="GM9999 unknown")


@dg.asset(check_specs=[dg.AssetCheckSpec("data_is_fresh", asset="clean_other")])
def clean_other():
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(check_name="data_is_fresh", passed=False,
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"stale_sources": ["luchtmeetnet"]})


@dg.asset(check_specs=[dg.AssetCheckSpec("rows_present", asset="clean_fine")])
def clean_fine():
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(check_name="rows_present", passed=True)


def test_one_alert_per_table_per_run_listing_all_its_failed_checks(tmp_path):
    log = tmp_path / "alerts.log"
    notifier = NotifierResource(file_path=str(log))
    result = dg.materialize([clean_things, clean_other, clean_fine], raise_on_error=False)
    sent = alert_run(notifier, "statistics_job", result.run_id, result.all_events)
    again = alert_run(notifier, "statistics_job", result.run_id, result.all_events)
    alerts = [json.loads(line) for line in log.read_text().splitlines()]
    assert sent == 2 and again == 0  # a daemon and the build seeing the same run: sent once
    by_table = {a["table"]: a for a in alerts}
    assert sorted(by_table) == ["clean_other", "clean_things"]
    things = by_table["clean_things"]
    assert sorted(c["check"] for c in things["failed_checks"]) == ["codes_known", "rows_present"]
    assert {c["description"] for c in things["failed_checks"]} == \
        {"no rows for 2024", "GM9999 unknown"}
    assert by_table["clean_other"]["failed_checks"][0]["stale_sources"] == ["luchtmeetnet"]
    assert "failed in" in by_table["clean_things"]["subject"]
    assert "warning" in by_table["clean_other"]["subject"]  # stale only: not called a failure
    assert all(a["run_id"] == result.run_id for a in alerts)


def test_new_data_sensor_fires_once_per_new_materialisation():
    from orchestration.sensors import new_materialisations

    assert new_materialisations({"clean_emissions": 10.0, "clean_training": None}, {}) == \
        ["clean_emissions"]
    assert new_materialisations({"clean_emissions": 10.0}, {"clean_emissions": 10.0}) == []
    assert new_materialisations({"clean_emissions": 11.0}, {"clean_emissions": 10.0}) == \
        ["clean_emissions"]


def test_a_build_that_needs_no_run_alerts_a_stale_table_once_a_day(tmp_path, monkeypatch):
    """`build` evaluates the freshness checks itself when no run was needed; a daily no-op
    build must not repeat the same stale-data alert every day it finds nothing new."""
    from contextlib import nullcontext
    from types import SimpleNamespace

    from orchestration import probe

    verdicts = {"clean_emissions": False, "clean_energy": True}
    reads = []
    monkeypatch.setattr(probe, "source_freshness", lambda _wh: reads.append(1))
    monkeypatch.setattr(probe, "freshness_result", lambda _wh, table, _read: dg.AssetCheckResult(
        check_name="data_is_fresh", passed=verdicts[table], severity=dg.AssetCheckSeverity.WARN,
        metadata={"stale_sources": [] if verdicts[table] else ["emissieregistratie"]}))
    log = tmp_path / "alerts.log"
    warehouse = SimpleNamespace(warehouse=lambda: SimpleNamespace(session=nullcontext))
    resources = SimpleNamespace(warehouse=warehouse, notifier=NotifierResource(file_path=str(log)))
    with dg.instance_for_test() as instance:
        for _ in range(2):  # two builds on one day
            probe.report_freshness(instance, set(verdicts), resources)
    alerts = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(a["subject"], a["stale_sources"]) for a in alerts] == [
        ("transition-monitor: stale data in clean_emissions", ["emissieregistratie"])]
    assert len(reads) == 2  # the sources' freshness read once per build, not once per table
