"""The family registry: every data family, one line each. Assets, jobs, sensors, freshness
checks, the warehouse allowlist, `status` and the report inputs derive from this list.

To add a family: create `families/<name>/` declaring a `Family` (its table, feeds, rules,
sources, cadence), then add one line below.
"""

from __future__ import annotations

from families import (
    air_quality,
    business_dynamics,
    circularity,
    cohesion,
    emissions,
    employment,
    energy,
    eu_regional,
    green_economy,
    health,
    offshore_wind,
    poverty,
    training,
    youth,
)
from families.base import Family, Feed

FAMILIES: tuple[Family, ...] = (
    air_quality.HOURLY,
    air_quality.VALIDATED_HOURLY,
    emissions.FAMILY,
    employment.FAMILY,
    training.FAMILY,
    offshore_wind.FAMILY,
    youth.FAMILY,
    poverty.FAMILY,
    health.FAMILY,
    cohesion.FAMILY,
    energy.FAMILY,
    green_economy.FAMILY,
    circularity.FAMILY,
    business_dynamics.FAMILY,
    eu_regional.FAMILY,
)


def family(name: str, families: tuple[Family, ...] = FAMILIES) -> Family:
    try:
        return next(f for f in families if f.name == name)
    except StopIteration:
        raise ValueError(f"unknown family {name!r}; known: {[f.name for f in families]}") from None


def statistical(families: tuple[Family, ...] = FAMILIES) -> tuple[Family, ...]:
    """Families in the long statistical shape, fetched and written whole (not partitioned)."""
    return tuple(f for f in families if f.statistical)


def feeds(families: tuple[Family, ...] = FAMILIES) -> list[tuple[Family, Feed]]:
    return [(f, feed) for f in families for feed in f.feeds]


def snapshot_generators() -> list:
    """The writers of the demo snapshot's synthesized files (run on first use of snapshot
    mode). The CBS tables of the families are synthesized together, with one seed."""
    from sources.generators import air_quality as air_quality_generator
    from sources.generators import emissions_wind as emissions_wind_generator
    from sources.generators import onderwijsdata as onderwijsdata_generator
    from sources.generators.eurostat import eurostat_generator
    from sources.generators.statline import statline_generator

    return [*air_quality_generator.GENERATORS, *emissions_wind_generator.GENERATORS,
            statline_generator(cbs_tables()), *onderwijsdata_generator.GENERATORS,
            eurostat_generator(eu_regional.DATASETS)]


def cbs_tables() -> tuple:
    """Every CBS table the families read, in the order the snapshot generator draws them (it
    draws its synthesized values from one seed, table by table)."""
    return tuple(spec for family in (employment, training, offshore_wind, youth, poverty,
                                     health, cohesion, energy, green_economy, circularity,
                                     business_dynamics)
                 for spec in family.CBS_TABLES)
