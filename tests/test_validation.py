"""The GX runner: a fast pass for the verdict, a full pass for the details of a failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from transforms.air_quality import air_quality_rules
from transforms.validation import _frames_for_gx, unique_rows_when_sorted, validate_frame
from warehouse.schema import AIR_QUALITY_HOURLY


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


def test_only_low_cardinality_text_becomes_categorical():
    frame = hourly(400, station=lambda i: f"NL{i:05d}")  # every station code distinct
    dtypes = _frames_for_gx(frame)[0].dtypes
    assert str(dtypes["component"]) == "category" and str(dtypes["source"]) == "category"
    assert str(dtypes["station_code"]) != "category"
    assert str(dtypes["value_ugm3"]) == "float64"


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
