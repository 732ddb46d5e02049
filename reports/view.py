"""The prepared view of an edition: lookups, series and plain-language sentences shared by
every page (pure: inputs in, view out)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import polars as pl

from core.geography import load_regions, regions_file
from indicators.areas import holding_area, load_areas
from reports import i18n
from reports.contract import EditionInputs
from reports.formatting import (
    decimals_for,
)

# -- prepared view: lookups shared by every page ------------------------------------------


def slug(identifier: str) -> str:
    """A file-name-safe form of an identifier (ids are data, so never trusted as paths)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", str(identifier)).strip("-")
    return cleaned or "x"


@dataclass
class EditionView:
    """The inputs arranged for page building: ordered catalogue, per-indicator series with
    the rounded figures every page shows, and assessments in target-priority order.

    Pages ask for one (indicator, region) series thousands of times at national scale, so
    series, regions, indicators and targets are looked up in dictionaries built once here."""

    inputs: EditionInputs
    indicators: list[dict]
    regions: list[dict]
    featured: list[dict]
    decimals: dict[str, int]
    region_values: dict[str, pl.DataFrame]
    station_values: dict[str, pl.DataFrame]
    series: dict[tuple[str, str], pl.DataFrame]
    known_points: dict[tuple[str, str], tuple[list[int], list[float]]]
    assessments: dict[tuple[str, str], list[dict]]
    targets: dict[str, list[dict]]
    focus_region: str | None
    indicators_by_id: dict[str, dict] = field(default_factory=dict)
    regions_by_id: dict[str, dict] = field(default_factory=dict)
    targets_by_id: dict[str, dict] = field(default_factory=dict)
    memo: dict = field(default_factory=dict)  # per-language results every page shares

    @property
    def featured_ids(self) -> list[str]:
        return [r["region_id"] for r in self.featured]

    @property
    def other_regions(self) -> int:
        """How many regions the indicator and comparison pages leave to the downloads."""
        return len(self.regions) - len(self.featured)

    def indicator(self, indicator_id: str) -> dict:
        return self.indicators_by_id[indicator_id]

    def region(self, region_id: str) -> dict:
        return self.regions_by_id[region_id]

    def region_name(self, region_id: str, lang: str) -> str:
        region = self.regions_by_id.get(region_id)
        return _localized(region, "name", lang) if region else str(region_id)

    def target_label(self, target_id: str | None, lang: str) -> str:
        target = self.targets_by_id.get(target_id)
        return _localized(target, "label", lang) if target else ""


def unit_of(indicator: dict, lang: str) -> str:
    """The indicator's unit as `lang` writes it ("students"), else its stored symbol."""
    return indicator.get(f"unit_{lang}") or indicator.get("unit") or ""


def _localized(row: dict, field_name: str, lang: str) -> str:
    return row.get(f"{field_name}_{lang}") or row.get(f"{field_name}_nl") or ""


def build_view(inputs: EditionInputs) -> EditionView:
    """Arrange the inputs once; every page builder reads from the result."""
    indicators = inputs.indicators.to_dicts()
    regions = inputs.regions.to_dicts()
    wanted = None if inputs.featured_regions is None else set(inputs.featured_regions)
    featured = [r for r in regions if wanted is None or r["region_id"] in wanted]
    region_rows, station_rows, decimals = _split_and_round(inputs.values)
    series, known_points = _partition_series(region_rows)
    targets = {k[0]: g.to_dicts() for k, g in inputs.targets.group_by(
        "indicator_id", maintain_order=True)} if inputs.targets.height else {}
    targets_by_id: dict[str, dict] = {}
    for target in (t for group in targets.values() for t in group):
        targets_by_id.setdefault(target["target_id"], target)
    not_benchmarks = [r["region_id"] for r in featured if not r.get("benchmark")]
    return EditionView(
        inputs=inputs, indicators=indicators, regions=regions, featured=featured,
        decimals=decimals, region_values=region_rows, station_values=station_rows,
        series=series, known_points=known_points,
        assessments=_assessments_by_series(inputs.assessments, inputs.targets),
        targets=targets,
        focus_region=(not_benchmarks or [r["region_id"] for r in featured] or [None])[0],
        indicators_by_id={i["indicator_id"]: i for i in indicators},
        regions_by_id={r["region_id"]: r for r in regions}, targets_by_id=targets_by_id)


def _partition_series(region_rows: dict[str, pl.DataFrame]):
    """Every (indicator, region) series, split once (years stay in order), and per series
    the years that have a shown figure with those figures, as plain lists."""
    series, known_points = {}, {}
    for indicator_id, frame in region_rows.items():
        for (region_id,), part in frame.partition_by("region_id", as_dict=True,
                                                     maintain_order=True).items():
            series[(indicator_id, region_id)] = part
        known = (frame.filter(pl.col("shown").is_not_null())
                 .group_by("region_id", maintain_order=True).agg("year", "shown"))
        for region_id, years, shown in known.iter_rows():
            known_points[(indicator_id, region_id)] = (years, shown)
    return series, known_points


def _split_and_round(values: pl.DataFrame):
    """Per indicator: region rows and station rows, each with `shown`, the value rounded to
    the decimals that suit the indicator (the figure every page and download uses)."""
    region_rows, station_rows, decimals = {}, {}, {}
    if values.height == 0:
        return region_rows, station_rows, decimals
    for (indicator_id,), part in values.sort("year").group_by("indicator_id", maintain_order=True):
        d = decimals_for(part["value"].to_list())
        part = part.with_columns(shown=pl.col("value").round(d))
        decimals[indicator_id] = d
        region_rows[indicator_id] = part.filter(pl.col("station_code").is_null())
        station_rows[indicator_id] = part.filter(pl.col("station_code").is_not_null())
    return region_rows, station_rows, decimals


def _assessments_by_series(assessments: pl.DataFrame, targets: pl.DataFrame) -> dict:
    """Assessments per (indicator, region), the catalogue's first-listed target first: that
    one is the headline status shown where there is room for only one."""
    if assessments.height == 0:
        return {}
    rank = {t: i for i, t in enumerate(targets["target_id"].to_list())} if targets.height else {}
    ranked = assessments.with_columns(
        _rank=pl.col("target_id").replace_strict(rank, default=len(rank), return_dtype=pl.Int64)
        .fill_null(len(rank)))  # assessments without a target (context, not measured) last
    out: dict[tuple[str, str], list[dict]] = {}
    for row in ranked.sort("_rank", maintain_order=True).to_dicts():
        out.setdefault((row["indicator_id"], row["region_id"]), []).append(row)
    return out


NO_SERIES = pl.DataFrame(schema={"year": pl.Int64, "shown": pl.Float64})
NO_POINTS: tuple[list[int], list[float]] = ([], [])


def _series(view: EditionView, indicator_id: str, region_id: str) -> pl.DataFrame:
    return view.series.get((indicator_id, region_id), NO_SERIES)


def observation(view: EditionView, indicator_id: str, region_id: str,
                lang: str) -> i18n.Observation:
    """The newest shown figure of one region's series and the one before it."""
    years, shown = view.known_points.get((indicator_id, region_id), NO_POINTS)
    indicator = view.indicator(indicator_id)
    return i18n.Observation(
        region=view.region_name(region_id, lang), unit=unit_of(indicator, lang),
        decimals=view.decimals.get(indicator_id, 1),
        latest_year=years[-1] if years else None, latest_value=shown[-1] if shown else None,
        previous_year=years[-2] if len(years) > 1 else None,
        previous_value=shown[-2] if len(shown) > 1 else None)


def headline(view: EditionView, indicator_id: str, region_id: str) -> dict:
    """The assessment shown where there is room for one status; synthesised when missing."""
    found = view.assessments.get((indicator_id, region_id))
    if found:
        return found[0]
    has_values = bool(view.known_points.get((indicator_id, region_id), NO_POINTS)[0])
    context = view.indicator(indicator_id).get("context_only")
    status = "not_measured" if not has_values else "context" if context else "cannot_assess"
    return {"status": status, "target_id": None, "reason": None}


def sentence(view: EditionView, indicator_id: str, region_id: str, lang: str) -> str:
    """The plain-language sentence for one region's headline assessment; a region without a
    figure because of how the figure is published says why (`unmeasured_why`)."""
    assessment = headline(view, indicator_id, region_id)
    label = view.target_label(assessment.get("target_id"), lang)
    obs = observation(view, indicator_id, region_id, lang)
    text_ = i18n.progress_sentence(obs, assessment, label, lang)
    why = unmeasured_why(view, indicator_id, region_id, lang) if obs.latest_value is None else ""
    return f"{text_[:-1]}; {why}." if why else text_


def unmeasured_why(view: EditionView, indicator_id: str, region_id: str, lang: str) -> str:
    """Why a region has no figure where that follows from how the figure is published: for
    the whole country only, per monitoring station while the region has none, or per
    province or COROP area while the region spans several; "" when that is not the reason."""
    region = view.regions_by_id.get(region_id) or {}
    aggregation = view.indicator(indicator_id).get("aggregation")
    if region.get("kind") == "country":
        return ""

    def measured(other: dict) -> bool:
        return bool(view.known_points.get((indicator_id, other["region_id"]), NO_POINTS)[0])

    # any() stops at the first measured region: cheap for the indicators most regions have
    if not any(measured(r) for r in view.regions if r.get("kind") != "country") \
            and any(measured(r) for r in view.regions if r.get("kind") == "country"):
        return i18n.text("unmeasured_country_only", lang)
    if aggregation == "station_mean" and not region.get("stations"):
        return i18n.text("unmeasured_no_station", lang)
    if aggregation == "nuts_region" and len(_nuts_of(region_id)) > 1:
        return i18n.text("unmeasured_two_provinces", lang)
    if aggregation == "holding_area" and region.get("municipalities") \
            and holding_area(region["municipalities"], _areas()) is None:
        return i18n.text("unmeasured_no_area", lang)
    return ""


@functools.cache
def _areas():
    return load_areas()


def _nuts_of(region_id: str) -> tuple[str, ...]:
    found = {r.id: r for r in _regions(regions_file()).regions}.get(region_id)
    return tuple(found.nuts) if found else ()


@functools.cache
def _regions(path):
    return load_regions(path)


# -- rendering ------------------------------------------------------------------------------


