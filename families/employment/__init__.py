"""Employment: labour participation, unemployment, population and benefit dependency per
municipality (CBS StatLine)."""

from __future__ import annotations

from core.tables import STAT_SHAPE
from families.base import Family, Feed
from sources import statline
from transforms.stat_rules import common_stat_rules
from transforms.statline import MeasureSpec, TableSpec, parse_tables

CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("85969NED", (
        MeasureSpec("net_labour_participation_pct", "Nettoarbeidsparticipatie", "%"),
        MeasureSpec("unemployment_pct", "Werkloosheidspercentage", "%"))),
    TableSpec("70072NED", (
        MeasureSpec("population_count", "Totale bevolking", "inwoners"),
        MeasureSpec("benefit_dependency_pct", "Uitkeringsafhankelijkheid", "%"))),
)

FAMILY = Family(
    name="employment",
    table=STAT_SHAPE.table("clean_employment", "Labour participation, unemployment and "
                           "benefit dependency per municipality."),
    rules=common_stat_rules,
    sources=("cbs_statline",),
    cadence="monthly",
    feeds=(
        Feed(name="cbs_employment", source="cbs_statline",
             description="CBS StatLine tables for employment: "
                         + ", ".join(s.table for s in CBS_TABLES),
             fetch=lambda http, geo: statline.fetch_tables(http, CBS_TABLES, geo.municipalities),
             parse=lambda payloads: parse_tables(CBS_TABLES, payloads)),
    ),
)
