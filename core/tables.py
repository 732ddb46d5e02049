"""Table shapes: columns, types and keys, declared once.

A family's clean table takes one of these shapes (the hourly air shape or the long statistical
shape); parsers conform their frames to the shape, so DDL, Polars casts and the generated
schema expectations cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

_POLARS = {
    "VARCHAR": pl.String,
    "DOUBLE": pl.Float64,
    "INTEGER": pl.Int32,
    "BIGINT": pl.Int64,
    "BOOLEAN": pl.Boolean,
    "DATE": pl.Date,
    "TIMESTAMPTZ": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    nullable: bool = False
    description: str = ""

    @property
    def polars_type(self) -> pl.DataType:
        return _POLARS[self.sql_type]


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self, name: str | None = None) -> str:
        """The table's CREATE statement; under another `name` for a table of the same shape
        (a year's table of a table stored per reporting year, `warehouse.year_parts`)."""
        cols = ",\n  ".join(
            f"{c.name} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in self.columns
        )
        return f"CREATE TABLE IF NOT EXISTS {name or self.name} (\n  {cols}\n)"

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Select and cast a frame to this schema; a missing column is a clear error."""
        missing = [c for c in self.column_names if c not in frame.columns]
        if missing:
            raise ValueError(f"{self.name}: frame lacks column(s) {missing}")
        return frame.select(pl.col(c.name).cast(c.polars_type) for c in self.columns)

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema={c.name: c.polars_type for c in self.columns})

    def table(self, name: str, description: str) -> TableSchema:
        """A table of this shape (a family's clean table)."""
        return replace(self, name=name, description=description)


# Air quality: hourly means in UTC. A value stamped at hour X is the mean of X to X+1.
_AIR_COLUMNS = (
    Column("station_code", "VARCHAR", description="Luchtmeetnet station number, e.g. NL49551"),
    Column("component", "VARCHAR", description="NO2, PM10 or PM25"),
    Column("measured_at", "TIMESTAMPTZ", description="start of the hour, UTC"),
    Column("value_ugm3", "DOUBLE", nullable=True, description="hourly mean in µg/m³; NULL = no value"),
    Column("source", "VARCHAR", description="which upstream the row came from"),
)

# Statistical families share one long shape: one row per region, entity, measure and period.
_STAT_COLUMNS = (
    Column("region_code", "VARCHAR", description="CBS code, stripped: GM0453, NL01"),
    Column("entity", "VARCHAR", description="'' for the whole region, else an installation or farm id"),
    Column("measure", "VARCHAR", description="project measure id, unit suffixed, e.g. co2_total_kt"),
    Column("period", "VARCHAR", description="'2023' for a year, '2023-05' for a month"),
    Column("year", "INTEGER"),
    Column("value", "DOUBLE", nullable=True, description="NULL when the source has no value"),
    Column("unit", "VARCHAR"),
    Column("is_provisional", "BOOLEAN", description="source marks the value provisional"),
    Column("missing_reason", "VARCHAR", nullable=True, description="why value is NULL"),
    Column("source", "VARCHAR", description="upstream, e.g. cbs_statline, klimaatmonitor"),
    Column("source_table", "VARCHAR", description="upstream table, variable or file id"),
)
_STAT_KEY = ("region_code", "entity", "measure", "period", "source")


# The two shapes parsers produce; each family's clean table takes one of them.
AIR_HOURLY_SHAPE = TableSchema(
    name="air_hourly", columns=_AIR_COLUMNS, key=("station_code", "component", "measured_at"),
    description="Hourly air-quality means per station and component, UTC.")
STAT_SHAPE = TableSchema(
    name="statistical", columns=_STAT_COLUMNS, key=_STAT_KEY,
    description="One row per region, entity, measure, period and source.")
