"""EU ETS verified emissions client (Union Registry): Tata Steel IJmuiden's verified CO2.

The Commission publishes one installation-level file per year (`verified_emissions_{YYYY}_en`,
wide: one VERIFIED_EMISSIONS_YYYY column per year since 2008, in tonnes CO2-eq), as a workbook.
This client reads the CSV export of that file's data sheet at
`{base}/verified_emissions_{YYYY}_en.csv` (base
`https://union-registry-data.ec.europa.eu/report/verified-emissions`); where a network exists,
check the address and convert the workbook if only XLSX is offered. No key is needed.
Parsing lives in `transforms.emissions.parse_eu_ets`.
"""

from __future__ import annotations

from sources.http import Payload, SourceHttp

SOURCE = "eu_ets"
DATASET = "verified_emissions"
# The newest file holds every year from 2008 on; bump when the Commission publishes the next.
FILE_YEAR = 2023


def file_path(year: int = FILE_YEAR) -> str:
    return f"verified_emissions_{year}_en.csv"


def fetch_verified_emissions(http: SourceHttp, year: int = FILE_YEAR,
                             partition: str | None = None) -> list[Payload]:
    """The verified-emissions file of one publication year (all installations, all years)."""
    return [http.get(DATASET, file_path(year), expect="csv", request_key=f"{DATASET}/{year}",
                     partition=partition)]
