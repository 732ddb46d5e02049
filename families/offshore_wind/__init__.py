"""Offshore wind: national capacity and production (CBS), generation (ENTSO-E) and the
register of farms off the IJmond coast."""

from __future__ import annotations

from core.tables import STAT_SHAPE
from families.base import Family, Feed
from families.cbs import cbs_feed
from sources import entsoe, wind_farms
from transforms.offshore_wind import (
    offshore_wind_rules,
    parse_entsoe_generation,
    parse_wind_farm_register,
)
from transforms.statline import MeasureSpec, TableSpec

# 82610NED: identifiers, units and BronTechniek E006638 ("Windenergie op zee") verified in a
# verbatim capture of the v4 service (docs/evidence/cbs_duo.md 1.7). Titles repeat across the
# mln kWh and "in % van het verbruik" groups, hence the pinned identifiers.
# 84575NED: v4 structure unverified (seen through v3 only): title and unit resolved at runtime.
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("82610NED", (
        MeasureSpec("offshore_wind_capacity_mw", "Opgesteld elektrisch vermogen einde jaar", "MW",
                    "megawatt", identifier="M002163"),
        MeasureSpec("offshore_wind_production_gwh", "Netto elektriciteitsproductie", "GWh",
                    "mln kWh", identifier="M002417_1")),
        filters={"BronTechniek": "E006638"}, regional=False),
    TableSpec("84575NED", (
        MeasureSpec("electricity_consumption_gwh", "Nettoverbruik berekend", "GWh", "mln kWh"),),
        regional=False),
)

FAMILY = Family(
    name="offshore_wind",
    table=STAT_SHAPE.table("clean_offshore_wind", "Offshore wind capacity, production and the "
                           "register of farms off the IJmond coast."),
    rules=offshore_wind_rules,
    sources=("cbs_statline", "entsoe", "wind_farms"),
    cadence="monthly",
    feeds=(
        cbs_feed("cbs_offshore_wind", "offshore wind", CBS_TABLES),
        Feed(name="entsoe_offshore_wind_generation", source="entsoe",
             description="ENTSO-E A75 actual generation, Wind Offshore (B18), Netherlands: GWh "
                         "per month and per year, 2015 to the current year (consumption series "
                         "kept as their own measure).",
             fetch=lambda http, geo: entsoe.fetch_years(http), parse=parse_entsoe_generation),
        Feed(name="wind_farm_register", source="wind_farms",
             description="Register of offshore wind farms (project file, cited per farm): "
                         "capacity (MW) by commissioning year, operational, and expected "
                         "(under construction, awarded, planned).",
             fetch=lambda http, geo: wind_farms.fetch_register(http),
             parse=parse_wind_farm_register),
    ),
)
