"""The reaper stops a run's services when the run is killed before it could stop them."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import reaper
from core.processes import process_alive

ROOT = Path(__file__).resolve().parents[1]


def _gone(pid: int, within_s: float = 20) -> bool:
    deadline = time.monotonic() + within_s
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_when_the_run_is_killed_its_service_is_stopped_and_its_folder_removed(tmp_path):
    folder = tmp_path / "service"
    folder.mkdir()
    (folder / "data").write_text("x")
    run = subprocess.Popen(["sleep", "600"])
    service = subprocess.Popen(["sleep", "600"], start_new_session=True)
    watcher = subprocess.Popen([sys.executable, "-m", "benchmarks.reaper", str(run.pid),
                                "--pid", str(service.pid), "--folder", str(folder)], cwd=ROOT)
    try:
        time.sleep(1.0)
        assert process_alive(service.pid) and folder.exists()  # nothing happens while it runs
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        assert watcher.wait(timeout=20) == 0
        service.wait(timeout=5)  # ours to reap: the reaper's SIGTERM ended it
        assert not process_alive(service.pid)
        assert not folder.exists()
    finally:
        for process in (run, service, watcher):
            if process.poll() is None:
                process.kill()


def test_a_service_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    stubborn = subprocess.Popen([sys.executable, "-c", "import signal, time; "
                                 "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                 "print('ready', flush=True); time.sleep(600)"],
                                stdout=subprocess.PIPE, text=True)
    try:
        assert stubborn.stdout.readline().strip() == "ready"
        started = time.monotonic()
        reaper.stop([stubborn.pid], None, grace_s=1.0)
        assert stubborn.wait(timeout=10) == -signal.SIGKILL
        assert time.monotonic() - started >= 1.0
    finally:
        if stubborn.poll() is None:
            stubborn.kill()
