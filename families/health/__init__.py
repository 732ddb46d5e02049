"""Health: adults' health from the GGD/CBS/RIVM health monitor per municipality (CBS StatLine),
in the survey years the table has."""

from __future__ import annotations

from families.cbs import cbs_family
from transforms.stat_rules import share_rules
from transforms.statline import MeasureSpec, TableSpec

# 86137NED "Gezondheidsmonitor; bevolking 18 jaar of ouder, regio, 2024" (one survey year per
# table; other survey years are found by the catalogue stem). Its v4 structure is unverified.
# The measure titles vary between the monitor's tables, so each is matched on its letters with
# the variants public code shows: v3 keys ErvarenGezondheidGoedZeerGoed_6 (CBS 2020 table) and
# GoedErvarenGezondheid_4 (RIVM 50150NED), HoogRisicoAngststoornisOfDepressie_14 (RIVM 2024)
# and "Hoog risico op angst of depressie (%)" (2020/2022 CSV headers), MoeiteMetRondkomen_1
# (RIVM 2024). Survey tables carry a Marges dimension: read at MW00000 (the estimate; the
# bounds are MOG0095/MBG0095, from v3 code) where present. The health divide (by education
# level) needs a person-characteristics breakdown whose codes no evidence shows: not built.
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("86137NED", (
        MeasureSpec("good_health_pct", "Goed ervaren gezondheid", "%", "%",
                    aliases=("Ervaren gezondheid goed/zeer goed",
                             "Ervaren gezondheid (zeer) goed")),
        MeasureSpec("anxiety_depression_risk_pct", "Hoog risico op angststoornis of depressie",
                    "%", "%", aliases=("Hoog risico op angst of depressie",)),
        MeasureSpec("difficulty_making_ends_meet_pct", "Moeite met rondkomen", "%", "%",
                    optional=True)),
        if_present={"Marges": "MW00000"},
        catalogue_title="Gezondheidsmonitor; bevolking 18 jaar of ouder, regio"),
)
MEASURES = ("good_health_pct", "anxiety_depression_risk_pct", "difficulty_making_ends_meet_pct")

FAMILY = cbs_family(
    "health", "Adults' health (GGD health monitor) per municipality, survey years.",
    CBS_TABLES, lambda: share_rules(MEASURES))
