"""CBS StatLine client and parser: contract tests on OData v4 payloads, and the client against a
local server replaying the generated snapshot (RELIABILITY.md cases 3, 7, 8, 9, 10).

The payloads below follow the structure of verbatim captures of
`https://datasets.cbs.nl/odata/v1/CBS/...` (Stefan7168/checkdecijfers `tests/fixtures/cbs/`:
82610NED measure-codes, dimensions, codes-BronTechniek; 80590ned codes-Geslacht, codes-Leeftijd;
docs/evidence/cbs_duo.md section 1). 82610NED's measure identifiers, titles and units are the
real ones; every value not cited in the manifest is made up for the test.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from werkzeug import Request, Response

from core.errors import ContractError
from core.geography import Geography
from families import (
    employment,
    offshore_wind,
)
from families.registry import cbs_tables, statistical
from sources.generators.statline import write_statline
from sources.http import Payload, SnapshotTransport
from sources.registry import make_http
from sources.snapshot import DEMO_MUNICIPALITIES
from sources.statline import fetch_table
from transforms.statline import MeasureSpec, Rate, TableSpec, parse_table, parse_tables
from warehouse.store import Warehouse

TABLES = cbs_tables()
DEMO_GEOGRAPHY = Geography(tuple(sorted(DEMO_MUNICIPALITIES)), ())
WIND = offshore_wind.CBS_TABLES[0]


def payload(doc: dict, key: str) -> Payload:
    return Payload(source="cbs_statline", dataset="t", request_key=key,
                   url=f"https://datasets.cbs.nl/odata/v1/CBS/{key}",
                   media_type="application/json", body=json.dumps(doc).encode(),
                   fetched_at=datetime.now(UTC))


def dimension(name: str, kind: str = "Dimension") -> dict:
    row = {"Identifier": name, "Title": name, "Description": "", "MapYear": None,
           "ReleasePolicy": None, "Kind": kind, "ContainsGroups": False, "ContainsCodes": True,
           "CodesUrl": f"https://datasets.cbs.nl/odata/v1/CBS/T/{name}Codes", "GroupsUrl": None}
    return row if kind == "Dimension" else {"@odata.type": f"#Cbs.Ccb.Models.{kind}", **row}


def codes(*rows: tuple[str, str]) -> dict:
    return {"value": [{"Identifier": i, "Index": n + 1, "Title": t, "Description": "",
                       "DimensionGroupId": None} for n, (i, t) in enumerate(rows)]}


def measure(identifier: str, title: str, unit: str) -> dict:
    return {"Identifier": identifier, "Index": 1, "Title": title, "Description": "",
            "MeasureGroupId": None, "DataType": "Long", "Unit": unit, "Decimals": 0,
            "PresentationType": None}


def periods(*rows: tuple[str, str]) -> dict:
    return {"value": [{"Identifier": i, "Index": n + 1, "Title": i[:4], "Description": "",
                       "DimensionGroupId": "0", "Status": s} for n, (i, s) in enumerate(rows)]}


def obs(measure_id: str, period: str, value, attribute: str = "None", **dims) -> dict:
    return {"Id": 0, "Measure": measure_id, "ValueAttribute": attribute, "Value": value,
            "StringValue": None, **dims, "Perioden": period}


def issue(spec: TableSpec, table: str, dims: list[dict], measures: list[dict],
          rows: list[dict], extra_codes: dict | None = None,
          period_codes: dict | None = None) -> list[Payload]:
    """The payloads `sources.statline.fetch_issue` stores for one issue of a table."""
    def key(what: str) -> str:
        return f"{spec.table}/{table}/{what}"

    yearly = sorted({r["Perioden"] for r in rows}) or ["2023JJ00"]
    out = [payload({"value": dims}, key("Dimensions")),
           payload({"value": measures}, key("MeasureCodes")),
           payload(period_codes or periods(*[(p, "Definitief") for p in yearly]), key("PeriodenCodes"))]
    out += [payload(doc, key(f"{d}Codes")) for d, doc in (extra_codes or {}).items()]
    return out + [payload({"value": rows}, key("Observations/0000"))]


# -- the 82610NED trap: titles repeat across the mln kWh and % groups --------------------------

WIND_MEASURES = [measure("M002417_1", "Netto elektriciteitsproductie", "mln kWh"),
                 measure("M002417_2", "Netto elektriciteitsproductie", "in % van het verbruik"),
                 measure("M002163", "Opgesteld elektrisch vermogen einde jaar", "megawatt")]
WIND_DIMS = [dimension("BronTechniek"), dimension("Perioden", "TimeDimension")]


def wind_rows(**extra) -> list[dict]:
    # Published values: 82610NED, E006638, 2023 (manifest cbs_statline.json); 10.3 is the %
    # twin of the same cell, which must never be read as GWh.
    return [obs("M002417_2", "2023JJ00", 10.3, BronTechniek="E006638", **extra),
            obs("M002417_1", "2023JJ00", 11553, BronTechniek="E006638", **extra),
            obs("M002163", "2023JJ00", 4110, BronTechniek="E006638", **extra)]


def test_repeated_title_is_read_by_identifier_and_unit():
    frame = parse_table(WIND, issue(WIND, "82610NED", WIND_DIMS, WIND_MEASURES, wind_rows()))
    values = dict(frame.select("measure", "value").rows())
    assert values == {"offshore_wind_production_gwh": 11553.0, "offshore_wind_capacity_mw": 4110.0}
    assert dict(frame.select("measure", "unit").rows())["offshore_wind_production_gwh"] == "GWh"


def test_a_repeated_title_without_identifier_is_resolved_by_unit_or_refused():
    spec = TableSpec("82610NED", (MeasureSpec("offshore_wind_production_gwh",
                                              "Netto elektriciteitsproductie", "GWh", "mln kWh"),),
                     filters={"BronTechniek": "E006638"}, regional=False)
    frame = parse_table(spec, issue(spec, "82610NED", WIND_DIMS, WIND_MEASURES, wind_rows()))
    assert frame["value"].to_list() == [11553.0]
    twins = WIND_MEASURES + [measure("M999", "Netto elektriciteitsproductie", "mln kWh")]
    with pytest.raises(ContractError, match="2 measures titled.*pin the Identifier"):
        parse_table(spec, issue(spec, "82610NED", WIND_DIMS, twins, wind_rows()))


def test_a_pinned_measure_in_another_unit_is_refused():
    changed = [measure("M002417_1", "Netto elektriciteitsproductie", "in % van het verbruik"),
               WIND_MEASURES[2]]
    with pytest.raises(ContractError, match="M002417_1.*expected 'mln kWh'"):
        parse_table(WIND, issue(WIND, "82610NED", WIND_DIMS, changed, wind_rows()))


def test_a_missing_pinned_identifier_names_table_and_measure():
    with pytest.raises(ContractError, match="82610NED has no measure M002163"):
        parse_table(WIND, issue(WIND, "82610NED", WIND_DIMS, WIND_MEASURES[:2], wind_rows()))


# -- Geslacht and other dimensions: the total, from the code list -----------------------------

PARTICIPATION = TableSpec("99999NED", (
    MeasureSpec("employed_persons", "Werkzame beroepsbevolking", "persons", "x 1000"),
    MeasureSpec("unemployed_persons", "Werkloze beroepsbevolking", "persons", "x 1000"),
    MeasureSpec("population_15_75_persons", "Beroeps- en niet-beroepsbevolking", "persons", "x 1000")),
    derived=(Rate("net_labour_participation_pct", ("employed_persons",), ("population_15_75_persons",)),
             Rate("unemployment_pct", ("unemployed_persons",), ("employed_persons", "unemployed_persons"))),
    dimension_titles={"Leeftijd": "15 tot 75 jaar"})
PERSON_DIMS = [dimension("Geslacht"), dimension("Leeftijd"), dimension("RegioS", "GeoDimension"),
               dimension("Perioden", "TimeDimension")]
GESLACHT = codes(("T001038", "Totaal"), ("3000", "Mannen"), ("4000", "Vrouwen"))
LEEFTIJD = codes(("52052", "15 tot 75 jaar"), ("53050", "15 tot 25 jaar"))
COUNT_MEASURES = [measure("A1", "Werkzame beroepsbevolking", "x 1 000"),
                  measure("A2", "Werkloze beroepsbevolking", "x 1 000"),
                  measure("A3", "Beroeps- en niet-beroepsbevolking", "x 1000")]


def counts(sex: str, employed: float, unemployed: float, population: float,
           period: str = "2023JJ00", region: str = "GM0453") -> list[dict]:
    dims = {"Geslacht": sex, "Leeftijd": "52052", "RegioS": region}
    return [obs("A1", period, employed, **dims), obs("A2", period, unemployed, **dims),
            obs("A3", period, population, **dims)]


def participation(rows: list[dict], dims=PERSON_DIMS, geslacht=GESLACHT, table="99999NED",
                  **kw) -> list[Payload]:
    return issue(PARTICIPATION, table, dims, COUNT_MEASURES, rows,
                 {"Geslacht": geslacht, "Leeftijd": LEEFTIJD}, **kw)


def test_geslacht_is_read_at_its_total_not_at_vrouwen():
    rows = counts("T001038", 20.0, 1.0, 29.0) + counts("4000", 9.0, 0.5, 14.0)  # Vrouwen last
    frame = parse_table(PARTICIPATION, participation(rows))
    rates = dict(frame.select("measure", "value").rows())
    assert rates["net_labour_participation_pct"] == pytest.approx(20.0 / 29.0 * 100)
    assert rates["unemployment_pct"] == pytest.approx(1.0 / 21.0 * 100)


def test_the_query_filters_every_extra_dimension_to_its_total(httpserver, fast_retry):
    served = {f"/odata/v1/CBS/99999NED/{p.request_key.split('/', 2)[2]}": p.body
              for p in participation(counts("T001038", 20.0, 1.0, 29.0))}
    filters = []

    def handler(request: Request) -> Response:
        if request.path.endswith("/Observations"):
            filters.append(request.args["$filter"])
            return Response(served[request.path + "/0000"], content_type="application/json")
        return Response(served[request.path], content_type="application/json")

    for path in served:
        httpserver.expect_request(path.removesuffix("/0000")).respond_with_handler(handler)
    http = make_http("cbs_statline", mode="live", base_url=httpserver.url_for("/odata/v1/CBS"),
                     retry=fast_retry)
    frame = parse_table(PARTICIPATION, fetch_table(http, PARTICIPATION, ["GM0453"]))
    assert "Geslacht eq 'T001038'" in filters[0] and "Leeftijd eq '52052'" in filters[0]
    assert "contains(Perioden,'JJ')" in filters[0] and "RegioS eq 'GM0453'" in filters[0]
    assert frame.height == 2


def test_a_dimension_without_a_total_is_an_error():
    no_total = codes(("3000", "Mannen"), ("4000", "Vrouwen"))
    with pytest.raises(ContractError, match="Geslacht has no identifiable total"):
        parse_table(PARTICIPATION, participation(counts("3000", 9.0, 0.5, 14.0), geslacht=no_total))


def test_an_undeclared_dimension_column_is_an_error():
    dims = [d for d in PERSON_DIMS if d["Identifier"] != "Geslacht"]
    with pytest.raises(ContractError, match=r"undeclared dimension.*Geslacht"):
        parse_table(PARTICIPATION, participation(counts("4000", 9.0, 0.5, 14.0), dims=dims))


# -- counts -> rates ----------------------------------------------------------------------------

def test_rates_are_derived_from_counts_and_a_missing_count_leaves_a_reason():
    rows = counts("T001038", 20.14, 0.6, 28.93, period="2022JJ00")
    rows += [r for r in counts("T001038", 20.5, 0.7, 29.1) if r["Measure"] != "A2"]
    rows.append(obs("A2", "2023JJ00", None, "Confidential", Geslacht="T001038", Leeftijd="52052",
                    RegioS="GM0453"))
    frame = parse_table(PARTICIPATION, participation(rows)).sort("measure", "period")
    assert sorted(frame["measure"].unique()) == ["net_labour_participation_pct", "unemployment_pct"]
    got = {(m, p): v for m, p, v in frame.select("measure", "period", "value").rows()}
    assert got[("net_labour_participation_pct", "2022")] == pytest.approx(20.14 / 28.93 * 100)
    assert got[("net_labour_participation_pct", "2023")] == pytest.approx(20.5 / 29.1 * 100)
    assert got[("unemployment_pct", "2022")] == pytest.approx(0.6 / 20.74 * 100)
    assert got[("unemployment_pct", "2023")] is None
    missing = frame.filter(pl.col("value").is_null())["missing_reason"].to_list()
    assert missing == ["not available (an input count is missing)"]
    assert set(frame["unit"]) == {"%"}


# -- mixed period types ---------------------------------------------------------------------------

def test_a_yearly_spec_keeps_only_year_periods_and_flags_provisional_ones():
    spec = TableSpec("84575NED", (MeasureSpec("electricity_consumption_gwh",
                                              "Nettoverbruik berekend", "GWh", "mln kWh"),),
                     regional=False)
    dims = [dimension("Perioden", "TimeDimension")]
    rows = [obs("E1", "2023MM01", 9800), obs("E1", "2023KW01", 29000), obs("E1", "2023JJ00", 111900),
            obs("E1", "2024JJ00", 113200)]
    status = periods(("2023MM01", "Definitief"), ("2023KW01", "Definitief"),
                     ("2023JJ00", "Definitief"), ("2024JJ00", "NaderVoorlopig"))
    frame = parse_table(spec, issue(spec, "84575NED", dims,
                                    [measure("E1", "Nettoverbruik berekend", "mln kWh")], rows,
                                    period_codes=status)).sort("period")
    assert frame.select("period", "value", "is_provisional").rows() == [
        ("2023", 111900.0, False), ("2024", 113200.0, True)]


def test_value_attributes_become_reasons_and_region_codes_are_stripped():
    rows = counts("T001038", 20.0, 1.0, 29.0, region="GM0453  ")
    rows += [obs(m, "2023JJ00", None, "Impossible", Geslacht="T001038", Leeftijd="52052",
                 RegioS="GM0375") for m in ("A1", "A2", "A3")]
    frame = parse_table(PARTICIPATION, participation(rows)).sort("region_code")
    assert sorted(frame["region_code"].unique()) == ["GM0375", "GM0453"]
    assert frame.filter(pl.col("region_code") == "GM0375")["value"].null_count() == 2


@pytest.mark.parametrize(("attribute", "reason"), [
    (".", "not available"),  # StatLine's "." (figure not available), should it reach the API
    ("Missing", "not available"), ("Impossible", "not applicable"),
    ("Confidential", "confidential"), ("x", "not available"),
])
def test_a_marked_observation_is_null_with_its_reason_even_when_it_carries_a_number(
        attribute, reason):
    """RELIABILITY.md case 7 (issue 20: removing the "." marker left every test green). The
    attribute decides, not the number: a marked cell with a placeholder 0 (or any number) is
    NULL with a reason, never the number."""
    spec = TableSpec("84575NED", (MeasureSpec("electricity_consumption_gwh",
                                              "Nettoverbruik berekend", "GWh", "mln kWh"),),
                     regional=False)
    rows = [obs("E1", "2023JJ00", 111900), obs("E1", "2024JJ00", 0, attribute)]
    frame = parse_table(spec, issue(spec, "84575NED", [dimension("Perioden", "TimeDimension")],
                                    [measure("E1", "Nettoverbruik berekend", "mln kWh")], rows)
                        ).sort("period")
    assert frame.select("period", "value", "missing_reason").rows() == [
        ("2023", 111900.0, None), ("2024", None, reason)]


# -- re-issued tables ---------------------------------------------------------------------------

def test_reissues_are_joined_newest_first_with_the_break_on_record():
    spec = TableSpec("99999NED", PARTICIPATION.measures, derived=PARTICIPATION.derived,
                     dimension_titles=PARTICIPATION.dimension_titles, previous=("88888NED",))
    old = participation(counts("T001038", 10.0, 1.0, 20.0, period="2018JJ00")
                        + counts("T001038", 11.0, 1.0, 20.0, period="2019JJ00"), table="88888NED")
    new = participation(counts("T001038", 12.0, 1.0, 20.0, period="2019JJ00")
                        + counts("T001038", 13.0, 1.0, 20.0, period="2020JJ00"))
    frame = parse_table(spec, old + new).filter(pl.col("measure") == "net_labour_participation_pct")
    rows = {p: (v, t) for p, v, t in frame.sort("period").select("period", "value", "source_table").rows()}
    assert rows["2019"] == (60.0, "99999NED")  # both issues have 2019: the newest wins
    assert rows["2020"][1] == "99999NED"
    assert rows["2018"][0] == 50.0 and rows["2018"][1].startswith("88888NED (earlier issue; series break")


# -- the client against a local server replaying the generated snapshot -----------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("statline")
    write_statline(root, TABLES)
    return root


@pytest.fixture
def replay(httpserver, generated):
    """Serves the generated payloads as CBS would, rewriting our URLs to the real host."""
    transport = SnapshotTransport([generated])
    state = {"fail_once": set(), "calls": []}

    def handler(request: Request) -> Response:
        real = "https://datasets.cbs.nl" + request.full_path.rstrip("?")
        state["calls"].append(request.full_path)
        if request.full_path in state["fail_once"]:
            state["fail_once"].discard(request.full_path)
            return Response("busy", status=503)
        path = transport.locate(real)
        if path is None:
            return Response("not found", status=404)
        body = gzip.decompress(path.read_bytes()).decode()
        body = body.replace("https://datasets.cbs.nl", httpserver.url_for("").rstrip("/"))
        return Response(body, content_type="application/json")

    httpserver.expect_request(__import__("re").compile("/odata/v1/CBS/.*")).respond_with_handler(handler)
    return state


def live_http(httpserver, fast_retry):
    return make_http("cbs_statline", mode="live", base_url=httpserver.url_for("/odata/v1/CBS"),
                     retry=fast_retry, sleep=lambda s: None)


def test_live_client_pages_through_next_links_once_each(httpserver, replay, fast_retry):
    spec = employment.CBS_TABLES[0]
    payloads = fetch_table(live_http(httpserver, fast_retry), spec, DEMO_GEOGRAPHY.municipalities)
    pages = [p for p in payloads if "/Observations/" in p.request_key]
    assert len(pages) >= 3  # two issues, the current one paged every 200 rows
    observation_calls = [c for c in replay["calls"] if "Observations" in c]
    assert len(observation_calls) == len(set(observation_calls)) == len(pages)
    assert any(c.startswith("/odata/v1/CBS/Datasets") for c in replay["calls"])


def test_a_page_failing_once_is_retried(httpserver, replay, fast_retry):
    spec = employment.CBS_TABLES[0]
    first = fetch_table(live_http(httpserver, fast_retry), spec, DEMO_GEOGRAPHY.municipalities)
    second_page = [p for p in first if p.request_key.endswith("Observations/0001")][0]
    replay["fail_once"].add(second_page.url.replace(httpserver.url_for("").rstrip("/"), ""))
    again = fetch_table(live_http(httpserver, fast_retry), spec, DEMO_GEOGRAPHY.municipalities)
    assert [p.body for p in again] == [p.body for p in first]


def test_snapshot_mode_fills_every_family_with_the_published_wind_figures(generated):
    feeds = [feed for f in statistical() for feed in f.feeds if feed.source == "cbs_statline"]
    assert {"cbs_employment", "cbs_training", "cbs_offshore_wind", "cbs_youth", "cbs_poverty",
            "cbs_health", "cbs_cohesion", "cbs_solar_capacity",
            "cbs_jobs_by_activity", "cbs_household_waste"} <= {feed.name for feed in feeds}
    frames = []
    for feed in feeds:
        http = make_http("cbs_statline", mode="snapshot", generated_dir=generated)
        frame = feed.parse(feed.fetch(http, DEMO_GEOGRAPHY))
        assert frame.height > 0
        assert frame.filter(pl.col("value").is_null())["missing_reason"].null_count() == 0
        frames.append(frame)
    rows = pl.concat(frames).filter(pl.col("source_table") == "82610NED", pl.col("year").is_in([2022, 2023]))
    got = {(m, y): v for m, y, v in rows.select("measure", "year", "value").rows()}
    assert got == {("offshore_wind_production_gwh", 2022): 7936.0,
                   ("offshore_wind_production_gwh", 2023): 11553.0,
                   ("offshore_wind_capacity_mw", 2022): 2570.0,
                   ("offshore_wind_capacity_mw", 2023): 4110.0}


def test_a_newer_issue_in_the_catalogue_is_fetched(httpserver, replay, fast_retry, generated):
    spec = employment.CBS_TABLES[0]
    catalogue = [p for p in fetch_table(live_http(httpserver, fast_retry), spec,
                                          DEMO_GEOGRAPHY.municipalities)
                 if p.request_key.endswith("/Datasets")][0]
    from transforms.statline import newer_issues
    assert newer_issues(spec, catalogue) == []
    doc = json.loads(catalogue.body)
    doc["value"].append({"Identifier": "86500NED", "Title": "Arbeidsdeelname; regionale indeling 2024",
                         "Status": "Regulier"})
    assert newer_issues(spec, payload(doc, "x")) == ["86500NED"]


def test_a_revision_keeps_both_vintages_and_current_shows_the_final_value(tmp_path):
    wh = Warehouse(tmp_path / "wh.duckdb")
    provisional = participation(counts("T001038", 20.0, 1.0, 29.0))[-1]
    final = participation(counts("T001038", 21.0, 1.0, 29.0))[-1]
    assert wh.record_payloads([provisional]) == 1
    assert wh.record_payloads([provisional]) == 0  # identical payload: no new vintage
    assert wh.record_payloads([final]) == 1
    assert wh.query("SELECT count(*) AS n FROM raw_payloads")["n"][0] == 2
    current = wh.current_payloads("cbs_statline", "t")
    frame = parse_tables([PARTICIPATION], participation([])[:-1] + current)
    rate = frame.filter(pl.col("measure") == "net_labour_participation_pct")["value"].to_list()
    assert rate == [pytest.approx(21.0 / 29.0 * 100)]


def test_manifest_cites_the_published_figures_and_names_every_file(generated):
    from sources.snapshot import MANIFEST_DIR

    fragment = json.loads((MANIFEST_DIR / "cbs_statline.json").read_text(encoding="utf-8"))
    for entry in fragment["files"]:
        assert entry["provenance"] in {"published", "synthesized", "mixed"}
        assert entry["citations"] and list(generated.glob(entry["path"])), entry["path"]
        if entry["provenance"] == "synthesized":
            assert entry["published_values"] == []
    published = " ".join(fragment["files"][0]["published_values"])
    assert "2022 7936" in published and "2023 4110" in published
