"""DUO open onderwijsdata (CKAN) client and parser against a local server: offset paging,
`success: false`, column drift, technical-sector counts."""

from __future__ import annotations

import json

import polars as pl
import pytest
from werkzeug import Request, Response

from core.errors import ContractError
from families.training import parse_duo
from sources import onderwijsdata
from sources.registry import make_http
from transforms.onderwijsdata import TECHNICAL_SECTORS, parse_enrolment

FIELDS = [{"id": f} for f in ("_id", "JAAR", "GEMEENTENUMMER", "SECTORKAMER", "BBL", "BOLDT", "BOLVT")]


def records(n: int) -> list[dict]:
    sectors = [sorted(TECHNICAL_SECTORS)[0], "Zorg, welzijn en sport"]
    return [{"_id": i + 1, "JAAR": 2024, "GEMEENTENUMMER": "453", "SECTORKAMER": sectors[i % 2],
             "BBL": 10, "BOLDT": 1, "BOLVT": 20} for i in range(n)]


class FakeCkan:
    def __init__(self, rows: list[dict], fields=FIELDS, fail=False) -> None:
        self.rows, self.fields, self.fail, self.offsets = rows, fields, fail, []

    def __call__(self, request: Request) -> Response:
        offset, limit = int(request.args["offset"]), int(request.args["limit"])
        self.offsets.append(offset)
        if self.fail:
            doc = {"success": False, "error": {"message": "Not found: Resource"}}
        else:
            doc = {"success": True, "result": {"fields": self.fields, "total": len(self.rows),
                                               "records": self.rows[offset:offset + limit]}}
        return Response(json.dumps(doc), content_type="application/json")


@pytest.fixture
def client(httpserver, fast_retry, monkeypatch):
    monkeypatch.setattr(onderwijsdata, "PAGE_SIZE", 5)
    return make_http("duo", mode="live", base_url=httpserver.url_for("/api/3/action"),
                     retry=fast_retry)


def serve(httpserver, fake: FakeCkan) -> FakeCkan:
    httpserver.expect_request("/api/3/action/datastore_search").respond_with_handler(fake)
    return fake


def test_offset_paging_fetches_every_page_once(httpserver, client):
    fake = serve(httpserver, FakeCkan(records(12)))
    pages = onderwijsdata.fetch_resource(client, onderwijsdata.ENROLMENT_RESOURCE)
    assert fake.offsets == [0, 5, 10] and len(pages) == 3
    frame = parse_duo(pages)
    counts = dict(frame.filter(pl.col("region_code") == "GM0453").select("measure", "value").rows())
    assert counts["mbo_bbl_students_count"] == 120  # 12 rows x 10
    assert counts["mbo_bol_students_count"] == 252  # 12 x (1 + 20)
    assert counts["mbo_technical_students_count"] == 186  # 6 technical rows x 31


def test_success_false_is_a_contract_error(httpserver, client):
    serve(httpserver, FakeCkan([], fail=True))
    with pytest.raises(ContractError, match="did not succeed.*Not found"):
        onderwijsdata.fetch_resource(client, "res")


def test_a_dropped_column_is_named(httpserver, client):
    serve(httpserver, FakeCkan(records(2), fields=[f for f in FIELDS if f["id"] != "BBL"]))
    pages = onderwijsdata.fetch_resource(client, "res")
    with pytest.raises(ContractError, match="BBL"):
        parse_enrolment(pages, "t")
