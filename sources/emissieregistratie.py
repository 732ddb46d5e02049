"""Emissieregistratie export client: CO2 per municipality, sector and year.

The Emissieregistratie (RIVM and partners) has no REST API; its website exports a table per
area as CSV. This client asks the export for one area at a time:
`{base}/emissies?gebied={CBS code}&stof=CO2&formaat=csv` (base
`https://www.emissieregistratie.nl/data/export`). The export format assumed here (`;`-separated,
columns Jaar;Gebiedcode;Gebied;Sector;Stof;Emissie;Eenheid;Status, decimal comma) must be
checked against a real download where a network exists; the parser names any column it misses.
Final figures for year t appear about two years later, provisional ones the summer after.
Parsing lives in `transforms.emissions.parse_emissieregistratie`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sources.http import Payload, SourceHttp

SOURCE = "emissieregistratie"
DATASET = "co2_per_sector"
EXPORT_PATH = "emissies"
SUBSTANCE = "CO2"


def export_query(region_code: str) -> dict[str, str]:
    """The export request of one area (a CBS municipality code, or NL01 for the country)."""
    return {"gebied": region_code, "stof": SUBSTANCE, "formaat": "csv"}


def fetch_exports(http: SourceHttp, regions: Iterable[str],
                  partition: str | None = None) -> list[Payload]:
    """One CSV export per monitored region; any failure raises (no partial set)."""
    return [http.get(DATASET, EXPORT_PATH, export_query(code), expect="csv",
                     request_key=f"{DATASET}/{code}", partition=partition)
            for code in regions]
