"""Progress against targets: the documented method (indicators/METHOD.md).

Trajectory targets: the ratio of the observed compound annual growth rate since the base
year to the rate required to reach the target by the target year (Eurostat / Open SDG).
Threshold targets (limit values): met / not met on the latest year, plus the trend.
No documented target: a direction-of-travel status (improving / little change / worsening)
from the growth rate over the last points, with Open SDG's growth-rate threshold.
Every edge case is a named rule, and every input of a status is returned with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

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


# One encoder for every reason: `json.dumps` with options builds a new one per call.
_REASON_JSON = json.JSONEncoder(separators=(",", ":"), sort_keys=True)


def reason(code: str, **params) -> str:
    """A stored reason: a code and the numbers behind it, as JSON (never a sentence), so the
    report composes the explanation in each language from what was stored."""
    return _REASON_JSON.encode({"code": code, **params})


def parse_reason(stored: str | None) -> dict | None:
    """The code and parameters of a stored reason; None when absent or not a stored code
    (an edition written before reasons were codes held an English sentence)."""
    try:
        found = json.loads(stored) if stored else None
    except ValueError:
        return None
    return found if isinstance(found, dict) and "code" in found else None


@dataclass
class Assessment:
    status: str
    reason: str  # a code with its parameters (`reason(...)`), rendered per language
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


def rate_method(*values: float) -> str:
    """Growth rates need positive values; otherwise linear rates are compared."""
    return "cagr" if min(values) > 0 else "linear"


def required_path(base_year: int, base_value: float, target_year: int, target_value: float,
                  method: str | None = None, *, pace: float = 1.0) -> list[tuple[int, float]]:
    """The path the status is measured against, one point per year from the base year to the
    target year: compound growth at the required rate (`cagr`), or a straight line where
    growth rates are undefined (`linear`). `pace` scales the rate: `ON_TRACK_RATIO` gives the
    boundary of "on track" (a latest value on the target's side of it is on track)."""
    method = method or rate_method(base_value, target_value)
    horizon = target_year - base_year
    points = []
    for year in range(base_year, target_year + 1):
        t = year - base_year
        if method == "cagr":
            value = base_value * (1 + pace * cagr(base_value, target_value, horizon)) ** t
        else:
            value = base_value + pace * (target_value - base_value) / horizon * t
        points.append((year, value))
    return points


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
        return Assessment("not_measured", reason("no_data"), flags=flags)
    common = {"latest_year": years[-1], "latest_value": values[-1], "n_points": len(years),
              "flags": flags, "trend": trend(years, values, direction)}
    if target.kind == "threshold":
        return _threshold(values[-1], direction, target, common)
    return _trajectory(years, values, direction, target, common)


def _threshold(latest: float, direction: str, target: Target, common: dict) -> Assessment:
    met = reached(latest, target.value, direction)
    why = reason("threshold", met=met, latest=latest, year=common["latest_year"],
                 limit=target.value, direction=direction)
    return Assessment("met" if met else "not_met", why, target_value=target.value, **common)


def _trajectory(years, values, direction, target: Target, common: dict) -> Assessment:
    if len(years) < MIN_POINTS:
        return Assessment("cannot_assess", reason("too_few_points", n=len(years), min=MIN_POINTS),
                          target_year=target.target_year, **common)
    start = target.baseline_from_year or target.baseline_year
    base = next(((y, v) for y, v in zip(years, values, strict=True)
                 if start <= y <= start + BASE_YEAR_SEARCH), None)
    if base is None:
        return Assessment("cannot_assess", reason("no_base_value", start=start,
                                                  search=BASE_YEAR_SEARCH),
                          target_year=target.target_year, **common)
    base_year, base_value = base
    goal = target.value if target.value is not None else \
        base_value * (1 + target.value_change_pct / 100)
    known = {"base_year": base_year, "base_value": base_value, "target_value": goal,
             "target_year": target.target_year, **common}
    latest_year, latest = years[-1], values[-1]
    if reached(latest, goal, direction):
        return Assessment("achieved", reason("achieved", latest=latest, year=latest_year,
                                             target=goal), **known)
    if latest_year <= base_year:
        return Assessment("cannot_assess", reason("no_value_after_base", base_year=base_year),
                          **known)
    return _ratio_assessment(base_year, base_value, latest_year, latest, goal, target, known)


def _ratio_assessment(base_year, base_value, latest_year, latest, goal, target, known) -> Assessment:
    elapsed, horizon = latest_year - base_year, target.target_year - base_year
    method = rate_method(base_value, latest, goal)
    if method == "cagr":
        observed, required = cagr(base_value, latest, elapsed), cagr(base_value, goal, horizon)
    else:  # growth rates are undefined at zero or below: compare linear rates instead
        observed, required = (latest - base_value) / elapsed, (goal - base_value) / horizon
    if required == 0:
        return Assessment("cannot_assess", reason("target_equals_base"), **known)
    ratio = observed / required
    why = reason("pace", method=method, base=base_value, base_year=base_year, latest=latest,
                 year=latest_year, observed=observed, required=required, target=goal,
                 target_year=target.target_year, ratio=ratio)
    return Assessment(status_for_ratio(ratio), why, observed_cagr=observed,
                      required_cagr=required, ratio=ratio, rate_method=method, **known)


def direction_of_travel(years: list[int], values: list[float], direction: str,
                        *, latest_provisional: bool = False) -> Assessment:
    """improving / little_change / worsening over the last `TREND_POINTS` points (sorted by
    year, no nulls), for an indicator without a documented target (indicators/METHOD.md)."""
    flags = "provisional" if latest_provisional else ""
    if not years:
        return Assessment("not_measured", reason("no_data"), flags=flags)
    ys, vs = years[-TREND_POINTS:], values[-TREND_POINTS:]
    common = {"latest_year": years[-1], "latest_value": values[-1], "n_points": len(years),
              "flags": flags, "trend": trend(years, values, direction),
              "base_year": ys[0], "base_value": vs[0]}
    if len(ys) < MIN_POINTS:
        return Assessment("cannot_assess", reason("too_few_points", n=len(ys), min=MIN_POINTS),
                          **common)
    elapsed = ys[-1] - ys[0]
    if min(vs[0], vs[-1]) > 0:
        method, rate = "cagr", cagr(vs[0], vs[-1], elapsed)
    else:  # a growth rate is undefined at zero or below: change per year relative to the mean
        mean = abs(sum(vs) / len(vs))
        method, rate = "linear", ((vs[-1] - vs[0]) / elapsed / mean) if mean else 0.0
    signed = -rate if direction == "lower_is_better" else rate
    status = ("improving" if signed >= DIRECTION_THRESHOLD else
              "worsening" if signed <= -DIRECTION_THRESHOLD else "little_change")
    why = reason("direction", method=method, base=vs[0], base_year=ys[0], latest=vs[-1],
                 year=ys[-1], observed=rate, threshold=DIRECTION_THRESHOLD, direction=direction)
    return Assessment(status, why, observed_cagr=rate, rate_method=method, **common)


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


def _fields(result: Assessment) -> dict:
    # A shallow field copy: dataclasses.asdict deep-copies every value (a third of the time),
    # and even `fields()` per call was a sixth of it at national size; a plain (unslotted)
    # dataclass keeps exactly its fields in its __dict__.
    return dict(vars(result))


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
        why = reason("context_only" if years else "no_data")
        return [{**base, "target_id": None, "target_kind": None, "target_order": 0, "status": status,
                 "reason": why, "latest_year": years[-1] if years else None,
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


