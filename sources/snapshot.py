"""The bundled snapshot: where recordings live, their provenance manifest, and writers.

Layout: `sources/snapshot/recorded/<host>/<path>/<query slug>.<ext>[.gz]` (see
`sources.http.snapshot_relpath`), one manifest fragment per source in
`sources/snapshot/manifest/<source>.json` saying which values are published figures (with
their citation) and which are synthesized. Large synthesized files are not committed: a
deterministic generator per source writes them into the working data directory on first use.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from core.payload import Payload
from sources.http import XLSX_MEDIA, redact, snapshot_relpath
from sources.registry import SNAPSHOT_DIR

RECORDED_DIR = SNAPSHOT_DIR / "recorded"
MANIFEST_DIR = SNAPSHOT_DIR / "manifest"

# What the demo snapshot holds: the geography it was recorded and synthesized for. In snapshot
# mode the configured regions are fetched only where the snapshot has them; a region outside it
# builds with a "not in the demo snapshot" note instead of failing its source.
DEMO_MUNICIPALITIES: dict[str, str] = {
    "GM0453": "Velsen", "GM0375": "Beverwijk", "GM0396": "Heemskerk", "GM0200": "Apeldoorn",
    "GM0150": "Deventer", "GM0301": "Zutphen", "GM0232": "Epe", "GM0285": "Voorst",
    "GM0262": "Lochem", "GM0213": "Brummen", "GM0246": "Heerde", "GM0518": "'s-Gravenhage",
    # Castricum and Uitgeest: the Just Transition Fund's IJmond (regions.yaml `ijmond_jtf`)
    "GM0383": "Castricum", "GM0450": "Uitgeest",
    "NL01": "Nederland"}
# The NUTS regions of the demo regions (regions.yaml `nuts`): Noord-Holland, Gelderland,
# Overijssel, Zuid-Holland and the country.
DEMO_NUTS: tuple[str, ...] = ("NL", "NL21", "NL22", "NL32", "NL33")
DEMO_STATIONS: dict[str, str] = {
    "NL49551": "IJmuiden-Kanaalstraat", "NL49553": "Wijk aan Zee-De Banjaert",
    "NL49557": "Wijk aan Zee-Bosweg", "NL49570": "Beverwijk-Creutzberglaan",
    "NL49572": "Velsen-Staalstraat", "NL49573": "Velsen-Reyndersweg", "NL49556": "De Rijp",
    "NL49703": "Spaarnwoude", "NL10404": "Den Haag-Rebecquestraat",
    "NL10445": "Den Haag-Amsterdamse Veerkade", "NL10446": "Den Haag-Bleriotlaan",
    "NL10450": "Den Haag-Neherkade"}


def recording_path(root: Path, url: str, ext: str, *, exclude_params: frozenset[str] = frozenset(),
                   compress: bool = False) -> Path:
    """The file a request's payload is stored in under `root` (the transport's lookup rule)."""
    rel = snapshot_relpath(url, exclude_params)
    return root / f"{rel}.{ext.lstrip('.')}{'.gz' if compress else ''}"


def write_recording(root: Path, url: str, body: bytes, ext: str, *,
                    exclude_params: frozenset[str] = frozenset(), compress: bool = False,
                    level: int = 9) -> Path:
    """Store one payload where `SnapshotTransport` will find it. gzip output is reproducible
    (fixed mtime). `level` 1 suits the large files a fresh home synthesizes at first use: level
    9 spent most of the generation compressing (0.07 s against 0.005 s for a 590 KB file, for
    files 1.5 times larger)."""
    path = recording_path(root, url, ext, exclude_params=exclude_params, compress=compress)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = gzip.compress(body, compresslevel=level, mtime=0) if compress else body
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return path


@dataclass(frozen=True)
class Generator:
    """A deterministic writer of synthesized snapshot files for one source."""

    source: str
    version: str  # bump when the output changes, so stale caches are rewritten
    write: Callable[[Path], None]  # writes files under the given root


def ensure_generated(root: Path, generators: list[Generator],
                     progress: Callable[[str], None] | None = None) -> Path:
    """Run each generator whose output under `root` is missing or from an older version."""
    root.mkdir(parents=True, exist_ok=True)
    for gen in generators:
        stamp = root / f".{gen.source}.version"
        if stamp.exists() and stamp.read_text() == gen.version:
            continue
        if progress:
            progress(f"generating synthesized snapshot files for {gen.source}")
        gen.write(root)
        stamp.write_text(gen.version)
    return root


# -- recording live payloads into the snapshot (`transition-monitor record`) -----------------

# How a fetched payload is stored so `SnapshotTransport` answers it in the same media type.
# A gzip file (the EU ETS CSV extracts) is stored gzipped once more: the transport undoes one.
RECORDED_FORMATS = {"application/json": ("json", True), "text/csv": ("csv", True),
                    "application/xml": ("xml", True), "text/xml": ("xml", True),
                    "application/gzip": ("csv", True), "application/x-gzip": ("csv", True),
                    XLSX_MEDIA: ("xlsx", False)}


def record_payload(payload: Payload, *, url: str, licence: str,
                   secret_names: frozenset[str], root: Path = RECORDED_DIR) -> dict:
    """Write one fetched payload where snapshot mode finds it, under the publisher's `url`;
    its manifest entry (URL without keys, retrieval time, SHA-256 of the body as served,
    licence)."""
    media = payload.media_type.split(";")[0].strip().lower()
    if media not in RECORDED_FORMATS:
        raise ValueError(f"{payload.source}: cannot record a {media!r} payload ({payload.url})")
    ext, compress = RECORDED_FORMATS[media]
    url = redact(url, dict.fromkeys(secret_names, ""))
    path = write_recording(root, url, payload.body, ext, exclude_params=secret_names,
                           compress=compress)
    retrieved = payload.fetched_at.astimezone(UTC).isoformat(timespec="seconds")
    return {"path": path.relative_to(root).as_posix(), "source": payload.source,
            "provenance": "published", "url": without_params(url, secret_names),
            "retrieved_at": retrieved, "sha256": hashlib.sha256(payload.body).hexdigest(),
            "licence": licence, "description": "Recorded from the live service by "
            "`transition-monitor record`: the body as served.",
            "citations": [f"{without_params(url, secret_names)} (retrieved {retrieved})"]}


def without_params(url: str, names: frozenset[str]) -> str:
    """The URL without the named query parameters (keys never reach a manifest)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit(parts._replace(query=urlencode(query)))


def add_manifest_entries(source: str, entries: list[dict], licence: str,
                         manifest_dir: Path = MANIFEST_DIR) -> Path:
    """Merge entries into the source's manifest fragment, one per path (a re-recording
    replaces its entry), keeping every other entry."""
    path = manifest_dir / f"{source}.json"
    manifest = (json.loads(path.read_text(encoding="utf-8")) if path.exists()
                else {"source": source, "licence": {"terms": licence}, "files": []})
    fresh = {e["path"] for e in entries}
    manifest["files"] = [f for f in manifest["files"] if f.get("path") not in fresh] + entries
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
