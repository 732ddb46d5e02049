"""DUO open onderwijsdata (CKAN) client and parser against a local server.

The records follow the columns of DUO's "Studenten per sectorkamer leerweg niveau woonprovincie"
(sectorkamer01: `SECTORKAMER NAAM, HOOFDGROEP NAAM, LEERWEG, NIVEAU, WOONPROVINCIE,
JAAR_2021 ...`, as listed by cedanl/rio-onderwijsdata) plus a home-municipality column, whose
name is unverified (each variant is tried below). The envelope is CKAN's `datastore_search`
(`_links.next` always present, `total`, the applied `limit`). Counts are made up.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from werkzeug import Request, Response

from core.errors import ContractError
from core.geography import Geography
from core.payload import Payload
from families.training import FAMILY, parse_duo
from indicators.catalogue import load_regions
from sources import onderwijsdata
from sources.generators.onderwijsdata import write_onderwijsdata
from sources.registry import make_http
from transforms.onderwijsdata import parse_enrolment

NAMES = {"GM0453": "Velsen", "GM0518": "'s-Gravenhage"}
TECH = "Techniek en gebouwde omgeving"
CARE = "Zorg, welzijn en sport"


def record(sector: str, route: str, level: str, where: dict, y2023, y2024) -> dict:
    return {"SECTORKAMER NAAM": sector, "HOOFDGROEP NAAM": "x", "LEERWEG": route,
            "NIVEAU": level, "WOONPROVINCIE": "Noord-Holland", **where,
            "JAAR_2023": y2023, "JAAR_2024": y2024}


def records(where=None) -> list[dict]:
    where = where or {"WOONGEMEENTE": "VELSEN"}
    rows = [record(TECH, "BBL", "2", where, "10", "12"), record(TECH, "BOL", "4", where, "30", "-1"),
            record(CARE, "BBL", "3", where, "5", "6"), record(CARE, "BOL", "4", where, "40", "44"),
            record(CARE, "BOL", "4", {k: "AMSTERDAM" for k in where}, "900", "900")]
    return [{"_id": i + 1, **r} for i, r in enumerate(rows)]


def page_of(doc: dict, key: str) -> Payload:
    return Payload(source="duo", dataset="r", request_key=key, url="https://x/datastore_search",
                   media_type="application/json", body=json.dumps(doc).encode(),
                   fetched_at=datetime.now(UTC))


def fields_of(rows: list[dict]) -> list[dict]:
    return [{"id": k, "type": "int" if k == "_id" else "text"} for k in rows[0]]


class FakeCkan:
    """CKAN's datastore_search: caps `limit`, echoes it, always sends `_links.next`."""

    def __init__(self, rows: list[dict], fields=None, fail=False, cap: int = 2) -> None:
        self.rows, self.fail, self.cap, self.offsets = rows, fail, cap, []
        self.fields = fields if fields is not None else (fields_of(rows) if rows else [])

    def __call__(self, request: Request) -> Response:
        offset, limit = int(request.args["offset"]), min(int(request.args["limit"]), self.cap)
        self.offsets.append(offset)
        if self.fail:
            doc = {"success": False, "error": {"message": "Not found: Resource"}}
        else:
            start = f"/api/3/action/datastore_search?resource_id={request.args['resource_id']}"
            doc = {"success": True, "result": {
                "fields": self.fields, "total": len(self.rows), "limit": limit, "offset": offset,
                "records": self.rows[offset:offset + limit],
                "_links": {"start": start, "next": f"{start}&offset={offset + limit}"}}}
        return Response(json.dumps(doc), content_type="application/json")


@pytest.fixture
def client(httpserver, fast_retry):
    return make_http("duo", mode="live", base_url=httpserver.url_for("/api/3/action"),
                     retry=fast_retry)


def serve(httpserver, fake: FakeCkan) -> FakeCkan:
    httpserver.expect_request("/api/3/action/datastore_search").respond_with_handler(fake)
    return fake


def counts(frame: pl.DataFrame, year: int) -> dict[str, float]:
    mine = frame.filter((pl.col("region_code") == "GM0453") & (pl.col("year") == year))
    return dict(mine.select("measure", "value").rows())


def test_paging_steps_by_the_echoed_limit_and_stops_on_total(httpserver, client):
    fake = serve(httpserver, FakeCkan(records(), cap=2))
    pages = onderwijsdata.fetch_resource(client, onderwijsdata.ENROLMENT_RESOURCE)
    assert fake.offsets == [0, 2, 4] and len(pages) == 3  # not a 4th call for _links.next


def test_paging_stops_on_an_empty_page_when_total_is_absent(httpserver, client):
    class NoTotal(FakeCkan):
        def __call__(self, request):
            response = super().__call__(request)
            doc = json.loads(response.get_data())
            doc["result"].pop("total")
            return Response(json.dumps(doc), content_type="application/json")

    fake = serve(httpserver, NoTotal(records(), cap=2))
    onderwijsdata.fetch_resource(client, "res")
    assert fake.offsets == [0, 2, 4, 6]


def test_wide_years_are_reshaped_and_summed_per_route_and_sector(httpserver, client):
    serve(httpserver, FakeCkan(records(), cap=100))
    frame = parse_duo(onderwijsdata.fetch_resource(client, onderwijsdata.ENROLMENT_RESOURCE))
    assert counts(frame, 2023) == {"mbo_bbl_students_count": 15, "mbo_bol_students_count": 70,
                                   "mbo_technical_students_count": 40}
    # -1 is a suppressed cell: it counts as 0, so the sum is a lower bound
    assert counts(frame, 2024) == {"mbo_bbl_students_count": 18, "mbo_bol_students_count": 44,
                                   "mbo_technical_students_count": 12}
    assert set(frame["region_code"]) == {"GM0453"}  # Amsterdam is not configured


@pytest.mark.parametrize("where", [{"WOONGEMEENTE": "VELSEN"}, {"GEMEENTENAAM WOONGEMEENTE": "Velsen"},
                                   {"GEMEENTENUMMER WOONGEMEENTE": "453", "WOONGEMEENTE": "VELSEN"},
                                   {"GEMEENTENUMMER": "0453", "GEMEENTENAAM": "Velsen"},
                                   {"WOONGEMEENTE": "0453"}])
def test_every_home_municipality_column_variant_is_read(where):
    rows = [r for r in records(where) if "AMSTERDAM" not in r.values()]
    doc = {"success": True, "result": {"fields": fields_of(rows), "records": rows, "total": len(rows)}}
    page = page_of(doc, f"{onderwijsdata.ENROLMENT_RESOURCE}/00000000")
    assert counts(parse_enrolment([page], "t", NAMES), 2023)["mbo_bbl_students_count"] == 15


def test_no_home_municipality_column_is_a_clear_error(httpserver, client):
    rows = [{k: v for k, v in r.items() if k != "WOONGEMEENTE"} for r in records()]
    serve(httpserver, FakeCkan(rows, cap=100))
    pages = onderwijsdata.fetch_resource(client, "res")
    with pytest.raises(ContractError, match="no home-municipality column"):
        parse_enrolment(pages, "t", NAMES)


def test_an_unknown_route_and_renamed_sectors_are_refused(httpserver, client):
    rows = records()
    rows[0]["LEERWEG"] = "DUAAL"
    serve(httpserver, FakeCkan(rows, cap=100))
    with pytest.raises(ContractError, match="unknown LEERWEG 'DUAAL'"):
        parse_enrolment(onderwijsdata.fetch_resource(client, "res"), "t", NAMES)


def test_renamed_sector_chambers_are_refused():
    rows = [{**r, "SECTORKAMER NAAM": "Sector " + r["SECTORKAMER NAAM"]} for r in records()]
    doc = {"success": True, "result": {"fields": fields_of(rows), "records": rows, "total": 5}}
    with pytest.raises(ContractError, match="no technical sector chamber"):
        parse_enrolment([page_of(doc, "r/00000000")], "t", NAMES)


def test_success_false_is_a_contract_error(httpserver, client):
    serve(httpserver, FakeCkan([], fail=True))
    with pytest.raises(ContractError, match="did not succeed.*Not found"):
        onderwijsdata.fetch_resource(client, "res")


def test_snapshot_fills_every_configured_municipality(tmp_path: Path):
    write_onderwijsdata(tmp_path)
    feed = next(f for f in FAMILY.feeds if f.source == "duo")
    http = make_http("duo", mode="snapshot", generated_dir=tmp_path)
    frame = feed.parse(feed.fetch(http, Geography((), ())))
    assert len(feed.fetch(http, Geography((), ()))) > 1  # the server caps pages: several
    configured = {c for c in load_regions().municipality_codes if c.startswith("GM")}
    assert set(frame["region_code"]) == configured  # Castricum and Uitgeest (JTF) included
    assert sorted(frame["year"].unique()) == [2021, 2022, 2023, 2024, 2025]
    assert frame.filter(pl.col("measure") == "mbo_diplomas_count").height == 0
