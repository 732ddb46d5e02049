"""The distributed profile's services on 127.0.0.1, started for a test or a benchmark run: a
throwaway PostgreSQL 15 cluster in a temporary folder (Debian's `postgresql`, installed with
apt-get when missing and we are root, as the browser tier does for Chromium) and moto's
S3-compatible server with one bucket. Used by tests/distributed/conftest.py and
benchmarks/distributed.py; a service that cannot be had raises `ServiceUnavailable`."""

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
from contextlib import contextmanager
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
S3_KEY = "tm-test"  # moto accepts any key; nothing real
BUCKET = "transition-lake"


class ServiceUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args: str, user: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    if user is not None and os.geteuid() == 0:
        args = ("runuser", "-u", user, "--", *args)
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=900, check=False)
    if check and done.returncode:
        raise ServiceUnavailable(f"{' '.join(args)} failed: {done.stdout[-1000:]} "
                                 f"{done.stderr[-1500:]}")
    return done


def ensure_postgresql() -> None:
    if (PG_BIN / "pg_ctl").is_file():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ServiceUnavailable(
            f"{PG_BIN}/pg_ctl is missing and cannot be installed here (needs root and "
            "apt-get): install Debian's postgresql package to run the distributed profile")
    print("installing Debian's postgresql", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=900, check=False)
    install = subprocess.run(["apt-get", "install", "-y", "postgresql"], env=env,
                             capture_output=True, text=True, timeout=900, check=False)
    if not (PG_BIN / "pg_ctl").is_file():
        raise ServiceUnavailable(f"installing postgresql failed: {install.stderr[-1500:]}")


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway cluster on 127.0.0.1; yields a libpq string for database `postgres`. As
    root, the server runs as the `postgres` user (initdb refuses root)."""
    ensure_postgresql()
    # Its own folder under /tmp (the server runs as `postgres`; pytest's are private to root).
    root = Path(tempfile.mkdtemp(prefix="tm-pg-"))
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        pwd.getpwnam(user)  # created by the Debian package
        shutil.chown(root, user)
    data, port = root / "data", free_port()
    try:
        run(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", user=user)
        run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
            user=user)
        yield f"host=127.0.0.1 port={port} user=postgres"
    finally:
        run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", user=user,
            check=False)
        shutil.rmtree(root, ignore_errors=True)


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=f"http://{endpoint}", aws_access_key_id=S3_KEY,
                        aws_secret_access_key=S3_KEY, region_name="us-east-1")


@contextmanager
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 with one bucket; yields host:port."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = s3_client(f"127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception as exc:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise ServiceUnavailable("moto's S3 server did not start") from exc
                time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        try:  # under heavy load a server holding a large bucket can take longer than 10 s
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def postgres_args(libpq: str) -> list[str]:
    parts = dict(item.split("=", 1) for item in libpq.split())
    return ["-h", parts["host"], "-p", parts["port"], "-U", parts["user"], "-d", "postgres"]


def create_database(libpq: str, name: str) -> str:
    """A new database on the cluster; returns its libpq string."""
    run("psql", *postgres_args(libpq), "-qc", f"CREATE DATABASE {name}")
    return f"{libpq} dbname={name}"


def lake_environment(libpq: str, endpoint: str, name: str) -> dict[str, str]:
    """TM_LAKE_* for a fresh lake: its own catalogue database and data prefix, and the raw
    payload bodies under a prefix of their own in the same bucket (TM_PAYLOAD_PATH)."""
    return {"TM_LAKE_CATALOG": create_database(libpq, name),
            "TM_LAKE_DATA_PATH": f"s3://{BUCKET}/{name}/",
            "TM_PAYLOAD_PATH": f"s3://{BUCKET}/{name}-payloads/",
            "TM_LAKE_S3_ENDPOINT": endpoint, "TM_LAKE_S3_USE_SSL": "false",
            "AWS_ACCESS_KEY_ID": S3_KEY, "AWS_SECRET_ACCESS_KEY": S3_KEY}
