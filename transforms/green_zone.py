"""The green-industrial-zone families beyond CO2 and air: energy, green economy and jobs,
circularity. Pure functions: measures derived from what the sources publish, the units per
measure, and the GX business rules of each family's clean table.

What is derived, and why (each derivation is stated in the indicator's definition too):
- energy: `non_renewable_energy_tj` = total known energy use minus total known renewable
  energy (Klimaatmonitor), the fossil part of the energy use as far as the two variables say;
- circularity: CBS 83452NED publishes kg per inhabitant per waste type; residual waste in the
  VANG sense is fine plus coarse household residual waste, and the separately collected part
  is the total minus both;
- green economy: jobs in the configured transition sectors (`families/green_economy/
  sectors.yaml`) summed per municipality. CBS suppresses small cells; a suppressed sector
  counts as 0, so the sum is a lower bound (said in the definition), while a suppressed total
  leaves the share missing.
- business dynamics: the net change in establishments per COROP area and year is the
  start-ups (CBS 83631NED) minus the closures (CBS 83635NED), both at all economic activities;
  missing where either is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from core.tables import STAT_SHAPE
from transforms.emissions import stat_common_rules

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

YEARLY = r"^\d{4}$"
# Klimaatmonitor variable id -> (measure, factor): the energy family's variables (evidence in
# `families/energy/__init__.py`); each is checked against `/Variables` before values are fetched.
# Natural gas delivered to businesses, one Klimaatmonitor variable per SBI 2008 section (m3):
# ids and unit from a public client that verified all of them against the live service
# (docs/evidence/green_zone_more.md G1). The service has no variable for section D (energy
# supply) nor T (households as employers); E is `vbrzg_afval`, G `vbrzg_g1`, R `vbrzg_r1`.
# The entity is the SBI section letter; BUSINESS_GAS_TOTAL is their sum (a lower bound: the
# service leaves out or zeroes what it suppresses).
BUSINESS_GAS_VARIABLES: dict[str, str] = {
    "vbrzg_a": "A", "vbrzg_b": "B", "vbrzg_ctot": "C", "vbrzg_afval": "E", "vbrzg_f": "F",
    "vbrzg_g1": "G", "vbrzg_h": "H", "vbrzg_i": "I", "vbrzg_j": "J", "vbrzg_k": "K",
    "vbrzg_l": "L", "vbrzg_m": "M", "vbrzg_n": "N", "vbrzg_o": "O", "vbrzg_p": "P",
    "vbrzg_q": "Q", "vbrzg_r1": "R", "vbrzg_s": "S", "vbrzg_u": "U",
}
BUSINESS_GAS_TOTAL = "all_sections"
# variable id -> (measure, factor, entity)
KLIMAATMONITOR_ENERGY_VARIABLES: dict[str, tuple] = {
    "energie_totaal_combi": ("energy_use_tj", 1.0),
    "hern_tot": ("renewable_energy_tj", 1.0),
    "kern331b_gas_wont": ("gas_use_per_dwelling_m3", 1.0),
    **{variable: ("business_gas_m3", 1.0, section)
       for variable, section in BUSINESS_GAS_VARIABLES.items()},
}
ENERGY_UNITS: dict[str, str] = {
    "energy_use_tj": "TJ", "renewable_energy_tj": "TJ", "non_renewable_energy_tj": "TJ",
    "gas_use_per_dwelling_m3": "m3", "solar_capacity_kwp": "kWp", "business_gas_m3": "m3",
}
CIRCULARITY_UNITS: dict[str, str] = {
    "household_waste_kg_per_inhabitant": "kg/inw.",
    "household_residual_waste_kg_per_inhabitant": "kg/inw.",
    "household_separated_waste_kg_per_inhabitant": "kg/inw.",
}
GREEN_ECONOMY_UNITS: dict[str, str] = {"employee_jobs": "jobs"}
KEY = ["region_code", "period", "year"]


def _pivot(frame: pl.DataFrame, parts: dict[str, pl.Expr]) -> pl.DataFrame:
    """One row per region and period with a column per named part (value, provisional)."""
    columns = []
    for name, selector in parts.items():
        part = frame.filter(selector).select(
            *KEY, pl.col("value").alias(name), pl.col("is_provisional").alias(f"{name}_prov"),
            pl.col("source_table").alias(f"{name}_table"))
        columns.append(part)
    out = columns[0]
    for part in columns[1:]:
        out = out.join(part, on=KEY, how="full", coalesce=True)
    return out


def derived_rows(wide: pl.DataFrame, measure: str, value: pl.Expr, parts: Sequence[str],
                 source: str, *, entity: str = "") -> pl.DataFrame:
    """Rows of a derived measure: NULL with a reason when an input is missing; provisional
    when any input is."""
    missing = pl.any_horizontal([pl.col(p).is_null() for p in parts])
    return STAT_SHAPE.conform(wide.select(
        "region_code", "period", "year", entity=pl.lit(entity), measure=pl.lit(measure),
        unit=pl.lit(None, pl.String),
        value=pl.when(missing).then(None).otherwise(value),
        is_provisional=pl.any_horizontal([pl.col(f"{p}_prov").fill_null(False) for p in parts]),
        missing_reason=pl.when(missing).then(pl.lit("not available (an input is missing)")),
        source=pl.lit(source), source_table=pl.coalesce([pl.col(f"{p}_table") for p in parts]),
    ))


def with_units(frame: pl.DataFrame, units: dict[str, str]) -> pl.DataFrame:
    return frame.with_columns(unit=pl.col("measure").replace_strict(units, default=None))


# -- energy --------------------------------------------------------------------------------------

def add_non_renewable(klimaatmonitor: pl.DataFrame) -> pl.DataFrame:
    """Klimaatmonitor rows plus `non_renewable_energy_tj` (total minus renewable)."""
    if klimaatmonitor.is_empty():
        return klimaatmonitor
    wide = _pivot(klimaatmonitor, {"total": pl.col("measure") == "energy_use_tj",
                                   "renewable": pl.col("measure") == "renewable_energy_tj"})
    derived = derived_rows(wide, "non_renewable_energy_tj", pl.col("total") - pl.col("renewable"),
                           ("total", "renewable"), "klimaatmonitor")
    return with_units(pl.concat([klimaatmonitor, derived]), ENERGY_UNITS)


def add_business_gas_total(klimaatmonitor: pl.DataFrame) -> pl.DataFrame:
    """Rows plus `business_gas_m3` for entity BUSINESS_GAS_TOTAL: the SBI sections summed per
    municipality and year (sections without a value count as 0; provisional if any is)."""
    gas = klimaatmonitor.filter((pl.col("measure") == "business_gas_m3")
                                & (pl.col("entity") != BUSINESS_GAS_TOTAL))
    if gas.is_empty():
        return klimaatmonitor
    total = (gas.group_by("region_code", "period", "year")
             .agg(value=pl.when(pl.col("value").is_not_null().any())
                  .then(pl.col("value").sum()),
                  is_provisional=pl.col("is_provisional").any(),
                  source=pl.col("source").first(),
                  source_table=pl.lit("Variables('vbrzg_*'), summed over SBI sections"))
             .with_columns(entity=pl.lit(BUSINESS_GAS_TOTAL), measure=pl.lit("business_gas_m3"),
                           unit=pl.lit("m3"),
                           missing_reason=pl.when(pl.col("value").is_null())
                           .then(pl.lit("not available (no section has a value)"))))
    return pl.concat([STAT_SHAPE.conform(klimaatmonitor), STAT_SHAPE.conform(total)])


def energy_rules() -> list[Expectation]:
    import great_expectations as gx

    return [
        *stat_common_rules(ENERGY_UNITS, YEARLY),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, row_condition='measure != "non_renewable_energy_tj"',
            condition_parser="pandas", description="energy use, capacity and gas use are not negative"),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="entity", value_set=["", *BUSINESS_GAS_VARIABLES.values(), BUSINESS_GAS_TOTAL],
            description="energy rows are whole regions, or business gas per SBI section"),
    ]


# -- circularity ---------------------------------------------------------------------------------

WASTE_ENTITIES = ("total", "residual_fine", "residual_coarse")


def add_waste_measures(cbs: pl.DataFrame) -> pl.DataFrame:
    """83452NED rows (entity = waste type) plus residual (fine + coarse) and separately
    collected (total - residual) household waste, kg per inhabitant."""
    waste = cbs.filter(pl.col("measure") == "household_waste_kg_per_inhabitant")
    if waste.is_empty():
        return cbs
    wide = _pivot(waste, {e: pl.col("entity") == e for e in WASTE_ENTITIES})
    residual = pl.col("residual_fine") + pl.col("residual_coarse")
    source = "cbs_statline"
    return with_units(pl.concat([
        cbs,
        derived_rows(wide, "household_residual_waste_kg_per_inhabitant", residual,
                     ("residual_fine", "residual_coarse"), source),
        derived_rows(wide, "household_separated_waste_kg_per_inhabitant",
                     pl.col("total") - residual, WASTE_ENTITIES, source),
    ]), CIRCULARITY_UNITS)


def circularity_rules() -> list[Expectation]:
    import great_expectations as gx

    return [
        *stat_common_rules(CIRCULARITY_UNITS, YEARLY),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, max_value=3000,
            description="household waste is between 0 and 3,000 kg per inhabitant a year"),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="entity", value_set=["", *WASTE_ENTITIES],
            description="waste rows name a waste type read from 83452NED, derived rows none"),
    ]


# -- green economy -------------------------------------------------------------------------------

TRANSITION = "transition_sectors"
ALL_SECTORS = "all_sectors"


def add_transition_jobs(cbs: pl.DataFrame, transition: Sequence[str]) -> pl.DataFrame:
    """83582NED rows (entity = SBI section) plus their sum over the transition sectors
    (entity `transition_sectors`; a suppressed sector counts as 0: a lower bound)."""
    jobs = cbs.filter((pl.col("measure") == "employee_jobs") & pl.col("entity").is_in(transition))
    if jobs.is_empty():
        return cbs
    summed = (jobs.group_by(["region_code", "period", "year"])
              .agg(value=pl.col("value").sum(), is_provisional=pl.col("is_provisional").any(),
                   source_table=pl.col("source_table").first())
              .with_columns(entity=pl.lit(TRANSITION), measure=pl.lit("employee_jobs"),
                            unit=pl.lit("jobs"), missing_reason=pl.lit(None, pl.String),
                            source=pl.lit("cbs_statline")))
    return pl.concat([cbs, STAT_SHAPE.conform(summed)])


def green_economy_rules(entities: Sequence[str]) -> list[Expectation]:
    import great_expectations as gx

    return [
        *stat_common_rules(GREEN_ECONOMY_UNITS, YEARLY),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, description="job counts are not negative"),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="entity", value_set=sorted({*entities, TRANSITION}),
            description="job rows name a configured SBI section or the transition-sector sum"),
    ]


# -- business dynamics ---------------------------------------------------------------------------

STARTUPS, CLOSURES, NET_CHANGE = ("establishment_startups", "establishment_closures",
                                  "establishment_net_change")
BUSINESS_DYNAMICS_UNITS: dict[str, str] = {STARTUPS: "establishments",
                                           CLOSURES: "establishments",
                                           NET_CHANGE: "establishments"}


def add_net_change(cbs: pl.DataFrame) -> pl.DataFrame:
    """Start-up and closure rows plus `establishment_net_change` (start-ups minus closures)
    per area and year; NULL with a reason where either is missing, provisional where either
    is. Its `source_table` names both tables."""
    counts = cbs.filter(pl.col("measure").is_in([STARTUPS, CLOSURES]) & (pl.col("entity") == ""))
    if counts.filter(pl.col("measure") == CLOSURES).is_empty() \
            or counts.filter(pl.col("measure") == STARTUPS).is_empty():
        return cbs
    wide = _pivot(counts, {"startups": pl.col("measure") == STARTUPS,
                           "closures": pl.col("measure") == CLOSURES})
    net = derived_rows(wide, NET_CHANGE, pl.col("startups") - pl.col("closures"),
                       ("startups", "closures"), "cbs_statline")
    tables = wide.select(*KEY, source_table=pl.concat_str(
        [pl.col("startups_table").fill_null("?"), pl.col("closures_table").fill_null("?")],
        separator=" minus "))
    net = net.drop("source_table").join(tables, on=KEY, how="left")
    return with_units(pl.concat([STAT_SHAPE.conform(cbs), STAT_SHAPE.conform(net)]),
                      BUSINESS_DYNAMICS_UNITS)


def business_dynamics_rules() -> list[Expectation]:
    import great_expectations as gx

    return [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="measure", value_set=sorted(BUSINESS_DYNAMICS_UNITS),
            description="start-ups, closures and their net change"),
        gx.expectations.ExpectColumnPairValuesToBeInSet(
            column_A="measure", column_B="unit",
            value_pairs_set=sorted(BUSINESS_DYNAMICS_UNITS.items()),
            description="every measure counts establishments"),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, row_condition=f'measure != "{NET_CHANGE}"',
            condition_parser="pandas", description="start-ups and closures are counts"),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="entity", value_set=[""],
            description="all economic activities: no sector rows"),
    ]
