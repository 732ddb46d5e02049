"""The distributed tier's services, started by the test command itself on 127.0.0.1: a
PostgreSQL 15 cluster in a temporary folder (Debian's `postgresql`, installed with apt-get when
missing and we are root, as the browser tier does for Chromium) holding the DuckLake
catalogue, and moto's S3-compatible server holding the Parquet data files.

When a service cannot be had, the tests fail saying why: they never skip."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from warehouse.lake import LakeSettings

PG_BIN = Path("/usr/lib/postgresql/15/bin")
S3_KEY = "tm-test"  # moto accepts any key; nothing real
BUCKET = "transition-lake"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*args: str, user: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    if user is not None and os.geteuid() == 0:
        args = ("runuser", "-u", user, "--", *args)
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=900, check=False)
    if check and done.returncode:
        pytest.fail(f"{' '.join(args)} failed: {done.stdout[-1000:]} {done.stderr[-1500:]}")
    return done


def ensure_postgresql() -> None:
    if (PG_BIN / "pg_ctl").is_file():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail(f"{PG_BIN}/pg_ctl is missing and cannot be installed here (needs root and "
                    "apt-get): install Debian's postgresql package to run the distributed tier")
    print("distributed tests: installing Debian's postgresql", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=900, check=False)
    install = subprocess.run(["apt-get", "install", "-y", "postgresql"], env=env,
                             capture_output=True, text=True, timeout=900, check=False)
    if not (PG_BIN / "pg_ctl").is_file():
        pytest.fail(f"installing postgresql failed: {install.stderr[-1500:]}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throwaway cluster on 127.0.0.1; yields a libpq string for database `postgres`. As
    root, the server runs as the `postgres` user (initdb refuses root)."""
    ensure_postgresql()
    # Its own folder under /tmp: pytest's temporary root is private to root, and the server
    # runs as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="tm-pg-"))
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        pwd.getpwnam(user)  # created by the Debian package
        shutil.chown(root, user)
    data, port = root / "data", _free_port()
    _run(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", user=user)
    _run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
         f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start", user=user)
    try:
        yield f"host=127.0.0.1 port={port} user=postgres"
    finally:
        _run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", user=user,
             check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 with one bucket; yields host:port."""
    import boto3

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                              aws_access_key_id=S3_KEY, aws_secret_access_key=S3_KEY,
                              region_name="us-east-1")
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("moto's S3 server did not start")
                time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


_databases = iter(range(1, 10_000))


@pytest.fixture
def lake_env(postgres, s3_endpoint) -> dict[str, str]:
    """Environment for a fresh lake: its own catalogue database and data prefix."""
    name = f"lake{next(_databases)}"
    _run("psql", *postgres_args(postgres), "-qc", f"CREATE DATABASE {name}")
    return {"TM_LAKE_CATALOG": f"{postgres} dbname={name}",
            "TM_LAKE_DATA_PATH": f"s3://{BUCKET}/{name}/",
            "TM_LAKE_S3_ENDPOINT": s3_endpoint, "TM_LAKE_S3_USE_SSL": "false",
            "AWS_ACCESS_KEY_ID": S3_KEY, "AWS_SECRET_ACCESS_KEY": S3_KEY}


def postgres_args(libpq: str) -> list[str]:
    parts = dict(item.split("=", 1) for item in libpq.split())
    return ["-h", parts["host"], "-p", parts["port"], "-U", parts["user"], "-d", "postgres"]


@pytest.fixture
def lake_settings(lake_env) -> LakeSettings:
    return LakeSettings.from_env(lake_env)


@pytest.fixture
def s3_objects():
    """Lists the keys under a prefix of the test bucket."""
    return _s3_objects


def _s3_objects(endpoint: str, prefix: str) -> list[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=f"http://{endpoint}", aws_access_key_id=S3_KEY,
                          aws_secret_access_key=S3_KEY, region_name="us-east-1")
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


@pytest.fixture
def dagster_postgres_url(postgres) -> str:
    """A fresh database for Dagster's run and event storage, as a postgresql:// URL."""
    name = f"dagster{next(_databases)}"
    _run("psql", *postgres_args(postgres), "-qc", f"CREATE DATABASE {name}")
    parts = dict(item.split("=", 1) for item in postgres.split())
    return f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{name}"


@pytest.fixture
def embedded_build(snapshot_build) -> Path:
    """The home of the embedded snapshot build the suite makes once (tests/conftest.py)."""
    home, result, _ = snapshot_build
    assert result.returncode == 0, result.stderr[-3000:]
    return home
