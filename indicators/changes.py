"""What changed since the previous edition: new periods, revised values, status changes,
new targets, removed series. Pure: two editions' frames in, one change list out."""

from __future__ import annotations

import polars as pl

CHANGE_SCHEMA = {
    "indicator_id": pl.String, "region_id": pl.String, "change": pl.String, "year": pl.Int32,
    "target_id": pl.String,  # status changes: the target assessed (null: none, or a value)
    "old_value": pl.Float64, "new_value": pl.Float64, "old_status": pl.String,
    "new_status": pl.String, "explanation": pl.String,
}
KEY = ["indicator_id", "region_id", "year"]
REVISION_TOLERANCE = 1e-9


def _region_values(values: pl.DataFrame) -> pl.DataFrame:
    if values.is_empty():
        return pl.DataFrame(schema={"indicator_id": pl.String, "region_id": pl.String,
                                    "year": pl.Int32, "value": pl.Float64,
                                    "is_provisional": pl.Boolean})
    return values.filter(pl.col("station_code").is_null()).select(*KEY, "value", "is_provisional")


def value_changes(previous: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    old, new = _region_values(previous), _region_values(current)
    if old.is_empty():  # a first edition: nothing to compare with
        return pl.DataFrame(schema=CHANGE_SCHEMA)
    joined = old.join(new, on=KEY, how="full", suffix="_new", coalesce=True)
    revised = ((pl.col("value") - pl.col("value_new")).abs() > REVISION_TOLERANCE) | \
        (pl.col("value").is_null() != pl.col("value_new").is_null()) | \
        (pl.col("is_provisional") & ~pl.col("is_provisional_new"))
    kind = (pl.when(pl.col("value").is_null() & pl.col("is_provisional").is_null()).then(pl.lit("new_period"))
            .when(pl.col("value_new").is_null() & pl.col("is_provisional_new").is_null()).then(pl.lit("removed"))
            .when(revised).then(pl.lit("revision")).otherwise(None))
    changes = joined.with_columns(change=kind).filter(pl.col("change").is_not_null())
    return changes.select(
        *KEY, "change", target_id=pl.lit(None, pl.String), old_value=pl.col("value"), new_value=pl.col("value_new"),
        old_status=pl.lit(None, pl.String), new_status=pl.lit(None, pl.String),
        explanation=pl.format("{} {}: {} -> {}", pl.col("change"), pl.col("year"),
                              pl.col("value").round(3), pl.col("value_new").round(3)),
    ).cast(CHANGE_SCHEMA)


def status_changes_only(previous: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    if previous.is_empty():
        return pl.DataFrame(schema=CHANGE_SCHEMA)
    key = ["indicator_id", "region_id", "target_id"]
    old = previous.select(*key, "status").with_columns(pl.col("target_id").fill_null(""))
    new = current.select(*key, "status", "latest_year").with_columns(pl.col("target_id").fill_null(""))
    joined = new.join(old, on=key, how="left", suffix="_old")
    kind = (pl.when(pl.col("status_old").is_null() & (pl.col("target_id") != ""))
            .then(pl.lit("new_target"))
            .when(pl.col("status_old").is_not_null() & (pl.col("status_old") != pl.col("status")))
            .then(pl.lit("status_change")).otherwise(None))
    changes = joined.with_columns(change=kind).filter(pl.col("change").is_not_null())
    return changes.select(
        "indicator_id", "region_id", "change", year=pl.col("latest_year"),
        target_id=pl.when(pl.col("target_id") != "").then("target_id"),
        old_value=pl.lit(None, pl.Float64), new_value=pl.lit(None, pl.Float64),
        old_status=pl.col("status_old"), new_status=pl.col("status"),
        explanation=pl.format("{} ({}): {} -> {}", pl.col("change"), pl.col("target_id"),
                              pl.col("status_old").fill_null("-"), pl.col("status")),
    ).cast(CHANGE_SCHEMA)


def status_changes(prev_values: pl.DataFrame, cur_values: pl.DataFrame,
                   prev_assess: pl.DataFrame, cur_assess: pl.DataFrame) -> pl.DataFrame:
    """Every change between two editions, values first, then statuses."""
    parts = [value_changes(prev_values, cur_values), status_changes_only(prev_assess, cur_assess)]
    return pl.concat([p.select(list(CHANGE_SCHEMA)) for p in parts])
