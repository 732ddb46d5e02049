"""`transition-monitor status` as a health check: exit codes for healthy, stale, failed and
missing warehouses; ages and thresholds; failed expectations in words; numbers for people;
clean JSON; fast (no Dagster, Polars or GX import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from core.outcomes import ExpectationOutcome, ValidationOutcome
from core.payload import Payload
from orchestration.cli import main
from orchestration.status import human
from sources.registry import SOURCES
from warehouse.store import Warehouse

ROOT = Path(__file__).resolve().parent.parent
HOURLY = {"luchtmeetnet": ("clean_air_quality_hourly", "luchtmeetnet_api"),
          "rivm_air_quality": ("clean_air_quality_validated_hourly", "rivm_validated")}


def seed(home: Path, *, air_age_days: int = 1, mode: str = "live", failed: bool = False) -> Path:
    """A warehouse where every source was fetched an hour ago with data of a fresh period
    (luchtmeetnet's newest hour `air_age_days` old), and an edition built in `mode`."""
    now = datetime.now(UTC).replace(microsecond=0)  # ages are counted from here
    wh = Warehouse(home / "warehouse.duckdb")
    wh.record_payloads([Payload(name, "d", "k", f"https://example.invalid/{name}",
                                "application/json", name.encode(), now - timedelta(hours=1))
                        for name in SOURCES])
    newest_air = now - timedelta(days=air_age_days)
    for name, (table, label) in HOURLY.items():  # through the writer: a table per year
        station, hour = ("NL49551", newest_air) if name == "luchtmeetnet" else ("NL49553", now)
        row = pl.DataFrame({"station_code": [station], "component": ["NO2"],
                            "measured_at": [hour], "value_ugm3": [139430.5], "source": [label]})
        wh.replace_window(table, row, {"source": label,
                                       "measured_at": (hour, hour + timedelta(hours=1))})
    with wh.connect() as con:
        for name in (n for n in SOURCES if n not in HOURLY):
            con.execute("INSERT INTO clean_emissions (region_code, entity, measure, period, "
                        "year, value, unit, is_provisional, source, source_table) VALUES "
                        "('GM0453', '', 'm', ?, ?, 1.0, 'kt', false, ?, 't')",
                        [now.strftime("%Y-%m"), now.year, name])
        con.execute("CREATE TABLE indicator_values AS SELECT 'co2_total' AS indicator_id, "
                    "'nederland' AS region_id, NULL::VARCHAR AS station_code, 2023 AS year, "
                    "139430.472 AS value, 'kt' AS unit")
    expectations = [ExpectationOutcome("expect_column_values_to_be_between", "value",
                                       {"min_value": 0, "max_value": None}, not failed,
                                       3 if failed else 0, [-5.0, -1.5, -2.0] if failed else [])]
    wh.record_validation(ValidationOutcome("clean_emissions", "-", 12, expectations), "v1")
    wh.record_edition("2026-01-05", mode, str(home / "site/editions/2026-01-05/nl/index.html"))
    return home


def status(home: Path, capsys, *extra: str) -> tuple[int, dict]:
    code = main(["--home", str(home), "status", "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def text(home: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["--home", str(home), "status", *extra])
    return code, capsys.readouterr().out


def test_a_healthy_warehouse_exits_0_with_clean_json(tmp_path, capsys):
    code, out = status(seed(tmp_path), capsys)
    assert code == 0 and out["health"] == "ok" and out["exit_code"] == 0
    assert out["data"] == "live" and out["problems"] == []
    assert {s["source"] for s in out["sources"]} == set(SOURCES)
    air = next(s for s in out["sources"] if s["source"] == "luchtmeetnet")
    assert air["state"] == "ok" and air["data_age_days"] == 1 and air["max_data_age_days"] == 3
    assert isinstance(air["fetch_age_days"], float) and 0.0 <= air["fetch_age_days"] <= 0.1
    assert air["max_fetch_age_days"] == SOURCES["luchtmeetnet"].max_fetch_age_days
    assert isinstance(air["rows"], int) and air["rows"] == 1
    [table] = [t for t in out["tables"] if t["table"] == "clean_emissions"]
    assert "table_name" not in table and table["validation"] == "passed"
    assert table["partitions"] == 1 and table["rows_validated"] == 12
    assert isinstance(table["last_validated_at"], str)
    [value] = out["indicators"]
    assert value["value"] == pytest.approx(139430.472) and isinstance(value["newest_year"], int)
    assert out["edition"]["edition_id"] == "2026-01-05"
    assert out["stations"][0]["station_code"] == "NL49551"
    newest_hour = datetime.fromisoformat(out["stations"][0]["newest_hour"])
    checked = datetime.fromisoformat(out["checked_at"])
    assert timedelta(days=1) <= checked - newest_hour < timedelta(days=1, minutes=1)


def test_stale_live_data_exits_3_with_age_and_threshold(tmp_path, capsys):
    home = seed(tmp_path, air_age_days=10)
    code, out = status(home, capsys)
    assert code == 3 and out["health"] == "stale"
    air = next(s for s in out["sources"] if s["source"] == "luchtmeetnet")
    assert air["state"] == "stale" and air["data_stale"] and air["data_age_days"] == 10
    assert any(p.startswith("luchtmeetnet: newest data ") and p.endswith(
        "is 10 d old (allowed 3 d)") for p in out["problems"])
    code, shown = text(home, capsys)
    assert code == 3 and shown.startswith("health: STALE (exit 3)")
    line = next(row for row in shown.splitlines() if row.strip().startswith("luchtmeetnet"))
    assert "10 d / 3 d" in line and line.rstrip().endswith("stale")


def test_demo_data_is_old_by_design_and_not_stale_unless_judged_live(tmp_path, capsys):
    home = seed(tmp_path, air_age_days=400, mode="snapshot")
    code, out = status(home, capsys)
    assert code == 0 and out["data"] == "demo" and out["health"] == "ok"
    air = next(s for s in out["sources"] if s["source"] == "luchtmeetnet")
    assert air["state"] == "demo" and air["data_stale"] and air["data_age_days"] == 400
    code, shown = text(home, capsys)
    assert "data: demo (a snapshot build)" in shown and "400 d / 3 d" in shown
    assert main(["--home", str(home), "status", "--source", "live"]) == 3


def test_a_failed_validation_exits_1_and_names_the_failed_expectation(tmp_path, capsys):
    home = seed(tmp_path, failed=True, mode="snapshot")  # failure counts even for demo data
    code, out = status(home, capsys)
    assert code == 1 and out["health"] == "failed"
    table = next(t for t in out["tables"] if t["table"] == "clean_emissions")
    assert table["validation"] == "failed" and table["failed_partitions"] == 1
    assert table["failures"] == [{"partition": "-", "rule": "expect_column_values_to_be_between",
                                  "column": "value", "parameters": {"max_value": None,
                                                                    "min_value": 0},
                                  "unexpected_count": 3, "examples": [-5.0, -1.5, -2.0]}]
    code, shown = text(home, capsys)
    assert code == 1
    assert "  clean_emissions                       FAILED" in shown
    assert "      column values to be between on value (min_value 0): 3 unexpected, e.g. " \
           "-5.0, -1.5, -2.0" in shown


def test_no_warehouse_exits_4_and_says_what_to_do(tmp_path, capsys):
    code, out = status(tmp_path, capsys)
    assert code == 4 and out["health"] == "no_warehouse"
    assert "transition-monitor build" in out["problems"][0]
    assert out["paths"]["warehouse"].endswith("warehouse.duckdb")


def test_a_warehouse_held_by_a_writer_exits_4(tmp_path, capsys):
    home = seed(tmp_path)
    with Warehouse(home / "warehouse.duckdb").connect():  # a writer holds the file
        code, out = status(home, capsys)
    assert code == 4 and out["health"] == "unreadable"
    assert "a build may hold it" in out["problems"][0]


def test_a_warehouse_held_by_a_build_names_the_build(tmp_path, capsys):
    """A build holds the file for each of its runs: status names it (from the command lock)
    instead of guessing."""
    from orchestration.recovery import command_lock
    from orchestration.settings import paths

    home = seed(tmp_path)
    with command_lock(paths(home), "build", 0), Warehouse(home / "warehouse.duckdb").connect():
        code, out = status(home, capsys)
    assert code == 4 and out["health"] == "unreadable"
    assert out["problems"][0].startswith(f"`build` (pid {os.getpid()}, started ")
    assert "is writing the warehouse" in out["problems"][0]


def test_numbers_for_people_never_scientific():
    assert human(139430.472) == "139,430"
    assert human(1.394e5) == "139,400"
    assert human(34.52) == "34.5"
    assert human(0.0123) == "0.0123"
    assert human(2) == "2" and human(0) == "0" and human(None) == "-"
    for value in (1e-9, 3.2e-5, 1e12, -4.5e7, 0.5, 12345678.9):
        assert "e" not in human(value).lower(), value


def test_text_output_has_no_scientific_notation(tmp_path, capsys):
    code, shown = text(seed(tmp_path), capsys)
    assert code == 0
    assert "139,430 kt" in shown and "e+0" not in shown


def test_status_imports_no_pipeline(tmp_path):
    """What keeps `status` quick (its time is measured in benchmarks/, not here): it reads the
    warehouse without importing Dagster, Polars, GX, pandas or Plotly."""
    home = seed(tmp_path)
    code = ("import sys; from orchestration.cli import main; "
            f"rc = main(['--home', {str(home)!r}, 'status']); "
            "heavy = [m for m in ('dagster', 'polars', 'great_expectations', 'pandas', 'plotly') "
            "if m in sys.modules]; print('RESULT', rc, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout
    result = out[out.index("RESULT"):].split(maxsplit=2)
    assert result[1] == "0" and result[2].strip() == "[]", out
