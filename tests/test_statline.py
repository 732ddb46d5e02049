"""CBS StatLine client and parser against a local server replaying OData v4 payloads
(RELIABILITY.md cases 3, 7, 8, 9, 10)."""

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
from families import employment, offshore_wind, training
from families.registry import statistical
from sources.generators.statline import write_statline
from sources.http import Payload, SnapshotTransport
from sources.registry import make_http
from sources.snapshot import DEMO_MUNICIPALITIES
from sources.statline import fetch_table
from transforms.statline import MeasureSpec, TableSpec, parse_observations
from warehouse.store import Warehouse

TABLES = employment.CBS_TABLES + training.CBS_TABLES + offshore_wind.CBS_TABLES
DEMO_GEOGRAPHY = Geography(tuple(sorted(DEMO_MUNICIPALITIES)), ())


def region_codes():
    return list(DEMO_GEOGRAPHY.municipalities)

SPEC = TableSpec("99999NED", (
    MeasureSpec("net_labour_participation_pct", "Nettoarbeidsparticipatie", "%"),))


def payload(doc: dict, key: str = "k") -> Payload:
    return Payload(source="cbs_statline", dataset="t", request_key=key, url="https://x/CBS/t",
                   media_type="application/json", body=json.dumps(doc).encode(),
                   fetched_at=datetime.now(UTC))


MEASURES = payload({"value": [{"Identifier": "M000173_2", "Title": "Nettoarbeidsparticipatie"}]})
PERIODS = payload({"value": [{"Identifier": "2023JJ00", "Title": "2023", "Status": "Definitief"},
                             {"Identifier": "2024JJ00", "Title": "2024*", "Status": "Voorlopig"}]})


def obs(rows: list[tuple]) -> Payload:
    return payload({"value": [{"Id": i, "Measure": "M000173_2", "RegioS": region, "Perioden": period,
                               "Value": value, "ValueAttribute": attribute}
                              for i, (region, period, value, attribute) in enumerate(rows)]})


def test_padded_keys_markers_and_provisional_periods():
    frame = parse_observations(SPEC, [obs([
        ("GM0453    ", "2023JJ00", 70.1, "None"),
        ("GM0375    ", "2023JJ00", None, "Confidential"),
        ("GM0396    ", "2023JJ00", None, "Missing"),
        ("GM0453    ", "2024JJ00", 71.0, "None"),
    ])], MEASURES, PERIODS).sort("region_code", "period")
    assert frame["region_code"].to_list() == ["GM0375", "GM0396", "GM0453", "GM0453"]
    assert frame["value"].to_list() == [None, None, 70.1, 71.0]
    assert frame["missing_reason"].to_list() == ["confidential", "not available", None, None]
    assert frame["is_provisional"].to_list() == [False, False, False, True]
    assert frame["measure"].unique().to_list() == ["net_labour_participation_pct"]


def test_measure_resolved_by_title_whatever_its_code():
    other = payload({"value": [{"Identifier": "D004711", "Title": "Nettoarbeidsparticipatie"}]})
    rows = payload({"value": [{"Id": 0, "Measure": "D004711", "RegioS": "NL01", "Perioden": "2023JJ00",
                               "Value": 70.0, "ValueAttribute": "None"}]})
    assert parse_observations(SPEC, [rows], other, PERIODS)["value"].to_list() == [70.0]


def test_a_renamed_measure_names_table_and_measure():
    renamed = payload({"value": [{"Identifier": "M1", "Title": "Bruto arbeidsparticipatie"}]})
    with pytest.raises(ContractError, match="99999NED.*Nettoarbeidsparticipatie"):
        parse_observations(SPEC, [obs([])], renamed, PERIODS)


def test_schema_drift_in_observations_is_a_contract_error():
    drifted = payload({"value": [{"Id": 0, "Measure": "M000173_2", "Regio": "GM0453",
                                  "Perioden": "2023JJ00", "Value": 1.0, "ValueAttribute": "None"}]})
    with pytest.raises(ContractError, match="RegioS"):
        parse_observations(SPEC, [drifted], MEASURES, PERIODS)


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

    for spec in TABLES:
        for suffix in ("MeasureCodes", "PeriodenCodes", "Observations"):
            httpserver.expect_request(f"/odata/v1/CBS/{spec.table}/{suffix}").respond_with_handler(handler)
    return state


def live_http(httpserver, fast_retry):
    return make_http("cbs_statline", mode="live", base_url=httpserver.url_for("/odata/v1/CBS"),
                     retry=fast_retry, sleep=lambda s: None)


def test_live_client_pages_through_next_links_once_each(httpserver, replay, fast_retry):
    spec = TABLES[0]
    payloads = fetch_table(live_http(httpserver, fast_retry), spec, region_codes())
    pages = [p for p in payloads if "/Observations/" in p.request_key]
    assert len(pages) >= 2  # the generator pages every 200 rows
    observation_calls = [c for c in replay["calls"] if "Observations" in c]
    assert len(observation_calls) == len(set(observation_calls)) == len(pages)


def test_a_page_failing_once_is_retried(httpserver, replay, generated, fast_retry):
    spec = TABLES[0]
    first = fetch_table(live_http(httpserver, fast_retry), spec, region_codes())
    second_page = first[3].url.replace(httpserver.url_for("").rstrip("/"), "")
    replay["fail_once"].add(second_page)
    again = fetch_table(live_http(httpserver, fast_retry), spec, region_codes())
    assert [p.body for p in again] == [p.body for p in first]


def test_snapshot_mode_fills_every_family(generated):
    feeds = [feed for f in statistical() for feed in f.feeds if feed.source == "cbs_statline"]
    assert len(feeds) == 3
    for feed in feeds:
        http = make_http("cbs_statline", mode="snapshot", generated_dir=generated)
        frame = feed.parse(feed.fetch(http, DEMO_GEOGRAPHY))
        assert frame.height > 0
        assert frame.filter(pl.col("value").is_null())["missing_reason"].null_count() == 0
        assert not frame["region_code"].str.contains(" ").any()


def test_a_revision_keeps_both_vintages_and_current_shows_the_final_value(tmp_path):
    wh = Warehouse(tmp_path / "wh.duckdb")
    provisional = obs([("GM0453    ", "2024JJ00", 100.0, "None")])
    final = obs([("GM0453    ", "2024JJ00", 103.0, "None")])
    final_periods = payload({"value": [{"Identifier": "2024JJ00", "Title": "2024", "Status": "Definitief"}]})
    assert wh.record_payloads([provisional]) == 1
    assert wh.record_payloads([provisional]) == 0  # identical payload: no new vintage
    assert wh.record_payloads([final]) == 1
    assert wh.query("SELECT count(*) AS n FROM raw_payloads")["n"][0] == 2
    current = wh.current_payloads("cbs_statline", "t")
    frame = parse_observations(SPEC, current, MEASURES, final_periods)
    assert frame.select("value", "is_provisional").rows() == [(103.0, False)]
    before = parse_observations(SPEC, [provisional], MEASURES, PERIODS)
    assert before.select("value", "is_provisional").rows() == [(100.0, True)]
