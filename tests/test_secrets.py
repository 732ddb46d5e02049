"""Secrets (RELIABILITY.md case 22): a fake ENTSO-E key never reaches logs, exceptions, the
Dagster event log or DuckDB; a missing key fails that source alone while others still run."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import dagster as dg
import pytest
from factories import feed
from pytest_httpserver import URIPattern
from werkzeug import Request, Response

from orchestration.assets.statistics import raw_feed_asset
from orchestration.resources import SourcesResource, WarehouseResource
from transforms.emissions import KLIMAATMONITOR_VARIABLES

FAKE_KEY = "fake-entsoe-key-0123456789"


class UnderPath(URIPattern):
    """Every request below one path (the feeds page through many URLs)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def match(self, uri: str) -> bool:
        return uri.startswith(self.path)


def test_a_fake_key_never_reaches_the_event_log_or_the_warehouse(httpserver, tmp_path):
    def echo(request: Request) -> Response:
        return Response(f"<html>upstream error for {request.url}</html>", status=503)

    httpserver.expect_request("/api").respond_with_handler(echo)
    wh = tmp_path / "wh.duckdb"
    resources = {
        "warehouse": WarehouseResource(path=str(wh)),
        "sources": SourcesResource(mode="live", base_urls={"entsoe": httpserver.url_for("/api")},
                                   entsoe_api_key=FAKE_KEY, max_attempts=2, max_wait_s=0.01,
                                   run_retries=0, timeout_s=5),
    }
    with dg.instance_for_test() as instance:
        result = dg.materialize([raw_feed_asset(*feed("entsoe_offshore_wind_generation"))], resources=resources,
                                instance=instance, raise_on_error=False)
        assert not result.success
        sent = [request.url for request, _ in httpserver.log]
        assert sent and all(FAKE_KEY in url for url in sent)  # the key really was used
        logged = " ".join(str(record) for record in instance.all_logs(result.run_id))
    assert "503" in logged and "entsoe" in logged
    assert FAKE_KEY not in logged
    assert not wh.exists() or FAKE_KEY.encode() not in wh.read_bytes()


@pytest.mark.parametrize(("source", "key_field", "feed_name", "path"), [
    ("entsoe", "entsoe_api_key", "entsoe_offshore_wind_generation", "/api"),
    ("klimaatmonitor", "klimaatmonitor_api_key", "klimaatmonitor_emissions", "/odata"),
])
def test_a_body_echoing_the_key_is_stored_without_it(httpserver, tmp_path, source, key_field,
                                                     feed_name, path):
    """An upstream that quotes the request (URL and headers) back in a 200 body."""
    def echo(request: Request) -> Response:
        quoted = json.dumps({"url": request.url, "headers": dict(request.headers)})
        if source == "entsoe":
            return Response('<GL_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-6:'
                            f'generationloaddocument:2:0"><mRID>{escape(quoted)}</mRID>'
                            "</GL_MarketDocument>", content_type="application/xml")
        # the catalogue lists the variables the client checks before fetching values
        variables = [{"ExternalCode": v, "Name": v} for v in KLIMAATMONITOR_VARIABLES]
        return Response(json.dumps({"value": variables, "echo": quoted}),
                        content_type="application/json")

    httpserver.expect_request(UnderPath(path)).respond_with_handler(echo)
    wh = tmp_path / "wh.duckdb"
    resources = {
        "warehouse": WarehouseResource(path=str(wh)),
        "sources": SourcesResource(mode="live", base_urls={source: httpserver.url_for(path)},
                                   max_attempts=1, run_retries=0, timeout_s=5,
                                   **{key_field: FAKE_KEY}),
    }
    dg.materialize([raw_feed_asset(*feed(feed_name))], resources=resources,
                   raise_on_error=False)
    assert httpserver.log, "the source was never called"
    sent = " ".join(f"{r.url} {dict(r.headers)}" for r, _ in httpserver.log)
    assert FAKE_KEY in sent  # the key really was sent, so an echo was possible
    stored = [f for f in tmp_path.glob("wh-payloads/**/*") if f.is_file()]
    assert stored, "nothing was stored: the test would prove nothing"
    assert all(FAKE_KEY.encode() not in f.read_bytes() for f in stored)


KEYED_FEEDS = {"entsoe": "entsoe_offshore_wind_generation",
               "klimaatmonitor": "klimaatmonitor_emissions"}


def test_every_keyed_source_is_covered_here():
    from sources.registry import SOURCES

    assert set(KEYED_FEEDS) == {s.name for s in SOURCES.values() if s.key_env}


@pytest.mark.parametrize("source", sorted(KEYED_FEEDS))
def test_a_missing_key_fails_that_source_alone(tmp_path, monkeypatch, source):
    from sources.registry import SOURCES

    monkeypatch.delenv(SOURCES[source].key_env, raising=False)
    resources = {
        "warehouse": WarehouseResource(path=str(tmp_path / "wh.duckdb")),
        "sources": SourcesResource(mode="live"),
    }
    keyed = f"raw_{KEYED_FEEDS[source]}"
    result = dg.materialize([raw_feed_asset(*feed(KEYED_FEEDS[source])),
                             raw_feed_asset(*feed("wind_farm_register"))],
                            resources=resources, raise_on_error=False)
    failed = {e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"}
    succeeded = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert failed == {keyed}
    assert succeeded == {"raw_wind_farm_register"}
    message = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    error = message.event_specific_data.error
    while error.cause is not None:
        error = error.cause
    assert SOURCES[source].key_env in error.message
