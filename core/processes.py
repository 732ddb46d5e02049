"""Whether the process that left something behind (a run, a staging folder, a temporary file)
still runs, so a crashed one's leftovers can be released and a live one's never are.

A pid alone can be reused by an unrelated process after a crash or a reboot; where /proc
tells the process's start time, a process that started after the thing was made is not its
maker. Names of temporary files and folders carry the maker's pid (`owner_tag`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_TAGGED = re.compile(r"^(?P<pid>\d+)-")


def owner_tag() -> str:
    """The prefix a temporary name carries after its kind (`.staging-<pid>-...`)."""
    return f"{os.getpid()}-"


def tagged_pid(name: str, prefix: str) -> int | None:
    """The maker's pid in a name `<prefix><pid>-...`, or None (an untagged, older name)."""
    match = _TAGGED.match(name[len(prefix):]) if name.startswith(prefix) else None
    return int(match["pid"]) if match else None


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def started_at(pid: int) -> float | None:
    """The process's start time (Unix seconds), or None where /proc does not say."""
    boot = _boot_time()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of stat(5): starttime, in clock ticks since boot
    except (OSError, IndexError, ValueError):
        return None
    return None if boot is None else boot + ticks / os.sysconf("SC_CLK_TCK")


def process_alive(pid: int, *, made_at: float | None = None) -> bool:
    """Whether `pid` runs (zombies do not count) and, when `made_at` (Unix seconds) is given,
    could have made something at that time (it did not start later)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc: the signal check is all there is
    if state == "Z":
        return False
    start = started_at(pid)
    # Two seconds' slack: the start time has clock-tick resolution, boot time whole seconds.
    return made_at is None or start is None or start <= made_at + 2.0
