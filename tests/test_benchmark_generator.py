"""The benchmark's input generator: deterministic, and in formats the project's parsers accept.

Only the `small` size is generated here (a second or two); nothing is timed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from factories import AIR_QUALITY_HOURLY

from benchmarks.national import (
    SIZES,
    cbs_request_files,
    generate,
    municipality_codes,
    station_codes,
    station_levels,
    year_to_date_frame,
)
from benchmarks.run import derived, verdicts
from core.payload import Payload
from families import employment as employment_family
from indicators.catalogue import load_regions
from transforms.air_quality import (
    annual_means,
    parse_luchtmeetnet_measurements,
    parse_rivm_yearly_csv,
)

SMALL = SIZES["small"]


def _payload(path: Path, source: str = "bench", key: str = "k") -> Payload:
    return Payload(source=source, dataset="bench", request_key=key, url=path.as_uri(),
                   media_type="", body=path.read_bytes(), fetched_at=datetime.now(UTC))


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generate(SMALL, tmp_path_factory.mktemp("bench") / "input")


def test_same_size_writes_the_same_bytes(generated, tmp_path):
    again = generate(SMALL, tmp_path / "again")
    assert _digest(generated.root) == _digest(again.root)
    assert len(_digest(generated.root)) > 20


def test_identifiers_keep_project_codes_first_and_are_unique():
    stations, municipalities = station_codes(100), municipality_codes(342)
    assert stations[0] == "NL49551" and len(set(stations)) == 100
    assert all(len(s) == 7 and s.startswith("NL") for s in stations)
    assert municipalities[:2] == ["GM0453", "GM0375"] and len(set(municipalities)) == 342


def test_rivm_files_parse_to_every_station_hour_at_the_intended_levels(generated):
    assert len(generated.rivm_files) == len(SMALL.years) * len(SMALL.components)
    no2_2023 = next(p for p in generated.rivm_files if p.name.startswith("2023_NO2"))
    frame = parse_rivm_yearly_csv(_payload(no2_2023, "rivm_air_quality"))
    assert frame.height == 8760 * SMALL.stations
    assert sorted(frame["station_code"].unique()) == sorted(generated.stations)
    means = annual_means(frame).sort("station_code")
    levels = dict(zip(generated.stations, station_levels(generated.stations, "NO2", 2023),
                      strict=True))
    for row in means.iter_rows(named=True):
        assert row["year"] == 2023
        assert row["mean_ugm3"] == pytest.approx(levels[row["station_code"]], abs=0.06)


def test_refresh_day_pages_parse_to_one_utc_day(generated):
    pages = list((generated.root / "api.luchtmeetnet.nl").rglob("*.json"))
    assert len(pages) == generated.api_pages == SMALL.stations  # one page per station, all components
    frame = parse_luchtmeetnet_measurements([_payload(p, "luchtmeetnet") for p in pages])
    assert frame.height == 24 * len(pages) * len(SMALL.components)
    day = frame["measured_at"].dt.date().unique().to_list()
    assert day == [SMALL.refresh_day]


def test_year_to_date_rows_fit_the_hourly_schema_and_stop_before_the_refresh_day(generated):
    frame = year_to_date_frame(SMALL, generated.stations)
    AIR_QUALITY_HOURLY.conform(frame)
    hours = (SMALL.refresh_day - SMALL.refresh_day.replace(month=1, day=1)).days * 24
    assert frame.height == hours * SMALL.stations * len(SMALL.components)
    assert frame["measured_at"].max() < datetime.combine(SMALL.refresh_day, datetime.min.time(),
                                                         tzinfo=UTC)
    assert frame.select(pl.struct("station_code", "component", "measured_at").is_unique().all()
                        ).item()


def test_cbs_pages_parse_with_the_statline_feeds(generated):
    (employment,) = employment_family.FAMILY.feeds
    payloads = []
    for spec in employment_family.CBS_TABLES:  # listed and keyed as the benchmark reads them
        payloads += [_payload(path, key=key)
                     for key, path in cbs_request_files(generated.root, spec)]
    frame = employment.parse(payloads)
    measures = sum(len(s.derived or s.measures) for s in employment_family.CBS_TABLES)
    years = len(SMALL.stat_years) + 1  # plus the newest period, published empty
    assert frame.height == measures * (SMALL.municipalities + 1) * years
    assert set(frame["region_code"]) == {*generated.municipalities, "NL01"}
    assert frame.filter(pl.col("value").is_null())["missing_reason"].null_count() == 0
    newest = frame.filter(pl.col("year") == SMALL.stat_years[-1] + 1)
    assert newest["value"].null_count() == newest.height


def test_regions_file_adds_one_region_per_municipality(generated):
    regions = load_regions(generated.regions_file).regions
    assert len(regions) == len(load_regions().regions) + SMALL.municipalities
    country = next(r for r in regions if r.kind == "country")
    assert country.stations == generated.stations


def test_regions_file_features_the_configured_regions(generated):
    declared = load_regions(generated.regions_file)
    assert declared.featured == [r.id for r in load_regions().regions]


def _result(**seconds: float) -> dict:
    return {"size": "national", "process_peak_mb": 5000.0, "pages": [{"bytes": 100 * 1024}],
            "stages": {k.replace("__", "."): {"seconds": v, "peak_mb": 1.0}
                       for k, v in seconds.items()}}


def test_targets_compare_like_with_like():
    result = _result(raw__air=1, parse__air=2, validate__air=3, load__air=4,
                     indicators__station_annual=6, report=10, floor__best_view=1,
                     incremental__parse=0.5)
    figures = derived(result)
    assert figures["full_build_s"] == 26
    assert figures["incremental_vs_rebuild"] == pytest.approx(0.5 / 16)
    assert figures["validate_vs_load"] == pytest.approx(0.75)
    verdict = {v["target"]: v["verdict"] for v in verdicts(result)}
    assert verdict == {"indicators_vs_floor": "FAIL", "incremental_vs_rebuild": "PASS",
                       "validate_vs_load": "FAIL", "peak_memory_gb": "FAIL",
                       "largest_page_kb": "PASS"}
