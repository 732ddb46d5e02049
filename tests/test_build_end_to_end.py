"""The README's build command, end to end on the bundled snapshot, in a fresh state directory.

Runs the real console command in a subprocess whose sockets are guarded: any attempt to reach
a non-loopback host is refused and logged, and the test fails if one happened (telemetry off,
no CDN, no live API in snapshot mode).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.store import Warehouse

pytestmark = pytest.mark.slow

GUARD = '''
import ipaddress, os, socket
_log = os.environ["NETWORK_ATTEMPTS_LOG"]
_real = socket.socket.connect
def _connect(self, address):
    if not isinstance(address, (str, bytes)):
        host = address[0]
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            with open(_log, "a") as fh:
                fh.write(f"{host}\\n")
            raise OSError(f"blocked non-loopback connection to {host}")
    return _real(self, address)
socket.socket.connect = _connect
'''


def cli(home: Path, *args: str, guard_dir: Path | None = None,
        regions: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRANSITION_MONITOR_HOME": str(home)}
    if regions is not None:
        env["TRANSITION_MONITOR_REGIONS"] = str(regions)
    env.pop("DAGSTER_HOME", None)
    if guard_dir is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(guard_dir), env.get("PYTHONPATH", "")])
        env["NETWORK_ATTEMPTS_LOG"] = str(guard_dir / "attempts.log")
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], env=env,
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture
def built(snapshot_build) -> tuple[Path, subprocess.CompletedProcess, Path]:
    return snapshot_build  # built once per session (tests/conftest.py)


def test_build_prints_the_edition_index_last(built):
    home, result, _ = built
    assert result.returncode == 0, result.stderr[-3000:]
    index = Path(result.stdout.strip().splitlines()[-1])
    assert index.name == "index.html" and index.is_file()
    assert index.is_relative_to(home)
    assert "[1/" in result.stderr  # progress was shown while it worked


def test_offline_build_attempted_no_outside_connection(built):
    _, result, guard_dir = built
    assert result.returncode == 0
    log = guard_dir / "attempts.log"
    assert not log.exists(), f"non-loopback connections attempted: {log.read_text()}"


def test_status_json_reports_every_station_component_and_indicator(built):
    from indicators.catalogue import load_catalogue
    from sources.snapshot import DEMO_STATIONS as STATIONS
    from transforms.air_quality import COMPONENTS

    home, _, _ = built
    result = cli(home, "status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    stations = {(s["station_code"], s["component"]) for s in status["stations"]}
    assert {(s, c) for s in STATIONS for c in COMPONENTS} <= stations
    assert all(t["validation"] == "passed" for t in status["tables"]), status["tables"]
    produced = {i["indicator_id"] for i in status["indicators"]}
    assert {i.id for i in load_catalogue().indicators} <= produced
    assert all(i["newest_year"] for i in status["indicators"])
    assert Path(status["paths"]["warehouse"]).is_file()
    assert Path(status["paths"]["latest_edition"]).is_file()


def test_report_only_run_refuses_after_a_failed_validation_and_keeps_the_edition(built, tmp_path):
    home, result, _ = built
    assert result.returncode == 0
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    site_before = {p: p.read_bytes() for p in (copy / "site").rglob("*") if p.is_file()}
    with Warehouse(copy / "warehouse.duckdb").connect() as con:
        con.execute("INSERT INTO validation_runs VALUES ('bad', 'clean_employment', '', "
                    "now(), false, 10, 5, 1)")
    refused = cli(copy, "publish")
    assert refused.returncode != 0
    assert "refusing to publish" in refused.stderr and "clean_employment" in refused.stderr
    site_after = {p: p.read_bytes() for p in (copy / "site").rglob("*") if p.is_file()}
    assert site_after == site_before


def test_a_second_build_with_nothing_new_does_no_work_and_keeps_the_edition(built, tmp_path):
    home, result, _ = built
    assert result.returncode == 0
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    editions = sorted(p.name for p in (copy / "site" / "editions").iterdir())
    counts_sql = ("SELECT (SELECT count(*) FROM validation_runs), (SELECT count(*) FROM write_log), "
                  "(SELECT count(*) FROM editions)")
    with Warehouse(copy / "warehouse.duckdb").connect(read_only=True) as con:
        before = con.execute(counts_sql).fetchone()
    again = cli(copy, "build")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "nothing new since edition" in again.stderr
    index = Path(again.stdout.strip().splitlines()[-1])
    assert index.is_file() and index.is_relative_to(copy)
    assert sorted(p.name for p in (copy / "site" / "editions").iterdir()) == editions
    with Warehouse(copy / "warehouse.duckdb").connect(read_only=True) as con:
        after = con.execute(counts_sql).fetchone()
    assert after == before  # nothing validated, written or published again


def test_the_built_warehouse_holds_exactly_the_registered_families_tables(built):
    from families.registry import FAMILIES

    home, result, _ = built
    assert result.returncode == 0
    with Warehouse(home / "warehouse.duckdb").connect(read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name LIKE 'clean_%' AND table_type = 'BASE TABLE'").fetchall()}
        filled = {t for t in tables if con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]}  # noqa: S608
    assert tables == {f.table_name for f in FAMILIES}
    assert filled == tables  # every family's table was filled from the snapshot


# -- a partner's region added by configuration --------------------------------------------

HAARLEM = {"id": "haarlem", "name": {"nl": "Haarlem", "en": "Haarlem"}, "kind": "municipality",
           "municipalities": ["GM0392"]}


def regions_with(tmp_path: Path, region: dict, names: dict[str, str]) -> Path:
    import yaml

    doc = yaml.safe_load((Path(__file__).parents[1] / "indicators" / "regions.yaml").read_text())
    doc["regions"].append(region)
    doc["municipality_names"].update(names)
    path = tmp_path / "regions.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_a_region_outside_the_demo_snapshot_builds_and_every_page_says_what_it_lacks(
        tmp_path_factory):
    home = tmp_path_factory.mktemp("haarlem")
    regions = regions_with(tmp_path_factory.mktemp("config"), HAARLEM, {"GM0392": "Haarlem"})
    result = cli(home, "build", regions=regions)
    assert result.returncode == 0, result.stderr[-3000:]
    edition = Path(result.stdout.strip().splitlines()[-1]).parent.parent
    for lang, words in (("nl", "Geen cijfers in de demogegevens voor: Haarlem (Haarlem)"),
                        ("en", "The demo data holds no figures for: Haarlem (Haarlem)")):
        pages = list((edition / lang).rglob("*.html"))
        assert len(pages) > 10
        assert all(words in page.read_text(encoding="utf-8") for page in pages)
        region_page = (edition / lang / "region" / "haarlem.html").read_text(encoding="utf-8")
        assert "Haarlem" in region_page
    csv = (edition / "data" / "indicator_values.csv").read_text(encoding="utf-8")
    assert "haarlem" not in csv  # nothing invented for it: no figures, "not measured"


def test_a_malformed_municipality_code_is_refused_naming_file_region_and_value(tmp_path):
    typo = {**HAARLEM, "municipalities": ["GM392"]}
    regions = regions_with(tmp_path, typo, {"GM392": "Haarlem"})
    result = cli(tmp_path / "home", "build", regions=regions)
    assert result.returncode == 2
    assert "regions.yaml" in result.stderr and "'haarlem'" in result.stderr
    assert "GM392" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "home" / "site").exists()  # refused before anything ran
