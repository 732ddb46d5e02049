"""Energy: total and renewable energy use and household gas use per municipality
(Klimaatmonitor), installed solar capacity (CBS 85005NED); for every region and NL.

Identifiers (see the indicator table in the issue note):
- Klimaatmonitor `energie_totaal_combi` (total known energy use) and `hern_tot` (total known
  renewable energy): ids from the project's verified sources list (SOURCES.md, Corrections)
  and a public Klimaatmonitor client; unit TJ inferred from that client (it plots both as
  "Energie [TJ]"). `kern331b_gas_wont` ("Gemiddeld aardgasverbruik alle woningen
  (weergecorrigeerd)", m3): id, name and unit from a public copy of the catalogue. All three
  are checked against the service's own catalogue (`/Variables`) before any value is fetched.
- CBS 85005NED: measure `M002461` (panel capacity) and sector code `E007161` (all sectors)
  from a third-party build script reading the raw v4 JSON (secondary); the measure's CBS unit
  spelling is unverified (kWp or kW are accepted, both as kWp); every other dimension of the
  table must be filtered to its total or the parser refuses the rows.
- Natural gas delivered to businesses per SBI section (`vbrzg_*`, m3): the Klimaatmonitor
  republishes it per municipality, one variable per section; ids and unit from a public client
  that checked each against the live service (docs/evidence/green_zone_more.md G1). The CBS
  table with the same figures (82538NED, "Levering aardgas, elektriciteit via openbaar net;
  bedrijven, SBI2008, regio") was reported temporarily unavailable and its measures and units
  are unverified, so it is not read.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from core.payload import Payload
from core.tables import STAT_SHAPE
from families.base import Family, Feed
from families.cbs import cbs_feed
from sources import klimaatmonitor
from transforms.emissions import parse_klimaatmonitor
from transforms.green_zone import (
    ENERGY_UNITS,
    KLIMAATMONITOR_ENERGY_VARIABLES,
    add_business_gas_total,
    add_non_renewable,
    energy_rules,
)
from transforms.statline import MeasureSpec, TableSpec

KLIMAATMONITOR_VARIABLES = KLIMAATMONITOR_ENERGY_VARIABLES
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("85005NED", (
        MeasureSpec("solar_capacity_kwp", "Opgesteld vermogen zonnepanelen", "kWp", "kWp",
                    identifier="M002461", alt_units=("kW",)),),
        filters={"SectorEnVermogensklasse": "E007161"}),
)


def parse_energy(payloads: Sequence[Payload]) -> pl.DataFrame:
    """Klimaatmonitor rows of the energy variables, plus the non-renewable part and the
    business gas of all SBI sections."""
    return add_business_gas_total(add_non_renewable(
        parse_klimaatmonitor(payloads, KLIMAATMONITOR_VARIABLES, ENERGY_UNITS)))


FAMILY = Family(
    name="energy",
    table=STAT_SHAPE.table("clean_energy", "Energy use, renewable energy, household gas use, "
                           "business gas deliveries and installed solar capacity per "
                           "municipality."),
    rules=energy_rules,
    sources=("klimaatmonitor", "cbs_statline"),
    cadence="monthly",
    feeds=(
        Feed(name="klimaatmonitor_energy", source="klimaatmonitor",
             description="Klimaatmonitor Open Data Service: total known energy use and "
                         "renewable energy (TJ), average gas use of dwellings (m3) and natural "
                         "gas delivered to businesses per SBI section (m3) per municipality and "
                         "for the Netherlands, yearly.",
             fetch=lambda http, geo: klimaatmonitor.fetch_all(http, KLIMAATMONITOR_VARIABLES),
             parse=parse_energy),
        cbs_feed("cbs_solar_capacity", "installed solar panel capacity (kWp, all sectors)",
                 CBS_TABLES),
    ),
)
