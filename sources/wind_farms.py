"""The register of offshore wind farms: a sourced project file, read through a feed.

`sources/wind_farms.csv` lists each farm with its capacity (MW), commissioning (or expected)
year (empty when a farm that is not operational has no announced year), status (operational |
under_construction | awarded | planned), the coast it lies off ('IJmond' for the farms off the
IJmond coast), whether the figures are approximate, what is not verified, and a citation (the
documents, with URLs). Update it when a farm's status changes. It is a project file, not
an upstream: `fetch` wraps the bundled CSV in one `Payload` (source 'wind_farms'), identical in
live and snapshot mode, so the register is stored, versioned and validated like any source.
Parsing lives in `transforms.offshore_wind.parse_wind_farm_register`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from sources.http import Payload, SourceHttp
from transforms.offshore_wind import read_register

SOURCE = "wind_farms"
DATASET = "register"
REGISTER_PATH = Path(__file__).with_name("wind_farms.csv")
REGISTER_URL = "sources/wind_farms.csv"  # where the payload comes from: the project itself


def register_payload(path: Path = REGISTER_PATH) -> Payload:
    """The register file as a payload, as if fetched."""
    return Payload(source=SOURCE, dataset=DATASET, request_key=f"{DATASET}/wind_farms.csv",
                   url=REGISTER_URL, media_type="text/csv", body=path.read_bytes(),
                   fetched_at=datetime.now(UTC))


def fetch_register(http: SourceHttp | None = None) -> list[Payload]:
    """The feed's fetch: the bundled register (no request is made; `http` is unused)."""
    return [register_payload()]


def wind_farms(path: Path = REGISTER_PATH) -> pl.DataFrame:
    """The register as a typed table (farm_id, name, capacity_mw, commissioning_year, status,
    coast, approximate, unverified, citation), e.g. for farm names and citations in reports."""
    return read_register(register_payload(path))
