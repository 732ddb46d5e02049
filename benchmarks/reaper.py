"""Stops the services a test or benchmark run started when that run dies without stopping them.

A killed run (Ctrl-C twice, a timeout's SIGKILL, a cancelled CI job) never reaches the `finally`
that stops its throwaway PostgreSQL cluster, Redis broker or Celery workers, and they kept
running, holding ports, memory and a folder in /tmp, until the machine stopped.
`benchmarks.services` starts one reaper per service, in a session of its own (so a kill of the
run's process group does not reach it): it waits for the run's process to end, then sends the
service's processes SIGTERM (SIGKILL after a grace period) and removes the service's folder. A
run that stops its services itself stops its reapers too.

`python -m benchmarks.reaper RUN_PID [--pid PID ...] [--folder DIR]`
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.processes import process_alive

POLL_S = 0.5
GRACE_S = 15.0


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def stop(pids: list[int], folder: Path | None, grace_s: float = GRACE_S) -> None:
    """SIGTERM to `pids`, SIGKILL to those still running after `grace_s`, then `folder` gone."""
    _signal(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while any(process_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    _signal([p for p in pids if process_alive(p)], signal.SIGKILL)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def watching(pids: list[int], folder: Path | None = None) -> Iterator[None]:
    """A reaper watching this process for `pids` and `folder` while the block runs; the block
    stops them the ordinary way after it, so the reaper is stopped when the block ends."""
    args = [sys.executable, "-m", "benchmarks.reaper", str(os.getpid())]
    args += [a for pid in pids for a in ("--pid", str(pid))]
    args += ["--folder", str(folder)] if folder is not None else []
    reaper = subprocess.Popen(args, cwd=Path(__file__).resolve().parents[1],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield
    finally:
        reaper.kill()
        reaper.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.reaper", description=__doc__)
    cli.add_argument("run_pid", type=int)
    cli.add_argument("--pid", type=int, action="append", default=[])
    cli.add_argument("--folder", type=Path, default=None)
    args = cli.parse_args(argv)
    # the run started before its reaper: a process that started later under its reused pid
    # is not the run
    started = time.time()
    while process_alive(args.run_pid, made_at=started):
        time.sleep(POLL_S)
    stop(args.pid, args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
