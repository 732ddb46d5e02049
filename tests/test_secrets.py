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


# -- every form, every layer (issue 20: keys echoed by upstreams leaked) -------------------

ODD_KEY = "fake+klima/key=0123456789"  # base64-like: .NET JSON escapes + / = as \u002B ...


def dotnet_json_escape(text: str) -> str:
    return "".join(f"\\u{ord(c):04X}" if c in "+/=<>&'" else c for c in text)


def test_redaction_covers_every_form_an_upstream_echoes_a_key_in():
    from urllib.parse import quote

    from core.secrets import holds_secret, redact_text

    echoes = [ODD_KEY, quote(ODD_KEY, safe=""), dotnet_json_escape(ODD_KEY),
              json.dumps(ODD_KEY)[1:-1], escape(ODD_KEY)]
    for echo in echoes:
        text = f"request apikey: {echo} refused"
        assert holds_secret(text, [ODD_KEY])
        clean = redact_text(text, [ODD_KEY])
        assert clean == "request apikey: *** refused"
        assert not holds_secret(clean, [ODD_KEY])
    # a mix of escapes no single form matches is still found (and then refused, not stored)
    mixed = ODD_KEY.replace("+", "%2B").replace("/", "\\u002f")
    assert holds_secret(mixed, [ODD_KEY])


def test_an_exception_chain_is_redacted_in_args_attributes_cause_and_context():
    from core.errors import SourceError
    from core.secrets import redact_exception
    from sources.http import HttpStatusError

    try:
        try:
            raise HttpStatusError("entsoe", f"HTTP 400 securityToken={FAKE_KEY}", status=400,
                                  body=f"<Reason>{FAKE_KEY}</Reason>".encode(),
                                  url=f"https://x.test/api?securityToken={FAKE_KEY}")
        except HttpStatusError as inner:
            raise SourceError("entsoe", f"refused: {inner.body!r}") from ValueError(FAKE_KEY)
    except SourceError as caught:
        outer = redact_exception(caught, [FAKE_KEY])
        inner = outer.__context__
        texts = [str(outer), repr(outer.args), str(outer.__cause__), str(inner),
                 repr(inner.args), inner.url, inner.body.decode()]
    assert all(FAKE_KEY not in t for t in texts), texts
    assert "***" in str(outer) and "***" in str(outer.__cause__)


def test_every_log_record_is_redacted_at_creation(monkeypatch):
    import io
    import logging

    from core.secrets import install_log_redaction

    monkeypatch.setenv("ENTSOE_API_KEY", FAKE_KEY)
    install_log_redaction()
    stream = io.StringIO()
    logger = logging.getLogger("any.library")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        logger.warning("calling %s?securityToken=%s", "x", FAKE_KEY)
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "calling x?securityToken=***\n"


def _files_holding(root, key: str) -> list[str]:
    from core.secrets import holds_secret

    return [str(f) for f in root.rglob("*") if f.is_file() and holds_secret(f.read_bytes(), [key])]


def test_a_key_raised_by_any_code_never_reaches_the_event_log_or_compute_logs(
        tmp_path, monkeypatch, capfd):
    """A parser (not the HTTP client) raises with a configured key in its message, its
    arguments and its cause: the asset boundary redacts the whole chain before Dagster
    records it (`orchestration.assets.keys_redacted`)."""
    from dataclasses import replace

    from orchestration.assets.statistics import clean_family_asset

    monkeypatch.setenv("ENTSOE_API_KEY", FAKE_KEY)
    family, wind = feed("entsoe_offshore_wind_generation")

    def leaky_parse(payloads):
        try:
            raise KeyError(f"securityToken={FAKE_KEY}")
        except KeyError as exc:
            raise ValueError(f"unreadable acknowledgement echoing {FAKE_KEY}") from exc

    leaky = replace(family, feeds=(replace(wind, parse=leaky_parse),))
    home = tmp_path / "dagster"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        result = dg.materialize([clean_family_asset(leaky)], instance=instance,
                                resources={"warehouse": WarehouseResource(
                                    path=str(tmp_path / "wh.duckdb"))},
                                raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        error, chain = failure.event_specific_data.error, []
        while error is not None:
            chain.append(error.to_string())
            error = error.cause or error.context
        logged = " ".join(str(record) for record in instance.all_logs(result.run_id))
    assert "unreadable acknowledgement echoing ***" in chain[0]
    assert len(chain) >= 2 and all(FAKE_KEY not in text for text in chain)
    assert FAKE_KEY not in logged
    out, err = capfd.readouterr()
    assert FAKE_KEY not in out + err
    assert _files_holding(tmp_path, FAKE_KEY) == []  # event log, compute logs, warehouse


def test_echoed_keys_never_reach_stderr_the_event_log_the_payload_store_or_duckdb(
        httpserver, tmp_path, capfd):
    """The two echoes of issue 20: an ENTSO-E acknowledgement whose reason text quotes the
    request with its securityToken, and a Klimaatmonitor body echoing the apikey header the way
    a .NET service escapes it."""
    from pathlib import Path

    refused = (Path(__file__).parent / "payloads" / "entsoe" / "acknowledgement_refused.xml"
               ).read_bytes()

    def entsoe(request: Request) -> Response:
        return Response(refused.replace(b"is not valid.",
                                        f"is not valid ({escape(request.url)}).".encode()),
                        status=400, content_type="text/xml")

    def klimaatmonitor(request: Request) -> Response:
        variables = [{"ExternalCode": v, "Name": v} for v in KLIMAATMONITOR_VARIABLES]
        echo = dotnet_json_escape(request.headers.get("apikey", ""))
        return Response('{"value": ' + json.dumps(variables) + f', "apikey": "{echo}"}}',
                        content_type="application/json")

    httpserver.expect_request(UnderPath("/api")).respond_with_handler(entsoe)
    httpserver.expect_request(UnderPath("/odata")).respond_with_handler(klimaatmonitor)
    resources = {
        "warehouse": WarehouseResource(path=str(tmp_path / "wh.duckdb")),
        "sources": SourcesResource(
            mode="live", base_urls={"entsoe": httpserver.url_for("/api"),
                                    "klimaatmonitor": httpserver.url_for("/odata")},
            entsoe_api_key=FAKE_KEY, klimaatmonitor_api_key=ODD_KEY, max_attempts=1,
            run_retries=0, timeout_s=5),
    }
    home = tmp_path / "dagster"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        result = dg.materialize([raw_feed_asset(*feed("entsoe_offshore_wind_generation")),
                                 raw_feed_asset(*feed("klimaatmonitor_emissions"))],
                                resources=resources, instance=instance, raise_on_error=False)
        failed = {e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"}
        logged = " ".join(str(record) for record in instance.all_logs(result.run_id))
    sent = " ".join(f"{r.url} {dict(r.headers)}" for r, _ in httpserver.log)
    assert FAKE_KEY in sent and ODD_KEY in sent  # both keys were really sent and echoed
    assert failed == {"raw_entsoe_offshore_wind_generation"}  # the refusal; the echo is stored
    assert "ENTSO-E refused the request" in logged and "securityToken=***" in logged
    stored = [f for f in tmp_path.glob("wh-payloads/**/*") if f.is_file()]
    assert any(b'"apikey": "***"' in f.read_bytes() for f in stored)
    out, err = capfd.readouterr()
    for key in (FAKE_KEY, ODD_KEY):
        assert key not in logged and key not in out + err
        assert _files_holding(tmp_path, key) == []


def test_a_body_still_holding_a_key_is_refused_by_the_client_and_by_the_store(httpserver,
                                                                              tmp_path):
    """The last lines of defence: an echo that redaction cannot rewrite (here the key's `+`
    escaped twice, `&#x25;2B`) is refused by the client, and the payload store refuses any
    body or URL holding an active key, whoever built the payload."""
    from datetime import UTC, datetime

    from core.errors import ContractError
    from core.payload import Payload
    from sources.registry import make_http
    from warehouse.store import Warehouse

    twice = ODD_KEY.replace("+", "&#x25;2B")
    httpserver.expect_request("/odata/Variables").respond_with_data(
        json.dumps({"value": [], "echo": twice}), content_type="application/json")
    http = make_http("klimaatmonitor", mode="live", base_url=httpserver.url_for("/odata"),
                     key=ODD_KEY)
    with pytest.raises(ContractError, match="could not be redacted"):
        http.get("variables", "Variables")
    wh = Warehouse(tmp_path / "wh.duckdb")
    for body, url in ((f"echo {twice}".encode(), "https://x.test/a"),
                      (b"{}", f"https://x.test/a?apikey={ODD_KEY}")):
        leaky = Payload("klimaatmonitor", "values", "k", url, "application/json", body,
                        datetime.now(UTC))
        with pytest.raises(ContractError, match="holds an API key"):
            wh.record_payloads([leaky])
    assert _files_holding(tmp_path, ODD_KEY) == []


def test_the_client_itself_redacts_its_key_from_urls_errors_and_payloads(httpserver):
    """The client's own redaction (`SourceHttp.redact`), without the asset boundary behind it:
    an error naming the URL or quoting an echoing body, and a stored payload's URL and request
    key, never hold the key."""
    from core.errors import SourceError
    from sources.http import RetryPolicy
    from sources.registry import make_http

    def echo(request: Request) -> Response:
        if request.args.get("ok"):
            return Response("<GL_MarketDocument/>", content_type="application/xml")
        return Response(f"refused {request.url}", status=401)

    httpserver.expect_request("/api").respond_with_handler(echo)
    http = make_http("entsoe", mode="live", base_url=httpserver.url_for("/api"), key=FAKE_KEY,
                     retry=RetryPolicy(max_attempts=1), sleep=lambda _s: None)
    with pytest.raises(SourceError) as caught:
        http.get("generation", "", {"documentType": "A75"}, expect="xml")
    error = caught.value
    assert FAKE_KEY in httpserver.log[0][0].url  # the key was really sent
    assert FAKE_KEY not in str(error) + (error.url or "") + error.message
    assert "securityToken=***" in str(error)
    got = http.get("generation", "", {"ok": "1"}, expect="xml")
    assert FAKE_KEY not in got.url + got.request_key
