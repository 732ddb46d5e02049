"""The distributed profile's configuration (orchestration/settings.py, definitions.py): what
the environment selects, and that the instance file it writes is one Dagster accepts."""

from __future__ import annotations

import dagster as dg
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from orchestration.definitions import executor
from orchestration.settings import (
    CELERY_BROKER_ENV,
    DAGSTER_POSTGRES_ENV,
    DAGSTER_YAML,
    DistributedProfile,
    distributed_profile,
)

LAKE = {"TM_LAKE_CATALOG": "host=db dbname=lake"}


def test_unset_means_the_embedded_default_one_process_and_sqlite():
    profile = distributed_profile({})
    assert profile == DistributedProfile(1, None) and not profile.distributed
    assert not profile.celery
    assert profile.dagster_yaml() == DAGSTER_YAML
    assert executor(profile) is dg.in_process_executor


def test_several_workers_need_the_lake_and_a_whole_number():
    with pytest.raises(ValueError, match="TM_LAKE_CATALOG"):
        distributed_profile({"TM_WORKERS": "2"})
    for bad in ("0", "two", "-1"):
        with pytest.raises(ValueError, match="TM_WORKERS"):
            distributed_profile({**LAKE, "TM_WORKERS": bad})
    assert distributed_profile({**LAKE, "TM_WORKERS": "3"}).workers == 3


def test_workers_get_the_multiprocess_executor_with_that_many_processes():
    chosen = executor(distributed_profile({**LAKE, "TM_WORKERS": "3"}))
    assert chosen.name == "multiprocess"
    resolved = chosen.config_schema.resolve_config({}).value
    assert resolved["config"]["max_concurrent"] == 3


POSTGRES = {DAGSTER_POSTGRES_ENV: "postgresql+psycopg2://tm@db.example:5432/dagster"}


def test_a_celery_broker_needs_the_lake_and_dagster_storage_in_postgresql():
    broker = {CELERY_BROKER_ENV: "redis://:secret@broker.example:6379/0"}
    for missing in (broker, {**broker, **LAKE}, {**broker, **POSTGRES}):
        with pytest.raises(ValueError, match=CELERY_BROKER_ENV):
            distributed_profile(missing)
    profile = distributed_profile({**broker, **LAKE, **POSTGRES})
    assert profile.celery and profile.distributed
    assert "secret" not in repr(profile)


def test_a_celery_broker_selects_the_celery_executor_reading_the_broker_from_the_environment(
        monkeypatch):
    url = "redis://127.0.0.1:6399/3"
    profile = distributed_profile({CELERY_BROKER_ENV: url, **LAKE, **POSTGRES, "TM_WORKERS": "2"})
    chosen = executor(profile)
    assert chosen.name == "celery"
    monkeypatch.setenv(CELERY_BROKER_ENV, url)
    config = chosen.config_schema.resolve_config({}).value["config"]
    assert config["broker"] == config["backend"] == url
    # the workers' app (orchestration/celery_app.py) is made from the same settings
    from orchestration.celery_app import CONFIG_SOURCE, make_worker_app

    assert config["config_source"] == CONFIG_SOURCE
    app = make_worker_app(url)
    assert app.conf.broker_url == url and app.conf.result_backend == url
    assert "execute_plan" in app.tasks and app.conf.task_default_queue == "dagster"
    with pytest.raises(RuntimeError, match=CELERY_BROKER_ENV):
        make_worker_app(None)


def test_celery_runs_point_at_the_same_job_of_build_defs_with_the_same_selection():
    """A Celery worker loads the run's job from `orchestration.definitions:defs` by name and
    selection (`reconstructable`): the build's subset without freshness checks included."""
    from orchestration.cli import build_jobs, planned_runs, reconstructable
    from orchestration.definitions import build_defs

    defs = build_defs(mode="snapshot")
    runs = planned_runs("snapshot", 7)
    for job in build_jobs(defs, runs):
        loaded = reconstructable(job).get_definition()
        assert loaded.name == job.name
        graph, expected = loaded.asset_layer.asset_graph, job.asset_layer.asset_graph
        assert graph.executable_asset_keys == expected.executable_asset_keys
        assert graph.asset_check_keys == expected.asset_check_keys
    subsets = [job for job in build_jobs(defs, runs) if job.is_subset]
    assert subsets  # the earlier partition runs go without the freshness checks


def test_the_distributed_instance_file_is_valid_dagster_config_without_the_secret(
        tmp_path, monkeypatch):
    url = "postgresql+psycopg2://tm:secret@db.example:5432/dagster"
    profile = distributed_profile({**LAKE, "TM_WORKERS": "4", DAGSTER_POSTGRES_ENV: url})
    text = profile.dagster_yaml()
    assert "secret" not in text  # the URL stays in the environment
    (tmp_path / "dagster.yaml").write_text(text)
    monkeypatch.setenv(DAGSTER_POSTGRES_ENV, url)
    config = dagster_instance_config(str(tmp_path))[0]  # raises on an invalid file
    assert config["storage"]["postgres"]["postgres_url"] == {"env": DAGSTER_POSTGRES_ENV}
    runs = yaml.safe_load(text)["concurrency"]["runs"]
    assert runs["max_concurrent_runs"] == 4
    assert runs["tag_concurrency_limits"] == [
        {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
    assert config["concurrency"]["pools"]["default_limit"] == 4
