"""The distributed profile's configuration (orchestration/settings.py, definitions.py): what
the environment selects, and that the instance file it writes is one Dagster accepts."""

from __future__ import annotations

import dagster as dg
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from orchestration.definitions import executor
from orchestration.settings import (
    DAGSTER_POSTGRES_ENV,
    DAGSTER_YAML,
    DistributedProfile,
    distributed_profile,
)

LAKE = {"TM_LAKE_CATALOG": "host=db dbname=lake"}


def test_unset_means_the_embedded_default_one_process_and_sqlite():
    profile = distributed_profile({})
    assert profile == DistributedProfile(1, None) and not profile.distributed
    assert profile.dagster_yaml() == DAGSTER_YAML
    assert executor(profile.workers) is dg.in_process_executor


def test_several_workers_need_the_lake_and_a_whole_number():
    with pytest.raises(ValueError, match="TM_LAKE_CATALOG"):
        distributed_profile({"TM_WORKERS": "2"})
    for bad in ("0", "two", "-1"):
        with pytest.raises(ValueError, match="TM_WORKERS"):
            distributed_profile({**LAKE, "TM_WORKERS": bad})
    assert distributed_profile({**LAKE, "TM_WORKERS": "3"}).workers == 3


def test_workers_get_the_multiprocess_executor_with_that_many_processes():
    chosen = executor(3)
    assert chosen.name == "multiprocess"
    resolved = chosen.config_schema.resolve_config({}).value
    assert resolved["config"]["max_concurrent"] == 3


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
