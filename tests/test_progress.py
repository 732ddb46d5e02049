"""The progress method, with hand-computed cases for every status and edge rule, and
property tests for the growth-rate arithmetic."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.catalogue import Target
from indicators.progress import (
    STATUSES,
    assess_series,
    cagr,
    direction_of_travel,
    status_for_ratio,
    trend,
)

LABEL = {"nl": "doel", "en": "target"}
# What every catalogue target must name besides its document: where to read it, its scope.
SOURCE = {"url": "https://example.org/doc", "scope": {"nl": "reikwijdte", "en": "scope"}}


def trajectory(value: float, base: int = 2015, year: int = 2030, **kw) -> Target:
    return Target(id="t", kind="trajectory", value=value, baseline_year=base, target_year=year,
                  label=LABEL, document="doc", **SOURCE, **kw)


def threshold(value: float) -> Target:
    return Target(id="w", kind="threshold", value=value, label=LABEL, document="doc", **SOURCE)


def test_on_track():
    # base 100 (2015) -> target 50 by 2030: required cagr = 0.5**(1/15) - 1 = -0.04516
    # latest 80 in 2020: observed = 0.8**(1/5) - 1 = -0.04365; ratio = 0.9666 >= 0.95
    a = assess_series([2015, 2018, 2020], [100, 90, 80], "lower_is_better", trajectory(50))
    assert a.status == "on_track"
    assert a.required_cagr == pytest.approx(0.5 ** (1 / 15) - 1)
    assert a.observed_cagr == pytest.approx(0.8 ** (1 / 5) - 1)
    assert a.ratio == pytest.approx(0.9666, abs=1e-4)


def test_acceleration_needed():
    # latest 88 in 2020: observed = 0.88**0.2 - 1 = -0.02525; ratio = 0.559 -> limited? no:
    # choose 85: observed = 0.85**0.2 - 1 = -0.03197; ratio = 0.708 -> acceleration needed
    a = assess_series([2015, 2018, 2020], [100, 92, 85], "lower_is_better", trajectory(50))
    assert a.status == "acceleration_needed" and a.ratio == pytest.approx(0.708, abs=1e-3)


def test_limited_progress():
    # latest 95: observed = 0.95**0.2 - 1 = -0.01021; ratio = 0.226
    a = assess_series([2015, 2018, 2020], [100, 97, 95], "lower_is_better", trajectory(50))
    assert a.status == "limited_progress" and a.ratio == pytest.approx(0.226, abs=1e-3)


def test_moving_away():
    a = assess_series([2015, 2018, 2020], [100, 104, 110], "lower_is_better", trajectory(50))
    assert a.status == "moving_away" and a.ratio < 0


def test_achieved_and_higher_is_better():
    a = assess_series([2015, 2018, 2020], [60, 66, 73], "higher_is_better", trajectory(72))
    assert a.status == "achieved"
    # 60 -> 66 (2018), target 72 by 2030: required = 1.2**(1/15) - 1 = 0.01223,
    # observed = 1.1**(1/3) - 1 = 0.03228: ratio 2.64 -> on track
    b = assess_series([2015, 2016, 2018], [60, 62, 66], "higher_is_better", trajectory(72))
    assert b.status == "on_track" and b.ratio == pytest.approx(2.64, abs=0.01)


def test_too_few_points_cannot_be_assessed():
    a = assess_series([2015, 2020], [100, 80], "lower_is_better", trajectory(50))
    assert a.status == "cannot_assess" and "at least 3" in a.reason


def test_missing_base_year_uses_the_nearest_later_year_within_two():
    a = assess_series([2017, 2018, 2020], [100, 95, 90], "lower_is_better", trajectory(50))
    assert a.base_year == 2017
    b = assess_series([2018, 2019, 2020], [100, 95, 90], "lower_is_better", trajectory(50))
    assert b.status == "cannot_assess" and "base year" in b.reason


def test_zero_or_negative_values_use_the_linear_rule():
    # base 0 -> target 10 by 2030 (+0.667/yr needed); 0 -> 2 by 2020 (+0.4/yr): ratio 0.6
    a = assess_series([2015, 2018, 2020], [0, 1, 2], "higher_is_better", trajectory(10))
    assert a.rate_method == "linear" and a.ratio == pytest.approx(0.6)
    assert a.status == "acceleration_needed"


def test_relative_target_from_the_base_value():
    t = Target(id="k", kind="trajectory", value_change_pct=-55, baseline_year=1990,
               baseline_from_year=2010, target_year=2030, label=LABEL, document="doc", **SOURCE)
    a = assess_series([2010, 2015, 2020], [200, 180, 160], "lower_is_better", t)
    assert a.target_value == pytest.approx(90) and a.base_year == 2010


def test_threshold_met_not_met_and_trend():
    met = assess_series([2020, 2021, 2022], [30, 25, 14], "lower_is_better", threshold(15))
    assert met.status == "met" and met.trend == "improving"
    not_met = assess_series([2020, 2021, 2022], [14, 16, 18], "lower_is_better", threshold(15))
    assert not_met.status == "not_met" and not_met.trend == "worsening"
    short = assess_series([2022], [14], "lower_is_better", threshold(15))
    assert short.status == "met" and short.trend is None


def test_flags_and_no_data():
    a = assess_series([2020, 2021, 2022], [20, 19, 18], "lower_is_better", threshold(15),
                      latest_provisional=True, series_break=True)
    assert a.flags == "provisional,series_break"
    assert assess_series([], [], "lower_is_better", threshold(15)).status == "not_measured"


def test_stable_trend_within_tolerance():
    assert trend([2020, 2021, 2022], [100, 100.2, 100.1], "lower_is_better") == "stable"


def test_status_boundaries():
    assert [status_for_ratio(r) for r in (0.95, 0.9499, 0.6, 0.5999, 0.0, -0.01)] == [
        "on_track", "acceleration_needed", "acceleration_needed", "limited_progress",
        "limited_progress", "moving_away"]
    assert set(STATUSES) >= {"on_track", "met", "not_measured", "context"}


positive = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(start=positive, end=positive, years=st.integers(min_value=1, max_value=60))
def test_cagr_round_trip(start, end, years):
    rate = cagr(start, end, years)
    assert start * (1 + rate) ** years == pytest.approx(end, rel=1e-6)  # float error at 1e8 ratios


@given(start=positive, end=positive, years=st.integers(min_value=1, max_value=60))
def test_cagr_sign_follows_the_change(start, end, years):
    rate = cagr(start, end, years)
    if end > start:
        assert rate > 0
    elif end < start:
        assert rate < 0
    else:
        assert rate == 0


@given(base=positive, a=positive, b=positive)
def test_more_progress_never_lowers_the_ratio(base, a, b):
    lo, hi = sorted((a, b))
    target = trajectory(base * 2)  # higher is better, doubling by 2030
    years = [2015, 2016, 2020]
    ra = assess_series(years, [base, base, lo], "higher_is_better", target)
    rb = assess_series(years, [base, base, hi], "higher_is_better", target)
    if ra.ratio is not None and rb.ratio is not None and math.isfinite(ra.ratio):
        assert rb.ratio >= ra.ratio - 1e-9


def test_the_worked_example_in_method_md():
    # indicators/METHOD.md: 2,460 MW (2020) -> 4,748 MW (2024), 21,000 MW by 2032.
    a = assess_series([2020, 2022, 2024], [2460, 2570, 4748], "higher_is_better",
                      trajectory(21000, base=2020, year=2032))
    assert a.status == "acceleration_needed"
    assert a.ratio == pytest.approx(0.913, abs=1e-3)


# -- direction of travel (no documented target) ------------------------------------------------

def method_examples() -> list[dict]:
    """The worked examples in indicators/METHOD.md, read from their fenced table."""
    text = (Path(__file__).parents[1] / "indicators" / "METHOD.md").read_text(encoding="utf-8")
    block = text.split("```direction-of-travel-examples\n", 1)[1].split("```", 1)[0]
    header, *rows = [[c.strip() for c in line.split("|")] for line in block.strip().splitlines()]
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_method_examples_are_recomputed():
    examples = method_examples()
    assert len(examples) >= 5
    for ex in examples:
        years = [int(y) for y in ex["years"].split()]
        values = [float(v) for v in ex["values"].split()]
        a = direction_of_travel(years, values, ex["direction"])
        assert a.status == ex["status"], ex
        if ex["rate"] == "none":
            assert a.observed_cagr is None
        else:
            assert a.observed_cagr == pytest.approx(float(ex["rate"]), abs=5e-5), ex


def test_direction_uses_the_last_five_points_only():
    # 2015 value 1.0 would make the rate huge; the window starts at 2016 (10 -> 10.4 over 4y)
    years, values = [2015, 2016, 2017, 2018, 2019, 2020], [1.0, 10.0, 10.1, 10.2, 10.3, 10.4]
    a = direction_of_travel(years, values, "higher_is_better")
    assert a.base_year == 2016 and a.observed_cagr == pytest.approx(1.04 ** 0.25 - 1)
    assert a.status == "improving" and a.n_points == 6


def test_direction_threshold_edges():
    # +0.5%/yr over 2 years is 100 -> 100.5025: just above is improving, just below is not
    up = 100 * 1.005 ** 2
    assert direction_of_travel([2020, 2021, 2022], [100, 100, up + 0.01],
                               "higher_is_better").status == "improving"
    assert direction_of_travel([2020, 2021, 2022], [100, 100, up - 0.01],
                               "higher_is_better").status == "little_change"
    # the same fall is worsening when higher is better and improving when lower is
    down = [100, 99, 98]
    assert direction_of_travel([2020, 2021, 2022], down, "higher_is_better").status == "worsening"
    assert direction_of_travel([2020, 2021, 2022], down, "lower_is_better").status == "improving"


def test_direction_edge_cases():
    assert direction_of_travel([], [], "higher_is_better").status == "not_measured"
    assert direction_of_travel([2020, 2021, 2022], [0, 0, 0], "higher_is_better").status \
        == "little_change"
    negative = direction_of_travel([2020, 2021, 2022], [-4, -3, -2], "higher_is_better")
    assert negative.rate_method == "linear" and negative.status == "improving"
    # -4 -> -2 over 2 years, |mean| 3: +1/yr / 3 = +0.333
    assert negative.observed_cagr == pytest.approx(1 / 3)
    flagged = direction_of_travel([2020, 2021, 2022], [1, 2, 3], "higher_is_better",
                                  latest_provisional=True)
    assert flagged.flags == "provisional"


def test_every_indicator_without_target_gets_a_direction_status():
    from indicators.catalogue import load_catalogue, load_regions
    from indicators.progress import assess_all

    catalogue, regions = load_catalogue(), load_regions()
    untargeted = next(i for i in catalogue.indicators if not i.targets and not i.context_only)
    values = pl.DataFrame({
        "indicator_id": [untargeted.id] * 3, "region_id": ["ijmond"] * 3,
        "station_code": [None] * 3, "year": [2020, 2021, 2022], "value": [1.0, 2.0, 3.0],
        "is_provisional": [False] * 3, "low_coverage": [False] * 3})
    out = assess_all(catalogue, regions, values).filter(
        (pl.col("indicator_id") == untargeted.id) & (pl.col("region_id") == "ijmond"))
    assert out["target_kind"].to_list() == ["direction_of_travel"]
    expected = "improving" if untargeted.direction == "higher_is_better" else "worsening"
    assert out["status"].to_list() == [expected] and out["target_id"].to_list() == [None]


def test_no_target_without_a_document():
    from indicators.catalogue import load_catalogue

    for indicator in load_catalogue().indicators:
        for target in indicator.targets:
            assert target.document.strip() and "illustrat" not in target.document.lower()
    participation = load_catalogue().get("net_labour_participation")
    assert participation.targets == []
