"""Business dynamics per COROP area (CBS 83631NED start-ups, 83635NED closures, their net
change): the tables read at COROP codes in their real format (CBS OData v4 as the generator
writes it: Dimensions, MeasureCodes, code lists, Observations; structure per
docs/evidence/green_zone_more.md G6), the measures resolved by title and unit, the derived net
change, the GX suite, a region's figure from the area that holds it, and the page naming that
area."""

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
from transforms.green_zone import CLOSURES, NET_CHANGE, STARTUPS
from transforms.statline import parse_tables
from transforms.validation import validate_frame

[FEED] = business_dynamics.FAMILY.feeds
TABLES = {"83631NED": STARTUPS, "83635NED": CLOSURES}
SBI_TOTAL = "T001081"


@pytest.fixture(scope="module")
def payloads(tmp_path_factory) -> list:
    root: Path = tmp_path_factory.mktemp("corop")
    write_statline(root, business_dynamics.CBS_TABLES)
    http = make_http("cbs_statline", mode="snapshot", generated_dir=root)
    return list(FEED.fetch(http, Geography(tuple(sorted(DEMO_MUNICIPALITIES)), ())))


@pytest.fixture(scope="module")
def frame(payloads) -> pl.DataFrame:
    return FEED.parse(payloads)


def _edited(payloads: list, table: str, what: str, edit) -> list:
    """The payloads with `edit(doc)` applied to the JSON of `<table>/<table>/<what>*`."""
    out = []
    for p in payloads:
        if p.request_key.startswith(f"{table}/{table}/{what}"):
            doc = json.loads(p.body)
            edit(doc)
            p = replace(p, body=json.dumps(doc).encode())
        out.append(p)
    return out


def _series(frame: pl.DataFrame, measure: str, region: str) -> dict[int, float | None]:
    rows = frame.filter((pl.col("measure") == measure) & (pl.col("region_code") == region))
    return dict(zip(rows["year"].to_list(), rows["value"].to_list(), strict=True))


@pytest.mark.parametrize("table", sorted(TABLES))
def test_each_table_is_read_at_corop_codes_and_the_sbi_total(payloads, frame, table):
    [first] = [p for p in payloads if p.request_key == f"{table}/{table}/Observations/0000"]
    url = unquote_plus(first.url)
    assert f"/{table}/Observations" in url
    assert "RegioS eq 'CR20'" in url and "GM0453" not in url  # not the municipalities
    assert f"BedrijfstakkenBranchesSBI2008 eq '{SBI_TOTAL}'" in url  # the dimension's total
    rows = frame.filter(pl.col("measure") == TABLES[table])
    assert set(rows["region_code"]) == {f"CR{n:02d}" for n in range(1, 41)} | {"NL01"}
    assert set(rows["source_table"]) == {table}


def test_the_measures_resolve_by_title_and_the_unit_is_establishments(frame):
    assert set(frame["measure"]) == {STARTUPS, CLOSURES, NET_CHANGE}
    assert set(frame["unit"]) == {"establishments"}
    assert set(frame["entity"]) == {""}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_a_measure_in_another_unit_is_refused(payloads, table):
    def other_unit(doc):
        doc["value"][0]["Unit"] = "x 1 000"

    with pytest.raises(ContractError, match=f"{table}.*aantal"):
        parse_tables(business_dynamics.CBS_TABLES,
                     _edited(payloads, table, "MeasureCodes", other_unit))


def test_a_closures_table_without_the_measure_stops_the_feed(payloads):
    def renamed(doc):
        doc["value"][0]["Title"] = "Opheffingen van bedrijven"

    with pytest.raises(ContractError, match="83635NED has no measure titled 'Opheffingen van "
                                            "vestigingen'"):
        FEED.parse(_edited(payloads, "83635NED", "MeasureCodes", renamed))


def test_sector_rows_beside_the_total_are_not_added_to_it(payloads, frame):
    """Where a page carries sector rows too (the filter not applied), only the total is read:
    the value stays the published total, not the total plus its sectors."""
    def with_sectors(doc):
        extra = []
        for row in doc["value"]:
            # two sectors that split the total, as the SBI dimension's section rows would
            extra += [row | {"BedrijfstakkenBranchesSBI2008": code, "Value": row["Value"] * part}
                      for code, part in (("307500", 0.4), ("350000", 0.6))
                      if row["Value"] is not None]
        doc["value"] += extra

    parsed = FEED.parse(_edited(payloads, "83635NED", "Observations", with_sectors))
    assert _series(parsed, CLOSURES, "CR20") == _series(frame, CLOSURES, "CR20")
    assert parsed.height == frame.height


def test_the_net_change_is_start_ups_minus_closures_in_each_area_and_year(frame):
    for region in ("CR20", "CR26", "CR07", "NL01"):
        startups, closures = _series(frame, STARTUPS, region), _series(frame, CLOSURES, region)
        net = _series(frame, NET_CHANGE, region)
        assert net and set(net) == set(startups) == set(closures)
        assert net == {y: startups[y] - closures[y] for y in net}
    assert set(frame.filter(pl.col("measure") == NET_CHANGE)["source_table"]) == {
        "83631NED minus 83635NED"}


def test_a_year_without_closures_has_no_net_change_and_says_why(payloads, frame):
    def drop_2020_in_cr20(doc):
        doc["value"] = [r for r in doc["value"]
                        if not (r["RegioS"] == "CR20" and r["Perioden"] == "2020JJ00")]

    parsed = FEED.parse(_edited(payloads, "83635NED", "Observations", drop_2020_in_cr20))
    row = parsed.filter((pl.col("measure") == NET_CHANGE) & (pl.col("region_code") == "CR20")
                        & (pl.col("year") == 2020))
    assert row["value"].to_list() == [None]
    assert row["missing_reason"].to_list() == ["not available (an input is missing)"]
    other = _series(parsed, NET_CHANGE, "CR26")
    assert other == _series(frame, NET_CHANGE, "CR26")
    family = business_dynamics.FAMILY
    assert validate_frame(family.table, parsed, family.rules()).success


def test_the_suite_passes_the_snapshot_and_fails_a_municipal_code_or_negative_closures(frame):
    family = business_dynamics.FAMILY
    assert validate_frame(family.table, frame, family.rules()).success
    faulty = frame.with_columns(region_code=pl.when(pl.int_range(pl.len()) == 3)
                                .then(pl.lit("GM0453")).otherwise("region_code"))
    assert not validate_frame(family.table, faulty, family.rules()).success
    negative = frame.with_columns(value=pl.when(pl.col("measure") == CLOSURES)
                                  .then(-pl.col("value")).otherwise("value"))
    assert not validate_frame(family.table, negative, family.rules()).success
    # a negative net change (more closures than start-ups) is a valid figure
    shrinking = frame.with_columns(value=pl.when(pl.col("measure") == NET_CHANGE)
                                   .then(-pl.col("value").abs() - 1).otherwise("value"))
    assert validate_frame(family.table, shrinking, family.rules()).success


@pytest.mark.parametrize("indicator,measure", [("business_startups", STARTUPS),
                                               ("business_closures", CLOSURES),
                                               ("business_net_change", NET_CHANGE)])
def test_each_region_gets_the_area_that_holds_it_or_not_measured(frame, indicator, measure):
    catalogue, regions = load_catalogue(), load_regions()
    mine = catalogue.model_copy(update={"indicators": [catalogue.get(indicator)]})
    assert not mine.indicators[0].targets  # no policy document sets one
    values = compute_indicator_values(mine, regions, {"clean_business_dynamics": frame})
    by_region = {r: g for (r,), g in values.group_by("region_id")}
    cr20 = frame.filter((pl.col("region_code") == "CR20") & (pl.col("measure") == measure))
    assert by_region["ijmond"].sort("year")["value"].to_list() == \
        cr20.sort("year")["value"].to_list()
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
