"""Poverty: residents with an income up to 105% of the poverty line, per municipality (CBS
StatLine). Energy poverty (the CBS/TNO Monitor Energiearmoede) is not read: CBS publishes it
as custom Excel table sets, not a StatLine table, and their layout could not be verified
(docs/evidence/energy_poverty.md); the regions' agendas list it as a goal not measured."""

from __future__ import annotations

from families.cbs import cbs_family
from transforms.stat_rules import share_rules
from transforms.statline import MeasureSpec, TableSpec

# 86131NED "Armoede van personen; persoons- en huishoudenskenmerken, regio (2025)" (title in
# the CBS catalogue as listed by a third party). Its v4 structure is unverified; the measure is
# resolved at runtime by title and unit: a third party's metric code names the v3 key
# PersonenTot105ArmoedegrensRelatief_32, so the title is matched on its letters ("Personen tot
# 105% armoedegrens", with or without "relatief"), in "%". Person and household dimensions are
# read at their totals, found in their code lists. Newer issues come from the catalogue stem.
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("86131NED", (
        MeasureSpec("poverty_105_share_pct", "Personen tot 105% armoedegrens", "%", "%",
                    aliases=("Personen tot 105% armoedegrens relatief",)),),
        catalogue_title="Armoede van personen; persoons- en huishoudenskenmerken, regio"),
)

FAMILY = cbs_family(
    "poverty", "Residents with an income up to 105% of the poverty line per municipality.",
    CBS_TABLES, lambda: share_rules(("poverty_105_share_pct",)))
