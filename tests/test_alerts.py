"""Run-failure alerts: one message with job, run id and step, no secrets; a failing notifier
is logged, never fatal (RELIABILITY.md case 17)."""

from __future__ import annotations

import json

import dagster as dg

from orchestration.resources import NotifierResource
from orchestration.sensors import alert_on_run_failure, failure_message

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


def test_failure_message_redacts_keys_in_any_known_secret_parameter():
    message = failure_message("j", "r", None, f"GET /api?securityToken={FAKE_KEY}&x=1")
    assert FAKE_KEY not in json.dumps(message)
    assert message["step"] == "(run)" and "hint" in message


def test_new_data_sensor_fires_once_per_new_materialisation():
    from orchestration.sensors import new_materialisations

    assert new_materialisations({"clean_emissions": 10.0, "clean_training": None}, {}) == \
        ["clean_emissions"]
    assert new_materialisations({"clean_emissions": 10.0}, {"clean_emissions": 10.0}) == []
    assert new_materialisations({"clean_emissions": 11.0}, {"clean_emissions": 10.0}) == \
        ["clean_emissions"]
