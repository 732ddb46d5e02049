"""Air quality: hourly means per station and component in UTC, as two families with one
shape. The open API's unvalidated hours arrive per UTC day; RIVM's validated history per
year. Validated hours win over API hours for the same station, component and hour
(`families.air_quality.sql`)."""

from __future__ import annotations

from core.tables import AIR_HOURLY_SHAPE
from families.base import Family
from transforms.air_quality import air_quality_rules

HOURLY = Family(
    name="air_quality_hourly",
    table=AIR_HOURLY_SHAPE.table(
        "clean_air_quality_hourly",
        "Hourly air-quality measurements from the Luchtmeetnet open API (unvalidated)."),
    rules=air_quality_rules,
    sources=("luchtmeetnet",),
    partitioning="daily",
    cadence="daily",
    statistical=False,
)

VALIDATED_HOURLY = Family(
    name="air_quality_validated_hourly",
    table=AIR_HOURLY_SHAPE.table(
        "clean_air_quality_validated_hourly",
        "Validated hourly air-quality history from RIVM's yearly CSV files."),
    rules=air_quality_rules,
    sources=("rivm_air_quality",),
    partitioning="yearly",
    cadence="monthly",
    statistical=False,
)
