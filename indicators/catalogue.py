"""The indicator catalogue: declarative YAML, validated on load (regions: `core.geography`).

A mistake in either file is a `CatalogueError` naming the file, the entry and the field, so
a partner editing `regions.yaml` or staff adding an indicator see at once what to fix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from core.config import CatalogueError, Strict, Text, load_yaml
from core.geography import Region, Regions, load_regions

__all__ = ["CatalogueError", "Region", "Regions", "Text", "load_regions"]

HERE = Path(__file__).parent
CATALOGUE_FILE = HERE / "catalogue.yaml"
# A deployment may keep its catalogue elsewhere (its own indicators; a test's).
CATALOGUE_FILE_ENV = "TRANSITION_MONITOR_CATALOGUE"

# Every theme, in the order pages show them, and the agenda it belongs to (declared once: the
# report's words for each are in reports/locales/*.yaml, tested to cover this list).
THEMES = {"climate": "green_industrial_zone", "air": "green_industrial_zone",
          "offshore_wind": "green_industrial_zone", "energy": "green_industrial_zone",
          "green_economy": "green_industrial_zone", "circularity": "green_industrial_zone",
          "work": "inclusion", "learning": "inclusion", "youth": "inclusion",
          "poverty": "inclusion", "health": "inclusion", "cohesion": "inclusion"}
AGENDA_ORDER = tuple(dict.fromkeys(THEMES.values()))
AGGREGATIONS = ("sum", "population_weighted_mean", "per_inhabitant", "share", "station_mean",
                "national_only", "farm_register", "population_weighted_share", "sum_of_parts",
                "holding_area", "nuts_region")


class SourceTable(Strict):
    table: str
    measure: str
    entity: str = ""


class Breakdown(Strict):
    """The parts a `sum_of_parts` indicator adds up (CO2 per sector), shown side by side on
    its page: each entity of the measure with its words per language, in the order shown.
    Entities the source has but this list lacks are shown together as "other"."""

    parts: dict[str, Text] = Field(min_length=1)


class Target(Strict):
    id: str
    kind: Literal["trajectory", "threshold"]
    value: float | None = None
    value_change_pct: float | None = None  # target relative to the base value
    target_year: int | None = None
    baseline_year: int | None = None
    baseline_from_year: int | None = None  # where the data series starts, if later
    label: Text
    document: str = Field(min_length=1)  # the document as it names itself
    # How a page names the document in its language, where `document` is in another
    # language or carries words of one (a Dutch page holds no English): the Dutch or English
    # title, or a plain description with the date. Without it both pages show `document`.
    document_name: Text | None = None
    url: str = Field(pattern=r"^https://\S+$")  # where the document can be read
    scope: Text  # what the target covers (area, gases or energy carriers, universe)
    # False when the target's scope differs from the series it sits beside: it is shown with
    # `scope_note` saying how, as context, and the series is not assessed against it.
    assessed: bool = True
    scope_note: Text | None = None
    applies_to: list[str] | Literal["all"] = "all"
    # What the monitor applies where it differs from the document (another base year, gas or
    # boundary), in words for readers: shown next to the target on every page.
    scope: Text | None = None
    note: str | None = None  # for maintainers only: never shown on a page

    @model_validator(mode="after")
    def _complete(self) -> Target:
        if not self.assessed:
            if self.scope_note is None:
                raise ValueError("a target shown as context ('assessed: false') needs "
                                 "'scope_note' saying how its scope differs from the series")
            if self.value is not None and self.value_change_pct is not None:
                raise ValueError("give at most one of 'value' or 'value_change_pct'")
            return self
        if (self.value is None) == (self.value_change_pct is None):
            raise ValueError("give exactly one of 'value' or 'value_change_pct'")
        if self.kind == "trajectory" and (self.target_year is None or self.baseline_year is None):
            raise ValueError("a trajectory target needs 'target_year' and 'baseline_year'")
        if self.kind == "trajectory" and self.target_year <= self.baseline_year:
            raise ValueError("'target_year' must come after 'baseline_year'")
        if self.kind == "threshold" and self.value is None:
            raise ValueError("a threshold target needs 'value'")
        return self

    def applies(self, region_id: str) -> bool:
        return self.applies_to == "all" or region_id in self.applies_to

    def assesses(self, region_id: str) -> bool:
        """The region's series is assessed against this target (same scope, applies)."""
        return self.assessed and self.applies(region_id)


class Indicator(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    description: Text
    definition: Text
    theme: str
    unit: str  # as stored with every value (a symbol such as kt, %, MW)
    # The unit as pages write it, per language, where it is a word ("students"); else `unit`.
    unit_label: Text | None = None
    direction: Literal["higher_is_better", "lower_is_better"]
    aggregation: Literal[AGGREGATIONS]  # type: ignore[valid-type]
    scale: float = 1.0
    # Sums keep a year only when every member municipality reports; installation-level
    # measures (one plant in one municipality) set this to false.
    require_all_members: bool = True
    context_only: bool = False
    source_tables: list[SourceTable] = Field(min_length=1)
    targets: list[Target] = []
    breakdown: Breakdown | None = None  # only with aggregation sum_of_parts

    @model_validator(mode="after")
    def _breakdown_of_parts(self) -> Indicator:
        if self.breakdown is not None and self.aggregation != "sum_of_parts":
            raise ValueError("'breakdown' needs aggregation 'sum_of_parts' (the parts it shows "
                             "must add up to the indicator's value)")
        return self

    @field_validator("theme")
    @classmethod
    def _known_theme(cls, theme: str) -> str:
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}; known: {', '.join(THEMES)}")
        return theme

    @property
    def agenda(self) -> str:
        return THEMES[self.theme]

    def unit_in(self, lang: str) -> str:
        return getattr(self.unit_label, lang) if self.unit_label else self.unit


class Catalogue(Strict):
    indicators: list[Indicator]

    def get(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    path = Path(path or os.environ.get(CATALOGUE_FILE_ENV) or CATALOGUE_FILE)
    catalogue = load_yaml(path, Catalogue, "indicators")
    for indicator in catalogue.indicators:
        target_ids = [t.id for t in indicator.targets]
        if len(target_ids) != len(set(target_ids)):
            raise CatalogueError(f"catalogue.yaml: indicator {indicator.id!r}, field 'targets': "
                                 "duplicate target id")
    return catalogue


