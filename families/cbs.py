"""A feed of CBS StatLine tables, as families declare them: the one CBS client fetches the
tables for the configured municipalities, the one CBS parser reads them."""

from __future__ import annotations

from families.base import Feed
from sources import statline
from transforms.statline import TableSpec, parse_tables


def cbs_feed(name: str, topic: str, tables: tuple[TableSpec, ...]) -> Feed:
    """The feed `name` (raw asset `raw_<name>`) of the CBS tables on `topic`."""
    return Feed(name=name, source="cbs_statline",
                description=f"CBS StatLine tables for {topic}: "
                            + ", ".join(s.table for s in tables),
                fetch=lambda http, geo: statline.fetch_tables(http, tables, geo.municipalities),
                parse=lambda payloads: parse_tables(tables, payloads))
