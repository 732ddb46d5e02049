"""The distributed tier's services, started by the test command itself on 127.0.0.1
(benchmarks/services.py): a PostgreSQL 15 cluster in a temporary folder (Debian's
`postgresql`, installed with apt-get when missing and we are root, as the browser tier does
for Chromium) holding the DuckLake catalogue and Dagster's run storage, moto's
S3-compatible server holding the Parquet data files, and Redis (Debian's `redis-server`,
installed the same way; nothing saved to disk), the Celery shape's broker.

When a service cannot be had, the tests fail saying why: they never skip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import services
from warehouse.lake import LakeSettings


def _started(service) -> Iterator[str]:
    """What `service()` yields while it runs; a service that cannot be had fails the test."""
    try:
        with service() as handle:
            yield handle
    except services.ServiceUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throwaway cluster on 127.0.0.1; yields a libpq string for database `postgres`."""
    yield from _started(services.postgres)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 with one bucket; yields host:port."""
    yield from _started(services.s3_endpoint)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A throwaway Redis on 127.0.0.1; yields its URL (database 0)."""
    yield from _started(services.redis)


_databases = iter(range(1, 10_000))
_redis_databases = iter(range(1, 16))


@pytest.fixture
def celery_broker(redis_server) -> str:
    """A Redis database of its own for one test's Celery queue and results."""
    return f"{redis_server.rsplit('/', 1)[0]}/{next(_redis_databases)}"


@pytest.fixture
def lake_env(postgres, s3_endpoint) -> dict[str, str]:
    """Environment for a fresh lake: its own catalogue database and data prefix."""
    return services.lake_environment(postgres, s3_endpoint, f"lake{next(_databases)}")


@pytest.fixture
def lake_settings(lake_env) -> LakeSettings:
    return LakeSettings.from_env(lake_env)


@pytest.fixture
def s3_objects():
    """Lists the keys under a prefix of the test bucket."""
    return _s3_objects


def _s3_objects(endpoint: str, prefix: str) -> list[str]:
    pages = services.s3_client(endpoint).get_paginator("list_objects_v2").paginate(
        Bucket=services.BUCKET, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


@pytest.fixture
def dagster_postgres_url(postgres) -> str:
    """A fresh database for Dagster's run and event storage, as a postgresql:// URL."""
    name = f"dagster{next(_databases)}"
    services.create_database(postgres, name)
    parts = dict(item.split("=", 1) for item in postgres.split())
    return f"postgresql+psycopg2://{parts['user']}@{parts['host']}:{parts['port']}/{name}"


@pytest.fixture
def embedded_build(snapshot_build) -> Path:
    """The home of the embedded snapshot build the suite makes once (tests/conftest.py)."""
    home, result, _ = snapshot_build
    assert result.returncode == 0, result.stderr[-3000:]
    return home
