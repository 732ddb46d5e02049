"""What a data family declares: its clean table, the feeds that fill it, its rules, when it
runs. A feed is one upstream dataset: how to fetch it (a source client) and how to parse it
(a pure parser into the family's table shape)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from core.geography import Geography
from core.payload import Payload
from core.tables import TableSchema

Parse = Callable[[Sequence[Payload]], pl.DataFrame]


@dataclass(frozen=True)
class Feed:
    name: str  # raw asset is `raw_<name>`, e.g. raw_klimaatmonitor_emissions
    source: str  # key in sources.registry.SOURCES
    description: str
    # (SourceHttp, Geography) -> payloads: what the configured regions need, every page
    fetch: Callable[[object, Geography], Sequence[Payload]]
    parse: Parse  # payloads -> rows of the family's table shape
    # Fewer parsed rows than this is a contract error ("200, no data"), never a write: an
    # upstream answering `value: []` must not replace the feed's stored rows with nothing.
    min_rows: int = 1


@dataclass(frozen=True)
class Family:
    """One data family. `partitioning` "none" means one table-wide write per run; "daily" and
    "yearly" families (air quality) are fetched and written per partition."""

    name: str
    table: TableSchema
    rules: Callable[[], list]  # GX business rules on top of the schema's own checks
    sources: tuple[str, ...]  # upstreams whose freshness this table reflects
    feeds: tuple[Feed, ...] = ()
    partitioning: Literal["none", "daily", "yearly"] = "none"
    cadence: str = "monthly"  # when it is refreshed (documented; schedules follow it)
    statistical: bool = True  # the long statistical shape: an indicator input per region
    # A partitioned family's partition with fewer rows than this is a contract error.
    min_rows: int = 1
    # The largest share of a stored window's rows (per `source`) a replacement may drop; a
    # larger drop is refused unless a person allows it (`warehouse.guard`, README).
    max_shrink: float = 0.5

    def __post_init__(self) -> None:
        if self.table.name != f"clean_{self.name}":
            raise ValueError(f"family {self.name}: its table must be named clean_{self.name}")
        if not 0 <= self.max_shrink <= 1:
            raise ValueError(f"family {self.name}: max_shrink is a share, 0 to 1")
        unknown = {f.source for f in self.feeds} - set(self.sources)
        if unknown:
            raise ValueError(f"family {self.name}: feeds read undeclared source(s) {unknown}")

    @property
    def table_name(self) -> str:
        return self.table.name
