"""Assets, one module per layer or family. Names follow the convention:

raw_<source>_<dataset>   append-only payload vintages as fetched (raw_payloads table)
clean_<family>           tidy typed rows, validated by a blocking GX check before writing
indicator_values         indicator series per region (and station), kept per edition
progress_assessments     status per indicator, region and target, with its inputs
report_edition           the published static site
"""

from datetime import timedelta

import dagster as dg

from sources.registry import SOURCES

GROUP_AIR_QUALITY = "air_quality"
GROUP_STATISTICS = "statistics"
GROUP_INDICATORS = "indicators"
GROUP_REPORTS = "reports"

# Every asset that writes DuckDB takes a slot in this pool (limit 1 in dagster.yaml).
WAREHOUSE_POOL = "duckdb_writer"


def fetch_freshness(source: str) -> dg.FreshnessPolicy:
    """A raw asset's freshness on materialisation time: failing once its last fetch is older
    than the age declared for its source (`max_fetch_age_days` in sources/registry.py). The
    daemon evaluates it (`freshness: enabled` in dagster.yaml); the UI shows the state."""
    return dg.FreshnessPolicy.time_window(
        fail_window=timedelta(days=SOURCES[source].max_fetch_age_days))


def keys_redacted(compute):
    """Wrap an asset's compute function so that any exception it raises, whatever code raised
    it, reaches Dagster (event log, compute log, console) with every active key redacted from
    its message, arguments and chain (`core.secrets`). Works for plain and generator assets;
    Dagster reads the wrapped function's signature through `__wrapped__`."""
    import functools
    import inspect

    from core.secrets import redact_exception

    if inspect.isgeneratorfunction(compute):
        @functools.wraps(compute)
        def generating(*args, **kwargs):
            try:
                yield from compute(*args, **kwargs)
            except BaseException as exc:
                redact_exception(exc)
                raise
        return generating

    @functools.wraps(compute)
    def returning(*args, **kwargs):
        try:
            return compute(*args, **kwargs)
        except BaseException as exc:
            redact_exception(exc)
            raise
    return returning
