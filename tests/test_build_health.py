"""A build in which one source cannot be fetched: the build says so and exits non-zero, the
edition is still published from the other sources, and its data-quality page (and a banner on
every page) names the source that could not be refreshed. The fault is injected as an
upstream would cause it: the recorded DUO page is replaced by an HTML maintenance page."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from test_build_end_to_end import cli

from families.registry import snapshot_generators
from orchestration.settings import paths
from sources.snapshot import ensure_generated

pytestmark = pytest.mark.slow

MAINTENANCE = b"<html><body><h1>Onderhoud</h1><p>We zijn zo terug.</p></body></html>"


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory):
    home = tmp_path_factory.mktemp("home-broken")
    generated = ensure_generated(paths(home).generated_snapshot, snapshot_generators())
    pages = sorted((generated / "onderwijsdata.duo.nl").rglob("*offset=0&*.json.gz"))
    assert pages, "the DUO snapshot page to break was not generated"
    pages[0].write_bytes(gzip.compress(MAINTENANCE))
    return home, cli(home, "build")


def test_the_build_exits_non_zero_and_names_the_failed_fetch(broken_build):
    _, result = broken_build
    assert result.returncode == 1, result.stderr[-2000:]
    assert "statistics_job ... FAILED" in result.stderr
    assert "raw_duo" in result.stderr and "run(s) failed" in result.stderr
    assert Path(result.stdout.strip().splitlines()[-1]).is_file()  # still published


def test_the_data_quality_page_and_every_page_name_the_source_not_refreshed(broken_build):
    home, _ = broken_build
    site = home / "site"
    edition = site / "editions" / json.loads((site / "latest" / "edition.json").read_text())[
        "edition_id"]
    quality = (edition / "nl" / "data-quality.html").read_text(encoding="utf-8")
    assert "ophalen mislukt" in quality and "DUO" in quality
    assert "Onderhoud" in quality  # the quoted start of the body that was refused
    banner = "DUO open onderwijsdata (CKAN) kon niet worden ververst"
    for page in (edition / "nl").rglob("*.html"):
        assert banner in page.read_text(encoding="utf-8"), page
    english = (edition / "en" / "changes.html").read_text(encoding="utf-8")
    assert "DUO open onderwijsdata (CKAN) could not be refreshed" in english
    assert "fetch failed" in english
