"""Jobs select assets by group, so a new asset in a group is scheduled without edits here."""

import dagster as dg

from orchestration.assets import (
    GROUP_AIR_QUALITY,
    GROUP_INDICATORS,
    GROUP_REPORTS,
    GROUP_STATISTICS,
)
from orchestration.partitions import air_quality_daily, validated_air_quality_yearly

air_quality_daily_job = dg.define_asset_job(
    "air_quality_daily_job",
    selection=dg.AssetSelection.groups(GROUP_AIR_QUALITY)
    & dg.AssetSelection.assets("raw_luchtmeetnet_measurements", "clean_air_quality_hourly"),
    partitions_def=air_quality_daily,
    description="Fetch, validate and store one UTC day of hourly air-quality measurements.",
)

validated_air_quality_job = dg.define_asset_job(
    "validated_air_quality_job",
    selection=dg.AssetSelection.assets("raw_rivm_air_quality", "clean_air_quality_validated_hourly"),
    partitions_def=validated_air_quality_yearly,
    description="Fetch, validate and store one year of RIVM's validated air-quality history.",
)

statistics_job = dg.define_asset_job(
    "statistics_job",
    selection=dg.AssetSelection.groups(GROUP_STATISTICS),
    description="Fetch, validate and store emissions, employment, training and wind statistics.",
)

edition_job = dg.define_asset_job(
    "edition_job",
    selection=dg.AssetSelection.groups(GROUP_INDICATORS, GROUP_REPORTS),
    description="Compute indicators and progress, then publish a report edition.",
)

ALL_JOBS = [air_quality_daily_job, validated_air_quality_job, statistics_job, edition_job]
