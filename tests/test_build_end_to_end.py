"""The README's build command, end to end on the bundled snapshot, in a fresh state directory.

Runs the real console command in a subprocess whose sockets are guarded: any attempt to reach
a non-loopback host is refused and logged, and the test fails if one happened (telemetry off,
no CDN, no live API in snapshot mode).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.cli import planned_runs
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
    alerts = [json.loads(line) for line in (copy / "notifications.log").read_text().splitlines()]
    failed = [a["job"] for a in alerts
              if " failed in " in a["subject"] and "warning check" not in a["subject"]]
    assert failed == ["edition_job"]  # a CLI failure is announced, once (one per failed table)
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
    runs_before, fetched_before = dagster_history(copy)
    again = cli(copy, "build")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "nothing new since edition" in again.stderr
    index = Path(again.stdout.strip().splitlines()[-1])
    assert index.is_file() and index.is_relative_to(copy)
    assert sorted(p.name for p in (copy / "site" / "editions").iterdir()) == editions
    with Warehouse(copy / "warehouse.duckdb").connect(read_only=True) as con:
        after = con.execute(counts_sql).fetchone()
    assert after == before  # nothing validated, written or published again
    runs_after, fetched_after = dagster_history(copy)
    assert runs_after == runs_before  # no Dagster run started: the build looked first
    assert all(fetched_after[a] > fetched_before[a] for a in fetched_before)  # fetches recorded
    data_runs = [r for r in planned_runs("snapshot", 0) if r[0] != "edition_job"]
    assert again.stderr.count("... nothing new (") == len(data_runs)


def dagster_history(home: Path) -> tuple[int, dict[str, float]]:
    """Runs in the home's Dagster instance, and when each raw air asset was last materialised."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home / "dagster")))
    try:
        latest = {name: instance.get_latest_materialization_event(dg.AssetKey(name)).timestamp
                  for name in ("raw_rivm_air_quality", "raw_luchtmeetnet_measurements")}
        return instance.get_runs_count(), latest
    finally:
        instance.dispose()


def test_the_built_warehouse_holds_exactly_the_registered_families_tables(built):
    from families.registry import FAMILIES
    from warehouse.part_names import logical_tables
    from warehouse.year_parts import YEARLY_STORED

    home, result, _ = built
    assert result.returncode == 0
    with Warehouse(home / "warehouse.duckdb").connect(read_only=True) as con:
        stored = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name LIKE 'clean_%' AND table_type = 'BASE TABLE'").fetchall()]
        # a yearly family's table is a view over one table per reporting year
        tables = set(logical_tables(stored, YEARLY_STORED))
        filled = {t for t in tables if con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]}  # noqa: S608
    assert tables == {f.table_name for f in FAMILIES}
    assert len(stored) > len(tables)  # the validated history's years, each in its own table
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


# -- crashes and stops of the real command --------------------------------------------------

# Put on the path of a killed command as sitecustomize: the named method, when first called,
# says so (a file) and waits to be killed, so the kill lands at a known point mid-step.
KILL_POINT = """
import importlib, os, time
def _reached(*args, **kwargs):
    open(os.environ["KILL_POINT_REACHED"], "w").close()
    time.sleep(3600)
setattr(getattr(importlib.import_module("{module}"), "{cls}"), "{method}", _reached)
"""
# Tables that say when a build ran or which edition it made: they differ between any two
# builds. Every other table must hold the undisturbed build's rows.
RUN_RECORDS = {"validation_runs", "validation_expectations", "editions",
               "indicator_values_history", "progress_assessments_history"}


def content_checksums(home: Path) -> dict[str, tuple[int, str]]:
    """Row count and content hash per table, as `Warehouse.checksums`, but blind to what
    differs between any two undisturbed builds: when a payload was fetched (snapshot mode
    stamps the time of the build) and the last digits of a double (DuckDB sums in parallel,
    in no fixed order: 9.600141159863583 one build, ...565 the next); doubles are compared to
    nine decimals, also where a text holds them (the JSON of a status's reason)."""
    from warehouse.connection import BOOKKEEPING_TABLES

    out = {}
    with Warehouse(home / "warehouse.duckdb").connect(read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_catalog = current_database()").fetchall()]
        for table in sorted(set(tables) - RUN_RECORDS - set(BOOKKEEPING_TABLES)):
            columns = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE "
                "table_name = ? AND table_catalog = current_database() ORDER BY ordinal_position",
                [table]).fetchall()
            values = ", ".join(_comparable(c, kind) for c, kind in columns if c != "fetched_at")
            out[table] = con.execute(
                f"SELECT count(*), coalesce(sum(hash(row({values}))), 0)::VARCHAR "  # noqa: S608
                f'FROM "{table}"').fetchone()
    return out


def _comparable(column: str, kind: str) -> str:
    if kind in ("DOUBLE", "FLOAT"):
        return f'round("{column}", 9)'
    if column == "reason":  # a status's reason (JSON) repeats the assessment's numbers at full
        # precision, where cutting digits can fall either side of a 9 (5371.699999 against
        # 5371.6999989999995): its numbers are compared in their own columns, its words here
        return f"""regexp_replace("{column}", '-?\\d+(\\.\\d+)?(e-?\\d+)?', '#', 'g')"""
    if kind == "VARCHAR":
        return f"""regexp_replace("{column}", '(\\d\\.\\d{{9}})\\d+', '\\1', 'g')"""
    return f'"{column}"'


def kill_at(home: Path, kill_point: tuple[str, str, str], *args: str) -> None:
    """Run the command until it reaches `kill_point` (module, class, method), then SIGKILL it."""
    hook = home.parent / f"hook-{home.name}"
    hook.mkdir()
    module, cls, method = kill_point
    (hook / "sitecustomize.py").write_text(KILL_POINT.format(module=module, cls=cls,
                                                             method=method))
    reached = hook / "reached"
    env = {**os.environ, "TRANSITION_MONITOR_HOME": str(home), "KILL_POINT_REACHED": str(reached),
           "PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")])}
    env.pop("DAGSTER_HOME", None)
    child = subprocess.Popen([sys.executable, "-m", "orchestration.cli", *args], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 1200  # a guard against a hang, not a measurement
        while not reached.exists():
            assert child.poll() is None, f"{args} ended before reaching {kill_point}"
            assert time.monotonic() < deadline, f"{args} never reached {kill_point}"
            time.sleep(0.2)
    finally:
        child.kill()
        child.wait()


def rerun(home: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    # Before the fix the rerun waited for ever for the dead run's writer slot: the timeout
    # turns that hang into a failure.
    result = subprocess.run([sys.executable, "-m", "orchestration.cli", *args],
                            env={**{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"},
                                 "TRANSITION_MONITOR_HOME": str(home)},
                            capture_output=True, text=True, timeout=900)
    took = time.monotonic() - started
    print(f"rerun of {args[0]} after the kill took {took:.0f}s")  # the figure for the notes
    return result, took


def assert_status_and_site_agree(home: Path) -> None:
    from reports.writer import UNCONFIRMED, index_target

    status = json.loads(cli(home, "status", "--json").stdout)
    assert status["edition"]["edition_id"] == index_target(home / "site")
    assert not list((home / "site").rglob(UNCONFIRMED))
    assert not list((home / "site").rglob(".staging-*"))
    assert not list((home / "warehouse-payloads").rglob(".incoming-*"))


def test_a_build_killed_mid_step_leaves_nothing_that_blocks_the_next(built, tmp_path):
    home, result, _ = built
    assert result.returncode == 0
    killed = tmp_path / "home"
    # Mid-step: a clean step of the first run that holds the writer slot, about to replace
    # its window (the payloads were fetched and stored by the build's look before the run).
    kill_at(killed, ("warehouse.clean", "CleanWindows", "replace_window"), "build")
    again, _ = rerun(killed, "build")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "recovered: run" in again.stderr and "freed its writer slot" in again.stderr
    assert content_checksums(killed) == content_checksums(home)
    assert_status_and_site_agree(killed)


def test_a_publish_killed_mid_edition_leaves_nothing_that_blocks_the_next(built, tmp_path):
    home, result, _ = built
    assert result.returncode == 0
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    # Mid-edition: the pages written and renamed into place, the warehouse's record of the
    # edition not yet committed, the writer slot held by the report step.
    kill_at(copy, ("warehouse.derived", "DerivedTables", "commit_edition"), "publish")
    again, _ = rerun(copy, "publish")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "written but never recorded; removed" in again.stderr
    assert content_checksums(copy) == content_checksums(home)
    assert_status_and_site_agree(copy)
    editions = sorted(p.name for p in (copy / "site" / "editions").iterdir())
    assert len(editions) == 2  # the undisturbed build's and the rerun's, nothing half-made


def test_sigterm_stops_the_whole_build_and_it_exits_non_zero(tmp_path):
    import dagster as dg

    from orchestration.cli import planned_runs

    # A fresh home: in a copy of a built one nothing is new, and a build starts no run to stop.
    copy = tmp_path / "home"
    env = {**{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"},
           "TRANSITION_MONITOR_HOME": str(copy)}
    child = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "build"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in child.stderr:  # the first run finished: the second one is under way
        lines.append(line)
        if line.startswith("[1/"):
            break
    time.sleep(0.5)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=600)
    err = "".join(lines) + err
    assert child.returncode == 128 + signal.SIGTERM, err[-3000:]
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    reported = [line for line in err.splitlines() if re.match(r"\[\d+/\d+\] ", line)]
    assert len(reported) < len(planned_runs("snapshot", 7))
    ran = [line for line in reported if re.search(r" \.\.\. (ok|FAILED|STOPPED) \(", line)]
    assert ran, err[-3000:]
    with dg.DagsterInstance.from_config(str(copy / "dagster")) as instance:
        assert instance.get_runs_count() == len(ran)  # none started after the signal
        assert not instance.get_runs(filters=dg.RunsFilter(statuses=[
            dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]))
