"""Geography, declared once in `indicators/regions.yaml`: the regions compared, the
municipalities and air-quality stations they consist of, with their names.

What is fetched follows this file (the municipalities and stations of the configured regions),
so a partner adds a region by configuration. Codes are checked on load: a municipality is `GM`
plus four digits (or `NL01` for the country), a station is a Luchtmeetnet number declared under
`stations:` with its name, and every code a region uses must be declared with its name, so pages
can show names where people expect them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from core.config import Strict, Text, load_yaml

REGIONS_FILE = Path(__file__).resolve().parent.parent / "indicators" / "regions.yaml"
# A deployment may keep its regions file elsewhere (a partner's own file, a test's).
REGIONS_FILE_ENV = "TRANSITION_MONITOR_REGIONS"
MUNICIPALITY_CODE = r"^(GM\d{4}|NL01)$"
STATION_CODE = r"^NL\d{5}$"


@dataclass(frozen=True)
class Geography:
    """What to fetch: municipality codes (and NL01), station codes and the NUTS codes of
    Eurostat's regional figures, sorted."""

    municipalities: tuple[str, ...]
    stations: tuple[str, ...]
    nuts: tuple[str, ...] = ()


class Station(Strict):
    code: str = Field(pattern=STATION_CODE)
    name: str
    # None where the station stands outside the monitored municipalities (background stations)
    municipality: str | None = Field(default=None, pattern=MUNICIPALITY_CODE)


class Region(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    kind: Literal["region", "municipality", "country"]
    benchmark: bool = False
    municipalities: list[str] = Field(min_length=1)
    stations: list[str] = []
    wind_farms: list[str] = []
    # The NUTS region(s) Eurostat publishes regional figures for that hold the region: NUTS 2
    # (a province, e.g. NL32) or NUTS 0 (NL) for the country. A region spanning two provinces
    # lists both, and a figure for one province is not shown as the region's.
    nuts: list[str] = []
    # Whose boundary the region follows, in words (names, no codes): its region page shows it
    # above the municipalities its figures are summed over and the areas some come from.
    definition: Text | None = None

    @field_validator("nuts")
    @classmethod
    def _nuts_codes(cls, codes: list[str]) -> list[str]:
        return well_formed(codes, r"^[A-Z]{2}[0-9A-Z]{0,3}$", "NUTS",
                            "write the Eurostat NUTS code, e.g. NL32 (or NL for the country)")

    @field_validator("municipalities")
    @classmethod
    def _municipality_codes(cls, codes: list[str]) -> list[str]:
        return well_formed(codes, MUNICIPALITY_CODE, "municipality", "write 'GM' and four "
                            "digits, e.g. GM0453 (or NL01 for the country)")

    @field_validator("stations")
    @classmethod
    def _station_codes(cls, codes: list[str]) -> list[str]:
        return well_formed(codes, STATION_CODE, "station",
                            "write a Luchtmeetnet station number, e.g. NL49551")


def well_formed(codes: list[str], pattern: str, kind: str, advice: str) -> list[str]:
    bad = [c for c in codes if not re.fullmatch(pattern.strip("^$"), c)]
    if bad:
        raise ValueError(f"malformed {kind} code(s) {bad}: {advice}")
    return codes


class Regions(Strict):
    # Names of every municipality code used below (CBS names), e.g. GM0453: Velsen.
    municipality_names: dict[str, str] = {}
    # Every station a region may use, with its name and municipality.
    station_register: list[Station] = []
    regions: list[Region]
    # The regions an edition charts and tabulates on its indicator and comparison pages. A
    # national deployment has hundreds of regions; the pages stay readable (and small) by
    # featuring a few and leaving the rest to region pages and CSV downloads. Absent: all.
    featured: list[str] | None = None

    @field_validator("featured")
    @classmethod
    def _featured_are_declared(cls, featured: list[str] | None,
                               info: ValidationInfo) -> list[str] | None:
        if featured is None or "regions" not in info.data:  # regions invalid: reported there
            return featured
        if not featured:
            raise ValueError("list at least one region id, or leave 'featured' out to feature "
                             "every region")
        declared = {region.id for region in info.data["regions"]}
        unknown = [region_id for region_id in featured if region_id not in declared]
        if unknown:
            raise ValueError(f"unknown region id(s) {unknown}: every featured id must be the "
                             "id of a region declared under 'regions'")
        repeated = sorted({region_id for region_id in featured if featured.count(region_id) > 1})
        if repeated:
            raise ValueError(f"region id(s) {repeated} listed more than once")
        return featured

    @model_validator(mode="after")
    def _codes_are_declared(self) -> Regions:
        """Every station a region lists is in the register and every municipality has a name
        (a file without a register or names is checked for the codes' shape only)."""
        known = {s.code for s in self.station_register}
        problems = []
        for region in self.regions:
            unknown = [s for s in region.stations if s not in known]
            if unknown and self.station_register:
                problems.append(f"region {region.id!r}, field 'stations': unknown station "
                                f"code(s) {unknown}; declare each under 'station_register' "
                                "with its name")
            if self.municipality_names:
                unnamed = [m for m in region.municipalities if m not in self.municipality_names]
                if unnamed:
                    problems.append(f"region {region.id!r}, field 'municipalities': no name "
                                    f"for {unnamed}; add each under 'municipality_names'")
        if problems:
            raise ValueError("\n".join(problems))  # one line per problem
        return self

    @property
    def featured_ids(self) -> list[str]:
        """The featured region ids in the order the regions are declared (every region when
        `featured` is absent)."""
        wanted = set(self.featured) if self.featured is not None else None
        return [r.id for r in self.regions if wanted is None or r.id in wanted]

    @property
    def municipality_codes(self) -> list[str]:
        """Every municipality (and NL01) of the configured regions: what is fetched."""
        return sorted({code for r in self.regions for code in r.municipalities})

    @property
    def station_codes(self) -> list[str]:
        """Every station of the configured regions: what is fetched."""
        return sorted({code for r in self.regions for code in r.stations})

    @property
    def nuts_codes(self) -> list[str]:
        """Every NUTS code of the configured regions: what is fetched from Eurostat."""
        return sorted({code for r in self.regions for code in r.nuts})

    def station(self, code: str) -> Station | None:
        return next((s for s in self.station_register if s.code == code), None)

    @property
    def geography(self) -> Geography:
        return Geography(tuple(self.municipality_codes), tuple(self.station_codes),
                         tuple(self.nuts_codes))

    def municipality_name(self, code: str) -> str:
        return self.municipality_names.get(code, code)


def regions_file() -> Path:
    """The regions file in use: $TRANSITION_MONITOR_REGIONS, else `indicators/regions.yaml`."""
    return Path(os.environ.get(REGIONS_FILE_ENV) or REGIONS_FILE)


def load_regions(path: Path | str | None = None) -> Regions:
    return load_yaml(Path(path or regions_file()), Regions, "regions")
