"""Training: education level and lifelong learning (CBS StatLine), mbo enrolment by home
municipality (DUO)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from core.geography import load_regions
from core.payload import Payload
from core.tables import STAT_SHAPE
from families.base import Family, Feed
from families.cbs import cbs_feed
from sources import onderwijsdata
from transforms.onderwijsdata import parse_enrolment
from transforms.stat_rules import common_stat_rules
from transforms.statline import MeasureSpec, TableSpec

# Both tables' v4 measure titles and units are unverified (85525NED was seen through v3 only,
# where its person dimensions were read at Geslacht T001038 and Leeftijd 52052 "15 tot 75
# jaar"); measures resolve by title and unit at runtime and fail loudly when absent.
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("85525NED", (
        MeasureSpec("low_education_share_pct", "Laag onderwijsniveau", "%", "%"),),
        dimension_titles={"Leeftijd": "15 tot 75 jaar"}),
    TableSpec("85315NED", (
        MeasureSpec("lifelong_learning_pct", "Deelname aan onderwijs of cursus", "%", "%"),),
        regional=False),
)


def parse_duo(payloads: Sequence[Payload]) -> pl.DataFrame:
    """Enrolment rows from the pages of DUO's home-municipality resource; a name column is
    matched to the municipality names declared in regions.yaml."""
    mine = [p for p in payloads if p.request_key.startswith(f"{onderwijsdata.ENROLMENT_RESOURCE}/")]
    return parse_enrolment(mine, onderwijsdata.ENROLMENT_TABLE, load_regions().municipality_names)


FAMILY = Family(
    name="training",
    table=STAT_SHAPE.table("clean_training", "Education level, mbo enrolment by home "
                           "municipality, lifelong learning."),
    rules=common_stat_rules,
    sources=("cbs_statline", "duo"),
    cadence="monthly",
    feeds=(
        cbs_feed("cbs_training", "training", CBS_TABLES),
        Feed(name="duo_mbo_students", source="duo",
             description="DUO open onderwijsdata: mbo students (BBL, BOL, technical sector "
                         "chambers) by home municipality.",
             fetch=lambda http, geo: onderwijsdata.fetch_training(http), parse=parse_duo),
    ),
)
