"""The one Dagster `Definitions` of the project, built by `build_defs` (tests pass overrides).

`workspace.yaml` loads this module; `defs` below uses the settings from the environment
(TRANSITION_MONITOR_HOME, TRANSITION_MONITOR_SOURCE, API keys).
"""


import os
from collections.abc import Mapping

import dagster as dg

from core.secrets import install_log_redaction
from orchestration.assets.air_quality import air_quality_assets
from orchestration.assets.indicators import indicator_assets
from orchestration.assets.report import report_edition
from orchestration.assets.statistics import statistics_assets
from orchestration.freshness import all_freshness_checks
from orchestration.jobs import ALL_JOBS
from orchestration.resources import (
    NotifierResource,
    SiteResource,
    SourcesResource,
    WarehouseResource,
)
from orchestration.schedules import ALL_SCHEDULES
from orchestration.sensors import ALL_SENSORS
from orchestration.settings import (
    DistributedProfile,
    Paths,
    distributed_profile,
    paths,
    source_mode,
)
from sources.registry import SOURCES, base_url_overrides

install_log_redaction()  # the UI's and daemon's processes load this module: redact their logs

# The resource field of each keyed source (`<source>_api_key`) and its environment variable.
KEY_ENV = {f"{s.name}_api_key": s.key_env for s in SOURCES.values() if s.key_env}


# A person waiting at the terminal: a source that stays down costs one short step retry, not
# two of the schedule's 300 s waits (646 s per partition measured, 75 minutes a live build).
INTERACTIVE_RUN_RETRIES = {"run_retries": 1, "run_retry_wait_s": 10.0}


def default_resources(p: Paths, mode: str, interactive: bool = False) -> dict[str, object]:
    # A key is wired through dg.EnvVar only when set, so an unset key fails its source alone.
    keys = {field: dg.EnvVar(env) for field, env in KEY_ENV.items() if os.environ.get(env)}
    retries = INTERACTIVE_RUN_RETRIES if interactive else {}
    return {
        "warehouse": WarehouseResource(path=str(p.warehouse)),
        # Base URLs set by $TRANSITION_MONITOR_<SOURCE>_URL show in the resource's config.
        "sources": SourcesResource(mode=mode, generated_dir=str(p.generated_snapshot),
                                   drop_dir=str(p.drop), base_urls=base_url_overrides(), **keys,
                                   **retries),
        "site": SiteResource(path=str(p.site)),
        "notifier": NotifierResource(file_path=str(p.notifications)),
    }


def all_assets() -> list:
    return [*air_quality_assets, *statistics_assets(), *indicator_assets, report_edition]


def build_defs(resource_overrides: Mapping[str, object] | None = None,
               home: str | None = None, mode: str | None = None,
               interactive: bool = False) -> dg.Definitions:
    """`interactive`: a CLI build, with short run-level retries (`INTERACTIVE_RUN_RETRIES`)."""
    resources = default_resources(paths(home), mode or source_mode(), interactive)
    resources.update(resource_overrides or {})
    return dg.Definitions(
        assets=all_assets(), asset_checks=all_freshness_checks(), jobs=ALL_JOBS,
        schedules=ALL_SCHEDULES, sensors=ALL_SENSORS,
        resources=resources,
        executor=executor(distributed_profile()),
    )


def executor(profile: DistributedProfile) -> dg.ExecutorDefinition:
    """The embedded file allows one writer process: every step runs in the run's own process.
    With the lake (`TM_WORKERS` > 1), a run's independent steps run in up to `workers`
    processes at once (Dagster's multiprocess executor). With a Celery broker
    (`TM_CELERY_BROKER_URL`), every step goes to the broker's queue and Celery workers run it
    (orchestration/celery_app.py), whatever starts the run: `build`, the UI or a schedule."""
    if profile.celery:
        from dagster_celery import celery_executor

        from orchestration.celery_app import executor_config

        return celery_executor.configured(executor_config(), name="celery")
    if profile.workers <= 1:
        return dg.in_process_executor
    return dg.multiprocess_executor.configured({"max_concurrent": profile.workers})


defs = build_defs()
