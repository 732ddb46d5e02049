"""A run killed while its throwaway PostgreSQL and Redis run (SIGKILL: no `finally` runs)
does not leave them running: its reapers stop them and remove their folders."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = """
import json, sys, time
from benchmarks import services
with services.postgres() as pg, services.redis() as broker:
    port = dict(part.split("=") for part in pg.split())["port"]
    print(json.dumps({"postgres": int(port), "redis": int(broker.rsplit(":", 1)[1].split("/")[0])}),
          flush=True)
    time.sleep(600)
"""


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stops_listening(port: int, within_s: float = 40) -> bool:
    deadline = time.monotonic() + within_s
    while _listening(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_a_killed_run_leaves_no_postgres_or_redis_running():
    before = set(Path("/tmp").glob("tm-pg-*")) | set(Path("/tmp").glob("tm-redis-*"))
    run = subprocess.Popen([sys.executable, "-c", RUN], cwd=ROOT, stdout=subprocess.PIPE,
                           text=True)
    try:
        ports = json.loads(run.stdout.readline())
        assert all(_listening(port) for port in ports.values()), ports
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        for name, port in ports.items():
            assert _stops_listening(port), f"{name} still listens on {port}"
        deadline = time.monotonic() + 20
        while (left := (set(Path("/tmp").glob("tm-pg-*"))
                        | set(Path("/tmp").glob("tm-redis-*"))) - before):
            assert time.monotonic() < deadline, f"folders left: {left}"
            time.sleep(0.2)
    finally:
        if run.poll() is None:
            run.kill()
