"""A statistical family's assets through Dagster (`dg.materialize` on a temporary warehouse):
the clean asset validates before it writes and its check blocks what depends on it; the
indicator assets compute from the clean table; the report asset refuses to publish while a
table's latest validation failed, keeping the previous edition."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import dagster as dg
import great_expectations as gx
import pytest

from families import employment
from orchestration.assets.indicators import indicator_assets
from orchestration.assets.report import report_edition
from orchestration.assets.statistics import clean_family_asset, raw_feed_asset
from orchestration.resources import SiteResource, SourcesResource, WarehouseResource
from sources.generators.statline import statline_generator
from sources.snapshot import ensure_generated

FAMILY = employment.FAMILY
(FEED,) = FAMILY.feeds


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return ensure_generated(tmp_path_factory.mktemp("generated"),
                            [statline_generator(employment.CBS_TABLES)])


@pytest.fixture
def resources(tmp_path, generated) -> dict:
    return {"sources": SourcesResource(mode="snapshot", generated_dir=str(generated)),
            "warehouse": WarehouseResource(path=str(tmp_path / "wh.duckdb")),
            "site": SiteResource(path=str(tmp_path / "site"), pdf=False)}


def rows(resources: dict, table: str) -> int:
    return resources["warehouse"].warehouse().query(f"SELECT count(*) AS n FROM {table}")["n"][0]  # noqa: S608


def impossible_rules() -> list:
    """The family's rules plus one no real value passes (every rate is at least 0)."""
    return [*FAMILY.rules(), gx.expectations.ExpectColumnValuesToBeBetween(
        column="value", max_value=-1.0, mostly=1.0)]


def step_events(result, kind: str) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == kind}


def test_the_clean_asset_validates_writes_and_passes_its_blocking_check(resources):
    result = dg.materialize([raw_feed_asset(FAMILY, FEED), clean_family_asset(FAMILY)],
                            resources=resources)
    assert result.success
    (check,) = result.get_asset_check_evaluations()
    assert check.passed and check.check_name == "great_expectations_suite"
    assert rows(resources, FAMILY.table_name) > 0


def test_a_failed_check_blocks_downstream_and_keeps_the_previous_rows(resources):
    dg.materialize([raw_feed_asset(FAMILY, FEED), clean_family_asset(FAMILY)],
                   resources=resources)
    before = rows(resources, FAMILY.table_name)
    strict = replace(FAMILY, rules=impossible_rules)
    result = dg.materialize([clean_family_asset(strict), *indicator_assets],
                            selection=[FAMILY.table_name, "indicator_values"],
                            resources=resources, raise_on_error=False)
    assert not result.success
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert "indicator_values" not in step_events(result, "STEP_SUCCESS")  # blocked
    assert rows(resources, FAMILY.table_name) == before  # nothing replaced


def test_indicator_assets_compute_from_the_clean_table(resources):
    dg.materialize([raw_feed_asset(FAMILY, FEED), clean_family_asset(FAMILY)],
                   resources=resources)
    result = dg.materialize(indicator_assets, resources=resources)
    assert result.success
    values = resources["warehouse"].warehouse().query(
        "SELECT * FROM indicator_values WHERE indicator_id = 'unemployment'")
    assert values.height > 0 and values["value"].null_count() < values.height


def test_the_report_refuses_after_a_failed_validation_and_keeps_the_edition(resources):
    dg.materialize([raw_feed_asset(FAMILY, FEED), clean_family_asset(FAMILY)],
                   resources=resources)
    first = dg.materialize([*indicator_assets, report_edition], resources=resources)
    assert first.success
    site = Path(resources["site"].path)
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    strict = replace(FAMILY, rules=impossible_rules)
    dg.materialize([clean_family_asset(strict)], resources=resources, raise_on_error=False)
    refused = dg.materialize([report_edition], resources=resources, raise_on_error=False)
    assert not refused.success
    failure = next(e for e in refused.all_events if e.event_type_value == "STEP_FAILURE")
    assert FAMILY.table_name in str(failure.event_specific_data.error.message)
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("answer", ["no rows", "a third of the rows", "no rows, first fetch"])
def test_a_feed_answering_no_or_far_fewer_rows_fails_and_keeps_the_table(resources, answer,
                                                                        monkeypatch):
    """RELIABILITY.md case 4 ("200, no data", as a Klimaatmonitor level answering `value: []`):
    the feed's minimum (`Feed.min_rows`) and the family's `max_shrink` refuse the write."""
    first_fetch = answer == "no rows, first fetch"  # nothing stored yet: the minimum decides
    dg.materialize([raw_feed_asset(FAMILY, FEED)] if first_fetch else
                   [raw_feed_asset(FAMILY, FEED), clean_family_asset(FAMILY)],
                   resources=resources)
    before = resources["warehouse"].warehouse().checksums()[FAMILY.table_name]

    def cut(payloads):
        frame = FEED.parse(payloads)
        return frame.head(frame.height // 3 if answer == "a third of the rows" else 0)

    shrunk = replace(FAMILY, feeds=(replace(FEED, parse=cut),))
    # the same payloads as the stored write: without this the run would skip as unchanged
    monkeypatch.setattr("orchestration.assets.statistics.unchanged_events", lambda *a: None)
    result = dg.materialize([clean_family_asset(shrunk)], resources=resources,
                            raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    error = failure.event_specific_data.error
    while error.cause is not None:
        error = error.cause
    assert FAMILY.table_name in error.message and "--allow-shrink" in error.message
    if answer != "a third of the rows":
        assert f"feed {FEED.name} parsed to 0 row(s)" in error.message
    assert resources["warehouse"].warehouse().checksums()[FAMILY.table_name] == before
