"""Progress against targets: the documented method (indicators/METHOD.md).

Trajectory targets: the ratio of the observed compound annual growth rate since the base
year to the rate required to reach the target by the target year (Eurostat / Open SDG).
Threshold targets (limit values): met / not met on the latest year, plus the trend.
No documented target: a direction-of-travel status (improving / little change / worsening)
from the growth rate over the last points, with Open SDG's growth-rate threshold.
Every edge case is a named rule, and every input of a status is returned with it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import polars as pl

from indicators.catalogue import Catalogue, Indicator, Regions, Target

STATUSES = ("achieved", "on_track", "acceleration_needed", "limited_progress", "moving_away",
            "met", "not_met", "improving", "little_change", "worsening", "cannot_assess",
            "not_measured", "context")
DIRECTION_STATUSES = ("improving", "little_change", "worsening")
DIRECTION_KIND = "direction_of_travel"  # target_kind of an assessment without a target
ON_TRACK_RATIO = 0.95
ACCELERATION_RATIO = 0.60
MIN_POINTS = 3
BASE_YEAR_SEARCH = 2  # a missing base year falls back to the nearest later year within this
TREND_POINTS = 5
STABLE_PCT_PER_YEAR = 1.0  # |slope| below 1% of the mean per year counts as stable
# Direction of travel (no target): the growth rate over the last TREND_POINTS points, signed by
# the desired direction. Open SDG (Statistics Canada) counts a directional growth rate below
# 0.5% a year as "limited progress"; we use the same 0.5% on both sides as "little change".
DIRECTION_THRESHOLD = 0.005


@dataclass
class Assessment:
    status: str
    reason: str
    base_year: int | None = None
    base_value: float | None = None
    latest_year: int | None = None
    latest_value: float | None = None
    target_value: float | None = None
    target_year: int | None = None
    observed_cagr: float | None = None
    required_cagr: float | None = None
    ratio: float | None = None
    rate_method: str | None = None  # "cagr" or "linear" (fallback for zero/negative values)
    trend: str | None = None
    n_points: int = 0
    flags: str = ""


def cagr(start: float, end: float, years: float) -> float:
    """Compound annual growth rate from start to end over `years` (both positive)."""
    return (end / start) ** (1.0 / years) - 1.0


def status_for_ratio(ratio: float) -> str:
    if ratio >= ON_TRACK_RATIO:
        return "on_track"
    if ratio >= ACCELERATION_RATIO:
        return "acceleration_needed"
    if ratio >= 0:
        return "limited_progress"
    return "moving_away"


def reached(value: float, target: float, direction: str) -> bool:
    return value <= target if direction == "lower_is_better" else value >= target


def trend(years: list[int], values: list[float], direction: str) -> str | None:
    """improving / worsening / stable over the last points (least-squares slope)."""
    ys, vs = years[-TREND_POINTS:], values[-TREND_POINTS:]
    if len(ys) < MIN_POINTS:
        return None
    my, mv = sum(ys) / len(ys), sum(vs) / len(vs)
    slope = sum((y - my) * (v - mv) for y, v in zip(ys, vs, strict=True)) / \
        sum((y - my) ** 2 for y in ys)
    if mv == 0 or abs(slope) / abs(mv) * 100 < STABLE_PCT_PER_YEAR:
        return "stable"
    better = slope < 0 if direction == "lower_is_better" else slope > 0
    return "improving" if better else "worsening"


def assess_series(years: list[int], values: list[float], direction: str, target: Target,
                  *, latest_provisional: bool = False, series_break: bool = False,
                  low_coverage: bool = False) -> Assessment:
    """Assess one region's series (sorted by year, no nulls) against one target."""
    flags = ",".join(f for f, on in (("provisional", latest_provisional),
                                     ("series_break", series_break),
                                     ("low_coverage", low_coverage)) if on)
    if not years:
        return Assessment("not_measured", "No data for this region.", flags=flags)
    common = {"latest_year": years[-1], "latest_value": values[-1], "n_points": len(years),
              "flags": flags, "trend": trend(years, values, direction)}
    if target.kind == "threshold":
        return _threshold(values[-1], direction, target, common)
    return _trajectory(years, values, direction, target, common)


def _threshold(latest: float, direction: str, target: Target, common: dict) -> Assessment:
    met = reached(latest, target.value, direction)
    word = "at or below" if direction == "lower_is_better" else "at or above"
    reason = (f"Latest value {latest:.4g} ({common['latest_year']}) is "
              f"{'' if met else 'not '}{word} the limit {target.value:.4g}; "
              f"trend: {common['trend'] or 'too few points'}.")
    return Assessment("met" if met else "not_met", reason, target_value=target.value, **common)


def _trajectory(years, values, direction, target: Target, common: dict) -> Assessment:
    if len(years) < MIN_POINTS:
        return Assessment("cannot_assess", f"Only {len(years)} data point(s); at least "
                          f"{MIN_POINTS} are needed.", target_year=target.target_year, **common)
    start = target.baseline_from_year or target.baseline_year
    base = next(((y, v) for y, v in zip(years, values, strict=True)
                 if start <= y <= start + BASE_YEAR_SEARCH), None)
    if base is None:
        return Assessment("cannot_assess", f"No value in the base year {start} or the "
                          f"{BASE_YEAR_SEARCH} years after it.", target_year=target.target_year,
                          **common)
    base_year, base_value = base
    goal = target.value if target.value is not None else \
        base_value * (1 + target.value_change_pct / 100)
    known = {"base_year": base_year, "base_value": base_value, "target_value": goal,
             "target_year": target.target_year, **common}
    latest_year, latest = years[-1], values[-1]
    if reached(latest, goal, direction):
        return Assessment("achieved", f"Latest value {latest:.4g} ({latest_year}) has reached the "
                          f"target {goal:.4g}.", **known)
    if latest_year <= base_year:
        return Assessment("cannot_assess", "No value after the base year.", **known)
    return _ratio_assessment(base_year, base_value, latest_year, latest, goal, target, known)


def _ratio_assessment(base_year, base_value, latest_year, latest, goal, target, known) -> Assessment:
    elapsed, horizon = latest_year - base_year, target.target_year - base_year
    if min(base_value, latest, goal) > 0:
        method = "cagr"
        observed, required = cagr(base_value, latest, elapsed), cagr(base_value, goal, horizon)
    else:  # growth rates are undefined at zero or below: compare linear rates instead
        method = "linear"
        observed, required = (latest - base_value) / elapsed, (goal - base_value) / horizon
    if required == 0:
        return Assessment("cannot_assess", "The target equals the base value.", **known)
    ratio = observed / required
    status = status_for_ratio(ratio)
    reason = (f"From {base_value:.4g} ({base_year}) to {latest:.4g} ({latest_year}): observed "
              f"{method} rate {observed:+.4g}/yr vs {required:+.4g}/yr required to reach "
              f"{goal:.4g} by {target.target_year}; ratio {ratio:.2f}.")
    return Assessment(status, reason, observed_cagr=observed, required_cagr=required, ratio=ratio,
                      rate_method=method, **known)


def direction_of_travel(years: list[int], values: list[float], direction: str,
                        *, latest_provisional: bool = False) -> Assessment:
    """improving / little_change / worsening over the last `TREND_POINTS` points (sorted by
    year, no nulls), for an indicator without a documented target (indicators/METHOD.md)."""
    flags = "provisional" if latest_provisional else ""
    if not years:
        return Assessment("not_measured", "No data for this region.", flags=flags)
    ys, vs = years[-TREND_POINTS:], values[-TREND_POINTS:]
    common = {"latest_year": years[-1], "latest_value": values[-1], "n_points": len(years),
              "flags": flags, "trend": trend(years, values, direction),
              "base_year": ys[0], "base_value": vs[0]}
    if len(ys) < MIN_POINTS:
        return Assessment("cannot_assess", f"Only {len(ys)} data point(s); at least "
                          f"{MIN_POINTS} are needed for a direction of travel.", **common)
    elapsed = ys[-1] - ys[0]
    if min(vs[0], vs[-1]) > 0:
        method, rate = "cagr", cagr(vs[0], vs[-1], elapsed)
    else:  # a growth rate is undefined at zero or below: change per year relative to the mean
        mean = abs(sum(vs) / len(vs))
        method, rate = "linear", ((vs[-1] - vs[0]) / elapsed / mean) if mean else 0.0
    signed = -rate if direction == "lower_is_better" else rate
    status = ("improving" if signed >= DIRECTION_THRESHOLD else
              "worsening" if signed <= -DIRECTION_THRESHOLD else "little_change")
    better = "lower" if direction == "lower_is_better" else "higher"
    reason = (f"From {vs[0]:.4g} ({ys[0]}) to {vs[-1]:.4g} ({ys[-1]}): {method} rate "
              f"{rate:+.2%}/yr; {status.replace('_', ' ')} ({better} is better; threshold "
              f"{DIRECTION_THRESHOLD:.1%}/yr either way).")
    return Assessment(status, reason, observed_cagr=rate, rate_method=method, **common)


ASSESSMENT_SCHEMA = {
    "indicator_id": pl.String, "region_id": pl.String, "target_id": pl.String,
    "target_kind": pl.String, "target_order": pl.Int32, "status": pl.String, "base_year": pl.Int32,
    "base_value": pl.Float64, "latest_year": pl.Int32, "latest_value": pl.Float64,
    "target_value": pl.Float64, "target_year": pl.Int32, "observed_cagr": pl.Float64,
    "required_cagr": pl.Float64, "ratio": pl.Float64, "rate_method": pl.String,
    "trend": pl.String, "n_points": pl.Int32, "flags": pl.String, "reason": pl.String,
    "direction": pl.String,
}


def assess_all(catalogue: Catalogue, regions: Regions, values: pl.DataFrame) -> pl.DataFrame:
    """One row per indicator x region x applicable target (or one row without a target)."""
    # One sort and one group-by into plain lists: a frame operation per series is costly when
    # a national deployment has thousands of series.
    series = {(r["indicator_id"], r["region_id"]): r for r in (
        values.filter(pl.col("station_code").is_null() & pl.col("value").is_not_null())
        .sort(["indicator_id", "region_id", "year"])
        .group_by(["indicator_id", "region_id"], maintain_order=True)
        .agg("year", "value", "is_provisional", "low_coverage")
        .iter_rows(named=True))}
    rows = []
    for indicator in catalogue.indicators:
        for region in regions.regions:
            rows += _assess_region(indicator, region.id, series.get((indicator.id, region.id)))
    return pl.DataFrame(rows, schema=ASSESSMENT_SCHEMA)


def _fields(result) -> dict:
    # A shallow field copy: dataclasses.asdict deep-copies every value (a third of the time).
    return {f.name: getattr(result, f.name) for f in fields(result)}


def _assess_region(indicator: Indicator, region_id: str, series: dict | None) -> list[dict]:
    years = series["year"] if series is not None else []
    vals = series["value"] if series is not None else []
    options = {}
    if series is not None:
        options = {"latest_provisional": bool(series["is_provisional"][-1]),
                   "low_coverage": bool(series["low_coverage"][-1])}
    base = {"indicator_id": indicator.id, "region_id": region_id, "direction": indicator.direction}
    targets = [t for t in indicator.targets if t.assesses(region_id)]
    if indicator.context_only:
        status = "context" if years else "not_measured"
        reason = "Context indicator: shown, not assessed." if years else "No data for this region."
        return [{**base, "target_id": None, "target_kind": None, "target_order": 0, "status": status,
                 "reason": reason, "latest_year": years[-1] if years else None,
                 "latest_value": vals[-1] if vals else None, "n_points": len(years),
                 "trend": trend(years, vals, indicator.direction) if years else None,
                 "flags": ""}]
    if not targets:  # no documented target: the direction of travel, never an invented target
        result = direction_of_travel(years, vals, indicator.direction,
                                     latest_provisional=options.get("latest_provisional", False))
        return [{**base, "target_id": None, "target_kind": DIRECTION_KIND, "target_order": 0,
                 **_fields(result)}]
    out = []
    for order, target in enumerate(targets):
        result = assess_series(years, vals, indicator.direction, target, **options)
        out.append({**base, "target_id": target.id, "target_kind": target.kind,
                    "target_order": order, **_fields(result)})
    return out


