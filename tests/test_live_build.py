"""`build --source live` end to end against a stand-in for every live service (tests/live_mirror.py)
on 127.0.0.1, reached only through the documented base-URL variables, with the Emissieregistratie
export in the drop folder. One build of one day and one validated year fills every family for
every region, with the figures of the payloads served; then the same home is built again with one
source answering a maintenance page instead of data: the build says so, keeps that source's data, and `status` shows it.

The subprocess's sockets are guarded (tests/test_build_end_to_end.GUARD): a connection to any
non-loopback host is refused and logged, and the mirror records every request it receives.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from core.geography import load_regions
from families.business_dynamics import COROP_CODES
from families.registry import FAMILIES, snapshot_generators, statistical
from sources import luchtmeetnet
from sources.registry import SNAPSHOT_DIR, SOURCES, make_http
from sources.snapshot import ensure_generated
from tests.live_mirror import Mirror
from tests.test_build_end_to_end import GUARD
from transforms.air_quality import keep_window, parse_luchtmeetnet_measurements

pytestmark = pytest.mark.slow

DAY = date(2025, 1, 6)  # a day the snapshot holds Luchtmeetnet recordings for
BUILD = ["build", "--source", "live", "--days", "1", "--until", DAY.isoformat(),
         "--years", "2024"]
FAILING = "duo"  # the source that answers a maintenance page in the second build
# Sources read from a file, not over HTTP: the drop folder, the project's own register.
NOT_FETCHED = {"emissieregistratie", "wind_farms"}


def run(home: Path, mirror: Mirror, guard: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **mirror.base_url_env(), "TRANSITION_MONITOR_HOME": str(home),
           "KLIMAATMONITOR_API_KEY": "fake-mirror-key-3b1c9a",
           "ENTSOE_API_KEY": "fake-mirror-token-7d2e4f",
           "PYTHONPATH": os.pathsep.join([str(guard), os.environ.get("PYTHONPATH", "")]),
           "NETWORK_ATTEMPTS_LOG": str(guard / "attempts.log")}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], env=env,
                          capture_output=True, text=True, timeout=900)


def rows(home: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).pl()


def table(home: Path, name: str, columns: str = "*", where: str = "TRUE") -> pl.DataFrame:
    """Rows of a table the family registry names (never user input)."""
    return rows(home, f"SELECT {columns} FROM {name} WHERE {where} ORDER BY ALL")  # noqa: S608


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    home, guard = tmp_path_factory.mktemp("live-home"), tmp_path_factory.mktemp("guard")
    (guard / "sitecustomize.py").write_text(GUARD)
    generated = ensure_generated(tmp_path_factory.mktemp("served"), snapshot_generators())
    drop = home / "drop" / "emissieregistratie"
    drop.mkdir(parents=True)
    for export in (SNAPSHOT_DIR / "files" / "emissieregistratie").iterdir():
        shutil.copy(export, drop)
    with Mirror([SNAPSHOT_DIR / "recorded", generated]) as mirror:
        first = run(home, mirror, guard, *BUILD)
        requests = list(mirror.requests)
        training = table(home, statistical_table(FAILING))
        editions = sorted(p.name for p in (home / "site" / "editions").iterdir())
        mirror.failing = FAILING
        second = run(home, mirror, guard, *BUILD)
        status = run(home, mirror, guard, "status", "--json")
    return {"home": home, "guard": guard, "generated": generated, "first": first,
            "requests": requests, "training": training, "editions": editions,
            "second": second, "status": status}


def statistical_table(source: str) -> str:
    return next(f.table_name for f in statistical() if any(d.source == source for d in f.feeds))


def test_the_live_build_succeeds_and_prints_its_edition(builds):
    first = builds["first"]
    assert first.returncode == 0, first.stderr[-4000:]
    assert Path(first.stdout.strip().splitlines()[-1]).name == "index.html"
    assert "FAILED" not in first.stderr


def test_every_fetching_source_was_asked_on_the_mirror_and_no_one_else(builds):
    requests = builds["requests"]
    asked = {Mirror.split_source(path)[0] for _host, path in requests}
    assert asked == set(SOURCES) - NOT_FETCHED
    assert {host.split(":")[0] for host, _path in requests} == {"127.0.0.1"}
    log = builds["guard"] / "attempts.log"
    assert not log.exists(), f"non-loopback connections attempted: {log.read_text()}"


def test_every_family_fills_for_every_region(builds):
    home, geography = builds["home"], load_regions(None).geography
    # Most families are published per municipality; start-ups per COROP area (all 40 are
    # read), the European figures per NUTS code of the configured regions.
    areas = {"business_dynamics": {*COROP_CODES, "NL01"}, "eu_regional": set(geography.nuts)}
    covered: set[str] = set()
    for family in statistical():
        regions = set(table(home, family.table_name, "DISTINCT region_code")["region_code"])
        expected = areas.get(family.name)
        assert regions, f"{family.name} is empty"
        if expected is None:
            assert regions <= set(geography.municipalities), (family.name, regions)
            covered |= regions
        else:
            assert regions == expected, (family.name, regions)
    assert covered == set(geography.municipalities)
    for family in FAMILIES:
        if not family.statistical:
            assert table(home, family.table_name, "count(*) AS n")["n"][0] > 0
    stations = rows(home, "SELECT DISTINCT station_code FROM clean_air_quality_hourly")
    assert set(stations["station_code"]) == set(geography.stations)


def test_statistical_figures_equal_the_served_payloads(builds):
    """Each family's feeds parsed straight from the files the mirror served (read through
    snapshot mode) give exactly the rows the live build stored."""
    geography = load_regions(None).geography
    for family in statistical():
        parsed = pl.concat([
            feed.parse(feed.fetch(make_http(feed.source, mode="snapshot",
                                            generated_dir=builds["generated"]), geography))
            for feed in family.feeds], how="diagonal_relaxed")
        served = set(parsed.filter(pl.col("value").is_not_null())
                     .select("region_code", "measure", "period", "value").rows())
        stored = set(table(builds["home"], family.table_name, "region_code, measure, period, "
                           "value", "value IS NOT NULL").rows())
        assert served and stored == served, family.name


def test_hourly_air_quality_equals_the_served_pages(builds):
    geography = load_regions(None).geography
    pages = luchtmeetnet.fetch_measurements(make_http("luchtmeetnet", mode="snapshot"), DAY,
                                            stations=geography.stations)
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    served, _ = keep_window(parse_luchtmeetnet_measurements(pages), start,
                            start + timedelta(days=1))
    key = ["station_code", "component", "measured_at"]
    stored = rows(builds["home"], "SELECT station_code, component, measured_at, value_ugm3 "
                  "FROM clean_air_quality_hourly")
    assert stored.height == served.height > 0
    assert stored.sort(key).equals(served.select(*key, "value_ugm3").sort(key)
                                   .with_columns(pl.col("measured_at")
                                                 .cast(stored.schema["measured_at"])))


def test_a_failing_source_fails_the_build_and_says_what_to_do_last(builds):
    second = builds["second"]
    assert second.returncode != 0
    last = second.stderr.strip().splitlines()[-1]
    assert last.startswith(f"FAILED {FAILING} ") and "HTML page" in last and "Next:" in last
    assert [line for line in second.stderr.splitlines() if line.startswith("FAILED ")] == [last]


def test_the_failed_source_keeps_its_data_and_the_previous_edition_stays(builds):
    home = builds["home"]
    again = table(home, statistical_table(FAILING))
    assert again.height > 0 and again.equals(builds["training"])
    for edition in builds["editions"]:
        assert (home / "site" / "editions" / edition / "nl" / "index.html").is_file()


def test_status_shows_the_last_failure_of_the_source(builds):
    status = builds["status"]
    assert status.returncode == 1, status.stderr[-2000:]
    report = json.loads(status.stdout)
    by_source = {s["source"]: s for s in report["sources"]}
    failure = by_source[FAILING]["last_failure"]
    assert by_source[FAILING]["state"] == "fetch failed" and "HTML page" in failure["error"]
    assert all(s["last_failure"] is None for name, s in by_source.items() if name != FAILING)
    assert any(p.startswith(f"{FAILING}: the last fetch failed") for p in report["problems"])
