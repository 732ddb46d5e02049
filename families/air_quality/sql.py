"""Air-quality SQL the warehouse runs: the best-of view (validated over unvalidated hours) and
the station-year aggregation behind the air indicators."""

# Validated RIVM values win over unvalidated API values for the same station, component, hour.
# Written as an ANTI JOIN (a plain hash anti-join built on the validated side): the same rows
# as NOT EXISTS, which DuckDB plans as a slower delim join (BENCHMARKS.md).
BEST_AIR_SELECT = """
SELECT * FROM {validated}
UNION ALL
SELECT a.* FROM {api} a
ANTI JOIN {validated} v
  ON v.station_code = a.station_code AND v.component = a.component
 AND v.measured_at = a.measured_at
"""
BEST_AIR_VIEW = "CREATE OR REPLACE VIEW air_quality_hourly_best AS " + BEST_AIR_SELECT.format(
    validated="clean_air_quality_validated_hourly", api="clean_air_quality_hourly")

# Keys are unique per station, component and hour (schema check), so count(value) counts hours.
# The reporting year is UTC+1 all year (a fixed offset), so epoch arithmetic on the UTC instant
# gives it without a per-row time-zone conversion (BENCHMARKS.md has the measured gain).
REPORTING_YEAR_SQL = "CAST(year(make_timestamp(epoch_us(measured_at) + 3600000000)) AS INTEGER)"
STATION_ANNUAL_SELECT = f"""
SELECT station_code, component, {REPORTING_YEAR_SQL} AS year,
       avg(value_ugm3) AS mean_ugm3, count(value_ugm3) AS hours_with_value"""
STATION_ANNUAL_SQL = f"{STATION_ANNUAL_SELECT} FROM air_quality_hourly_best GROUP BY ALL"
AIR_HOURLY_TABLES = ("clean_air_quality_hourly", "clean_air_quality_validated_hourly")
# The same over some reporting years: the time filter goes into both tables before the
# best-of rule (the same rows, since a match has the same hour), so DuckDB reads only those
# years of each table instead of building the rule over all history.
STATION_ANNUAL_YEARS_SQL = f"""
WITH validated AS (SELECT * FROM clean_air_quality_validated_hourly WHERE {{where}}),
     api AS (SELECT * FROM clean_air_quality_hourly WHERE {{where}}),
     best AS ({BEST_AIR_SELECT.format(validated="validated", api="api")})
{STATION_ANNUAL_SELECT} FROM best GROUP BY ALL
"""  # noqa: S608 (constant text; values are bound)
