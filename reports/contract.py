"""The report's input contract: everything one edition shows, already computed. Its frame
schemas are owned by the indicator layer (`indicators.compute.VALUE_SCHEMA`,
`indicators.progress.ASSESSMENT_SCHEMA`, `indicators.changes.CHANGE_SCHEMA`) and checked on
construction, so a drift between what the indicators produce and what the pages read fails at
once, naming the frame and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from indicators.agenda import Agenda
from indicators.changes import CHANGE_SCHEMA
from indicators.compute import (
    BREAKDOWN_SCHEMA,
    INDICATOR_SCHEMA,
    REGION_SCHEMA,
    TARGET_SCHEMA,
    VALUE_SCHEMA,
)
from indicators.progress import ASSESSMENT_SCHEMA

FETCH_FAILURE_SCHEMA = {"source": pl.String, "title": pl.String, "asset": pl.String,
                        "failed_at": pl.Datetime("us", "UTC"), "error": pl.String}
STATUS_HISTORY_SCHEMA = {"edition_id": pl.String, "built_at": pl.Datetime("us", "UTC"),
                         "indicator_id": pl.String, "region_id": pl.String,
                         "target_id": pl.String, "status": pl.String}

# Each frame of the contract and the schema its producer declares.
FRAME_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "indicators": INDICATOR_SCHEMA, "targets": TARGET_SCHEMA, "regions": REGION_SCHEMA,
    "values": VALUE_SCHEMA, "assessments": ASSESSMENT_SCHEMA, "changes": CHANGE_SCHEMA,
    "breakdowns": BREAKDOWN_SCHEMA,
}


@dataclass(frozen=True)
class SourceUse:
    """One upstream behind an indicator, as its page credits it: who publishes it, under which
    licence, when it was fetched, how far its figures reach and when new ones are due."""

    source: str  # the registry's name (in downloads; pages name the source in words)
    title: str
    licence: str
    url: str
    retrieved_at: datetime | None
    newest_period: str | None  # newest period with a value, of the measures the indicator uses
    cadence: str = "yearly"  # continuous | yearly | irregular (sources.registry)
    release_month: int | None = None
    max_data_age_days: int = 400


class ContractError(TypeError):
    """An edition input does not have the schema its producer declares."""


@dataclass
class EditionInputs:
    """Everything one edition shows, already computed; the builders only present it.

    The indicator frames must have the columns and types their producers declare
    (`FRAME_SCHEMAS`; extra columns are allowed); the builders tolerate empty frames (a first
    edition has no changes, a fresh site no validation yet)."""

    edition_id: str
    generated_at: datetime
    demo_data: bool
    indicators: pl.DataFrame
    targets: pl.DataFrame
    regions: pl.DataFrame
    values: pl.DataFrame
    assessments: pl.DataFrame
    sources: pl.DataFrame
    validation: pl.DataFrame
    validation_failures: pl.DataFrame
    changes: pl.DataFrame
    # Per indicator id: the upstreams its values are computed from.
    indicator_sources: dict[str, list[SourceUse]] = field(default_factory=dict)
    # Region ids the indicator and comparison pages show (regions.yaml `featured`); None
    # features every region. The others stay on their region pages and in the downloads.
    featured_regions: list[str] | None = None
    # Per region id: names of its municipalities and stations the demo snapshot has no
    # figures for (snapshot mode only), so pages say why they read "not measured".
    not_in_snapshot: dict[str, list[str]] = field(default_factory=dict)
    # Sources whose latest fetch failed after their last good one (source, title, asset,
    # failed_at, error): the edition shows their older figures.
    fetch_failures: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema=FETCH_FAILURE_SCHEMA))
    # Headline status per indicator and region in earlier editions (edition_id, built_at,
    # indicator_id, region_id, target_id, status), for "on track since edition ...".
    status_history: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema=STATUS_HISTORY_SCHEMA))
    # The parts of the indicators that declare a breakdown (CO2 per sector), per region and
    # year (`indicators.compute.compute_breakdowns`).
    breakdowns: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema=BREAKDOWN_SCHEMA))
    # Per region id: the region's own agenda (goal -> theme -> indicator, in its words), which
    # its region page, and the overview of the focus region, follow. A region without one has
    # only the monitor's themes.
    agendas: dict[str, Agenda] = field(default_factory=dict)
    # The edition the changes are counted from (the one built before this one), or None for
    # a site's first edition, whose changes page then says so.
    previous_edition: str | None = None

    def __post_init__(self) -> None:
        problems = [problem for name, schema in FRAME_SCHEMAS.items()
                    for problem in schema_problems(name, getattr(self, name), schema)]
        if problems:
            raise ContractError("edition inputs do not match their schemas: "
                                + "; ".join(problems))


def schema_problems(name: str, frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> list[str]:
    """What is missing or of another type in `frame`, one message per column."""
    problems = []
    for column, dtype in schema.items():
        if column not in frame.columns:
            problems.append(f"{name}: no column {column!r}")
        elif frame.schema[column] != dtype:
            problems.append(f"{name}.{column}: {frame.schema[column]} where {dtype} is declared")
    return problems


