"""The distributed profile's services on 127.0.0.1, started for a test or a benchmark run: a
throwaway PostgreSQL 15 cluster in a temporary folder (Debian's `postgresql`, installed with
apt-get when missing and we are root, as the browser tier does for Chromium), moto's
S3-compatible server with one bucket, and for the Celery shape a Redis broker (Debian's
`redis-server`, installed the same way; no persistence) and Celery worker processes. Used by
tests/distributed/conftest.py and benchmarks/distributed.py; a service that cannot be had
raises `ServiceUnavailable`."""

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

from benchmarks import reaper
from core.debian_packages import ProgramMissing, ensure_program

PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_SERVER = Path("/usr/bin/redis-server")
ROOT = Path(__file__).resolve().parents[1]
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


def ensure_debian_package(package: str, program: Path) -> None:
    """`program` from Debian's `package`, installed with apt-get when missing and we are root."""
    try:
        ensure_program(package, program, purpose="for the distributed profile",
                       say=lambda line: print(line, flush=True))
    except ProgramMissing as exc:
        raise ServiceUnavailable(str(exc)) from None


def ensure_postgresql() -> None:
    ensure_debian_package("postgresql", PG_BIN / "pg_ctl")


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
        # should this process be killed before its `finally`, the reaper stops the server
        with reaper.watching([postmaster_pid(data)], root):
            yield f"host=127.0.0.1 port={port} user=postgres"
    finally:
        run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", user=user,
            check=False)
        shutil.rmtree(root, ignore_errors=True)


def postmaster_pid(data: Path) -> int:
    """The running server's pid, from the first line of its `postmaster.pid`."""
    return int((data / "postmaster.pid").read_text().split()[0])


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
        with reaper.watching([server.pid]):  # stops it should this process be killed
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


def _wait(ready, server: subprocess.Popen, what: str, limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise ServiceUnavailable(f"{what} did not start")
        time.sleep(0.3)


@contextmanager
def redis() -> Iterator[str]:
    """A throwaway Redis on a free 127.0.0.1 port, nothing saved to disk; yields its URL."""
    import redis as redis_client

    ensure_debian_package("redis-server", REDIS_SERVER)
    root, port = Path(tempfile.mkdtemp(prefix="tm-redis-")), free_port()
    server = subprocess.Popen([str(REDIS_SERVER), "--bind", "127.0.0.1", "--port", str(port),
                               "--dir", str(root), "--save", "", "--appendonly", "no",
                               "--daemonize", "no", "--logfile", str(root / "log")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with reaper.watching([server.pid], root):  # stops it should this process be killed
            client = redis_client.Redis(host="127.0.0.1", port=port, socket_timeout=2)
            _wait(client.ping, server, "redis-server")
            yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def celery_workers(count: int, env: dict[str, str], logs: Path) -> Iterator[list]:
    """`count` Celery worker processes (orchestration/celery_app.py, one step at a time each)
    with the environment `env` (the build's: home, lake, Dagster's storage, broker); yields
    their Popen objects once every one answers a ping, and stops them after."""
    from orchestration.celery_app import make_worker_app
    from orchestration.settings import CELERY_BROKER_ENV

    logs.mkdir(parents=True, exist_ok=True)
    full = {**os.environ, **env}
    full.pop("DAGSTER_HOME", None)
    names = [f"tm-worker{n}@127.0.0.1" for n in range(1, count + 1)]
    workers = [subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "orchestration.celery_app", "worker",
         "--concurrency", "1", "--prefetch-multiplier", "1", "-Q", "dagster", "-n", name,
         "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
         "--logfile", str(logs / f"{name.split('@')[0]}.log")],
        cwd=ROOT, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name in names]
    try:
        # stops them should this process be killed
        with reaper.watching([w.pid for w in workers]):
            control = make_worker_app(env[CELERY_BROKER_ENV]).control
            answered: set[str] = set()

            def all_up() -> bool:
                answered.update(k for reply in control.ping(timeout=1.0) for k in reply)
                return answered >= set(names)

            for worker in workers:
                _wait(all_up, worker, "a Celery worker", limit_s=300)
            yield workers
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=30)
