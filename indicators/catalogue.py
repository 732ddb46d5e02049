"""The indicator catalogue and region definitions: declarative YAML, validated on load.

A mistake in either file is a `CatalogueError` naming the file, the entry and the field, so
a partner editing `regions.yaml` or staff adding an indicator see at once what to fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

HERE = Path(__file__).parent
CATALOGUE_FILE = HERE / "catalogue.yaml"
REGIONS_FILE = HERE / "regions.yaml"

THEMES = {"climate": "green_industrial_zone", "air": "green_industrial_zone",
          "offshore_wind": "green_industrial_zone", "work": "inclusion", "learning": "inclusion"}
AGGREGATIONS = ("sum", "population_weighted_mean", "per_inhabitant", "share", "station_mean",
                "national_only", "farm_register")


class CatalogueError(ValueError):
    """A catalogue or regions file is invalid; the message names entry and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    nl: str
    en: str


class SourceTable(_Strict):
    table: str
    measure: str
    entity: str = ""


class Target(_Strict):
    id: str
    kind: Literal["trajectory", "threshold"]
    value: float | None = None
    value_change_pct: float | None = None  # target relative to the base value
    target_year: int | None = None
    baseline_year: int | None = None
    baseline_from_year: int | None = None  # where the data series starts, if later
    label: Text
    document: str
    url: str | None = None
    applies_to: list[str] | Literal["all"] = "all"
    note: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Target:
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


class Indicator(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    description: Text
    definition: Text
    theme: Literal["climate", "air", "offshore_wind", "work", "learning"]
    unit: str
    direction: Literal["higher_is_better", "lower_is_better"]
    aggregation: Literal[AGGREGATIONS]  # type: ignore[valid-type]
    scale: float = 1.0
    # Sums keep a year only when every member municipality reports; installation-level
    # measures (one plant in one municipality) set this to false.
    require_all_members: bool = True
    context_only: bool = False
    source_tables: list[SourceTable] = Field(min_length=1)
    targets: list[Target] = []

    @property
    def agenda(self) -> str:
        return THEMES[self.theme]


class Catalogue(_Strict):
    indicators: list[Indicator]

    def get(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)


class Region(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    kind: Literal["region", "municipality", "country"]
    benchmark: bool = False
    municipalities: list[str] = Field(min_length=1)
    stations: list[str] = []
    wind_farms: list[str] = []


class Regions(_Strict):
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

    @property
    def featured_ids(self) -> list[str]:
        """The featured region ids in the order the regions are declared (every region when
        `featured` is absent)."""
        wanted = set(self.featured) if self.featured is not None else None
        return [r.id for r in self.regions if wanted is None or r.id in wanted]


def _load(path: Path, model: type[BaseModel], list_key: str):
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{Path(path).name}: not valid YAML: {exc}") from None
    try:
        loaded = model.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(_describe(Path(path).name, raw, list_key, exc)) from None
    ids = [item.id for item in getattr(loaded, list_key)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogueError(f"{Path(path).name}: duplicate id(s) {duplicates}")
    return loaded


def _describe(filename: str, raw, list_key: str, exc: ValidationError) -> str:
    """One line per problem: file, entry id and field, and what is wrong."""
    lines = []
    for error in exc.errors():
        loc = list(error["loc"])
        entry = "file"
        if len(loc) >= 2 and loc[0] == list_key and isinstance(loc[1], int):
            items = (raw or {}).get(list_key) or []
            item = items[loc[1]] if loc[1] < len(items) else {}
            entry = f"{list_key[:-1]} {item.get('id', '#' + str(loc[1]))!r}"
            loc = loc[2:]
        field = ".".join(str(part) for part in loc) or "(entry)"
        message = error["msg"].removeprefix("Value error, ")  # pydantic's wrapper adds nothing
        lines.append(f"{filename}: {entry}, field '{field}': {message}")
    return "\n".join(lines)


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    catalogue = _load(Path(path or CATALOGUE_FILE), Catalogue, "indicators")
    for indicator in catalogue.indicators:
        target_ids = [t.id for t in indicator.targets]
        if len(target_ids) != len(set(target_ids)):
            raise CatalogueError(f"catalogue.yaml: indicator {indicator.id!r}, field 'targets': "
                                 "duplicate target id")
    return catalogue


def load_regions(path: Path | str | None = None) -> Regions:
    return _load(Path(path or REGIONS_FILE), Regions, "regions")
