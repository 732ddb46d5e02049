"""The one source-client mechanism every source reuses.

`SourceHttp` does HTTP with timeouts, bounded retries that honour `Retry-After`, safe
redirects, payload contract checks and secret redaction. In snapshot mode the very same
client runs over `SnapshotTransport`, which answers each request from a bundled file in
the upstream format, so the snapshot exercises the same request, pagination and parsing
code as live mode. `paginate` walks any page chain once, refusing repeats and loops.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import tenacity

from core.errors import (
    ContractError,
    NotInSnapshot,
    SourceError,
    SourceUnavailable,
    first_bytes,
)
from core.payload import Payload
from core.secrets import holds_secret, redact_bytes, redact_text, register
from transforms.xml_safe import ParseError as XmlParseError
from transforms.xml_safe import check_xml

if TYPE_CHECKING:
    from sources.files import FileDrop

XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
REDACTED = "***"
MAX_SLUG = 200  # file names stay under the usual 255-byte limit with extensions
MiB = 2**20
# Encodings the client can inflate a bounded amount at a time (no brotli or zstd is offered).
ACCEPT_ENCODING = "gzip, deflate"
INFLATE = {"gzip": 47, "x-gzip": 47, "deflate": 47}  # zlib wbits: gzip or zlib header, detected


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """Replace every secret value in any form it may be echoed in (`core.secrets`), the
    process's other active secrets, and `name=value` query pairs of secret names, in text."""
    text = redact_text(text, [v for v in secrets.values() if v])
    text = redact_text(text)
    for name in secrets:
        text = re.sub(rf"({re.escape(name)}=)[^&\s'\"]*", rf"\1{REDACTED}", text)
    return text


def snapshot_relpath(url: str, exclude_params: frozenset[str] = frozenset()) -> str:
    """Where a request's payload lives in a snapshot: host/path plus a slug of the query.

    Secret parameters are left out, so recordings never hold a key and match with or without one.
    """
    parts = urlsplit(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if k not in exclude_params)
    path = parts.path.strip("/") or "index"
    if query:
        slug = re.sub(r"[^A-Za-z0-9=&._+-]", "_", "&".join(f"{k}={v}" for k, v in query))
        if len(slug) > MAX_SLUG:  # long OData filters: keep a readable start plus a digest
            slug = f"{slug[:120]}~{hashlib.sha256(slug.encode()).hexdigest()[:16]}"
        path = f"{path}/{slug}"
    return f"{parts.hostname}/{path}"


class HttpStatusError(SourceError):
    """A non-retryable HTTP error status (4xx). `body` keeps the answer so a client can read
    the upstream's own reason (e.g. an ENTSO-E acknowledgement); it is never shown as is: a
    client quotes only what it has redacted with `SourceHttp.redact`."""

    def __init__(self, source: str, message: str, *, status: int, body: bytes,
                 **context) -> None:
        self.status = status
        self.body = body
        super().__init__(source, message, **context)


class SnapshotTransport(httpx.BaseTransport):
    """Answers requests from recorded payloads on disk, in the upstream format.

    Looks for `<root>/<snapshot_relpath>` with the extensions tried in order, gzipped or not.
    """

    EXTENSIONS = {".json": "application/json", ".csv": "text/csv", ".xml": "application/xml",
                  ".html": "text/html", ".xlsx": XLSX_MEDIA}

    def __init__(self, roots: list[Path], exclude_params: frozenset[str] = frozenset()) -> None:
        self.roots = roots
        self.exclude_params = exclude_params

    def locate(self, url: str) -> Path | None:
        rel = snapshot_relpath(url, self.exclude_params)
        for root in self.roots:
            for ext in self.EXTENSIONS:
                for candidate in (root / f"{rel}{ext}", root / f"{rel}{ext}.gz"):
                    if candidate.is_file():
                        return candidate
        return None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = self.locate(str(request.url))
        if path is None:
            return httpx.Response(404, text="not in snapshot", request=request,
                                  headers={"x-snapshot-miss": "1"})
        body = path.read_bytes()
        if path.suffix == ".gz":
            body = gzip.decompress(body)
            path = path.with_suffix("")
        return httpx.Response(200, content=body, request=request,
                              headers={"content-type": self.EXTENSIONS[path.suffix]})


class _Retryable(Exception):
    """Internal: a response worth retrying, carrying how long the server asked us to wait."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


@dataclass
class RetryPolicy:
    """Bounded retries: exponential backoff, or the server's Retry-After, capped."""

    max_attempts: int = 5
    initial_wait_s: float = 1.0
    max_wait_s: float = 60.0

    def wait(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait_s)
        backoff = self.initial_wait_s * 2 ** (retry_state.attempt_number - 1)
        return min(backoff, self.max_wait_s)


EXPECTED_MEDIA = ("json", "csv", "xml", "xlsx", "gzip")
# Binary formats are recognised by their first bytes: an XLSX workbook is a zip archive.
MAGIC = {"xlsx": b"PK\x03\x04", "gzip": b"\x1f\x8b"}


@dataclass
class Throttle:
    """At most `max_calls` requests in any `period_s` seconds (a sliding window).

    `wait()` is called before every request attempt (retries and redirect hops count), and
    sleeps until the oldest request in the window is `period_s` old when the window is full.
    One throttle may be shared by several clients of a source in one process (thread-safe);
    `clock` and `sleep` are injectable, so tests never wait.
    """

    max_calls: int
    period_s: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _sent: deque = field(default_factory=deque, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_calls < 1 or self.period_s <= 0:
            raise ValueError(f"a throttle needs max_calls >= 1 and period_s > 0, got "
                             f"{self.max_calls} per {self.period_s} s")

    def wait(self) -> float:
        """Block until one more request fits in the window, record it; return seconds slept."""
        with self._lock:
            now = self._expire(self.clock())
            slept = 0.0
            if len(self._sent) >= self.max_calls:
                slept = self._sent[0] + self.period_s - now
                self.sleep(slept)
                # A clock that did not move on (a test's) still frees the oldest slot.
                now = self._expire(max(self.clock(), self._sent[0] + self.period_s))
            self._sent.append(now)
            return slept

    def _expire(self, now: float) -> float:
        while self._sent and now - self._sent[0] >= self.period_s:
            self._sent.popleft()
        return now


def check_body(source: str, body: bytes, expect: str, url: str, partition: str | None) -> None:
    """Reject a 200 whose body is not the agreed format (maintenance page, truncation)."""
    stripped = body.lstrip()
    if not stripped:
        raise ContractError(source, "empty response body", url=url, partition=partition)
    if expect in MAGIC:
        if not body.startswith(MAGIC[expect]):
            raise ContractError(source, f"expected an {expect} file, got {first_bytes(body)}",
                                url=url, partition=partition)
        return
    looks_html = stripped[:15].lower().startswith((b"<!doctype html", b"<html"))
    if looks_html:
        raise ContractError(source, f"expected {expect}, got an HTML page: {first_bytes(body)}",
                            url=url, partition=partition)
    try:
        if expect == "json":
            json.loads(body)
        elif expect == "xml":
            check_xml(body)
    except (ValueError, XmlParseError) as exc:
        raise ContractError(source, f"invalid {expect} ({exc.__class__.__name__}): "
                            f"{first_bytes(body)}", url=url, partition=partition) from None


@dataclass
class SourceHttp:
    """HTTP client for one source. Live or snapshot differ only in the transport.

    `params` holds secrets as query parameters (e.g. ENTSO-E `securityToken`), `headers` may hold
    secret headers (Klimaatmonitor `apikey`); both are named in `secret_names` and redacted from
    every URL and message that leaves this class. `files` is the source's drop folder (see
    `sources.files`): files a person downloaded, read as payloads with the same body checks.
    """

    source: str
    base_url: str
    # The publisher's own base URL and other hosts of its files: links in payloads pointing
    # there are followed on `base_url` when that is a mirror (see `on_base`).
    upstream_url: str = ""
    link_hosts: tuple[str, ...] = ()
    transport: httpx.BaseTransport | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    secret_names: frozenset[str] = frozenset()
    timeout_s: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    throttle: Throttle | None = None  # the source's request-rate limit, if it has one
    user_agent: str = "transition-monitor/0.1 (+regional indicator monitor)"
    files: FileDrop | None = None
    # Limits of one request: the answer's size, measured decompressed while it streams in (a
    # gzip bomb stops at the cap), and a wall-clock deadline for the whole answer (a server
    # sending one byte every few seconds never trips the per-read `timeout_s`).
    max_bytes: int = 64 * MiB
    deadline_s: float = 300.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        register(*self._secret_values())  # redacted from every error and log of the process
        self._links: dict[str, str] = {}  # URL fetched on the base -> the publisher's link
        # Every payload `get` returned, for `record` (a listing a client reads but does not
        # hand on is part of what a replay needs).
        self.fetched: list[Payload] = []
        self._client = httpx.Client(
            transport=self.transport, timeout=self.timeout_s, follow_redirects=False,
            headers={"user-agent": self.user_agent, "accept-encoding": ACCEPT_ENCODING},
        )

    # -- public -------------------------------------------------------------------------

    def url_for(self, path: str, query: Mapping[str, str | int] | None = None) -> str:
        base = self.base_url.rstrip("/")
        url = f"{base}/{path.lstrip('/')}" if path else base
        if query:
            url = f"{url}?{urlencode(list(query.items()))}"
        return url

    def get(self, dataset: str, path: str, query: Mapping[str, str | int] | None = None, *,
            expect: str = "json", request_key: str | None = None,
            partition: str | None = None, url: str | None = None) -> Payload:
        """Fetch one payload; `url` (e.g. an OData nextLink) overrides base_url + path + query."""
        assert expect in EXPECTED_MEDIA, expect
        full = self.on_base(url) if url else self.url_for(path, query)
        shown = self.redact(full)
        if url and full != url:
            self._links[shown] = self.redact(url)
        response = self._get_with_retries(full, shown, partition)
        body = self.redact_body(response.content)
        if holds_secret(body):  # an echo in a form no redaction caught: never stored
            raise ContractError(self.source, "the response body holds an API key in a form "
                                "that could not be redacted; it was refused, not stored",
                                url=shown, partition=partition,
                                hint="The upstream echoes the request; report it to the "
                                     "publisher. Nothing was written.")
        try:
            check_body(self.source, body, expect, shown, partition)
        except ContractError as exc:  # the quoted body may echo the request, key included
            exc.message = self.redact(exc.message)
            raise ContractError(self.source, exc.message, url=shown, partition=partition) from None
        payload = Payload(
            source=self.source, dataset=dataset, request_key=request_key or shown, url=shown,
            media_type=response.headers.get("content-type", expect).split(";")[0],
            body=body, fetched_at=datetime.now(UTC),
        )
        self.fetched.append(payload)
        return payload

    def on_base(self, url: str) -> str:
        """A URL read from a payload (OData nextLink, a listed file), moved onto the configured
        base URL when that is not the publisher's: a mirror or proxy then serves every request.

        A URL under the publisher's base URL keeps its remainder after the configured base; one
        elsewhere on the publisher's host or on a declared file host (`link_hosts`) keeps its
        path and query under the configured base. Other URLs are returned unchanged (the
        clients' own host checks then refuse or allow them).
        """
        real, mine = self.upstream_url.rstrip("/"), self.base_url.rstrip("/")
        if not real or real == mine:
            return url
        if url == real or url.startswith((real + "/", real + "?")):
            return mine + url[len(real):]
        there = urlsplit(url)
        if (there.hostname or "").lower() in {urlsplit(real).hostname, *self.link_hosts}:
            base = urlsplit(mine)
            return urlunsplit(base._replace(path=base.path.rstrip("/") + there.path,
                                            query=there.query, fragment=""))
        return url

    def publisher_url(self, shown: str) -> str:
        """The publisher's own URL of a payload fetched on the configured base (what `record`
        keys the snapshot by): the link it followed, or the base swapped back."""
        if shown in self._links:
            return self._links[shown]
        real, mine = self.upstream_url.rstrip("/"), self.base_url.rstrip("/")
        if real and mine != real and (shown == mine or shown.startswith((mine + "/", mine + "?"))):
            return real + shown[len(mine):]
        return shown

    def redact_body(self, body: bytes) -> bytes:
        """The body with any echo of a secret value replaced (an upstream that quotes the
        request back must not get the key into the payload store)."""
        return redact_bytes(redact_bytes(body, self._secret_values()))

    def _secret_values(self) -> list[str]:
        return [v for name in self.secret_names
                if (v := self.params.get(name) or self.headers.get(name))]

    def redact(self, text: str) -> str:
        secrets = {name: self.params.get(name) or self.headers.get(name, "")
                   for name in self.secret_names}
        return redact(text, secrets)

    def close(self) -> None:
        self._client.close()

    # -- internals ----------------------------------------------------------------------

    def _get_with_retries(self, url: str, shown: str, partition: str | None) -> httpx.Response:
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retry.max_attempts),
            wait=self.retry.wait,
            retry=tenacity.retry_if_exception_type((_Retryable, httpx.TransportError)),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(self._get_once, url, shown, partition)
        except _Retryable as exc:
            raise SourceUnavailable(
                self.source, f"HTTP {exc.status} after {self.retry.max_attempts} attempts",
                url=shown, partition=partition) from None
        except httpx.TransportError as exc:
            raise SourceUnavailable(
                self.source, f"{exc.__class__.__name__} after {self.retry.max_attempts} attempts: "
                f"{self.redact(str(exc))}", url=shown, partition=partition) from None

    def _get_once(self, url: str, shown: str, partition: str | None) -> httpx.Response:
        request_url = self._with_secret_params(url)
        headers = dict(self.headers)
        for _hop in range(MAX_REDIRECTS + 1):
            if self.throttle is not None:
                self.throttle.wait()
            response = self._send(request_url, headers, shown, partition)
            if not response.is_redirect:
                return self._accept(response, shown, partition)
            request_url, headers = self._follow(request_url, response, headers, shown, partition)
        raise ContractError(self.source, f"more than {MAX_REDIRECTS} redirects (a loop?)",
                            url=shown, partition=partition)

    def _send(self, url: str, headers: dict[str, str], shown: str,
              partition: str | None) -> httpx.Response:
        """One GET, its body read within the size cap and the deadline; the answer as a plain
        response holding the decoded body."""
        deadline = self.clock() + self.deadline_s
        request = self._client.build_request("GET", url, headers=headers)
        streamed = self._client.send(request, stream=True)
        try:
            body = self._read_capped(streamed, deadline, shown, partition)
        finally:
            streamed.close()
        kept = [(k, v) for k, v in streamed.headers.multi_items()
                if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        response = httpx.Response(streamed.status_code, headers=kept, content=body,
                                  request=request)
        response.next_request = streamed.next_request
        return response

    def _read_capped(self, response: httpx.Response, deadline: float, shown: str,
                     partition: str | None) -> bytes:
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity", *INFLATE):
            raise ContractError(self.source, f"unsupported content-encoding {encoding!r}",
                                url=shown, partition=partition)
        inflate = zlib.decompressobj(INFLATE[encoding]) if encoding in INFLATE else None
        body = bytearray()

        def take(data: bytes) -> None:
            body.extend(data)
            if len(body) > self.max_bytes:
                raise ContractError(
                    self.source, f"the answer is larger than the {self.max_bytes / MiB:.0f} MiB "
                    "this source may send (measured decompressed); refused, nothing stored",
                    url=shown, partition=partition,
                    hint="If the source really grew, raise its max_response_mb in "
                         "sources/registry.py.")

        # A transport that answers from memory (the snapshot's) hands over a read response.
        chunks = [response.content] if response.is_stream_consumed else response.iter_raw()
        for chunk in chunks:
            if self.clock() > deadline:
                raise httpx.ReadTimeout(f"no complete answer within the {self.deadline_s:.0f} s "
                                        "deadline of one request", request=response.request)
            if inflate is None:
                take(chunk)
                continue
            try:
                data = chunk
                while data:  # inflate at most one byte past the cap at a time
                    take(inflate.decompress(data, self.max_bytes - len(body) + 1))
                    data = inflate.unconsumed_tail
            except zlib.error as exc:
                raise ContractError(self.source, f"corrupt {encoding} body: {exc}", url=shown,
                                    partition=partition) from None
        if inflate is not None:
            take(inflate.flush())
        return bytes(body)

    def _with_secret_params(self, url: str) -> str:
        if not self.params:
            return url
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                 if k not in self.params]
        query += list(self.params.items())
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _follow(self, current: str, response: httpx.Response, headers: dict[str, str],
                shown: str, partition: str | None) -> tuple[str, dict[str, str]]:
        target = str(response.next_request.url) if response.next_request else None
        target = self.on_base(target) if target else None  # a mirror's redirect to the publisher
        if not target:
            raise ContractError(self.source, "redirect without a Location", url=shown,
                                partition=partition)
        here, there = urlsplit(current), urlsplit(target)
        if (here.scheme, here.netloc) == (there.scheme, there.netloc):
            return target, headers
        # A cross-origin redirect never carries a key: drop secret headers and parameters.
        query = [(k, v) for k, v in parse_qsl(there.query, keep_blank_values=True)
                 if k not in self.secret_names]
        clean = urlunsplit(there._replace(query=urlencode(query)))
        return clean, {k: v for k, v in headers.items() if k not in self.secret_names}

    def _accept(self, response: httpx.Response, shown: str,
                partition: str | None) -> httpx.Response:
        if response.status_code in RETRYABLE_STATUS:
            raise _Retryable(response.status_code,
                             parse_retry_after(response.headers.get("retry-after")))
        if response.headers.get("x-snapshot-miss"):
            raise NotInSnapshot(self.source, "payload not in the bundled snapshot", url=shown,
                                partition=partition)
        if response.status_code != 200:
            raise HttpStatusError(self.source, f"HTTP {response.status_code}: "
                                  f"{self.redact(first_bytes(response.content))}",
                                  status=response.status_code, body=response.content,
                                  url=shown, partition=partition,
                                  hint="Check the request parameters and the source's "
                                       "documentation.")
        return response


def paginate(source: str, first: Callable[[], Payload],
             next_url: Callable[[Payload], str | None],
             fetch_url: Callable[[str], Payload], *, max_pages: int = 10_000,
             partition: str | None = None) -> Iterator[Payload]:
    """Walk a page chain once: each page URL fetched at most once; a loop is an error.

    `next_url` reads the link to the following page from a payload (OData nextLink, a page
    number turned into a URL, a CKAN offset); a failing page raises, so a partition is
    never written from a partial chain.
    """
    page = first()
    seen = {page.url}
    yield page
    while (link := next_url(page)) is not None:
        if len(seen) >= max_pages:
            raise ContractError(source, f"more than {max_pages} pages", url=page.url,
                                partition=partition)
        page = fetch_url(link)
        if page.url in seen:
            raise ContractError(source, "page chain loops back to a page already fetched",
                                url=page.url, partition=partition)
        seen.add(page.url)
        yield page


def odata_next_link(payload: Payload) -> str | None:
    """The next page of an OData response (v4 `@odata.nextLink`, v3 `odata.nextLink`)."""
    doc = payload.json()
    if not isinstance(doc, dict):
        return None
    return doc.get("@odata.nextLink") or doc.get("odata.nextLink")
