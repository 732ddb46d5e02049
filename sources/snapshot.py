"""The bundled snapshot: where recordings live, their provenance manifest, and writers.

Layout: `sources/snapshot/recorded/<host>/<path>/<query slug>.<ext>[.gz]` (see
`sources.http.snapshot_relpath`), one manifest fragment per source in
`sources/snapshot/manifest/<source>.json` saying which values are published figures (with
their citation) and which are synthesized. Large synthesized files are not committed: a
deterministic generator per source writes them into the working data directory on first use.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sources.http import snapshot_relpath
from sources.registry import SNAPSHOT_DIR

RECORDED_DIR = SNAPSHOT_DIR / "recorded"
MANIFEST_DIR = SNAPSHOT_DIR / "manifest"


def recording_path(root: Path, url: str, ext: str, *, exclude_params: frozenset[str] = frozenset(),
                   compress: bool = False) -> Path:
    """The file a request's payload is stored in under `root` (the transport's lookup rule)."""
    rel = snapshot_relpath(url, exclude_params)
    return root / f"{rel}.{ext.lstrip('.')}{'.gz' if compress else ''}"


def write_recording(root: Path, url: str, body: bytes, ext: str, *,
                    exclude_params: frozenset[str] = frozenset(), compress: bool = False) -> Path:
    """Store one payload where `SnapshotTransport` will find it. gzip output is reproducible."""
    path = recording_path(root, url, ext, exclude_params=exclude_params, compress=compress)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = gzip.compress(body, mtime=0) if compress else body
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


def load_manifest() -> list[dict]:
    """All manifest entries, each naming a file (or glob), its source and provenance."""
    entries: list[dict] = []
    for path in sorted(MANIFEST_DIR.glob("*.json")):
        entries.extend(json.loads(path.read_text(encoding="utf-8"))["files"])
    return entries
