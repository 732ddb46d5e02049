"""A feed: one upstream dataset that fills one clean table family.

Each source module declares its feeds; orchestration turns every feed into a raw asset and
every family into a clean asset, so adding a source means adding a feed, not an asset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from sources.http import Payload, SourceHttp

FAMILIES = ("emissions", "employment", "training", "offshore_wind")


@dataclass(frozen=True)
class Feed:
    name: str  # raw asset is `raw_<name>`, e.g. raw_klimaatmonitor_emissions
    source: str  # key in sources.registry.SOURCES
    family: str  # one of FAMILIES; the clean table is `clean_<family>`
    description: str
    fetch: Callable[[SourceHttp], Sequence[Payload]]  # all payloads of the feed, paged
    parse: Callable[[Sequence[Payload]], pl.DataFrame]  # payloads -> clean-table rows

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"feed {self.name}: unknown family {self.family!r}")
