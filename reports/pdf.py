"""Print a report page to PDF with headless Chromium (the page's print stylesheet applies).

Printing is optional: without Chromium on the machine an edition is still complete, so
`print_pdf` answers False instead of raising.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

DEFAULT_CHROMIUM = "/usr/bin/chromium"
PRINT_TIMEOUT_S = 120
# No network, no background services, no first-run work: the page and its assets are local.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--no-pdf-header-footer")


def find_chromium(chromium: str | Path | None = None) -> Path | None:
    """The Chromium binary to use: the one given, else Debian's, else one on PATH."""
    candidates = [chromium] if chromium else [DEFAULT_CHROMIUM, shutil.which("chromium"),
                                              shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def print_pdf(html_path: Path, pdf_path: Path, chromium: str | Path | None = None) -> bool:
    """Print `html_path` (A4, print stylesheet) to `pdf_path`; False if it could not."""
    binary = find_chromium(chromium)
    if binary is None:
        return False
    pdf_path = Path(pdf_path).resolve()
    pdf_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [str(binary), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--print-to-pdf={pdf_path}", Path(html_path).resolve().as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=PRINT_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return pdf_path.is_file() and pdf_path.stat().st_size > 0
