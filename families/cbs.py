"""CBS StatLine feeds and families as the families declare them: the one CBS client fetches
the tables for the configured municipalities, the one CBS parser reads them."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from core.tables import STAT_SHAPE
from families.base import Family, Feed
from sources import statline
from transforms.stat_rules import MUNICIPALITY_OR_COUNTRY, common_stat_rules
from transforms.statline import TableSpec, parse_tables


def cbs_feed(name: str, topic: str, tables: tuple[TableSpec, ...],
             derive: Callable[[pl.DataFrame], pl.DataFrame] | None = None) -> Feed:
    """The feed `name` (raw asset `raw_<name>`) of the CBS tables on `topic`; `derive` adds a
    family's derived measures to the parsed rows (a pure function from `transforms`)."""
    def parse(payloads):
        rows = parse_tables(tables, payloads)
        return derive(rows) if derive is not None else rows

    return Feed(name=name, source="cbs_statline",
                description=f"CBS StatLine tables for {topic}: "
                            + ", ".join(s.table for s in tables),
                fetch=lambda http, geo: statline.fetch_tables(http, tables, geo.municipalities),
                parse=parse)


def cbs_family(name: str, description: str, tables: tuple[TableSpec, ...],
               rules: Callable[[], list] = list,
               region_pattern: str = MUNICIPALITY_OR_COUNTRY,
               derive: Callable[[pl.DataFrame], pl.DataFrame] | None = None) -> Family:
    """A family filled by one CBS feed: `name` (table `clean_<name>`, feed `cbs_<name>`)
    reading `tables`; `rules` are added to the rules every statistical family has (its region
    codes matching `region_pattern`: municipalities, or the coarser areas a table is read at);
    `derive` adds derived measures to the parsed rows, as in `cbs_feed`."""
    return Family(
        name=name,
        table=STAT_SHAPE.table(f"clean_{name}", description),
        rules=lambda: common_stat_rules(region_pattern) + rules(),
        sources=("cbs_statline",),
        cadence="monthly",
        feeds=(cbs_feed(f"cbs_{name}", name.replace("_", " "), tables, derive),),
    )
