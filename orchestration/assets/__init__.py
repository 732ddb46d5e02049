"""Assets, one module per layer or family. Names follow the convention:

raw_<source>_<dataset>   append-only payload vintages as fetched (raw_payloads table)
clean_<family>           tidy typed rows, validated by a blocking GX check before writing
indicator_values         indicator series per region (and station), kept per edition
progress_assessments     status per indicator, region and target, with its inputs
report_edition           the published static site
"""

GROUP_AIR_QUALITY = "air_quality"
GROUP_STATISTICS = "statistics"
GROUP_INDICATORS = "indicators"
GROUP_REPORTS = "reports"

# Every asset that writes DuckDB takes a slot in this pool (limit 1 in dagster.yaml).
WAREHOUSE_POOL = "duckdb_writer"
