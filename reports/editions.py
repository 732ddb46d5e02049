"""The published editions on disk, read without the page writer (a build that publishes
nothing new, and `status`, only need to know which edition stands)."""

from __future__ import annotations

import json
from pathlib import Path

EDITION_META = "edition.json"
UNCONFIRMED = ".unconfirmed"  # in an edition folder not yet recorded in the warehouse


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
