"""`transition-monitor record`: refresh the snapshot from the live services.

Fetches what the configured regions need, through the same clients, base URLs and keys as
`build --source live` (`sources.registry.make_http` in live mode), and writes every payload
where snapshot mode reads it (`sources/snapshot/recorded/<host>/<path>/<query>`, keyed by the
publisher's URL even when fetched through a mirror: `SourceHttp.publisher_url`), with a
manifest entry each in `sources/snapshot/manifest/<source>.json`: the URL without keys, the retrieval time, the
SHA-256 of the body and the source's licence. File sources (Emissieregistratie, the wind-farm
register) are not fetched: their files are the drop folder's and the project's.

A source that fails is reported on one line and leaves its recordings as they were; the others
are still recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from core.errors import SourceError
from core.geography import Geography, load_regions
from families.registry import feeds, statistical
from sources import luchtmeetnet, rivm_air_quality
from sources.registry import SOURCES, make_http
from sources.snapshot import MANIFEST_DIR, RECORDED_DIR, add_manifest_entries, record_payload

NOT_RECORDED = ("emissieregistratie", "wind_farms")  # file sources: nothing to fetch


def fetch_plan(geography: Geography, days: Sequence[date], years: Sequence[int]
               ) -> dict[str, list[Callable]]:
    """Per source, the fetches a build of these days and years makes (each `http -> payloads`)."""
    plan: dict[str, list[Callable]] = {
        "luchtmeetnet": [
            *(lambda http, d=d: luchtmeetnet.fetch_measurements(http, d, stations=geography.stations)
              for d in days),
            lambda http: [luchtmeetnet.fetch_station(http, s) for s in geography.stations]],
        "rivm_air_quality": [lambda http, y=y: rivm_air_quality.fetch_year(http, y)
                             for y in years]}
    for _family, feed in feeds(statistical()):
        if feed.source not in NOT_RECORDED:
            plan.setdefault(feed.source, []).append(
                lambda http, feed=feed: feed.fetch(http, geography))
    return plan


def record(days: Sequence[date], years: Sequence[int], *, say: Callable[[str], None],
           only: Sequence[str] | None = None, root: Path = RECORDED_DIR,
           manifest_dir: Path = MANIFEST_DIR, regions_file: str | None = None,
           drop_dir: Path | None = None) -> list[str]:
    """Record every planned source (or `only` these); returns one line per failed source."""
    plan = fetch_plan(load_regions(regions_file).geography, days, years)
    failed = []
    for source, fetches in plan.items():
        if only is not None and source not in only:
            continue
        spec = SOURCES[source]
        try:
            http = make_http(source, mode="live", drop_dir=drop_dir)
            payloads = [p for fetch in fetches for p in fetch(http)]
        except SourceError as exc:
            failed.append(f"FAILED {source}: {' '.join(str(exc).split())} (its recordings are "
                          "unchanged; fix the cause and run `transition-monitor record` again)")
            continue
        by_url = {p.url: p for p in [*http.fetched, *payloads]
                  if p.url.startswith(("http://", "https://"))}  # not the drop folder's files
        fetched = list(by_url.values())
        entries = [record_payload(p, url=http.publisher_url(p.url), licence=spec.licence,
                                  secret_names=spec.secret_names, root=root) for p in fetched]
        add_manifest_entries(source, entries, spec.licence, manifest_dir)
        say(f"{source}: {len(entries)} payload(s) recorded")
    return failed
