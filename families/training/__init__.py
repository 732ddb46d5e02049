"""Training: education level and lifelong learning (CBS StatLine), mbo enrolment and
diplomas by home municipality (DUO)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from core.payload import Payload
from core.tables import STAT_SHAPE
from families.base import Family, Feed
from sources import onderwijsdata, statline
from transforms.onderwijsdata import parse_diplomas, parse_enrolment
from transforms.stat_rules import common_stat_rules
from transforms.statline import MeasureSpec, TableSpec, parse_tables

CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("85525NED", (
        MeasureSpec("low_education_share_pct", "Laag onderwijsniveau", "%"),)),
    TableSpec("85315NED", (
        MeasureSpec("lifelong_learning_pct", "Deelname aan onderwijs of cursus", "%"),),
        regional=False),
)


def parse_duo(payloads: Sequence[Payload]) -> pl.DataFrame:
    """Enrolment and diploma rows from the pages of DUO's two resources."""
    def of(resource: str) -> list[Payload]:
        return [p for p in payloads if p.request_key.startswith(f"{resource}/")]

    return pl.concat([
        parse_enrolment(of(onderwijsdata.ENROLMENT_RESOURCE), "mbo-studenten-woongemeente"),
        parse_diplomas(of(onderwijsdata.DIPLOMA_RESOURCE), "gediplomeerde-mbo-studenten")])


FAMILY = Family(
    name="training",
    table=STAT_SHAPE.table("clean_training", "Education level, mbo enrolment and diplomas, "
                           "lifelong learning."),
    rules=common_stat_rules,
    sources=("cbs_statline", "duo"),
    cadence="monthly",
    feeds=(
        Feed(name="cbs_training", source="cbs_statline",
             description="CBS StatLine tables for training: "
                         + ", ".join(s.table for s in CBS_TABLES),
             fetch=lambda http, geo: statline.fetch_tables(http, CBS_TABLES, geo.municipalities),
             parse=lambda payloads: parse_tables(CBS_TABLES, payloads)),
        Feed(name="duo_mbo_students", source="duo",
             description="DUO open onderwijsdata: mbo students (BBL, BOL, technical sectors) "
                         "by home municipality, and mbo diplomas.",
             fetch=lambda http, geo: onderwijsdata.fetch_training(http), parse=parse_duo),
    ),
)
