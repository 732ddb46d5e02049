"""Indicator series per region (and per station for air quality), from the clean tables.

Every aggregation is a vectorised Polars join/group-by over the catalogue's declaration; a
region without data for an indicator gets no rows (the assessment says "not measured"),
never a zero. Rules for incomplete regions are explicit: a summed or weighted region value
exists for a year only when every member municipality reports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import polars as pl

from families.air_quality.sql import AIR_HOURLY_TABLES
from indicators.areas import holding_area, load_areas
from indicators.catalogue import Catalogue, Indicator, Regions, SourceTable

VALUE_SCHEMA = {
    "indicator_id": pl.String, "region_id": pl.String, "station_code": pl.String,
    "year": pl.Int32, "value": pl.Float64, "unit": pl.String, "is_provisional": pl.Boolean,
    "coverage_pct": pl.Float64, "low_coverage": pl.Boolean, "members_expected": pl.Int32,
    "members_reporting": pl.Int32, "note": pl.String,
}
# The frames the report takes (its input contract checks them: reports/contract.py).
INDICATOR_SCHEMA = {
    "indicator_id": pl.String, "theme": pl.String, "agenda": pl.String, "name_nl": pl.String,
    "name_en": pl.String, "description_nl": pl.String, "description_en": pl.String,
    "definition_nl": pl.String, "definition_en": pl.String, "unit": pl.String,
    "unit_nl": pl.String, "unit_en": pl.String,  # the unit as each language writes it
    "direction": pl.String, "aggregation": pl.String, "context_only": pl.Boolean,
    "source_tables": pl.List(pl.String),
    "validated_tables": pl.List(pl.String),  # the clean tables whose validation it rests on
}
TARGET_SCHEMA = {
    "indicator_id": pl.String, "target_id": pl.String, "kind": pl.String, "value": pl.Float64,
    "target_year": pl.Int32, "baseline_year": pl.Int32,
    "value_change_pct": pl.Float64,  # a target relative to the base value (else `value`)
    "baseline_from_year": pl.Int32,  # the base year used where the series starts later
    "label_nl": pl.String, "label_en": pl.String, "document": pl.String, "url": pl.String,
    "document_nl": pl.String, "document_en": pl.String,  # how each page names the document
    "applies_to": pl.List(pl.String),  # null: every region
    # what the target covers; a target not assessed (another scope) is shown as context
    "scope_nl": pl.String, "scope_en": pl.String, "assessed": pl.Boolean,
    "scope_note_nl": pl.String, "scope_note_en": pl.String,
}
REGION_SCHEMA = {
    "region_id": pl.String, "name_nl": pl.String, "name_en": pl.String, "kind": pl.String,
    "benchmark": pl.Boolean, "municipalities": pl.List(pl.String),
    "municipality_names": pl.List(pl.String), "stations": pl.List(pl.String),
    "station_names": pl.List(pl.String),
    "nuts": pl.List(pl.String),  # the NUTS region(s) of its `nuts_region` figures
    "definition_nl": pl.String, "definition_en": pl.String,  # whose boundary it follows
}
# The parts of a `sum_of_parts` indicator per region and year (CO2 per sector), with their
# words; `part` is the source's entity, or OTHER_PART for the entities the catalogue lacks.
BREAKDOWN_SCHEMA = {
    "indicator_id": pl.String, "region_id": pl.String, "year": pl.Int32, "part": pl.String,
    "label_nl": pl.String, "label_en": pl.String, "part_order": pl.Int32, "value": pl.Float64,
    "unit": pl.String, "is_provisional": pl.Boolean,
}
OTHER_PART = "other"
POPULATION = SourceTable(table="clean_employment", measure="population_count")
# A derived input table and the clean tables it is computed from.
DERIVED_FROM = {"air_station_annual": AIR_HOURLY_TABLES}


def input_tables(indicator: Indicator) -> set[str]:
    """The tables an indicator's values are computed from (population weights included)."""
    tables = {s.table for s in indicator.source_tables}
    if indicator.aggregation in ("population_weighted_mean", "population_weighted_share"):
        tables.add(POPULATION.table)
    return tables


def clean_inputs(indicator: Indicator) -> set[str]:
    """The clean (validated) tables behind an indicator, through any derived table."""
    return {clean for table in input_tables(indicator)
            for clean in DERIVED_FROM.get(table, (table,))}


def indicators_reading(catalogue: Catalogue, tables: set[str]) -> Catalogue:
    """The part of the catalogue whose values depend on any of `tables`."""
    return catalogue.model_copy(update={"indicators": [
        i for i in catalogue.indicators if input_tables(i) & tables]})


def compute_indicator_values(catalogue: Catalogue, regions: Regions,
                             tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    frames = [_AGGREGATE[i.aggregation](i, regions, tables) for i in catalogue.indicators]
    frames = [f.with_columns(indicator_id=pl.lit(i.id), unit=pl.lit(i.unit))
              for f, i in zip(frames, catalogue.indicators, strict=True)]
    return pl.concat([_conform(f) for f in frames]).sort(
        ["indicator_id", "region_id", "station_code", "year"], nulls_last=False)


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    defaults = {"indicator_id": None, "unit": None, "station_code": None, "coverage_pct": None, "low_coverage": False,
                "note": None, "is_provisional": False}
    for column, default in defaults.items():
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(default).alias(column))
    return frame.select(pl.col(c).cast(t) for c, t in VALUE_SCHEMA.items())


# -- inputs ---------------------------------------------------------------------------------

def membership(regions: Regions) -> pl.DataFrame:
    """region_id, region_code, members_expected: which municipality codes make each region."""
    rows = [{"region_id": r.id, "region_code": code, "members_expected": len(r.municipalities)}
            for r in regions.regions for code in r.municipalities]
    return pl.DataFrame(rows, schema={"region_id": pl.String, "region_code": pl.String,
                                      "members_expected": pl.Int32})


def yearly_rows(tables: Mapping[str, pl.DataFrame], source: SourceTable) -> pl.DataFrame:
    """region_code, year, value, is_provisional for one measure (whole years, values only)."""
    empty = pl.DataFrame(schema={"region_code": pl.String, "year": pl.Int32,
                                 "value": pl.Float64, "is_provisional": pl.Boolean})
    table = tables.get(source.table)
    if table is None or table.is_empty():
        return empty
    rows = table.filter((pl.col("measure") == source.measure) & (pl.col("entity") == source.entity)
                        & (pl.col("period").str.len_chars() == 4) & pl.col("value").is_not_null())
    return rows.select("region_code", pl.col("year").cast(pl.Int32), "value",
                       "is_provisional").unique(["region_code", "year"], keep="last")


def region_sums(rows: pl.DataFrame, regions: Regions, require_all: bool = True) -> pl.DataFrame:
    """Sum per region and year, kept only where every member municipality reports (unless
    `require_all` is off, for installation-level measures)."""
    sums = (rows.join(membership(regions), on="region_code")
            .group_by("region_id", "year")
            .agg(value=pl.col("value").sum(), is_provisional=pl.col("is_provisional").any(),
                 members_reporting=pl.len().cast(pl.Int32),
                 members_expected=pl.col("members_expected").first()))
    return sums.filter(pl.col("members_reporting") == pl.col("members_expected")) if require_all \
        else sums


# -- aggregations ---------------------------------------------------------------------------

def _sum(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    return region_sums(yearly_rows(tables, indicator.source_tables[0]), regions,
                       indicator.require_all_members)


def _population_weighted_mean(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    rows = yearly_rows(tables, indicator.source_tables[0])
    population = yearly_rows(tables, POPULATION).select("region_code", "year",
                                                        pl.col("value").alias("population"))
    return (rows.join(population, on=["region_code", "year"])
            .join(membership(regions), on="region_code")
            .group_by("region_id", "year")
            .agg(value=(pl.col("value") * pl.col("population")).sum() / pl.col("population").sum(),
                 is_provisional=pl.col("is_provisional").any(),
                 members_reporting=pl.len().cast(pl.Int32),
                 members_expected=pl.col("members_expected").first())
            .filter(pl.col("members_reporting") == pl.col("members_expected")))


def _population_weighted_share(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    """sum(first x population) / sum(second x population) x 100 over the region's members:
    the exact regional share when both sources are per-inhabitant figures of one universe
    (kg of separated waste and kg of all waste per inhabitant). Every member must report."""
    population = yearly_rows(tables, POPULATION).select("region_code", "year",
                                                        pl.col("value").alias("population"))
    part, whole = (yearly_rows(tables, s).join(population, on=["region_code", "year"])
                   .select("region_code", "year", "is_provisional",
                           (pl.col("value") * pl.col("population")).alias("amount"))
                   for s in indicator.source_tables[:2])
    return (part.join(whole, on=["region_code", "year"], suffix="_whole")
            .join(membership(regions), on="region_code")
            .group_by("region_id", "year")
            .agg(value=pl.col("amount").sum() / pl.col("amount_whole").sum() * 100,
                 is_provisional=pl.col("is_provisional").any() | pl.col("is_provisional_whole").any(),
                 members_reporting=pl.len().cast(pl.Int32),
                 members_expected=pl.col("members_expected").first())
            .filter((pl.col("members_reporting") == pl.col("members_expected"))
                    & pl.col("value").is_finite()))


def _ratio(numerator: pl.DataFrame, denominators: list[pl.DataFrame], factor: float) -> pl.DataFrame:
    denominator = (pl.concat(denominators).group_by("region_id", "year")
                   .agg(den=pl.col("value").sum(), den_prov=pl.col("is_provisional").any(),
                        parts=pl.len())
                   .filter(pl.col("parts") == len(denominators)))
    return (numerator.join(denominator, on=["region_id", "year"])
            .filter(pl.col("den") > 0)
            .with_columns(value=pl.col("value") / pl.col("den") * factor,
                          is_provisional=pl.col("is_provisional") | pl.col("den_prov"))
            .drop("den", "den_prov", "parts"))


def _per_inhabitant(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    numerator = region_sums(yearly_rows(tables, indicator.source_tables[0]), regions)
    population = region_sums(yearly_rows(tables, indicator.source_tables[1]), regions)
    return _ratio(numerator, [population.select("region_id", "year", "value", "is_provisional")],
                  indicator.scale)


def _share(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    first, *rest = [region_sums(yearly_rows(tables, s), regions) for s in indicator.source_tables]
    return _ratio(first, [r.select("region_id", "year", "value", "is_provisional") for r in rest],
                  100.0 * indicator.scale)


def _national_only(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    national = regions.model_copy(update={"regions": [r for r in regions.regions
                                                        if r.kind == "country"]})
    return region_sums(yearly_rows(tables, indicator.source_tables[0]), national)


def nuts_membership(regions: Regions) -> pl.DataFrame:
    """region_id, region_code (a NUTS code), members_expected 1: the regions that lie in one
    NUTS region. A region spanning two (the Cleantech Regio: Gelderland and Overijssel) has
    none: one province's figure is not the region's, and an average of two would be a figure
    nobody published."""
    rows = [{"region_id": r.id, "region_code": r.nuts[0], "members_expected": 1}
            for r in regions.regions if len(r.nuts) == 1]
    return pl.DataFrame(rows, schema={"region_id": pl.String, "region_code": pl.String,
                                      "members_expected": pl.Int32})


def _nuts_region(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    """The published figure of the one NUTS region (province, or the country) a region lies in."""
    return (yearly_rows(tables, indicator.source_tables[0])
            .join(nuts_membership(regions), on="region_code")
            .select("region_id", "year", "value", "is_provisional",
                    members_reporting=pl.lit(1, pl.Int32), members_expected="members_expected"))


def _station_mean(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    annual = tables.get("air_station_annual")
    component = indicator.source_tables[0].measure
    stations = pl.DataFrame(
        [{"region_id": r.id, "station_code": s, "members_expected": len(r.stations)}
         for r in regions.regions for s in r.stations],
        schema={"region_id": pl.String, "station_code": pl.String, "members_expected": pl.Int32})
    if annual is None or annual.is_empty() or stations.is_empty():
        return pl.DataFrame()
    per_station = (annual.filter((pl.col("component") == component) & pl.col("mean_ugm3").is_not_null())
                   .join(stations, on="station_code")
                   .select("region_id", "station_code", pl.col("year").cast(pl.Int32),
                           pl.col("mean_ugm3").alias("value"), "coverage_pct", "low_coverage",
                           "members_expected", members_reporting=pl.lit(1, pl.Int32)))
    # The note says stations were left out for low coverage: only when one was. A station of
    # the region with no mean at all (it does not measure this component, or not that year)
    # shows as fewer members reporting, not as a note.
    left_out = (per_station.filter(pl.col("low_coverage")).group_by("region_id", "year")
                .agg(left_out=pl.len()))
    region = (per_station.filter(~pl.col("low_coverage"))
              .group_by("region_id", "year")
              .agg(value=pl.col("value").mean(), members_reporting=pl.len().cast(pl.Int32),
                   members_expected=pl.col("members_expected").first(),
                   coverage_pct=pl.col("coverage_pct").min())
              .join(left_out, on=["region_id", "year"], how="left")
              .with_columns(low_coverage=pl.lit(False),
                            note=pl.when(pl.col("left_out") > 0)
                            .then(pl.lit(LOW_COVERAGE_NOTE)).otherwise(None))
              .drop("left_out"))
    return pl.concat([_conform(per_station), _conform(region)])


# The `note` of a value, in English (the SQL views' `note` column). The two a reader needs are
# declared here with their reading, so pages can say them in their own language: a region's
# station mean that left stations out, and a wind-farm region's farms not yet operating.
LOW_COVERAGE_NOTE = "stations below 90% coverage left out"
_PLANNED_NOTE = "expected (under construction, awarded or planned): +{mw:.0f} MW by {year} ({farms})"
_PLANNED_PATTERN = re.compile(r"expected \(under construction, awarded or planned\): "
                              r"\+(\d+) MW by (\d{4}) \((.*)\)")


def planned_note(mw: float, year: int, farms: list[str]) -> str:
    return _PLANNED_NOTE.format(mw=mw, year=year, farms=", ".join(farms))


def read_planned_note(note: str | None) -> tuple[int, int, list[str]] | None:
    """(MW, latest expected year, farm ids) of a `planned_note`; None for any other note."""
    found = _PLANNED_PATTERN.fullmatch(note or "")
    return (int(found[1]), int(found[2]), found[3].split(", ")) if found else None


def _farm_register(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    """Cumulative operational capacity of a region's farms by commissioning year, up to the
    last commissioning; planned farms are named in the note of the latest year, not counted."""
    operational, planned = (yearly_rows_by_entity(tables, s) for s in indicator.source_tables)
    out = []
    for region in regions.regions:
        mine = operational.filter(pl.col("entity").is_in(region.wind_farms))
        if mine.is_empty():
            continue
        years = pl.DataFrame({"year": range(int(mine["year"].min()), int(mine["year"].max()) + 1)},
                             schema={"year": pl.Int32})
        cumulative = (years.join(mine, how="cross").filter(pl.col("year_right") <= pl.col("year"))
                      .group_by("year")
                      .agg(value=pl.col("value").sum(), members_reporting=pl.len().cast(pl.Int32)))
        future = planned.filter(pl.col("entity").is_in(region.wind_farms))
        note = planned_note(future["value"].sum(), int(future["year"].max()),
                            sorted(future["entity"])) if future.height else None
        last = cumulative["year"].max()
        out.append(cumulative.with_columns(
            region_id=pl.lit(region.id), is_provisional=pl.lit(False),
            members_expected=pl.lit(len(region.wind_farms), pl.Int32),
            note=pl.when(pl.col("year") == last).then(pl.lit(note)).otherwise(None)))
    return pl.concat(out) if out else pl.DataFrame()


def yearly_rows_by_entity(tables: Mapping[str, pl.DataFrame], source: SourceTable) -> pl.DataFrame:
    """entity, year, value for an entity-level measure (e.g. one row per wind farm)."""
    table = tables.get(source.table)
    if table is None or table.is_empty():
        return pl.DataFrame(schema={"entity": pl.String, "year": pl.Int32, "value": pl.Float64})
    return (table.filter((pl.col("measure") == source.measure) & pl.col("value").is_not_null())
            .select("entity", pl.col("year").cast(pl.Int32), "value"))


def yearly_rows_of_parts(tables: Mapping[str, pl.DataFrame], source: SourceTable) -> pl.DataFrame:
    """region_code, entity, year, value, is_provisional: every entity of one measure (whole
    years, values only)."""
    table = tables.get(source.table)
    schema = {"region_code": pl.String, "entity": pl.String, "year": pl.Int32,
              "value": pl.Float64, "is_provisional": pl.Boolean}
    if table is None or table.is_empty():
        return pl.DataFrame(schema=schema)
    rows = table.filter((pl.col("measure") == source.measure)
                        & (pl.col("period").str.len_chars() == 4) & pl.col("value").is_not_null())
    return (rows.select("region_code", "entity", pl.col("year").cast(pl.Int32), "value",
                        "is_provisional")
            .unique(["region_code", "entity", "year"], keep="last"))


def _sum_of_parts(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    """The parts of each municipality added up (every entity of the measure), then summed
    over the region's municipalities as `sum` does (all must report)."""
    parts = yearly_rows_of_parts(tables, indicator.source_tables[0])
    municipal = parts.group_by("region_code", "year").agg(
        value=pl.col("value").sum(), is_provisional=pl.col("is_provisional").any())
    return region_sums(municipal, regions, indicator.require_all_members)


def compute_breakdowns(catalogue: Catalogue, regions: Regions,
                       tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Per indicator with a `breakdown`, region, year and part: the part's sum over the
    region's municipalities, for the years the indicator itself has (every member reports),
    so the parts of a year add up to its value."""
    frames = []
    for indicator in (i for i in catalogue.indicators if i.breakdown is not None):
        totals = _sum_of_parts(indicator, regions, tables)
        if not totals.columns or totals.is_empty():
            continue
        parts = indicator.breakdown.parts
        labels = pl.DataFrame(
            {"part": [*parts, OTHER_PART], "part_order": list(range(len(parts) + 1)),
             "label_nl": [t.nl for t in parts.values()] + [None],
             "label_en": [t.en for t in parts.values()] + [None]},
            schema={"part": pl.String, "part_order": pl.Int32, "label_nl": pl.String,
                    "label_en": pl.String})
        rows = (yearly_rows_of_parts(tables, indicator.source_tables[0])
                .join(membership(regions), on="region_code")
                .with_columns(part=pl.when(pl.col("entity").is_in(list(parts)))
                              .then(pl.col("entity")).otherwise(pl.lit(OTHER_PART)))
                .join(totals.select("region_id", "year"), on=["region_id", "year"])
                .group_by("region_id", "year", "part")
                .agg(value=pl.col("value").sum(), is_provisional=pl.col("is_provisional").any())
                .join(labels, on="part", how="left"))
        frames.append(rows.with_columns(indicator_id=pl.lit(indicator.id),
                                        unit=pl.lit(indicator.unit)))
    if not frames:
        return pl.DataFrame(schema=BREAKDOWN_SCHEMA)
    return (pl.concat([f.select(pl.col(c).cast(t) for c, t in BREAKDOWN_SCHEMA.items())
                       for f in frames])
            .sort(["indicator_id", "region_id", "year", "part_order"]))


def _holding_area(indicator: Indicator, regions: Regions, tables) -> pl.DataFrame:
    """A figure published per COROP area: each region gets the series of the area that holds
    all its municipalities (`indicators/areas.yaml`; `note` names the area's code), the
    country its national series; a region no area holds gets no rows ("not measured")."""
    rows = yearly_rows(tables, indicator.source_tables[0])
    areas = load_areas()
    out = []
    for region in regions.regions:
        area = holding_area(region.municipalities, areas)
        code = "NL01" if region.kind == "country" else area.code if area else None
        if code is None:
            continue
        out.append(rows.filter(pl.col("region_code") == code).select(
            "year", "value", "is_provisional", region_id=pl.lit(region.id),
            members_expected=pl.lit(1, pl.Int32), members_reporting=pl.lit(1, pl.Int32),
            note=pl.lit(code)))
    return pl.concat(out) if out else pl.DataFrame()


_RAW_AGGREGATIONS: dict[str, Callable[[Indicator, Regions, Mapping], pl.DataFrame]] = {
    "sum": _sum, "population_weighted_mean": _population_weighted_mean,
    "per_inhabitant": _per_inhabitant, "share": _share, "national_only": _national_only,
    "station_mean": _station_mean, "farm_register": _farm_register,
    "population_weighted_share": _population_weighted_share, "sum_of_parts": _sum_of_parts,
    "holding_area": _holding_area, "nuts_region": _nuts_region,
}


def _shaped(fn):
    """Give every aggregation's output the value schema (an empty input yields no columns)."""
    def wrapped(indicator, regions, tables):
        frame = fn(indicator, regions, tables)
        if not frame.columns:
            return pl.DataFrame(schema=VALUE_SCHEMA).drop("indicator_id", "unit")
        return frame
    return wrapped


_AGGREGATE = {name: _shaped(fn) for name, fn in _RAW_AGGREGATIONS.items()}


# -- frames for the report ------------------------------------------------------------------

def catalogue_frames(catalogue: Catalogue) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Indicator metadata and targets as flat frames (what the report pages take)."""
    indicators = pl.DataFrame([{
        "indicator_id": i.id, "theme": i.theme, "agenda": i.agenda,
        "name_nl": i.name.nl, "name_en": i.name.en,
        "description_nl": i.description.nl, "description_en": i.description.en,
        "definition_nl": i.definition.nl, "definition_en": i.definition.en,
        "unit": i.unit, "unit_nl": i.unit_in("nl"), "unit_en": i.unit_in("en"),
        "direction": i.direction, "aggregation": i.aggregation,
        "context_only": i.context_only,
        "source_tables": [s.table for s in i.source_tables],
        "validated_tables": sorted(clean_inputs(i))} for i in catalogue.indicators],
        schema=INDICATOR_SCHEMA)
    targets = pl.DataFrame([{
        "indicator_id": i.id, "target_id": t.id, "kind": t.kind, "value": t.value,
        "target_year": t.target_year, "baseline_year": t.baseline_year,
        "value_change_pct": t.value_change_pct, "baseline_from_year": t.baseline_from_year,
        "label_nl": t.label.nl, "label_en": t.label.en, "document": t.document, "url": t.url,
        "document_nl": t.document_name.nl if t.document_name else t.document,
        "document_en": t.document_name.en if t.document_name else t.document,
        "applies_to": None if t.applies_to == "all" else list(t.applies_to),
        "scope_nl": t.scope.nl, "scope_en": t.scope.en, "assessed": t.assessed,
        "scope_note_nl": t.scope_note.nl if t.scope_note else None,
        "scope_note_en": t.scope_note.en if t.scope_note else None}
        for i in catalogue.indicators for t in i.targets], schema=TARGET_SCHEMA)
    return indicators, targets


def regions_frame(regions: Regions) -> pl.DataFrame:
    """One row per region, with its members' codes and names as lists."""
    def station_name(code: str) -> str:
        station = regions.station(code)
        return station.name if station else code

    return pl.DataFrame([{
        "region_id": r.id, "name_nl": r.name.nl, "name_en": r.name.en, "kind": r.kind,
        "benchmark": r.benchmark, "municipalities": r.municipalities,
        "municipality_names": [regions.municipality_name(m) for m in r.municipalities],
        "stations": r.stations, "station_names": [station_name(s) for s in r.stations],
        "nuts": r.nuts, "definition_nl": r.definition.nl if r.definition else None,
        "definition_en": r.definition.en if r.definition else None}
        for r in regions.regions], schema=REGION_SCHEMA)


def regions_with_inputs(catalogue: Catalogue, regions: Regions,
                        tables: Mapping[str, pl.DataFrame]) -> set[tuple[str, str]]:
    """(indicator, region) pairs whose first input has any value for a region member: the
    pairs for which an indicator value is expected (used by the completeness check)."""
    expected = set()
    annual = tables.get("air_station_annual")
    for indicator in catalogue.indicators:
        source = indicator.source_tables[0]
        for region in regions.regions:
            if indicator.aggregation == "national_only" and region.kind != "country":
                continue
            if indicator.aggregation == "station_mean":
                present = annual is not None and not annual.filter(
                    pl.col("station_code").is_in(region.stations)
                    & (pl.col("component") == source.measure)).is_empty()
            elif indicator.aggregation == "nuts_region":
                present = len(region.nuts) == 1 and not yearly_rows(tables, source).filter(
                    pl.col("region_code") == region.nuts[0]).is_empty()
            elif indicator.aggregation == "farm_register":
                present = not yearly_rows_by_entity(tables, source).filter(
                    pl.col("entity").is_in(region.wind_farms)).is_empty()
            else:
                present = not yearly_rows(tables, source).filter(
                    pl.col("region_code").is_in(region.municipalities)).is_empty()
            if present:
                expected.add((indicator.id, region.id))
    return expected
