"""SQL over the warehouse's health, shared by the report's source table (`reports.inputs`)
and `transition-monitor status`. Strings only, no imports: status must stay fast.

Identifiers come from the caller's allowlist (the family registry) or from the warehouse's
own catalogue (`information_schema`), never from user input.
"""

# The hourly air tables and the registered source each one holds.
HOURLY_SOURCES = (("luchtmeetnet", "clean_air_quality_hourly"),
                  ("rivm_air_quality", "clean_air_quality_validated_hourly"))

# The statistical tables present: every clean table with a period and a value column.
STAT_TABLES_SQL = """
SELECT table_name FROM information_schema.columns
WHERE table_name LIKE 'clean_%' AND column_name IN ('source', 'period', 'value')
GROUP BY table_name HAVING count(*) = 3 ORDER BY table_name
"""


def source_freshness_sql(stat_tables: list[str] | tuple[str, ...]) -> str:
    """Per source: last fetch, newest period with a value, rows."""
    stat_union = " UNION ALL ".join(
        f"SELECT source, period, value FROM {t}" for t in stat_tables)  # noqa: S608
    hourly = " UNION ALL ".join(
        f"SELECT '{source}', strftime(max(measured_at), '%Y-%m-%d'), count(*) FROM {table}"  # noqa: S608
        for source, table in HOURLY_SOURCES)
    stat_periods = ("SELECT source, max(period) FILTER (WHERE value IS NOT NULL) AS "  # noqa: S608
                    f"newest_period, count(*) AS rows FROM ({stat_union}) GROUP BY source"
                    if stat_tables else
                    "SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS newest_period, "
                    "0::BIGINT AS rows WHERE false")
    return f"""
WITH fetched AS (
  SELECT source, max(fetched_at) AS last_fetched_at, count(*) AS payloads
  FROM raw_payloads_current GROUP BY source),
stat_periods AS (
  -- the newest period with a value: CBS publishes a new period empty first
  {stat_periods}),
periods AS (
  -- hourly tables: take the max first, format one value (not millions of timestamps)
  SELECT * FROM stat_periods UNION ALL {hourly})
SELECT f.source, f.last_fetched_at, p.newest_period, coalesce(p.rows, 0) AS rows
FROM fetched f LEFT JOIN periods p ON p.source = f.source ORDER BY f.source
"""  # noqa: S608


STATUS_FAILURES_SQL = """
SELECT r.table_name, r.partition_key, e.expectation, e.column_name, e.parameters,
       e.unexpected_count, e.unexpected_examples
FROM validation_latest r JOIN validation_expectations e USING (validation_id)
WHERE NOT e.success ORDER BY r.table_name, r.partition_key, e.expectation, e.column_name
"""

VALIDATION_SQL = """
SELECT table_name, count(*) AS partitions, count(*) FILTER (WHERE NOT success) AS failed,
       max(validated_at) AS last_validated_at, sum(row_count) AS rows_validated
FROM validation_latest GROUP BY table_name ORDER BY table_name
"""

STATION_SQL = """
SELECT station_code, component, max(measured_at) AS newest_hour, count(value_ugm3) AS "values",
       count(*) FILTER (WHERE source = 'rivm_validated') AS validated_rows
FROM air_quality_hourly_best GROUP BY station_code, component ORDER BY station_code, component
"""

INDICATOR_SQL = """
SELECT v.indicator_id, v.region_id, max(v.year) AS newest_year, arg_max(v.value, v.year) AS value,
       any_value(v.unit) AS unit
FROM indicator_values v WHERE v.station_code IS NULL AND v.value IS NOT NULL
GROUP BY v.indicator_id, v.region_id ORDER BY v.indicator_id, v.region_id
"""


# The sources whose last fetch failed, as the latest build recorded them (warehouse.fetch_failures).
FETCH_FAILURES_TABLE = "source_fetch_failures"
FETCH_FAILURES_SQL = ("SELECT source, asset, failed_at, error FROM source_fetch_failures "
                      "ORDER BY source, failed_at DESC")
