"""Emissions: CO2 per municipality (Klimaatmonitor), per sector (Emissieregistratie, a file
source: exports dropped in `$TRANSITION_MONITOR_HOME/drop/emissieregistratie/`) and of the
Tata Steel IJmuiden installation (EU ETS, pinned in `installations.yaml`), in one long table."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from core.installations import load_installations_file
from core.tables import STAT_SHAPE
from families.base import Family, Feed
from sources import emissieregistratie, eu_ets, klimaatmonitor
from transforms.emissions import (
    EtsInstallation,
    emissions_rules,
    parse_emissieregistratie,
    parse_eu_ets,
    parse_klimaatmonitor,
)

INSTALLATIONS_FILE = Path(__file__).parent / "installations.yaml"


def load_installations(path: Path = INSTALLATIONS_FILE) -> tuple[EtsInstallation, ...]:
    """The followed EU ETS installations, validated (`core.installations`); ids are text (the
    registry's numbers as written)."""
    return tuple(EtsInstallation(
        entity=item.entity, region_code=item.region_code, registry=item.registry,
        installation_ids=tuple(item.installation_ids), name_pattern=item.name_pattern)
        for item in load_installations_file(path).installations)


ETS_INSTALLATIONS = load_installations()

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
             description="Emissieregistratie data export (XLSX a person downloads and drops in "
                         "the drop folder): CO2 (kt) per municipality and NL, per sector and "
                         "year; the newest year is provisional.",
             fetch=lambda http, geo: emissieregistratie.fetch_exports(http, geo.municipalities),
             parse=parse_emissieregistratie),
        Feed(name="eu_ets_verified_emissions", source="eu_ets",
             description="EU ETS (Union Registry) verified emissions of Tata Steel IJmuiden, kt "
                         "CO2 per year, from the registry's verified-emissions file (listed by "
                         "its download page, or dropped in the drop folder).",
             fetch=lambda http, geo: eu_ets.fetch_verified_emissions(http),
             parse=partial(parse_eu_ets, installations=ETS_INSTALLATIONS)),
    ),
)
