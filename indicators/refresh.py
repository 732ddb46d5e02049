"""Derived tables brought up to date with the work that changed, not with all of history.

Every clean and derived write is logged in the warehouse (`write_log`). Each derived table
below reads the writes it has not seen, recomputes only what they touch, and marks them seen
in the same transaction as its own write:

- `air_station_annual`: the reporting years overlapped by new hourly windows;
- `indicator_values`: the indicators computed from a table that changed;
- `progress_assessments`: the indicators whose values changed.

The first run, a missing table, or a changed configuration (catalogue, regions, aggregation
rule) recomputes everything, so an incremental result always equals a full one (tested).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import polars as pl

from families.air_quality.sql import AIR_HOURLY_TABLES, STATION_ANNUAL_SQL
from families.registry import statistical
from indicators.catalogue import Catalogue, Regions
from indicators.compute import compute_indicator_values, indicators_reading, input_tables
from indicators.progress import assess_all
from transforms.air_quality import LOW_COVERAGE_BELOW_PCT, reporting_years_touched, with_coverage
from warehouse.store import Warehouse

STAT_TABLES = tuple(f.table_name for f in statistical())


@dataclass(frozen=True)
class Refresh:
    """What a refresh recomputed: `scope` is "all", "part" or "unchanged"."""
    table: str
    scope: str
    keys: tuple  # the years or indicator ids recomputed (empty for "all" and "unchanged")
    rows_written: int
    frame: pl.DataFrame  # the table's full content after the refresh (for checks, metadata)


def _in_one_session(refresh):
    """Run a refresh over one warehouse connection (its reads, write and marks)."""
    @functools.wraps(refresh)
    def run(wh: Warehouse, *args, **kwargs):
        with wh.session():
            return refresh(wh, *args, **kwargs)
    return run


def config_fingerprint(*parts: object) -> str:
    text = "\n".join(p.model_dump_json() if hasattr(p, "model_dump_json") else str(p)
                     for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@_in_one_session
def refresh_station_annual(wh: Warehouse) -> Refresh:
    """Annual means per station, component and reporting year, for the years whose hourly
    data changed (every year on a first run)."""
    name = "air_station_annual"
    changes = wh.changes_since(name, AIR_HOURLY_TABLES,
                               config_fingerprint(STATION_ANNUAL_SQL, LOW_COVERAGE_BELOW_PCT))
    years = None if changes.everything else \
        reporting_years_touched((c.window_start, c.window_end) for c in changes.changes)
    if years is None:
        frame = with_coverage(wh.station_annual_sums())
        written = wh.replace_derived(name, frame, consumed=changes)
        return Refresh(name, "all", (), written, frame)
    if not years:
        wh.mark_seen(changes)
        return Refresh(name, "unchanged", (), 0, _read(wh, name))
    part = with_coverage(wh.station_annual_sums(years))
    table = wh.replace_derived_part(name, part, "year", sorted(years), consumed=changes)
    return Refresh(name, "part", tuple(sorted(years)), part.height, table)


@_in_one_session
def refresh_indicator_values(wh: Warehouse, catalogue: Catalogue, regions: Regions,
                             tables: dict[str, pl.DataFrame] | None = None) -> Refresh:
    """Indicator series per region for the indicators whose input tables changed. `tables`:
    the input tables when the caller has read them already (else only the needed ones are)."""
    name = "indicator_values"
    changes = wh.changes_since(name, (*STAT_TABLES, "air_station_annual"),
                               config_fingerprint(catalogue, regions))
    everything = changes.everything
    part = catalogue if everything else indicators_reading(catalogue, changes.tables)
    if not part.indicators:
        wh.mark_seen(changes)
        return Refresh(name, "unchanged", (), 0, _read(wh, name))
    # only the tables the recomputed indicators read (all of them on a full run)
    if tables is None:
        needed = sorted(set().union(*(input_tables(i) for i in part.indicators)))
        tables = wh.read_tables(needed, read_only=False)
    values = compute_indicator_values(part, regions, tables)
    if everything:
        written = wh.replace_derived(name, values, consumed=changes)
        return Refresh(name, "all", (), written, values)
    ids = tuple(i.id for i in part.indicators)
    table = wh.replace_derived_part(name, values, "indicator_id", ids, consumed=changes)
    return Refresh(name, "part", ids, values.height, table)


@_in_one_session
def refresh_progress(wh: Warehouse, catalogue: Catalogue, regions: Regions) -> Refresh:
    """Progress against targets for the indicators whose values changed."""
    name = "progress_assessments"
    changes = wh.changes_since(name, ("indicator_values",),
                               config_fingerprint(catalogue, regions))
    keys = [c.keys for c in changes.changes]
    everything = changes.everything or any(k is None for k in keys)
    values = _read(wh, "indicator_values")
    if everything:
        assessments = assess_all(catalogue, regions, values)
        written = wh.replace_derived(name, assessments, consumed=changes)
        return Refresh(name, "all", (), written, assessments)
    ids = sorted({i for k in keys for i in k})
    if not ids:
        wh.mark_seen(changes)
        return Refresh(name, "unchanged", (), 0, _read(wh, name))
    part = catalogue.model_copy(update={"indicators": [i for i in catalogue.indicators
                                                       if i.id in ids]})
    assessments = assess_all(part, regions, values.filter(pl.col("indicator_id").is_in(ids)))
    table = wh.replace_derived_part(name, assessments, "indicator_id", ids, consumed=changes)
    return Refresh(name, "part", tuple(ids), assessments.height, table)


def _read(wh: Warehouse, name: str) -> pl.DataFrame:
    return wh.query(f"SELECT * FROM {name}", read_only=False)  # noqa: S608 (derived table names)
