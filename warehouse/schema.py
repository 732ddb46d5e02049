"""One schema per clean table: the single place column names, types and keys are declared.

DDL, Polars casts and the generated schema expectations all come from these objects, so the
table, the frame that fills it and the validation that guards it cannot drift apart. Table and
column names here are the identifier allowlist for SQL built anywhere in the project.
"""

from __future__ import annotations

from dataclasses import dataclass

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

    def ddl(self) -> str:
        cols = ",\n  ".join(
            f"{c.name} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in self.columns
        )
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {cols}\n)"

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Select and cast a frame to this schema; a missing column is a clear error."""
        missing = [c for c in self.column_names if c not in frame.columns]
        if missing:
            raise ValueError(f"{self.name}: frame lacks column(s) {missing}")
        return frame.select(pl.col(c.name).cast(c.polars_type) for c in self.columns)

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema={c.name: c.polars_type for c in self.columns})


# Air quality: hourly means in UTC. A value stamped at hour X is the mean of X to X+1.
_AIR_COLUMNS = (
    Column("station_code", "VARCHAR", description="Luchtmeetnet station number, e.g. NL49551"),
    Column("component", "VARCHAR", description="NO2, PM10 or PM25"),
    Column("measured_at", "TIMESTAMPTZ", description="start of the hour, UTC"),
    Column("value_ugm3", "DOUBLE", nullable=True, description="hourly mean in µg/m³; NULL = no value"),
    Column("source", "VARCHAR", description="which upstream the row came from"),
)

AIR_QUALITY_HOURLY = TableSchema(
    name="clean_air_quality_hourly",
    columns=_AIR_COLUMNS,
    key=("station_code", "component", "measured_at"),
    description="Hourly air-quality measurements from the Luchtmeetnet open API (unvalidated).",
)

AIR_QUALITY_VALIDATED_HOURLY = TableSchema(
    name="clean_air_quality_validated_hourly",
    columns=_AIR_COLUMNS,
    key=("station_code", "component", "measured_at"),
    description="Validated hourly air-quality history from RIVM's yearly CSV files.",
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


def _stat_table(name: str, description: str) -> TableSchema:
    return TableSchema(name=name, columns=_STAT_COLUMNS, key=_STAT_KEY, description=description)


EMISSIONS = _stat_table("clean_emissions", "CO2 and greenhouse-gas emissions per municipality, "
                        "sector and installation.")
EMPLOYMENT = _stat_table("clean_employment", "Labour participation, unemployment and benefit "
                         "dependency per municipality.")
TRAINING = _stat_table("clean_training", "Education level, mbo enrolment and diplomas, "
                       "lifelong learning.")
OFFSHORE_WIND = _stat_table("clean_offshore_wind", "Offshore wind capacity, production and the "
                            "register of farms off the IJmond coast.")

CLEAN_TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (AIR_QUALITY_HOURLY, AIR_QUALITY_VALIDATED_HOURLY, EMISSIONS, EMPLOYMENT,
              TRAINING, OFFSHORE_WIND)
}


def clean_table(name: str) -> TableSchema:
    """Look a table up in the allowlist; anything else is refused."""
    try:
        return CLEAN_TABLES[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r}; allowed: {sorted(CLEAN_TABLES)}") from None
