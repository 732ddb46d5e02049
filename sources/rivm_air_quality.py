"""RIVM's validated air-quality history: one `;`-separated CSV per year and component.

`{base}/Vastgesteld-jaar/{YYYY}/{YYYY}_{NO2|PM10|PM25}.csv` (base
`https://data.rivm.nl/data/luchtmeetnet`): seven metadata rows, then one row per hour and one
column per station. Parsing lives in `transforms.air_quality.parse_rivm_yearly_csv`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sources.http import Payload, SourceHttp
from transforms.air_quality import COMPONENTS

SOURCE = "rivm_air_quality"
DATASET = "validated_yearly"


def yearly_path(year: int, component: str) -> str:
    """Path of one validated yearly file below the source's base URL."""
    return f"Vastgesteld-jaar/{year}/{year}_{component}.csv"


def fetch_year(http: SourceHttp, year: int, components: Sequence[str] = COMPONENTS,
               partition: str | None = None) -> list[Payload]:
    """The validated yearly CSV of every component for one year (any failure raises)."""
    return [http.get(DATASET, yearly_path(year, component), expect="csv",
                     request_key=f"{DATASET}/{year}/{component}", partition=partition)
            for component in components]
