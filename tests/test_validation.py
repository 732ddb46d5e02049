"""The GX runner: a fast pass for the verdict, a full pass for the details of a failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from factories import AIR_QUALITY_HOURLY

from transforms.air_quality import air_quality_rules
from transforms.validation import _frames_for_gx, unique_rows_when_sorted, validate_frame


def hourly(n: int, station=lambda i: "NL49551", value=lambda i: 20.0) -> pl.DataFrame:
    base = datetime(2024, 3, 1, tzinfo=UTC)
    return AIR_QUALITY_HOURLY.conform(pl.DataFrame({
        "station_code": [station(i) for i in range(n)], "component": ["NO2"] * n,
        "measured_at": [base + timedelta(hours=i) for i in range(n)],
        "value_ugm3": [value(i) for i in range(n)], "source": ["luchtmeetnet_api"] * n}))


def test_a_pass_lists_every_rule_in_suite_order_with_zero_unexpected_rows():
    result = validate_frame(AIR_QUALITY_HOURLY, hourly(500), air_quality_rules())
    assert result.success and result.row_count == 500
    assert [e.expectation for e in result.expectations] == [
        "expect_table_columns_to_match_set", *["expect_column_values_to_not_be_null"] * 4,
        "expect_compound_columns_to_be_unique", "expect_column_values_to_be_in_set",
        "expect_column_values_to_match_regex", "expect_column_values_to_be_between"]
    counts = [e.unexpected_count for e in result.expectations]
    assert counts[0] is None and counts[1:] == [0] * 8  # a table-level rule has no row count


def test_a_value_rule_checked_on_distinct_values_still_reports_rows_when_it_fails():
    # 500 rows, three of them with the same bad code: one distinct value fails the fast pass,
    # and the stored failure counts rows with examples, as a full validation does.
    frame = hourly(500, station=lambda i: "XX123" if i in (7, 8, 9) else "NL49551")
    result = validate_frame(AIR_QUALITY_HOURLY, frame, air_quality_rules())
    assert not result.success
    [failed] = result.failed
    assert failed.expectation == "expect_column_values_to_match_regex"
    assert failed.unexpected_count == 3 and list(failed.unexpected_examples) == ["XX123"] * 3


def test_a_row_rule_failure_keeps_its_count_and_example():
    frame = hourly(500, value=lambda i: 1e6 if i == 42 else 20.0)
    result = validate_frame(AIR_QUALITY_HOURLY, frame, air_quality_rules())
    [failed] = result.failed
    assert failed.column == "value_ugm3" and failed.unexpected_count == 1
    assert list(failed.unexpected_examples) == [1e6]


def test_duplicate_keys_fail_even_with_categorical_columns():
    frame = hourly(300)
    result = validate_frame(AIR_QUALITY_HOURLY, pl.concat([frame, frame.head(2)]),
                            air_quality_rules())
    assert [e.expectation for e in result.failed] == ["expect_compound_columns_to_be_unique"]
    assert result.failed[0].unexpected_count == 4  # both copies of the two repeated keys


def test_key_text_goes_to_gx_as_categoricals_and_text_other_row_rules_read_stays_text():
    frame = hourly(400, station=lambda i: f"NL{i % 7:05d}")
    rows, _ = _frames_for_gx(frame, ["station_code", "component", "measured_at", "source"], {},
                             {"station_code", "component"})
    assert list(rows.columns) == ["station_code", "component", "measured_at", "source"]
    assert str(rows.dtypes["station_code"]) == "category"
    assert rows["station_code"].tolist() == frame["station_code"].to_list()
    assert str(rows.dtypes["measured_at"]) == "datetime64[us, UTC]"
    assert rows["source"].tolist() == ["luchtmeetnet_api"] * 400


def test_text_codes_follow_the_text_order_and_code_a_null_as_missing():
    from transforms.validation import text_codes

    # ids already assigned elsewhere in the process must not decide the order
    pl.Series(["zz", "NL2", "b"]).cast(pl.Categorical)
    codes, texts = text_codes(pl.Series(["NL3", None, "NL1", "NL3", "NL2", None]))
    assert codes.tolist() == [2, -1, 0, 2, 1, -1]
    assert texts.to_list() == ["NL1", "NL2", "NL3", None]
    # a column in long runs (as parsers deliver keys) is coded run by run, to the same codes
    runs = pl.Series(["NL3"] * 300 + [None] * 200 + ["NL1"] * 250 + ["NL2"] * 250)
    codes, texts = text_codes(runs)
    assert codes.tolist() == [2] * 300 + [-1] * 200 + [0] * 250 + [1] * 250
    assert texts.to_list() == ["NL1", "NL2", "NL3", None]


def test_an_empty_frame_passes():
    assert validate_frame(AIR_QUALITY_HOURLY, AIR_QUALITY_HOURLY.empty(), air_quality_rules()).success


def _key_frame(rows):
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["station_code", "component", "measured_at"])
    frame["measured_at"] = pd.to_datetime(frame["measured_at"], utc=True)
    frame["component"] = frame["component"].astype("category")
    return frame


@pytest.mark.parametrize("rows", [
    # sorted by the key: the repeated key is two neighbours
    [("A", "NO2", "2024-01-01 00:00"), ("A", "NO2", "2024-01-01 01:00"),
     ("A", "NO2", "2024-01-01 01:00"), ("B", "NO2", "2024-01-01 00:00")],
    # sorted by component first (per-component files one after the other)
    [("A", "NO2", "2024-01-01 00:00"), ("B", "NO2", "2024-01-01 00:00"),
     ("B", "NO2", "2024-01-01 00:00"), ("A", "PM10", "2024-01-01 00:00")],
    # not sorted at all: the hash-based answer
    [("B", "NO2", "2024-01-01 00:00"), ("A", "NO2", "2024-01-01 01:00"),
     ("B", "NO2", "2024-01-01 00:00"), ("A", "PM10", "2024-01-01 00:00")],
])
def test_the_linear_key_check_agrees_with_pandas_duplicated(rows):
    frame = _key_frame(rows)
    expected = ~frame.duplicated(keep=False)
    assert unique_rows_when_sorted(frame).tolist() == expected.tolist()
    assert (~expected).sum() == 2


def test_the_linear_key_check_agrees_on_random_frames():
    import numpy as np

    rng = np.random.default_rng(7)
    for trial in range(40):
        n = int(rng.integers(2, 60))
        rows = [(f"S{rng.integers(3)}", ["NO2", "PM10"][rng.integers(2)],
                 f"2024-01-01 {rng.integers(4):02d}:00") for _ in range(n)]
        frame = _key_frame(rows)
        if trial % 2:  # half of them sorted, as parsers deliver them
            frame = frame.sort_values(list(frame.columns), ignore_index=True)
        assert unique_rows_when_sorted(frame).tolist() == (~frame.duplicated(keep=False)).tolist()


def test_the_fast_pass_reports_the_suites_own_rule_names():
    frame = hourly(50)
    result = validate_frame(AIR_QUALITY_HOURLY, frame, air_quality_rules())
    assert "expect_compound_columns_to_be_unique" in [e.expectation for e in result.expectations]
    assert not any("when_sorted" in e.expectation for e in result.expectations)


def _random_air_frame(rng, n: int) -> pl.DataFrame:
    """Rows with, now and then, every fault a rule looks for: nulls, a bad code or component,
    NaN and out-of-range values, repeated keys."""
    def pick(options, p_none=0.0):
        return [None if rng.random() < p_none else options[rng.integers(len(options))]
                for _ in range(n)]

    base = datetime(2024, 3, 1, tzinfo=UTC)
    faulty = rng.random() < 0.7  # some frames are clean, so passes are compared too
    p = 0.03 if faulty else 0.0
    return AIR_QUALITY_HOURLY.conform(pl.DataFrame({
        "station_code": pick(["NL49551", "NL10404"] + (["XX123"] if faulty else []), p),
        "component": pick(["NO2", "PM10"] + (["CO"] if faulty else []), p),
        "measured_at": [base + timedelta(hours=int(h)) for h in rng.permutation(n * 4)[:n]]
        if not faulty else [None if rng.random() < p else base + timedelta(hours=int(h))
                            for h in rng.integers(0, n, n)],
        "value_ugm3": [float("nan") if faulty and rng.random() < p else
                       None if rng.random() < 0.1 else float(rng.uniform(-5, 1100 if faulty
                                                                         else 900))
                       for _ in range(n)],
        "source": pick(["luchtmeetnet_api"], p)}, strict=False))


def _random_stat_frame(rng, n: int) -> pl.DataFrame:
    from factories import EMPLOYMENT

    p = 0.05 if rng.random() < 0.7 else 0.0
    values = [None if rng.random() < 0.2 else float(rng.uniform(0, 100)) for _ in range(n)]
    return EMPLOYMENT.conform(pl.DataFrame({
        "region_code": [["GM0453", "NL01", "XX1"][rng.integers(3 if p else 2)] for _ in range(n)],
        "entity": [""] * n, "measure": [f"m{i}" for i in range(n)],
        "period": [["2023", "2024-Q1", "24"][rng.integers(3 if p else 2)] for _ in range(n)],
        "year": [int(rng.integers(1980 if p else 1990, 2030)) for _ in range(n)],
        "value": values, "unit": ["%"] * n, "is_provisional": [False] * n,
        "missing_reason": [None if (v is not None or rng.random() < p) else "Missing"
                           for v in values],
        "source": ["cbs_statline"] * n, "source_table": ["85x"] * n}, strict=False))


def test_the_fast_pass_never_passes_what_a_full_validation_fails():
    # The fast pass decides value rules on witness values, the key on codes and the not-null
    # rules together; whatever the frame, it must agree with GX on the whole frame.
    import numpy as np
    from factories import EMPLOYMENT

    from transforms.stat_rules import common_stat_rules
    from transforms.validation import _run, fast_verdicts, schema_expectations

    rng = np.random.default_rng(11)
    failures_seen = set()
    for trial in range(24):
        if trial % 3 == 2:
            schema, frame, rules = EMPLOYMENT, _random_stat_frame(rng, 40), common_stat_rules()
        elif trial % 3 == 1:  # sorted by key, as parsers deliver it: key text in long runs
            frame = _random_air_frame(rng, 1500).sort(["station_code", "component",
                                                       "measured_at"], nulls_last=True)
            schema, rules = AIR_QUALITY_HOURLY, air_quality_rules()
        else:
            schema, frame, rules = (AIR_QUALITY_HOURLY, _random_air_frame(rng, 60),
                                    air_quality_rules())
        expectations = [*schema_expectations(schema), *rules]
        fast = [r.success for r in fast_verdicts(expectations, frame)]
        full = [r.success for r in _run(expectations, frame.to_pandas(), "SUMMARY")]
        # the fast pass never passes a rule GX fails on the whole frame, and passes them all
        # exactly when GX does (only then are its verdicts stored; otherwise the full run's)
        assert all(f <= g for f, g in zip(fast, full, strict=True)), (trial, fast, full)
        assert all(fast) == all(full), (trial, fast, full)
        failures_seen.update(e.expectation_type
                             for e, ok in zip(expectations, full, strict=True) if not ok)
    # the comparison covered failing verdicts of every kind of rule, not only passes
    assert {"expect_column_values_to_not_be_null", "expect_compound_columns_to_be_unique",
            "expect_column_values_to_be_in_set", "expect_column_values_to_match_regex",
            "expect_column_values_to_be_between"} <= failures_seen


def test_no_rule_regex_has_a_capturing_group():
    """GX matches a regex rule with pandas' str.contains, which warns ("has match groups")
    for every capturing group, on every validation of every statistical family: the rules'
    patterns group without capturing, (?:...)."""
    import re

    from families.registry import FAMILIES

    patterns = {(family.name, rule.column): rule.regex for family in FAMILIES
                for rule in family.rules() if hasattr(rule, "regex")}
    assert len({name for name, _ in patterns}) >= 5  # the statistical families are read
    capturing = {key: regex for key, regex in patterns.items() if re.compile(regex).groups}
    assert capturing == {}
