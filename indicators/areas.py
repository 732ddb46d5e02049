"""Areas coarser than a municipality (COROP areas) that some CBS tables are published for,
and which of them holds a configured region (`indicators/areas.yaml`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from core.config import Strict, Text, load_yaml
from core.geography import well_formed

AREAS_FILE = Path(__file__).parent / "areas.yaml"
# CBS numbers the 40 COROP areas CR01 to CR40 in RegioS (docs/evidence/green_zone_more.md G6).
COROP_AREA_CODE = r"^CR(?:0[1-9]|[123][0-9]|40)$"


class Area(Strict):
    code: str  # as CBS writes it in RegioS
    name: Text
    municipalities: list[str] = Field(min_length=1)
    municipality_names: list[str]

    @field_validator("code")
    @classmethod
    def _area_code(cls, code: str) -> str:
        well_formed([code], COROP_AREA_CODE, "COROP area",
                    "write 'CR' and the area's two-digit number, CR01 to CR40, e.g. CR20")
        return code

    @field_validator("municipalities")
    @classmethod
    def _municipality_codes(cls, codes: list[str]) -> list[str]:
        well_formed(codes, r"^GM\d{4}$", "municipality",
                    "write 'GM' and four digits, e.g. GM0453")
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"municipality code(s) {repeated} listed more than once")
        return codes

    @model_validator(mode="after")
    def _named(self) -> Area:
        if len(self.municipality_names) != len(self.municipalities):
            raise ValueError("'municipality_names' needs one name per municipality")
        return self


class NutsArea(Strict):
    code: str = Field(pattern=r"^[A-Z]{2}[0-9A-Z]{0,3}$")  # as Eurostat writes it: NL32, NL
    name: Text


class Areas(Strict):
    corop: list[Area]
    nuts: list[NutsArea] = []

    def nuts_name(self, code: str, lang: str) -> str | None:
        """The name of a NUTS region in `lang` (None: not listed)."""
        found = next((n for n in self.nuts if n.code == code), None)
        return getattr(found.name, lang) if found else None

    @model_validator(mode="after")
    def _one_area_each(self) -> Areas:
        """COROP areas divide the country: a municipality in two areas is a mistake (which one
        holds a region would depend on the order of the file)."""
        first: dict[str, str] = {}
        problems = []
        for area in self.corop:
            for code in area.municipalities:
                if code in first and first[code] != area.code:
                    problems.append(f"corop {area.code!r}, field 'municipalities': {code} is "
                                    f"also in {first[code]!r}; a municipality belongs to one "
                                    "COROP area")
                first.setdefault(code, area.code)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def municipality_names(self) -> dict[tuple[str, str], str]:
        """(area code, municipality code) -> the name this file gives it."""
        return {(a.code, code): name for a in self.corop
                for code, name in zip(a.municipalities, a.municipality_names, strict=True)}


def load_areas(path: Path = AREAS_FILE) -> Areas:
    return load_yaml(path, Areas, "corop", "code")


def holding_area(municipalities: Iterable[str], areas: Areas) -> Area | None:
    """The one area that holds every municipality of a region (None: no area does)."""
    members = set(municipalities)
    return next((a for a in areas.corop if members <= set(a.municipalities)), None)
