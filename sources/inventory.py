"""Everything the monitor reads, in one place: the statistical feeds (air quality is
partitioned and wired separately) and the generators of synthesized snapshot files.
Adding a source = adding its module's FEEDS (and generator, if any) here."""

from __future__ import annotations

from sources import (
    emissieregistratie,
    entsoe,
    eu_ets,
    klimaatmonitor,
    onderwijsdata,
    statline,
    wind_farms,
)
from sources.feeds import Feed
from sources.generators import air_quality as air_quality_generator
from sources.generators import emissions_wind as emissions_wind_generator
from sources.generators import onderwijsdata as onderwijsdata_generator
from sources.generators import statline as statline_generator
from sources.snapshot import Generator

FEEDS: list[Feed] = [
    *klimaatmonitor.FEEDS,
    *emissieregistratie.FEEDS,
    *eu_ets.FEEDS,
    *statline.FEEDS,
    *onderwijsdata.FEEDS,
    *entsoe.FEEDS,
    *wind_farms.FEEDS,
]

GENERATORS: list[Generator] = [
    *air_quality_generator.GENERATORS,
    *emissions_wind_generator.GENERATORS,
    *statline_generator.GENERATORS,
    *onderwijsdata_generator.GENERATORS,
]


def feeds_for(family: str) -> list[Feed]:
    return [f for f in FEEDS if f.family == family]
