"""`transition-monitor ui` as a service manager runs it: started from the venv's bin/ without
the venv on PATH, stopped by SIGTERM or SIGINT, it leaves no process behind and frees the port;
the start-up log carries no superseded-API warning."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.service import group_alive, run_until_signalled, venv_command

BIN = Path(sys.executable).parent


def _children(pid: int) -> dict[int, int]:
    """{pid: ppid} of every process."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        table[int(stat.parent.name)] = int(fields[1])
    return table


def descendants(pid: int) -> set[int]:
    table, found, frontier = _children(pid), set(), {pid}
    while frontier:
        frontier = {child for child, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_executables_come_from_the_interpreters_environment_not_path(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert venv_command("dg", "dagster_dg_cli.cli") == [str(BIN / "dg")]
    assert venv_command("no-such-script", "some.module") == [sys.executable, "-m", "some.module"]


def _tree_script(tmp_path: Path, ignore_int: bool) -> list[str]:
    """A child that starts two grandchildren (one ignoring SIGINT when asked) and waits."""
    script = tmp_path / "tree.py"
    script.write_text(
        "import signal, subprocess, sys, time\n"
        f"ignore = {ignore_int!r}\n"
        "code = 'import signal,time\\n' + ('signal.signal(signal.SIGINT, signal.SIG_IGN)\\n' "
        "if ignore else '') + 'time.sleep(600)'\n"
        "kids = [subprocess.Popen([sys.executable, '-c', code]) for _ in range(2)]\n"
        "open(sys.argv[1], 'w').write(' '.join(str(k.pid) for k in kids))\n"
        "time.sleep(600)\n")
    return [sys.executable, str(script), str(tmp_path / "pids")]


@pytest.mark.parametrize("ignore_int", [False, True])
def test_a_stop_request_ends_the_whole_process_group(tmp_path, ignore_int):
    """Children that ignore SIGINT are ended too (SIGTERM, then SIGKILL, after the grace)."""
    runner = subprocess.Popen([sys.executable, "-c", (
        "import sys; from orchestration.service import run_until_signalled; "
        f"sys.exit(run_until_signalled({_tree_script(tmp_path, ignore_int)!r}, grace=1.0))")],
        cwd=Path(__file__).resolve().parent.parent)
    pids_file = tmp_path / "pids"
    deadline = time.monotonic() + 30
    while not (pids_file.exists() and pids_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    tree = descendants(runner.pid)
    assert len(running(tree)) == 3  # the child and its two grandchildren
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=30) == 0
    time.sleep(0.3)  # orphans are reaped by init
    assert not running(tree)


def test_a_child_that_ends_by_itself_gives_its_exit_code(tmp_path):
    assert run_until_signalled([sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_group_alive_sees_a_running_group_and_not_an_ended_one():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             start_new_session=True)
    assert group_alive(child.pid)
    child.kill()
    child.wait()
    assert not group_alive(child.pid)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_ui_stops_every_child_and_frees_the_port(tmp_path, stop):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "DAGSTER_HOME")}
    env["PATH"] = "/usr/bin:/bin"  # the venv is not on PATH
    log = (tmp_path / "ui.log").open("w")
    ui = subprocess.Popen([str(BIN / "transition-monitor"), "--home", str(tmp_path / "home"),
                           "ui", "--port", str(port)], env=env, stdout=log,
                          stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 180
        while not answers(port):
            assert ui.poll() is None, (tmp_path / "ui.log").read_text()
            assert time.monotonic() < deadline, "the UI did not answer within 180 s"
            time.sleep(1)
        time.sleep(3)  # the daemon and the code servers are up by now too
        tree = descendants(ui.pid)
        assert len(running(tree)) >= 3  # dg dev, the web server, the daemon (+ code servers)
        ui.send_signal(stop)
        assert ui.wait(timeout=120) == 0
    finally:
        if ui.poll() is None:
            ui.kill()
        log.close()
    time.sleep(0.5)
    assert not running(tree)
    assert not answers(port)
    text = (tmp_path / "ui.log").read_text()
    assert "Launching Dagster services" in text
    assert "supersed" not in text.lower() and "SupersessionWarning" not in text
    assert "FileNotFoundError" not in text
