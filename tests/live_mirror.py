"""A stand-in for every live service on 127.0.0.1: the mirror a user would point the base-URL
variables at, serving payloads in the publishers' own formats.

`http://127.0.0.1:<port>/<source>/<rest>` answers what the publisher answers at
`<source's real base URL>/<rest>` (or, for a file the source's listing names on another of
its hosts, `https://<that host>/<rest>`), read from the bundled snapshot's recordings and the
generators' files: the same real-format payloads the snapshot build reads, so the figures a
live build stores can be compared with them. An ENTSO-E window the snapshot does not hold is
answered as the platform answers a window without data (an acknowledgement, reason 999).
Every request is recorded; `failing` makes one source answer a maintenance page (HTTP 200,
HTML, as a proxy in front of a broken service does): a contract error, which fails the source at
once, where an HTTP 500 would be retried for minutes (a transient fault) before failing.
"""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from sources.http import SnapshotTransport
from sources.registry import SOURCES

PAYLOADS = Path(__file__).parent / "payloads"
NO_DATA = PAYLOADS / "entsoe" / "acknowledgement.xml"
MAINTENANCE = b"<!DOCTYPE html><html><body><h1>Onderhoud</h1></body></html>"


def split_source(path: str) -> tuple[str, str]:
    """'/entsoe?documentType=..' -> ('entsoe', '?documentType=..'); '/duo/x' -> ('duo', 'x')."""
    path = path.lstrip("/")
    cut = min((i for i in (path.find("/"), path.find("?")) if i >= 0), default=len(path))
    return path[:cut], path[cut:].removeprefix("/")


class Mirror:
    def __init__(self, roots: list[Path], failing: str | None = None) -> None:
        self.roots, self.failing = roots, failing
        self.requests: list[tuple[str, str]] = []  # (Host header, path with query)
        self._lock = threading.Lock()
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
                mirror.answer(self)

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def base_url_env(self) -> dict[str, str]:
        """Every source's base-URL variable pointed at this mirror."""
        return {spec.url_env: f"{self.url}/{spec.name}" for spec in SOURCES.values()}

    def __enter__(self) -> Mirror:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    split_source = staticmethod(split_source)

    def sources_asked(self) -> set[str]:
        return {split_source(path)[0] for _host, path in self.requests}

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append((handler.headers.get("Host", ""), handler.path))
        source, rest = split_source(handler.path)
        if source not in SOURCES:
            return self._send(handler, 404, b"unknown source", "text/plain")
        if source == self.failing:
            return self._send(handler, 200, MAINTENANCE, "text/html")
        found = self.locate(source, rest)
        if found is None and source == "entsoe":
            return self._send(handler, 200, NO_DATA.read_bytes(), "application/xml")
        if found is None:
            return self._send(handler, 404, b"not mirrored", "text/plain")
        body = found.read_bytes()
        if found.suffix == ".gz":
            body, found = gzip.decompress(body), found.with_suffix("")
        self._send(handler, 200, body, SnapshotTransport.EXTENSIONS[found.suffix])

    def locate(self, source: str, rest: str) -> Path | None:
        spec = SOURCES[source]
        path, _, query = rest.partition("?")
        bases = [spec.base_url] + [f"https://{host}" for host in spec.link_hosts]
        transport = SnapshotTransport(self.roots, spec.secret_names)
        for base in bases:
            url = f"{base.rstrip('/')}/{path}".rstrip("/") + (f"?{query}" if query else "")
            if urlsplit(url).path and (found := transport.locate(url)):
                return found
        return None

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, media: str) -> None:
        handler.send_response(status)
        handler.send_header("content-type", media)
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
