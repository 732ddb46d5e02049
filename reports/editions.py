"""The published editions on disk, read without the page writer (a build that publishes
nothing new, and `status`, only need to know which edition stands)."""

from __future__ import annotations

import json
import re
from pathlib import Path

EDITION_META = "edition.json"
UNCONFIRMED = ".unconfirmed"  # in an edition folder not yet recorded in the warehouse
STAGING_PREFIX = ".staging-"  # work in progress: `.staging-<pid>-...` (folders and files)
_INDEX_TARGET = re.compile(r'url=editions/([^/"]+)/nl/index\.html')


def index_target(site_root: Path) -> str | None:
    """The edition the site's index.html forwards to, or None."""
    try:
        found = _INDEX_TARGET.search((Path(site_root) / "index.html").read_text(encoding="utf-8"))
    except OSError:
        return None
    return found[1] if found else None


def unconfirmed_marks(site_root: Path) -> list[Path]:
    return sorted(Path(site_root).glob(f"editions/*/{UNCONFIRMED}"))


def staging_leftovers(site_root: Path) -> list[Path]:
    site_root = Path(site_root)
    return [*site_root.glob(f"{STAGING_PREFIX}*"), *site_root.glob(f"*/{STAGING_PREFIX}*")]


def needs_reconciling(site_root: Path) -> bool:
    """Whether `reports.writer.reconcile_editions` would look at anything: an unconfirmed
    edition, a staging leftover, or an index not on the newest edition. Checked without
    importing the writer (plotly and the page modules: most of a second of a no-op build)."""
    if unconfirmed_marks(site_root) or staging_leftovers(site_root):
        return True
    latest = list_editions(site_root)
    return bool(latest) and index_target(site_root) != latest[0]["edition_id"]


def list_editions(site_root: Path) -> list[dict]:
    """Every published edition (its edition.json), newest first; unconfirmed ones are not."""
    found = []
    for meta in (Path(site_root) / "editions").glob(f"*/{EDITION_META}"):
        if (meta.parent / UNCONFIRMED).exists():
            continue  # being published, or left by a killed publication (not published)
        try:
            found.append(json.loads(meta.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            found.append({"edition_id": meta.parent.name})
    return sorted(found, key=lambda e: (e.get("generated_at") or "", e["edition_id"]),
                  reverse=True)
