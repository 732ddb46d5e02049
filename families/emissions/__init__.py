"""Emissions: CO2 per municipality (Klimaatmonitor), per sector (Emissieregistratie) and of
the Tata Steel IJmuiden installation (EU ETS), in one long table."""

from __future__ import annotations

from core.tables import STAT_SHAPE
from families.base import Family, Feed
from sources import emissieregistratie, eu_ets, klimaatmonitor
from transforms.emissions import (
    emissions_rules,
    parse_emissieregistratie,
    parse_eu_ets,
    parse_klimaatmonitor,
)

FAMILY = Family(
    name="emissions",
    table=STAT_SHAPE.table("clean_emissions", "CO2 and greenhouse-gas emissions per "
                           "municipality, sector and installation."),
    rules=emissions_rules,  # the common statistical rules plus units per measure
    sources=("klimaatmonitor", "emissieregistratie", "eu_ets"),
    cadence="monthly",
    feeds=(
        Feed(name="klimaatmonitor_emissions", source="klimaatmonitor",
             description="Klimaatmonitor Open Data Service: total CO2 emission (kt) per "
                         "municipality and for the Netherlands, yearly (OData Values pages).",
             fetch=lambda http, geo: klimaatmonitor.fetch_all(http), parse=parse_klimaatmonitor),
        Feed(name="emissieregistratie_sector_emissions", source="emissieregistratie",
             description="Emissieregistratie export: CO2 (kt) per configured municipality and "
                         "NL, per sector and year; the newest year is provisional.",
             fetch=lambda http, geo: emissieregistratie.fetch_exports(http, geo.municipalities),
             parse=parse_emissieregistratie),
        Feed(name="eu_ets_verified_emissions", source="eu_ets",
             description="EU ETS (Union Registry) verified emissions of Tata Steel IJmuiden, kt "
                         "CO2 per year.",
             fetch=lambda http, geo: eu_ets.fetch_verified_emissions(http), parse=parse_eu_ets),
    ),
)
