"""The Celery shape of the distributed profile: Dagster's Celery executor (`dagster-celery`)
sends every step of a run to a queue on the broker named by `TM_CELERY_BROKER_URL` (Redis),
and Celery worker processes, started by hand or by a service manager, execute them:

    celery -A orchestration.celery_app worker --concurrency 1 --prefetch-multiplier 1 -Q dagster

A worker executes a step the way Dagster's own step workers do: it loads the run from
Dagster's storage (PostgreSQL), reconstructs the job from `orchestration.definitions:defs`
(the same `build_defs`, so a worker needs the build's environment: TRANSITION_MONITOR_HOME,
TRANSITION_MONITOR_SOURCE, TM_LAKE_*, TM_DAGSTER_POSTGRES_URL, keys) and runs the step's
asset against the shared warehouse. Results (the step's events) go back through the same
Redis, which is also Celery's result backend.

`executor_config` is the executor's configuration in `build_defs`; `app` (this module's
attribute, loaded by `celery -A`) is built from the same settings, so the runs' side and the
workers' side cannot disagree on queue or broker. The module imports dagster-celery only when
`app` is asked for: the package is in the `distributed` dependency group only.
"""

from __future__ import annotations

import functools
import os

from orchestration.settings import CELERY_BROKER_ENV

# Celery settings shared by the executor and the workers (dagster-celery's own defaults for the
# rest: queue `dagster`, priority 5). A worker takes one step at a time and acknowledges it
# when it starts (Celery's default), so a step is never delivered twice. A worker's step
# process killed mid-step marks the task failed, but dagster-celery 0.29.27's loop then never
# ends if the run has steps not yet sent (README "Beyond one machine": not handled yet).
CONFIG_SOURCE = {"worker_prefetch_multiplier": 1, "task_acks_late": False,
                 "broker_connection_retry_on_startup": True}


def executor_config() -> dict[str, object]:
    """The celery executor's config: the broker and result backend read from the environment
    by Dagster when a run starts (the URL is never stored with the run)."""
    return {"broker": {"env": CELERY_BROKER_ENV}, "backend": {"env": CELERY_BROKER_ENV},
            "config_source": CONFIG_SOURCE}


@functools.cache
def make_worker_app(broker: str | None):
    """The Celery app a worker runs (on `broker`), with dagster-celery's step task registered."""
    from dagster_celery.executor import CeleryExecutor
    from dagster_celery.make_app import make_app
    from dagster_celery.tasks import create_task

    if not broker:
        raise RuntimeError(f"${CELERY_BROKER_ENV} is not set: a Celery worker needs the broker "
                           "the runs send their steps to (e.g. redis://127.0.0.1:6379/0)")
    app = make_app(CeleryExecutor.for_cli(broker=broker, backend=broker,
                                          config_source=CONFIG_SOURCE).app_args())
    create_task(app)
    return app


def __getattr__(name: str):
    if name == "app":  # `celery -A orchestration.celery_app`
        return make_worker_app(os.environ.get(CELERY_BROKER_ENV))
    raise AttributeError(name)
