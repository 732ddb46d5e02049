"""Test inputs built from the real schemas: the registered families' clean tables, so a test
frame cannot drift from what the pipeline writes."""

from __future__ import annotations

from warehouse.schema import clean_table

AIR_QUALITY_HOURLY = clean_table("clean_air_quality_hourly")
AIR_QUALITY_VALIDATED_HOURLY = clean_table("clean_air_quality_validated_hourly")
EMISSIONS = clean_table("clean_emissions")
EMPLOYMENT = clean_table("clean_employment")
TRAINING = clean_table("clean_training")
OFFSHORE_WIND = clean_table("clean_offshore_wind")


def feed(name: str):
    """(family, feed) of a registered feed, by feed name."""
    from families.registry import feeds

    return next((f, fd) for f, fd in feeds() if fd.name == name)


def demo_geography():
    """What the demo snapshot holds: the geography snapshot-mode fetches use."""
    from core.geography import Geography
    from sources.snapshot import DEMO_MUNICIPALITIES, DEMO_STATIONS

    return Geography(tuple(sorted(DEMO_MUNICIPALITIES)), tuple(sorted(DEMO_STATIONS)))
