"""Circularity: household waste per inhabitant per municipality (CBS 83452NED, "Huishoudelijk
afval per gemeente per inwoner"): residual waste and the separately collected part.

Evidence: the table's title, its measure "Hoeveelheid huishoudelijk afval" in "kg per inwoner"
and its waste types ("Totaal huishoudelijk afval", "Huishoudelijk restafval", "Grof
huishoudelijk restafval", ...) as StatLine shows them (cbs.nl/nl-nl/cijfers/detail/83452NED).
Not verified: the v4 identifiers of the measure and of the waste-type dimension and its codes.
So the measure resolves by title and unit, and the waste-type dimension is the one whose codes
carry these three titles, at runtime (`transforms.statline.Split`). 86053NED, named in the
issue, was not found in any public evidence and is not read.
"""

from __future__ import annotations

from core.tables import STAT_SHAPE
from families.base import Family
from families.cbs import cbs_feed
from transforms.green_zone import add_waste_measures, circularity_rules
from transforms.statline import MeasureSpec, Split, TableSpec

CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("83452NED", (
        MeasureSpec("household_waste_kg_per_inhabitant", "Hoeveelheid huishoudelijk afval",
                    "kg/inw.", "kg per inwoner"),),
        split=Split({"Totaal huishoudelijk afval": "total",
                     "Huishoudelijk restafval": "residual_fine",
                     "Grof huishoudelijk restafval": "residual_coarse"})),
)

FAMILY = Family(
    name="circularity",
    table=STAT_SHAPE.table("clean_circularity", "Household waste per inhabitant per "
                           "municipality: total, residual and separately collected."),
    rules=circularity_rules,
    sources=("cbs_statline",),
    cadence="monthly",
    feeds=(cbs_feed("cbs_household_waste", "household waste per inhabitant by waste type "
                    "(residual and separately collected waste derived)", CBS_TABLES,
                    derive=add_waste_measures),),
)
