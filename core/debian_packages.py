"""Programs the monitor needs from Debian's packages (Chromium for the printed edition;
PostgreSQL and Redis for the distributed profile), installed with apt-get when missing.

A fresh machine has Python and the package registries, not these programs. Where we run as
root and apt-get exists, the missing package is installed (once: afterwards the program is on
disk); elsewhere `ProgramMissing` says which package to install, so the caller can fail loudly
with that next step.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

APT_TIMEOUT_S = 900


class ProgramMissing(RuntimeError):
    """A program is missing and could not be installed; the message says what to do."""


def can_install() -> bool:
    """Root with apt-get on PATH: `apt-get install` will be allowed to run."""
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") is not None


def _apt(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], env=env, capture_output=True, text=True,
                          timeout=APT_TIMEOUT_S, check=False)


def ensure_program(package: str, program: Path, *, purpose: str,
                   say: Callable[[str], None] = print) -> Path:
    """`program` from Debian's `package`: returned as it is when present, else installed with
    apt-get (saying so first, since it takes a minute or two) when we may, else `ProgramMissing`
    naming the package and what it is needed for."""
    program = Path(program)
    if program.is_file():
        return program
    if not can_install():
        raise ProgramMissing(f"{program} is missing and cannot be installed here (needs root "
                             f"and apt-get): install Debian's {package} package ({purpose})")
    say(f"{program} is missing: installing Debian's {package} package ({purpose}); "
        "this happens once and takes a minute or two")
    try:
        update = _apt("update")
        install = _apt("install", "-y", package)
    except subprocess.TimeoutExpired:
        raise ProgramMissing(f"installing Debian's {package} did not finish within "
                             f"{APT_TIMEOUT_S} s; install it by hand ({purpose})") from None
    if not program.is_file():
        raise ProgramMissing(f"installing Debian's {package} did not give {program} "
                             f"({purpose}):\napt-get update: {update.stderr[-1500:]}\n"
                             f"apt-get install: {install.stderr[-1500:]}")
    return program
