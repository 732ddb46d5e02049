"""Browser test fixtures: Debian's Chromium (installed when missing and running as root), a
written edition served by a local http.server on 127.0.0.1, a real edition built once per
session from the snapshot, and a Playwright browser.

When Chromium cannot be had, the browser tests fail with a message saying why: they never
skip, so a machine without a browser cannot look green.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: shared sample inputs

from factories import make_inputs  # noqa: E402

from core.debian_packages import ProgramMissing, ensure_program  # noqa: E402
from reports.writer import write_edition  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Runs only if the page's text were ever treated as markup: sets a flag the tests look for.
XSS_PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
EDITION_ID = "2026-11-23"


def ensure_chromium() -> Path:
    """Debian's chromium, installed with apt-get when missing and we are root."""
    try:
        return ensure_program("chromium", CHROMIUM, purpose="for the browser tests",
                              say=lambda line: print(f"browser tests: {line}", flush=True))
    except ProgramMissing as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def chromium_path(request) -> Path:
    # Show what the installer does even under pytest's output capture.
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        return ensure_chromium()


@pytest.fixture(scope="session")
def site_root(tmp_path_factory) -> Path:
    """An edition whose station code, indicator name and source title carry a script."""
    root = tmp_path_factory.mktemp("browser-site")
    inputs = make_inputs(edition_id=EDITION_ID, station=XSS_PAYLOAD,
                         indicator_name=XSS_PAYLOAD, source_title=XSS_PAYLOAD)
    write_edition(inputs, root, pdf=False)
    return root


@pytest.fixture(scope="session")
def edition_dir(site_root) -> Path:
    return site_root / "editions" / EDITION_ID


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="session")
def base_url(site_root) -> str:
    """The site root served over HTTP on a free loopback port, for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(site_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors, uncaught exceptions and dialogs."""
    context = browser.new_context(accept_downloads=True)
    tab = context.new_page()
    tab.problems = []
    tab.on("console", lambda m: m.type == "error" and tab.problems.append(
        f"console: {m.text} ({m.location.get('url')})"))
    tab.on("pageerror", lambda e: tab.problems.append(f"pageerror: {e}"))
    tab.on("dialog", lambda d: (tab.problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield tab
    context.close()


# -- the edition a user sees: built once per session from the bundled snapshot -------------


@pytest.fixture(scope="session")
def built_edition(tmp_path_factory) -> Path:
    """A real edition, built by the README's command from the snapshot (once per session):
    the pages the reading tests open are the ones a council member would.

    TRANSITION_MONITOR_TEST_EDITION (an `editions/<id>` folder) reuses an edition already
    built, to iterate on the reading tests without a new build each time."""
    if os.environ.get("TRANSITION_MONITOR_TEST_EDITION"):
        return Path(os.environ["TRANSITION_MONITOR_TEST_EDITION"])
    home = tmp_path_factory.mktemp("built-home")
    env = {**os.environ, "TRANSITION_MONITOR_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run([sys.executable, "-m", "orchestration.cli", "build"], env=env,
                            capture_output=True, text=True, timeout=1200, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    index = Path(result.stdout.strip().splitlines()[-1])
    return index.parents[1]  # editions/<id>/nl/index.html -> editions/<id>


@pytest.fixture(scope="session")
def built_base_url(built_edition) -> str:
    """The built site served over HTTP on a free loopback port (its root: assets are shared)."""
    site = built_edition.parents[1]
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/editions/{built_edition.name}"
    server.shutdown()
    server.server_close()
