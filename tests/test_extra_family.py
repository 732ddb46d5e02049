"""Adding a data family touches its own folder and one registry line, nothing else.

In a copy of the project's packages, the test writes `families/demo_recycling/` (one CBS-format
feed, one table, the common statistical rules) and adds one line to `families/registry.py`,
then, in a fresh process, materialises that family's raw and clean assets (the feed served
from a local server in the real CBS OData v4 format), the indicator assets and the report
edition for a temporary catalogue with one indicator reading the new table. The edition's page
for that indicator must exist and show its figures; every other file of the copy must be
byte-identical to the project's.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from werkzeug import Request, Response

from sources.http import SnapshotTransport

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "sources", "transforms", "families", "warehouse", "indicators", "reports",
            "orchestration")
FAMILY = "demo_recycling"

FAMILY_MODULE = '''"""Demo family (written by tests/test_extra_family.py): separately collected household
waste per municipality, from a CBS table in the OData v4 format."""

from __future__ import annotations

from core.tables import STAT_SHAPE
from families.base import Family, Feed
from sources import statline
from transforms.stat_rules import common_stat_rules
from transforms.statline import MeasureSpec, TableSpec, parse_tables

CBS_TABLES = (TableSpec("99001NED", (
    MeasureSpec("separated_waste_share_pct", "Gescheiden ingezameld huishoudelijk afval", "%",
                "%"),)),)

FAMILY = Family(
    name="demo_recycling",
    table=STAT_SHAPE.table("clean_demo_recycling", "Separately collected household waste."),
    rules=common_stat_rules,
    sources=("cbs_statline",),
    feeds=(Feed(name="cbs_demo_recycling", source="cbs_statline",
                description="A CBS table of separately collected household waste.",
                fetch=lambda http, geo: statline.fetch_tables(http, CBS_TABLES,
                                                              geo.municipalities),
                parse=lambda payloads: parse_tables(CBS_TABLES, payloads)),),
)
'''

INDICATOR = {
    "id": "separated_waste_share",
    "name": {"nl": "Gescheiden ingezameld afval", "en": "Separately collected waste"},
    "description": {"nl": "Aandeel gescheiden ingezameld huishoudelijk afval.",
                    "en": "Share of household waste collected separately."},
    "definition": {"nl": "Het landelijke cijfer van de tabel.",
                   "en": "The table's national figure."},
    "theme": "climate", "unit": "%", "direction": "higher_is_better",
    "aggregation": "national_only",
    "source_tables": [{"table": "clean_demo_recycling", "measure": "separated_waste_share_pct"}],
}

RUN = '''
import dagster as dg, os, sys
from orchestration.definitions import all_assets, build_defs
from orchestration.resources import SiteResource, SourcesResource, WarehouseResource
home = sys.argv[1]
resources = {
    "sources": SourcesResource(mode="live", base_urls={"cbs_statline": sys.argv[2]},
                               max_attempts=1, run_retries=0),
    "warehouse": WarehouseResource(path=os.path.join(home, "warehouse.duckdb")),
    "site": SiteResource(path=os.path.join(home, "site"), pdf=False),
}
defs = build_defs(resource_overrides=resources, home=home, mode="live")
selection = ["raw_cbs_demo_recycling", "clean_demo_recycling", "air_station_annual",
             "indicator_values", "progress_assessments", "report_edition"]
result = dg.materialize(all_assets(), selection=selection, resources=defs.resources,
                        raise_on_error=False)
print("SUCCESS" if result.success else "FAILED")
'''


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): digest(p) for package in PACKAGES
            for p in (root / package).rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def extended(tmp_path_factory) -> Path:
    """The project's packages copied, plus the demo family: its folder and one registry line."""
    root = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    folder = root / "families" / FAMILY
    folder.mkdir()
    (folder / "__init__.py").write_text(FAMILY_MODULE, encoding="utf-8")
    registry = root / "families" / "registry.py"
    text = registry.read_text(encoding="utf-8")
    # its own import line, whatever the formatting of the registry's import list
    text = text.replace("from families.base import", f"from families import {FAMILY}\n"
                        "from families.base import", 1)
    text = text.replace("FAMILIES: tuple[Family, ...] = (\n",
                        f"FAMILIES: tuple[Family, ...] = (\n    {FAMILY}.FAMILY,\n", 1)
    registry.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def cbs_server(httpserver, tmp_path, extended):
    """The demo table's metadata and observations in CBS's OData v4 format, from the project's
    own CBS generator, served as CBS would (our host in place of CBS's in links)."""
    recorded = tmp_path / "recorded"
    # The generator synthesizes a path per known measure: give it one for the demo measure.
    script = ("import sys; from pathlib import Path; from families.demo_recycling import "
              "CBS_TABLES; from sources.generators import statline as gen; "
              "gen.NL_PATHS['separated_waste_share_pct'] = [50 + i for i in range(12)]; "
              "gen.write_statline(Path(sys.argv[1]), CBS_TABLES)")
    subprocess.run([sys.executable, "-c", script, str(recorded)], cwd=extended, check=True,
                   env={**os.environ, "PYTHONPATH": str(extended)}, timeout=120)
    transport = SnapshotTransport([recorded])

    def handler(request: Request) -> Response:
        path = transport.locate("https://datasets.cbs.nl" + request.full_path.rstrip("?"))
        if path is None:
            return Response("not found", status=404)
        body = gzip.decompress(path.read_bytes()).decode()
        body = body.replace("https://datasets.cbs.nl", httpserver.url_for("").rstrip("/"))
        return Response(body, content_type="application/json")

    httpserver.expect_request(re.compile("/odata/v1/CBS/.*")).respond_with_handler(handler)
    return httpserver.url_for("/odata/v1/CBS")


def test_a_new_family_reaches_an_edition_page_from_its_folder_and_one_registry_line(
        extended, cbs_server, tmp_path):
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(yaml.safe_dump({"indicators": [INDICATOR]}, allow_unicode=True),
                         encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(extended), "TRANSITION_MONITOR_HOME": str(home),
           "TRANSITION_MONITOR_CATALOGUE": str(catalogue), "DAGSTER_HOME": str(home)}
    result = subprocess.run([sys.executable, "-c", RUN, str(home), cbs_server], cwd=extended,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.stdout.strip().endswith("SUCCESS"), result.stderr[-4000:]

    pages = list((home / "site" / "editions").glob("*/nl/indicator/separated_waste_share.html"))
    assert len(pages) == 1
    page = pages[0].read_text(encoding="utf-8")
    assert "Gescheiden ingezameld afval" in page
    values = pl.read_csv(pages[0].parents[2] / "data" / "indicator_values.csv")
    national = values.filter(indicator_id="separated_waste_share", region_id="nederland")
    assert national.height == 12  # one figure per year the table has
    latest = national.sort("year")["value"][-1]
    assert latest == 61.0  # the payload's national figure for 2024 (50 + 11)
    assert "61,0" in page  # shown in Dutch notation

    changed = {name for name, value in tree_digests(extended).items()
               if tree_digests(ROOT).get(name) != value}
    assert changed == {"families/registry.py", f"families/{FAMILY}/__init__.py"}
