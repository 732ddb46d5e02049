"""`transition-monitor ui`: the Dagster development server as a child that stops with us.

`dg dev` (dagster-dg-cli; it supersedes `dagster dev`) starts the web server and the daemon,
and they start code servers. It runs in a process group of its own; on SIGTERM (a service
manager's stop) or SIGINT (Ctrl-C) the whole group is asked to stop with SIGINT, which `dg dev`
answers by shutting its children down in order; whatever is still running after a grace
period gets SIGTERM, then SIGKILL. So a stop leaves no process behind and frees the port.

Executables are taken from the running interpreter's environment (next to `sys.executable`),
so `.venv/bin/transition-monitor ui` works without the virtual environment on PATH.
"""


import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def venv_command(executable: str, module: str) -> list[str]:
    """An executable of this environment: the script next to the interpreter, else
    `python -m module` with the same interpreter (never looked up on PATH)."""
    beside = Path(sys.executable).parent / executable
    return [str(beside)] if beside.is_file() else [sys.executable, "-m", module]


def ui_command(host: str, port: int, workspace: Path = PROJECT_ROOT / "workspace.yaml") -> list[str]:
    """`dg dev` on the given host (127.0.0.1 unless told otherwise), from workspace.yaml
    (or the definitions module, where the package is installed without it)."""
    target = ["-w", str(workspace)] if workspace.exists() else ["-m", "orchestration.definitions"]
    return [*venv_command("dg", "dagster_dg_cli.cli"), "dev", *target,
            "-h", host, "-p", str(port)]


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies, which only wait to be reaped by
    whoever adopted them, do not count; without /proc every member counts)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended while we looked
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _wait_group(child: subprocess.Popen, pgid: int, seconds: float,
                hurry: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not hurry():
        child.poll()  # reap our own child, so it does not count as running
        if not group_alive(pgid):
            return True
        time.sleep(0.2)
    child.poll()
    return not group_alive(pgid)


def stop_group(child: subprocess.Popen, grace: float = 30.0,
               hurry: Callable[[], bool] = lambda: False) -> None:
    """SIGINT to the group, then SIGTERM, then SIGKILL, until no member runs; `hurry` (a
    second stop request) skips the waiting."""
    pgid = child.pid
    for sig, seconds in ((signal.SIGINT, grace), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        _signal_group(pgid, sig)
        if _wait_group(child, pgid, seconds, hurry if sig != signal.SIGKILL else lambda: False):
            return


class _StopRequested(Exception):
    pass


def run_until_signalled(command: list[str], env: Mapping[str, str] | None = None,
                        grace: float = 30.0) -> int:
    """Run `command` in its own process group until it ends or we get SIGTERM/SIGINT; then
    stop every process of the group. The child's exit code, or 0 after a requested stop."""
    requests: list[int] = []

    def on_stop(signum, _frame):
        requests.append(signum)
        if len(requests) == 1:
            raise _StopRequested

    previous = {sig: signal.signal(sig, on_stop) for sig in STOP_SIGNALS}
    child = None
    try:
        try:
            child = subprocess.Popen(command, env=dict(env) if env is not None else None,
                                     start_new_session=True)
            code = child.wait()
        except _StopRequested:
            if child is not None:
                stop_group(child, grace, hurry=lambda: len(requests) > 1)
            return 0
        stop_group(child, grace=5.0)  # anything it left behind
        return code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
