"""Employment: labour participation, unemployment, population and benefit dependency per
municipality (CBS StatLine)."""

from __future__ import annotations

from core.tables import STAT_SHAPE
from families.base import Family
from families.cbs import cbs_feed
from transforms.stat_rules import common_stat_rules
from transforms.statline import MeasureSpec, Rate, TableSpec

# 85969NED publishes counts (x 1000), not rates (SOURCES.md Corrections): the rates are
# derived in the parser. Measure identifiers are unverified, so measures resolve by title and
# unit at runtime. 85494NED ("regionale indeling 2022") is the previous issue; newer issues are
# looked up in the CBS catalogue by the title stem. Leeftijd, where present, is read at
# "15 tot 75 jaar" (the indicators' universe; in 80590ned and 85525NED that code is 52052).
LABOUR_COUNTS = ("employed_persons", "unemployed_persons", "population_15_75_persons")
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("85969NED", (
        MeasureSpec("employed_persons", "Werkzame beroepsbevolking", "persons", "x 1000"),
        MeasureSpec("unemployed_persons", "Werkloze beroepsbevolking", "persons", "x 1000"),
        MeasureSpec("population_15_75_persons", "Beroeps- en niet-beroepsbevolking", "persons",
                    "x 1000")),
        derived=(Rate("net_labour_participation_pct", ("employed_persons",),
                      ("population_15_75_persons",)),
                 Rate("unemployment_pct", ("unemployed_persons",),
                      ("employed_persons", "unemployed_persons"))),
        dimension_titles={"Leeftijd": "15 tot 75 jaar"},
        previous=("85494NED",), catalogue_title="Arbeidsdeelname; regionale indeling"),
    # 70072NED (Regionale kerncijfers): titles and units unverified, resolved at runtime.
    TableSpec("70072NED", (
        MeasureSpec("population_count", "Totale bevolking", "inwoners", "aantal"),
        MeasureSpec("benefit_dependency_pct", "Uitkeringsafhankelijkheid", "%", "%"))),
)

FAMILY = Family(
    name="employment",
    table=STAT_SHAPE.table("clean_employment", "Labour participation, unemployment and "
                           "benefit dependency per municipality."),
    rules=common_stat_rules,
    sources=("cbs_statline",),
    cadence="monthly",
    feeds=(
        cbs_feed("cbs_employment", "employment", CBS_TABLES),
    ),
)
