"""Run health for monitoring staff: failed fetches and rejected deliveries named on every
page (banner) and listed on the data-quality and changes pages, failed expectations in words,
status history across editions, stable addresses for the newest edition's files."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser

import polars as pl
import pytest
from factories import make_inputs

from reports.contract import FETCH_FAILURE_SCHEMA, STATUS_HISTORY_SCHEMA
from reports.health import describe_expectation
from reports.writer import write_edition


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """What a reader sees (no scripts, no styles, no attributes), whitespace collapsed."""
    reader = _Text()
    reader.feed(page)
    return " ".join(" ".join(reader.parts).split())


@pytest.mark.parametrize(("lang", "expected"), [
    ("nl", "waarden buiten het bereik 0–1.000 µg/m³ in kolom value_ugm3"),
    ("en", "values outside the range 0–1,000 µg/m³ in column value_ugm3")])
def test_a_range_rule_reads_as_words_with_its_bounds_and_unit(lang, expected):
    stored = json.dumps({"column": "value_ugm3", "min_value": 0, "max_value": 1000})
    assert describe_expectation("expect_column_values_to_be_between", "value_ugm3", stored,
                                lang) == expected


def test_every_rule_the_suites_use_has_words_in_both_languages():
    import transforms.validation as validation
    from reports.health import RULE_WORDS

    source = open(validation.__file__, encoding="utf-8").read()
    used = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
            for name in re.findall(r"\bExpect([A-Z][A-Za-z]+)\(", source)}
    missing = {f"expect_{u}" for u in used} - set(RULE_WORDS)
    assert not missing, missing
    for key in ("expect_compound_columns_to_be_unique_when_sorted",
                "expect_column_values_to_match_regex"):
        nl = describe_expectation(key, "station_code", {"column_list": ["a", "b"],
                                                         "regex": "^NL"}, "nl")
        en = describe_expectation(key, "station_code", {"column_list": ["a", "b"],
                                                         "regex": "^NL"}, "en")
        assert nl != en and "expect_" not in nl + en


def _failed_fetch(source: str = "luchtmeetnet") -> pl.DataFrame:
    return pl.DataFrame([{"source": source, "title": None,
                          "asset": "raw_luchtmeetnet_measurements",
                          "failed_at": datetime(2026, 11, 23, 6, 20, tzinfo=UTC),
                          "error": "SourceUnavailable: luchtmeetnet answered 503 three times"}],
                        schema=FETCH_FAILURE_SCHEMA)


@pytest.fixture
def edition(tmp_path):
    inputs = replace(make_inputs(), fetch_failures=_failed_fetch())
    return write_edition(inputs, tmp_path, pdf=False).parent.parent


def test_a_failed_fetch_is_named_on_every_page_with_the_date_its_figures_are_from(edition):
    for lang, line in (("nl", "RIVM Luchtmeetnet kon niet worden ververst: de cijfers zijn "
                              "van 21 november 2026."),
                       ("en", "RIVM Luchtmeetnet could not be refreshed: its figures are from "
                              "21 November 2026.")):
        pages = list((edition / lang).rglob("*.html"))
        assert len(pages) > 10
        for page in pages:
            assert line in visible_text(page.read_text(encoding="utf-8")), page


def test_the_data_quality_page_lists_the_failed_fetch_and_the_failed_expectation_in_words(
        edition):
    text = visible_text((edition / "nl" / "data-quality.html").read_text(encoding="utf-8"))
    assert "ophalen mislukt" in text and "503 three times" in text
    assert "levering afgekeurd" in text and "2026-11-21" in text
    assert "waarden buiten het bereik 0–1.000 µg/m³ in kolom value_ugm3" in text
    assert "Luchtmetingen per uur (actueel)" in text  # the table in words
    assert "expect_column_values_to_be_between" not in text  # the rule's code: a tooltip only
    changes = visible_text((edition / "en" / "changes.html").read_text(encoding="utf-8"))
    assert "fetch failed" in changes and "delivery rejected" in changes


def test_a_healthy_edition_has_no_banner_and_says_everything_was_refreshed(tmp_path):
    inputs = make_inputs(demo_data=False)
    healthy = replace(inputs, validation=inputs.validation.with_columns(success=pl.lit(True)),
                      validation_failures=inputs.validation_failures.clear(),
                      sources=inputs.sources.with_columns(stale=pl.lit(False)))
    edition = write_edition(healthy, tmp_path, pdf=False).parent.parent
    overview = (edition / "nl" / "index.html").read_text(encoding="utf-8")
    assert "health-banner" not in overview
    quality = visible_text((edition / "nl" / "data-quality.html").read_text(encoding="utf-8"))
    assert "Alle bronnen zijn ververst en alle leveringen goedgekeurd." in quality


def test_stale_sources_get_the_banner_outside_demo_editions_only(tmp_path):
    inputs = make_inputs()
    live = write_edition(replace(inputs, demo_data=False), tmp_path / "live", pdf=False)
    demo = write_edition(inputs, tmp_path / "demo", pdf=False)
    assert "Cijfers voor CBS StatLine zijn van een onbekende datum" in \
        visible_text(live.read_text(encoding="utf-8"))
    assert "Cijfers voor CBS StatLine" not in visible_text(demo.read_text(encoding="utf-8"))


def _history(rows: list[tuple[str, int, str]]) -> pl.DataFrame:
    return pl.DataFrame([{"edition_id": e, "built_at": datetime(2026, 11, day, tzinfo=UTC),
                          "indicator_id": "co2", "region_id": "ijmond",
                          "target_id": "co2-2030", "status": s} for e, day, s in rows],
                        schema=STATUS_HISTORY_SCHEMA)


def test_status_history_says_since_which_edition_the_status_holds(tmp_path):
    inputs = make_inputs()
    now = inputs.assessments.filter((pl.col("indicator_id") == "co2")
                                    & (pl.col("region_id") == "ijmond"))
    current, target = now["status"][0], now["target_id"][0]
    assert target == "co2-2030"
    history = _history([("2026-11-02", 2, "moving_away"), ("2026-11-09", 9, current),
                        ("2026-11-16", 16, current)])
    page = write_edition(replace(inputs, status_history=history), tmp_path / "a", pdf=False)
    text = visible_text((page.parent / "indicator" / "co2.html").read_text(encoding="utf-8"))
    assert "sinds de editie van 9 november 2026" in text
    changed = _history([("2026-11-09", 9, current), ("2026-11-16", 16, "moving_away")])
    page = write_edition(replace(inputs, status_history=changed), tmp_path / "b", pdf=False)
    text = visible_text((page.parent / "indicator" / "co2.html").read_text(encoding="utf-8"))
    assert "nieuw in deze editie (was: beweegt van het doel af)" in text


def test_latest_holds_the_newest_editions_files_at_stable_addresses(tmp_path):
    write_edition(make_inputs(n_indicators=2), tmp_path, pdf=False)
    newer = make_inputs(n_indicators=3, edition_id="2026-11-30",
                        generated_at=datetime(2026, 11, 30, 7, tzinfo=UTC))
    write_edition(newer, tmp_path, pdf=False)
    latest = tmp_path / "latest"
    assert json.loads((latest / "edition.json").read_text())["edition_id"] == "2026-11-30"
    archived = tmp_path / "editions" / "2026-11-30" / "data"
    assert sorted(p.name for p in (latest / "data").iterdir()) == \
        sorted(p.name for p in archived.iterdir())
    assert (latest / "data" / "indicator_values.csv").read_bytes() == \
        (archived / "indicator_values.csv").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging-")]


def test_a_raw_asset_that_failed_after_its_last_materialisation_is_a_failed_fetch():
    import dagster as dg

    from orchestration.run_health import failed_fetches

    calls = {"fail": True}

    @dg.asset(name="raw_duo_mbo_students")
    def raw():
        if calls["fail"]:
            raise RuntimeError("duo answered 503 (url: https://example.invalid?apikey=s3cret)")

    instance = dg.DagsterInstance.ephemeral()
    assert failed_fetches(instance).height == 0
    dg.materialize([raw], instance=instance, raise_on_error=False)
    failed = failed_fetches(instance)
    assert failed["source"].to_list() == ["duo"]
    assert failed["title"][0] == "DUO open onderwijsdata (CKAN)"
    assert "503" in failed["error"][0]
    calls["fail"] = False
    dg.materialize([raw], instance=instance)
    assert failed_fetches(instance).height == 0  # fetched again since


def test_an_edition_is_named_by_its_day_in_words():
    from reports.history import edition_date

    assert edition_date("2026-11-09", "nl") == "9 november 2026"
    assert edition_date("2026-11-09-2", "en") == "9 November 2026"  # a second one that day
    assert edition_date("handmatig", "nl") == "handmatig"
