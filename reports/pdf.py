"""Print a report page to PDF with headless Chromium (the page's print stylesheet applies).

A print that was asked for and did not happen is an error (`PrintFailed`, saying why: no
Chromium found, Chromium exited with an error, it timed out, or it wrote no PDF), never a
silent "skipped": the build reports it and exits non-zero.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from core.debian_packages import ProgramMissing, ensure_program

DEFAULT_CHROMIUM = "/usr/bin/chromium"
PRINT_TIMEOUT_S = 120
# No network, no background services, no first-run work: the page and its assets are local.
# The virtual-time budget lets the page's scripts (the charts) finish before printing.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--no-pdf-header-footer", "--virtual-time-budget=10000",
                  "--run-all-compositor-stages-before-draw")
# No route off the machine, even for what the flags above do not switch off (Chromium looked up
# Google hosts and connected to a public address during a build): every host name resolves to
# nothing except loopback, and any HTTP(S) request goes to a proxy on a dead loopback port.
PRINT_PROXY_ENV = "TRANSITION_MONITOR_PRINT_PROXY"  # tests point it at a counting socket
DEAD_PROXY = "127.0.0.1:9"
OFFLINE_FLAGS = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 "--disable-domain-reliability", "--disable-client-side-phishing-detection",
                 "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
                 "--metrics-recording-only", "--disable-features=OptimizationHints,Translate,"
                 "MediaRouter,AutofillServerCommunication,CertificateTransparencyComponentUpdater")


@cache
def network_namespace() -> tuple[str, ...]:
    """`unshare -n --` when this machine lets us start Chromium in a network namespace of its
    own (root, or user namespaces allowed): then it has no network but a down loopback at all.
    Probed once; elsewhere the flags alone keep it offline."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    try:
        probe = subprocess.run([unshare, "-n", "--", "true"], capture_output=True, timeout=10,
                               check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return (unshare, "-n", "--") if probe.returncode == 0 else ()


def chromium_command(binary: Path, profile: str, pdf_path: Path, page: Path) -> list[str]:
    """The print command: Chromium offline (namespace, resolver rules, dead proxy)."""
    proxy = os.environ.get(PRINT_PROXY_ENV) or DEAD_PROXY
    return [*network_namespace(), str(binary), *CHROMIUM_FLAGS, *OFFLINE_FLAGS,
            f"--proxy-server=http://{proxy}", f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf_path}", page.resolve().as_uri()]


class PrintFailed(RuntimeError):
    """A PDF that was asked for could not be printed; the message says why."""


def find_chromium(chromium: str | Path | None = None) -> Path | None:
    """The Chromium binary to use: the one given, else Debian's, else one on PATH."""
    candidates = [chromium] if chromium else [DEFAULT_CHROMIUM, shutil.which("chromium"),
                                              shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def ensure_chromium(say: Callable[[str], None]) -> str | None:
    """Make sure a print can find Chromium: Debian's package is installed when none is found
    and we may (root, apt-get). None when Chromium is there, else why it is not."""
    if find_chromium() is not None:
        return None
    try:
        ensure_program("chromium", Path(DEFAULT_CHROMIUM),
                       purpose="to print the council edition as PDF", say=say)
    except ProgramMissing as exc:
        return str(exc)
    return None


def print_pdf(html_path: Path, pdf_path: Path, chromium: str | Path | None = None) -> Path:
    """Print `html_path` (A4, print stylesheet) to `pdf_path` and return it; `PrintFailed`
    naming the cause when no PDF was written."""
    binary = find_chromium(chromium)
    if binary is None:
        raise PrintFailed(f"no Chromium found ({chromium or DEFAULT_CHROMIUM}, or chromium on "
                          "PATH): install Debian's chromium package (`build` and `publish` install it "
                          "themselves when they run as root)")
    pdf_path = Path(pdf_path).resolve()
    pdf_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = chromium_command(binary, profile, pdf_path, Path(html_path))
        try:
            done = subprocess.run(command, capture_output=True, timeout=PRINT_TIMEOUT_S,
                                  check=False, text=True, errors="replace")
        except subprocess.TimeoutExpired:
            raise PrintFailed(f"{binary} did not finish printing {html_path} within "
                              f"{PRINT_TIMEOUT_S} s") from None
        except OSError as exc:
            raise PrintFailed(f"{binary} could not be started: {exc}") from None
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        tail = (done.stderr or "").strip().splitlines()[-3:]
        raise PrintFailed(f"{binary} exited with {done.returncode} and wrote no PDF for "
                          f"{html_path}" + (f": {' / '.join(tail)}" if tail else ""))
    return pdf_path
