"""Publish one edition: refuse while a validation failed, pick the edition id, write the
site atomically, then keep this edition's indicator values and statuses as vintages."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reports.editions import EDITION_META, list_editions, needs_reconciling
from warehouse.store import Warehouse

# The consumer mark an edition leaves in the warehouse: the writes it was built from.
EDITION_CONSUMER = "report_edition"


def edition_config(source_mode: str, day: str) -> str:
    """What an edition depends on besides the tables: the catalogue, the regions, the source
    mode, the day it is built for (its id, and the staleness it shows) and the project
    version (pages change with the code)."""
    import hashlib
    from importlib import metadata

    from indicators.catalogue import load_catalogue, load_regions

    try:
        version = metadata.version("transition-monitor")
    except metadata.PackageNotFoundError:
        version = "unknown"
    text = "\n".join([load_catalogue().model_dump_json(), load_regions().model_dump_json(),
                      source_mode, day, version])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _edition_tables() -> list[str]:
    from warehouse.connection import DERIVED_TABLES
    from warehouse.schema import CLEAN_TABLES

    return [*CLEAN_TABLES, *DERIVED_TABLES]


def nothing_new_since(wh: Warehouse, site_root: Path, source_mode: str) -> str | None:
    """The latest edition's id when nothing was written to any table since it was published
    and it was built today, from the same configuration and code; else None."""
    latest = latest_published(site_root)
    if latest is None or not wh.path.exists():
        return None
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    seen = wh.changes_since(EDITION_CONSUMER, _edition_tables(),
                            edition_config(source_mode, today))
    return None if seen.everything or seen.changes else latest


class PublishRefused(RuntimeError):
    def __init__(self, tables: list[str], previous: str | None) -> None:
        self.tables = tables
        kept = f"the previous edition stays published ({previous})" if previous else \
            "no edition was published before"
        super().__init__(
            f"refusing to publish: the latest validation failed for {', '.join(tables)}; {kept}. "
            "See the failed expectations with `transition-monitor status`, fix the input, "
            "and re-run the failed asset.")


@dataclass(frozen=True)
class Edition:
    edition_id: str
    index: Path
    pages: int
    pdfs: tuple[str, ...] = ()  # the printed editions' file names
    pdf_errors: tuple[str, ...] = ()  # why a PDF that was asked for is missing


def latest_published(site_root: Path) -> str | None:
    """The newest complete edition (by generation time), or None."""
    editions = list_editions(site_root)
    return editions[0]["edition_id"] if editions else None


def publish_edition(wh: Warehouse, site_root: Path, *, source_mode: str, pdf: bool,
                    load_inputs: Callable, progress: Callable[[str], None] | None = None) -> Edition:
    from reports.writer import free_edition_id, write_edition  # pages: only when publishing

    with wh.session():  # one connection for the many small reads (a new one costs ~20 ms)
        failed = wh.failed_tables()
        if failed:
            raise PublishRefused(failed, latest_published(site_root))
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        # What the edition consumes is taken before its inputs are read: a write landing while
        # it renders is not marked seen, so the next edition picks it up.
        consumed = wh.changes_since(EDITION_CONSUMER, _edition_tables(),
                                    edition_config(source_mode, today))
        edition_id = free_edition_id(site_root / "editions", today)
        inputs = load_inputs(wh, edition_id, demo_data=source_mode == "snapshot")

    def record(written_id: str, index: Path) -> None:  # the writer may have suffixed the id
        wh.commit_edition(written_id, source_mode, str(index), consumed,
                          history=("indicator_values", "progress_assessments"))

    index = write_edition(inputs, site_root, progress=progress, pdf=pdf, record=record)
    edition_id = index.parent.parent.name  # editions/<id>/nl/index.html
    pages = sum(1 for _ in index.parent.parent.rglob("*.html"))
    meta = json.loads((index.parent.parent / EDITION_META).read_text(encoding="utf-8"))
    return Edition(edition_id, index, pages, tuple((meta.get("pdfs") or {}).values()),
                   tuple(meta.get("pdf_errors") or ()))


def reconcile_site(wh: Warehouse, site_root: Path) -> list[str]:
    """After a killed run: the site and the warehouse's edition records made to agree
    (`reports.writer.reconcile_editions`). Nothing to do without a site."""
    if not (Path(site_root) / "editions").is_dir() or not needs_reconciling(site_root):
        return []
    from reports.writer import reconcile_editions  # pages: only when there is work for it

    return reconcile_editions(site_root, wh.edition_ids())
