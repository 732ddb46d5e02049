"""Read-only SQL views for people querying the warehouse (documented in the README, section
"Querying the warehouse"). They carry names next to ids and hide the bookkeeping; their columns
are a promise, the tables behind them are not.

| view                   | one row per |
| ---------------------- | ----------- |
| v_indicator_values     | indicator, region (or station) and year, with names |
| v_progress             | indicator, region and target: the status and its inputs, with names |
| v_station_means        | station, component and year: annual mean and coverage, with names |
| v_validation           | table and partition: the latest validation |
| v_validation_failures  | failed expectation of a latest validation: rule, column, count |
| v_sources              | source: title, licence, allowed ages, last fetch, newest period, rows |

A view is (re)created once the tables it reads exist: at schema set-up and after each derived
or reference table is written (`create_views`).
"""

from __future__ import annotations

import duckdb

from sources.registry import SOURCES
from warehouse.health_sql import STAT_TABLES_SQL, source_freshness_sql

REFERENCE_TABLES = ("ref_indicators", "ref_regions", "ref_stations", "ref_sources")

NAMED_VALUES = """
SELECT v.indicator_id, i.name_nl AS indicator_name_nl, i.name_en AS indicator_name_en,
       i.theme, v.region_id, r.name_nl AS region_name_nl, r.name_en AS region_name_en,
       v.station_code, s.name AS station_name, v.year, v.value, v.unit,
       v.* EXCLUDE (indicator_id, region_id, station_code, year, value, unit)
FROM indicator_values v
LEFT JOIN ref_indicators i USING (indicator_id)
LEFT JOIN ref_regions r USING (region_id)
LEFT JOIN ref_stations s USING (station_code)
"""

NAMED_PROGRESS = """
SELECT p.indicator_id, i.name_nl AS indicator_name_nl, i.name_en AS indicator_name_en,
       p.region_id, r.name_nl AS region_name_nl, r.name_en AS region_name_en,
       p.target_id, p.status, p.* EXCLUDE (indicator_id, region_id, target_id, status)
FROM progress_assessments p
LEFT JOIN ref_indicators i USING (indicator_id)
LEFT JOIN ref_regions r USING (region_id)
"""

STATION_MEANS = """
SELECT a.station_code, s.name AS station_name, s.municipality, a.component, a.year,
       a.* EXCLUDE (station_code, component, year)
FROM air_station_annual a LEFT JOIN ref_stations s USING (station_code)
"""

VALIDATION = """
SELECT table_name, partition_key, validated_at, success, row_count, expectations,
       failed AS failed_expectations
FROM validation_latest
"""

VALIDATION_FAILURES = """
SELECT r.table_name, r.partition_key, r.validated_at, e.expectation AS rule, e.column_name,
       e.unexpected_count, e.unexpected_examples, e.parameters
FROM validation_latest r JOIN validation_expectations e USING (validation_id)
WHERE NOT e.success
"""

# view -> (its SELECT, the relations it reads)
VIEWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "v_indicator_values": (NAMED_VALUES, ("indicator_values", "ref_indicators", "ref_regions",
                                          "ref_stations")),
    "v_progress": (NAMED_PROGRESS, ("progress_assessments", "ref_indicators", "ref_regions")),
    "v_station_means": (STATION_MEANS, ("air_station_annual", "ref_stations")),
    "v_validation": (VALIDATION, ("validation_latest",)),
    "v_validation_failures": (VALIDATION_FAILURES, ("validation_latest",
                                                    "validation_expectations")),
}


def write_source_reference(con: duckdb.DuckDBPyConnection) -> None:
    """`ref_sources` from the source declarations (sources/registry.py)."""
    con.execute("CREATE OR REPLACE TABLE ref_sources (source VARCHAR, title VARCHAR, "
                "licence VARCHAR, url VARCHAR, max_data_age_days INTEGER, "
                "max_fetch_age_days INTEGER)")
    con.executemany("INSERT INTO ref_sources VALUES (?, ?, ?, ?, ?, ?)",
                    [[s.name, s.title, s.licence, s.base_url, s.max_data_age_days,
                      s.max_fetch_age_days] for s in SOURCES.values()])


def _sources_view(con: duckdb.DuckDBPyConnection) -> str:
    stat_tables = [r[0] for r in con.execute(STAT_TABLES_SQL).fetchall()]
    return f"""
SELECT s.source, s.title, s.licence, s.url, f.last_fetched_at, s.max_fetch_age_days,
       f.newest_period, s.max_data_age_days, coalesce(f.rows, 0) AS rows
FROM ref_sources s LEFT JOIN ({source_freshness_sql(stat_tables)}) f USING (source)
"""  # noqa: S608 (table names from the warehouse's own catalogue)


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create every view whose relations exist; the names of those created."""
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    created = []
    for name, (select, reads) in VIEWS.items():
        if set(reads) <= present:
            con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")  # noqa: S608
            created.append(name)
    if {"ref_sources", "raw_payloads_current", "clean_air_quality_hourly",
            "clean_air_quality_validated_hourly"} <= present:
        con.execute(f"CREATE OR REPLACE VIEW v_sources AS {_sources_view(con)}")  # noqa: S608
        created.append("v_sources")
    return created
