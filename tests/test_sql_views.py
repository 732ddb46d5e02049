"""The documented SQL views: created by the warehouse, with names next to ids, and answering
the README's example queries, run as written with the DuckDB CLI and from Python."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from core.outcomes import ExpectationOutcome, ValidationOutcome
from core.payload import Payload
from indicators.catalogue import load_catalogue, load_regions
from indicators.compute import VALUE_SCHEMA
from indicators.progress import ASSESSMENT_SCHEMA
from indicators.reference import reference_frames
from sources.registry import SOURCES
from warehouse.store import Warehouse
from warehouse.views import VIEWS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Querying the warehouse"):]
SECTION = SECTION[:SECTION.index("\n## ", 4)]


def _frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """A warehouse written through the pipeline's own write paths."""
    path = tmp_path_factory.mktemp("views") / "warehouse.duckdb"
    wh = Warehouse(path)
    wh.record_payloads([Payload("klimaatmonitor", "d", "k", "https://example.invalid/k",
                                "application/json", b"{}", datetime(2026, 11, 2, tzinfo=UTC))])
    wh.replace_derived("air_station_annual", pl.DataFrame({
        "station_code": ["NL49551", "NL49551"], "component": ["NO2", "NO2"], "year": [2023, 2024],
        "mean_ugm3": [21.5, 19.25], "hours_with_value": [8700, 8650],
        "hours_in_year": [8760, 8784], "coverage_pct": [99.3, 98.5],
        "low_coverage": [False, False]}))
    wh.replace_derived("indicator_values", _frame([
        {"indicator_id": "co2_total", "region_id": region, "year": year, "value": value,
         "unit": "kt", "is_provisional": False}
        for region, year, value in [("ijmond", 2022, 5400.4), ("ijmond", 2023, 5372.2),
                                    ("nederland", 2023, 139430.47), ("ijmond", 2019, 6000.0)]
    ] + [{"indicator_id": "no2_annual_mean", "region_id": "ijmond", "station_code": "NL49551",
          "year": 2024, "value": 19.25, "unit": "µg/m³"}], VALUE_SCHEMA))
    wh.replace_derived("progress_assessments", _frame([
        {"indicator_id": "co2_total", "region_id": "nederland", "target_id": "klimaatwet_2030",
         "status": "limited_progress", "target_order": 0},
        {"indicator_id": "co2_total", "region_id": "ijmond", "target_id": None,
         "status": "context", "target_order": 0}], ASSESSMENT_SCHEMA))
    for name, frame in reference_frames(load_catalogue(), load_regions()).items():
        wh.replace_reference(name, frame)
    wh.record_validation(ValidationOutcome("clean_emissions", "-", 40, [ExpectationOutcome(
        "expect_column_values_to_not_be_null", "region_code", {}, False, 2, [None, None])]), "v1")
    return path


def test_the_warehouse_creates_every_documented_view(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        views = {r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    documented = set(re.findall(r"^\| `(v_[a-z_]+)` \|", SECTION, flags=re.M))
    assert documented == set(VIEWS) | {"v_sources"}
    assert documented <= views


def test_documented_columns_are_the_views_columns(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for row in re.findall(r"^\| `(v_[a-z_]+)` \| [^|]+ \| ([^|]+) \|$", SECTION, flags=re.M):
            view, listed = row
            columns = [r[0] for r in con.execute(f"DESCRIBE {view}").fetchall()]
            named = re.findall(r"`([a-z_]+)`", listed)
            assert named and set(named) <= set(columns), (view, set(named) - set(columns))


def test_names_stand_next_to_ids(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("SELECT indicator_name_nl, region_name_en, station_name "
                          "FROM v_indicator_values WHERE station_code = 'NL49551'").fetchone()
        assert row == (load_catalogue().get("no2_annual_mean").name.nl,
                       _region_name_en("ijmond"), "IJmuiden-Kanaalstraat")
        assert con.execute("SELECT station_name FROM v_station_means LIMIT 1").fetchone() == (
            "IJmuiden-Kanaalstraat",)
        assert con.execute("SELECT count(*) FROM v_sources").fetchone()[0] == len(SOURCES)


def cli_examples() -> list[str]:
    return re.findall(r'^\.venv/bin/duckdb var/warehouse\.duckdb -readonly -c "([^"]+)"$',
                      SECTION, flags=re.M)


def test_the_cli_examples_answer_as_documented(warehouse):
    examples = cli_examples()
    assert len(examples) == 3
    duckdb_cli = Path(sys.executable).parent / "duckdb"
    answers = [subprocess.run([str(duckdb_cli), str(warehouse), "-readonly", "-csv", "-c", sql],
                              capture_output=True, text=True, check=True).stdout
               for sql in examples]
    co2, progress, sources = answers
    assert co2.splitlines() == ["region_name_en,year,kt", "IJmond,2022,5400.0",
                                "IJmond,2023,5372.0",
                                f"{_region_name_en('nederland')},2023,139430.0"]
    assert progress.splitlines()[1:] == [
        f"{_indicator_name_en('co2_total')},{_region_name_en('nederland')},klimaatwet_2030,"
        "limited_progress"]
    klimaatmonitor = next(line for line in sources.splitlines()
                          if line.startswith("klimaatmonitor,"))
    assert SOURCES["klimaatmonitor"].licence in klimaatmonitor and "2026-11-02" in klimaatmonitor


def _region_name_en(region_id: str) -> str:
    return next(r.name.en for r in load_regions().regions if r.id == region_id)


def _indicator_name_en(indicator_id: str) -> str:
    return load_catalogue().get(indicator_id).name.en


def test_the_python_example_answers_as_documented(warehouse, capsys):
    code = re.search(r"```python\n(.*?)```", SECTION, flags=re.S).group(1)
    scope: dict = {}
    exec(code.replace("var/warehouse.duckdb", str(warehouse)), scope)  # noqa: S102
    no2, failures = scope["no2"], scope["failures"]
    assert isinstance(no2, pl.DataFrame)
    assert no2.rows() == [("IJmuiden-Kanaalstraat", 2023, 21.5, 99.3),
                          ("IJmuiden-Kanaalstraat", 2024, 19.25, 98.5)]
    assert failures.rows() == [("clean_emissions", "expect_column_values_to_not_be_null",
                                "region_code", 2)]
    assert "IJmuiden-Kanaalstraat" in capsys.readouterr().out


def test_a_reference_table_outside_the_allowlist_is_refused(warehouse):
    with pytest.raises(ValueError, match="not a reference table"):
        Warehouse(warehouse).replace_reference("indicator_values", pl.DataFrame({"a": [1]}))
