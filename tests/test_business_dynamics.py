"""Business dynamics per COROP area (CBS 83631NED): the table read at COROP codes in its real
format (CBS OData v4 as the generator writes it: Dimensions, MeasureCodes, code lists,
Observations; structure per docs/evidence/green_zone_more.md G6), its GX suite, a region's
figure from the area that holds it, and the page naming that area."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote_plus

import polars as pl
import pytest

from core.errors import ContractError
from core.geography import Geography
from families import business_dynamics
from indicators.areas import holding_area, load_areas
from indicators.catalogue import load_catalogue, load_regions
from indicators.compute import compute_indicator_values
from indicators.progress import assess_all
from sources.generators.statline import write_statline
from sources.registry import make_http
from sources.snapshot import DEMO_MUNICIPALITIES
from transforms.statline import parse_tables
from transforms.validation import validate_frame

[FEED] = business_dynamics.FAMILY.feeds


@pytest.fixture(scope="module")
def payloads(tmp_path_factory) -> list:
    root: Path = tmp_path_factory.mktemp("corop")
    write_statline(root, business_dynamics.CBS_TABLES)
    http = make_http("cbs_statline", mode="snapshot", generated_dir=root)
    return list(FEED.fetch(http, Geography(tuple(sorted(DEMO_MUNICIPALITIES)), ())))


@pytest.fixture(scope="module")
def frame(payloads) -> pl.DataFrame:
    return FEED.parse(payloads)


def test_the_table_is_read_at_corop_codes_and_the_sbi_total(payloads, frame):
    [first] = [p for p in payloads if p.request_key.endswith("Observations/0000")]
    url = unquote_plus(first.url)
    assert "RegioS eq 'CR20'" in url and "GM0453" not in url  # not the municipalities
    assert "BedrijfstakkenBranchesSBI2008 eq 'T001081'" in url  # the dimension's total
    assert set(frame["region_code"]) == {f"CR{n:02d}" for n in range(1, 41)} | {"NL01"}
    assert set(frame["measure"]) == {"establishment_startups"}
    assert set(frame["unit"]) == {"establishments"}


def test_a_measure_in_another_unit_is_refused(payloads):
    changed = []
    for p in payloads:
        if p.request_key.endswith("MeasureCodes"):
            doc = json.loads(p.body)
            doc["value"][0]["Unit"] = "x 1 000"
            p = replace(p, body=json.dumps(doc).encode())
        changed.append(p)
    with pytest.raises(ContractError, match="aantal"):
        parse_tables(business_dynamics.CBS_TABLES, changed)


def test_the_suite_passes_the_snapshot_and_fails_a_municipal_code(frame):
    family = business_dynamics.FAMILY
    assert validate_frame(family.table, frame, family.rules()).success
    faulty = frame.with_columns(region_code=pl.when(pl.int_range(pl.len()) == 3)
                                .then(pl.lit("GM0453")).otherwise("region_code"))
    assert not validate_frame(family.table, faulty, family.rules()).success


def test_each_region_gets_the_area_that_holds_it_or_not_measured(frame):
    catalogue, regions = load_catalogue(), load_regions()
    mine = catalogue.model_copy(update={"indicators": [catalogue.get("business_startups")]})
    values = compute_indicator_values(mine, regions, {"clean_business_dynamics": frame})
    by_region = {r: g for (r,), g in values.group_by("region_id")}
    cr20 = frame.filter(pl.col("region_code") == "CR20").sort("year")
    assert by_region["ijmond"].sort("year")["value"].to_list() == cr20["value"].to_list()
    assert set(by_region["ijmond"]["note"]) == {"CR20"}
    assert set(by_region["den_haag"]["note"]) == {"CR26"}
    assert set(by_region["nederland"]["note"]) == {"NL01"}
    assert "cleantech_regio" not in by_region  # three COROP areas: no figure, never a sum
    status = assess_all(mine, regions, values).filter(pl.col("region_id") == "cleantech_regio")
    assert status["status"].to_list() == ["not_measured"]


def test_an_area_holds_a_region_only_when_it_holds_every_municipality():
    areas = load_areas()
    assert holding_area(["GM0453", "GM0375", "GM0396"], areas).code == "CR20"
    # the Just Transition Fund's IJmond adds Castricum and Uitgeest: the same COROP area
    assert holding_area(["GM0453", "GM0375", "GM0396", "GM0383", "GM0450"], areas).code == "CR20"
    assert holding_area(["GM0453", "GM0518"], areas) is None
