"""The shared source-client mechanism (`sources.http.SourceHttp`) against a local server:
throttling, outages, timeouts, wrong bodies, redirects, key redaction and snapshot misses
(RELIABILITY.md cases 1, 2, 4, 5 and 22)."""

from __future__ import annotations

import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from core.errors import ContractError, NotInSnapshot, SourceError, SourceUnavailable
from sources.http import RetryPolicy
from sources.registry import make_http

FAKE_KEY = "fake-key-6f1d2c9e"


def client(httpserver, name: str = "luchtmeetnet", *, key: str | None = None, sleep=None,
           retry: RetryPolicy | None = None, timeout_s: float = 5.0):
    return make_http(name, mode="live", base_url=httpserver.url_for("/api"), key=key,
                     retry=retry or RetryPolicy(max_attempts=3, initial_wait_s=0.01,
                                                max_wait_s=0.05),
                     timeout_s=timeout_s, sleep=sleep or (lambda _s: None))


def test_429_with_retry_after_waits_that_long_then_succeeds_once(httpserver, sleeps):
    httpserver.expect_ordered_request("/api/data").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "2"})
    httpserver.expect_ordered_request("/api/data").respond_with_json({"ok": 1})
    http = client(httpserver, sleep=sleeps.append,
                  retry=RetryPolicy(max_attempts=3, initial_wait_s=0.01, max_wait_s=60))
    payload = http.get("data", "data")
    assert payload.json() == {"ok": 1}
    assert sleeps == [2.0]
    assert len(httpserver.log) == 2


def test_persistent_503_gives_up_after_bounded_attempts(httpserver, fast_retry, sleeps):
    httpserver.expect_request("/api/data").respond_with_data("down", status=503)
    http = client(httpserver, retry=fast_retry, sleep=sleeps.append)
    with pytest.raises(SourceUnavailable) as err:
        http.get("data", "data", partition="2025-01-06")
    assert len(httpserver.log) == fast_retry.max_attempts
    assert len(sleeps) == fast_retry.max_attempts - 1
    message = str(err.value)
    assert "503" in message and "luchtmeetnet" in message and "2025-01-06" in message


def test_read_timeout_becomes_source_unavailable(httpserver):
    def slow(_request: Request) -> Response:
        time.sleep(0.15)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/api/slow").respond_with_handler(slow)
    http = client(httpserver, timeout_s=0.05,
                  retry=RetryPolicy(max_attempts=2, initial_wait_s=0.01, max_wait_s=0.01))
    with pytest.raises(SourceUnavailable, match="Timeout"):
        http.get("slow", "slow")


@pytest.mark.parametrize(("body", "expect", "quoted"), [
    (b"<!DOCTYPE html><html><body>Onderhoud / maintenance\n</body></html>", "json",
     "'<!DOCTYPE html><html><body>Onderhoud / maintenance\\n"),
    (b'{"pagination": {"current_page": 1}, "data": [{"value": 1', "json",
     "'{\"pagination\": {\"current_page\": 1}, \"data\": [{\"value\": 1'"),
    (b"<GL_MarketDocument><TimeSeries>\x01</GL_MarketDocument>", "xml",
     "'<GL_MarketDocument><TimeSeries>\\x01"),
])
def test_wrong_body_is_a_contract_error_quoting_escaped_first_bytes(httpserver, body, expect,
                                                                     quoted):
    httpserver.expect_request("/api/doc").respond_with_data(body, status=200)
    with pytest.raises(ContractError) as err:
        client(httpserver).get("doc", "doc", expect=expect)
    assert quoted in str(err.value)
    assert "\n" not in err.value.message  # control characters are escaped, not echoed


def test_same_origin_redirect_is_followed_with_the_key(httpserver):
    httpserver.expect_request("/api/old").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/api/new")})
    httpserver.expect_request("/api/new").respond_with_json({"moved": True})
    http = client(httpserver, "klimaatmonitor", key=FAKE_KEY)
    assert http.get("doc", "old").json() == {"moved": True}
    new_request = httpserver.log[-1][0]
    assert new_request.path == "/api/new" and new_request.headers.get("apikey") == FAKE_KEY


def test_redirect_loop_ends_in_a_contract_error(httpserver):
    httpserver.expect_request("/api/a").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/api/b")})
    httpserver.expect_request("/api/b").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/api/a")})
    with pytest.raises(ContractError, match="redirects"):
        client(httpserver).get("doc", "a")
    assert len(httpserver.log) <= 6


@pytest.fixture
def other_host():
    """A second server on another host name and port: a different origin."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


# ENTSO-E sends its key in the URL, Klimaatmonitor in a header; the origin echoes it back in
# the Location either way.
@pytest.mark.parametrize(("source", "secret"), [("entsoe", "securityToken"),
                                                ("klimaatmonitor", "apikey")])
def test_cross_host_redirect_never_carries_the_key(httpserver, other_host, source, secret):
    target = other_host.url_for("/landing") + f"?{secret}={FAKE_KEY}&documentType=A75"
    httpserver.expect_request("/api/data").respond_with_data(
        "", status=302, headers={"Location": target})
    other_host.expect_request("/landing").respond_with_data("<ok/>", content_type="text/xml")
    http = client(httpserver, source, key=FAKE_KEY)
    http.get("data", "data", expect="xml")
    origin_request = httpserver.log[0][0]
    landed = other_host.log[0][0]
    assert FAKE_KEY in (origin_request.args.get("securityToken", "")
                        + origin_request.headers.get("apikey", ""))  # the origin did get it
    assert secret not in landed.args and landed.args.get("documentType") == "A75"
    assert "apikey" not in landed.headers
    assert FAKE_KEY not in landed.url and FAKE_KEY not in str(dict(landed.headers))


def sent_key(request, source: str) -> str:
    """The key as the keyed source sends it: ENTSO-E in the URL, Klimaatmonitor in a header."""
    return request.args.get("securityToken", "") if source == "entsoe" else \
        request.headers.get("apikey", "")


@pytest.mark.parametrize("source", ["entsoe", "klimaatmonitor"])
@pytest.mark.parametrize(("status", "body"), [
    (503, b"unavailable"),
    (200, b"<!DOCTYPE html><html>maintenance</html>"),
    (200, b"{truncated"),
    (403, f"forbidden for key {FAKE_KEY}".encode()),
    (404, b"no such series"),
])
def test_a_fake_key_never_appears_in_an_error(httpserver, source, status, body):
    httpserver.expect_request("/api/data").respond_with_data(body, status=status)
    http = client(httpserver, source, key=FAKE_KEY)
    with pytest.raises(SourceError) as err:
        http.get("data", "data", {"periodStart": "202401010000"}, partition="2024")
    assert "/api/data?periodStart=202401010000" in str(err.value)
    assert FAKE_KEY not in str(err.value) and FAKE_KEY not in repr(err.value)
    assert FAKE_KEY not in (err.value.url or "")
    assert sent_key(httpserver.log[0][0], source) == FAKE_KEY  # it was really sent


def test_a_transport_failure_message_never_holds_the_key():
    http = make_http("entsoe", mode="live", base_url="http://127.0.0.1:9/api", key=FAKE_KEY,
                     retry=RetryPolicy(max_attempts=2, initial_wait_s=0.0, max_wait_s=0.0),
                     sleep=lambda _s: None, timeout_s=1.0)
    with pytest.raises(SourceUnavailable) as err:
        http.get("data", "", {"documentType": "A75"})
    assert FAKE_KEY not in str(err.value) and "ConnectError" in str(err.value)


def test_snapshot_miss_is_not_in_snapshot(tmp_path):
    http = make_http("luchtmeetnet", mode="snapshot", generated_dir=tmp_path)
    with pytest.raises(NotInSnapshot) as err:
        http.get("measurements", "measurements", {"station_number": "NL00000", "page": 1})
    assert "NL00000" in str(err.value) and "record" in err.value.hint


def test_a_key_echoed_in_an_error_body_is_redacted(httpserver):
    from werkzeug import Response

    from sources.http import SourceHttp

    def echo(request):
        status = 500 if request.path.endswith("fail") else 200
        return Response(f"<!DOCTYPE html><html>bad request {request.url}</html>", status=status)

    httpserver.expect_request("/api").respond_with_handler(echo)
    httpserver.expect_request("/api/fail").respond_with_handler(lambda r: Response(
        f"denied for {r.url}", status=403))
    client = SourceHttp(source="entsoe", base_url=httpserver.url_for("/api"),
                        params={"securityToken": "echo-me-secret"},
                        secret_names=frozenset({"securityToken"}))
    for path in ("", "fail"):
        with pytest.raises(SourceError) as info:
            client.get("d", path, {"a": "1"})
        assert "echo-me-secret" not in str(info.value)


# -- limits of one request (issue 20: a gzip bomb inflated to 512 MB; a trickle never ended) --

def test_a_gzip_bomb_stops_at_the_size_cap_measured_decompressed(httpserver):
    import gzip
    import tracemalloc

    bomb = gzip.compress(b"\0" * (64 * 2**20), compresslevel=1)  # 64 MiB in a few hundred KB
    httpserver.expect_request("/api/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/json")
    http = client(httpserver)
    http.max_bytes = 2**20
    assert len(bomb) < http.max_bytes  # the cap is on what it inflates to, not on the wire
    tracemalloc.start()
    try:
        with pytest.raises(ContractError, match=r"larger than the 1 MiB .* decompressed"):
            http.get("bomb", "bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # inflated a bounded amount at a time, never the whole bomb


def test_a_compressed_answer_under_the_cap_is_read_whole(httpserver):
    import gzip
    import json

    doc = {"data": list(range(5000))}
    httpserver.expect_request("/api/zipped").respond_with_data(
        gzip.compress(json.dumps(doc).encode()), headers={"Content-Encoding": "gzip"},
        content_type="application/json")
    assert client(httpserver).get("zipped", "zipped").json() == doc


def test_an_answer_trickling_in_byte_by_byte_hits_the_request_deadline(httpserver):
    """One byte every 10 s: every read arrives within the read timeout, so only a deadline on
    the whole answer ends it. The clock is the test's (each read takes "10 s")."""
    def trickle(_request: Request) -> Response:
        def body():
            for _ in range(40):
                time.sleep(0.02)
                yield b" "
        return Response(body(), content_type="application/json", direct_passthrough=True)

    httpserver.expect_request("/api/trickle").respond_with_handler(trickle)
    ticks = iter(range(0, 10_000, 10))
    http = client(httpserver, retry=RetryPolicy(max_attempts=2, initial_wait_s=0.01,
                                                max_wait_s=0.01))
    http.deadline_s, http.clock = 60.0, lambda: float(next(ticks))
    with pytest.raises(SourceUnavailable, match="within the 60 s deadline"):
        http.get("trickle", "trickle")
    assert len(httpserver.log) == 2  # retried once, within bounds, then a clear error
