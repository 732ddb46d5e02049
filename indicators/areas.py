"""Areas coarser than a municipality (COROP areas) that some CBS tables are published for,
and which of them holds a configured region (`indicators/areas.yaml`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import Field, model_validator

from core.config import Strict, Text, load_yaml

AREAS_FILE = Path(__file__).parent / "areas.yaml"


class Area(Strict):
    code: str = Field(pattern=r"^CR\d{2}$")  # as CBS writes it in RegioS
    name: Text
    municipalities: list[str] = Field(min_length=1)
    municipality_names: list[str]

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


def load_areas(path: Path = AREAS_FILE) -> Areas:
    return load_yaml(path, Areas, "corop", "code")


def holding_area(municipalities: Iterable[str], areas: Areas) -> Area | None:
    """The one area that holds every municipality of a region (None: no area does)."""
    members = set(municipalities)
    return next((a for a in areas.corop if members <= set(a.municipalities)), None)
