"""The bundled snapshot: where recordings live, their provenance manifest, and writers.

Layout: `sources/snapshot/recorded/<host>/<path>/<query slug>.<ext>[.gz]` (see
`sources.http.snapshot_relpath`), one manifest fragment per source in
`sources/snapshot/manifest/<source>.json` saying which values are published figures (with
their citation) and which are synthesized. Large synthesized files are not committed: a
deterministic generator per source writes them into the working data directory on first use.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sources.http import snapshot_relpath
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
