"""CBS StatLine OData v4 payloads -> rows of the long statistical schema.

Measure codes are resolved from each table's `MeasureCodes` by title, never hard-coded;
region keys are stripped of CBS's padding; provisional periods (`*`, `**`, status
"Voorlopig") are flagged; missing-value markers become NULL with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from core.errors import ContractError
from core.payload import Payload
from core.tables import STAT_SHAPE

SOURCE = "cbs_statline"
OBSERVATION_FIELDS = ("Measure", "Perioden", "Value", "ValueAttribute")
# ValueAttribute (v4) and the v3 text markers, both mapped to a plain-language reason.
MISSING_REASONS = {
    "Missing": "not available", ".": "not available", "Impossible": "not applicable",
    "-": "nil or not applicable", "Confidential": "confidential", "x": "confidential",
    "": "not available", "Unknown": "not available", "NotAvailable": "not available",
}
PROVISIONAL_STATUS = {"voorlopig", "nader voorlopig"}
YEAR_PERIOD = re.compile(r"^(\d{4})JJ00$")
QUARTER_PERIOD = re.compile(r"^(\d{4})KW0([1-4])$")


@dataclass(frozen=True)
class MeasureSpec:
    measure_id: str  # our id, unit-suffixed, e.g. net_labour_participation_pct
    title: str  # the CBS measure title it is resolved from (case-insensitive, exact)
    unit: str


@dataclass(frozen=True)
class TableSpec:
    table: str
    measures: tuple[MeasureSpec, ...]
    filters: dict[str, str] = field(default_factory=dict)  # e.g. {"BronTechniek": "E006638"}
    regional: bool = True  # has a RegioS dimension; national tables map to NL01


def resolve_measures(spec: TableSpec, measure_codes: Payload) -> dict[str, MeasureSpec]:
    """CBS measure code -> our measure, by title; a missing title names table and measure."""
    codes = _value_list(measure_codes, ("Identifier", "Title"))
    by_title = {str(row["Title"]).strip().lower(): row["Identifier"] for row in codes}
    missing = [m.title for m in spec.measures if m.title.lower() not in by_title]
    if missing:
        raise ContractError(SOURCE, f"table {spec.table} has no measure titled {missing}; "
                            f"it may be renamed or discontinued", url=measure_codes.url)
    return {by_title[m.title.lower()]: m for m in spec.measures}


def provisional_periods(period_codes: Payload) -> set[str]:
    """Period keys CBS marks provisional (status, or `*`/`**` after the title)."""
    rows = _value_list(period_codes, ("Identifier",))
    return {r["Identifier"] for r in rows
            if str(r.get("Status") or "").strip().lower() in PROVISIONAL_STATUS
            or str(r.get("Title") or "").rstrip().endswith("*")}


def parse_observations(spec: TableSpec, pages: Sequence[Payload], measure_codes: Payload,
                       period_codes: Payload) -> pl.DataFrame:
    measures = resolve_measures(spec, measure_codes)
    provisional = provisional_periods(period_codes)
    rows = [row for page in pages for row in _observations(spec, page)]
    if not rows:
        return STAT_SHAPE.empty()
    frame = pl.DataFrame(rows, schema={"Measure": pl.String, "RegioS": pl.String,
                                       "Perioden": pl.String, "Value": pl.Float64,
                                       "ValueAttribute": pl.String}, strict=False)
    lookup = pl.DataFrame({"Measure": list(measures), "measure": [m.measure_id for m in measures.values()],
                           "unit": [m.unit for m in measures.values()]})
    return _tidy(spec, frame.join(lookup, on="Measure", how="inner"), provisional)


def _tidy(spec: TableSpec, frame: pl.DataFrame, provisional: set[str]) -> pl.DataFrame:
    period = pl.col("Perioden").str.strip_chars()
    year = period.str.slice(0, 4).cast(pl.Int32, strict=False)
    label = (pl.when(period.str.contains(r"^\d{4}JJ00$")).then(period.str.slice(0, 4))
             .when(period.str.contains(r"^\d{4}KW0[1-4]$"))
             .then(period.str.slice(0, 4) + "-Q" + period.str.slice(7, 1))
             .otherwise(None))
    attribute = pl.col("ValueAttribute").fill_null("None")
    reason = pl.when(pl.col("Value").is_null()).then(
        attribute.replace_strict(MISSING_REASONS, default="not available"))
    tidy = frame.with_columns(
        region_code=(pl.col("RegioS").str.strip_chars() if spec.regional else pl.lit("NL01")),
        entity=pl.lit(""), period=label, year=year,
        value=pl.when(attribute.is_in(["None", "Provisional"])).then(pl.col("Value")),
        is_provisional=period.is_in(sorted(provisional)) | (attribute == "Provisional"),
        source=pl.lit(SOURCE), source_table=pl.lit(spec.table),
    ).with_columns(missing_reason=pl.when(pl.col("value").is_null())
                   .then(reason.fill_null("not available")))
    unknown = tidy.filter(pl.col("period").is_null())
    if unknown.height:
        raise ContractError(SOURCE, f"table {spec.table}: unknown period code "
                            f"{unknown['Perioden'][0]!r}")
    return STAT_SHAPE.conform(tidy.unique(["region_code", "measure", "period"], keep="last"))


def _observations(spec: TableSpec, page: Payload) -> list[dict]:
    rows = _value_list(page, OBSERVATION_FIELDS + (("RegioS",) if spec.regional else ()))
    for key, wanted in spec.filters.items():
        rows = [r for r in rows if str(r.get(key, "")).strip() == wanted]
    return rows


def _value_list(payload: Payload, required: Sequence[str]) -> list[dict]:
    try:
        doc = payload.json()
    except ValueError:
        raise ContractError(SOURCE, "response is not JSON", url=payload.url) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
        raise ContractError(SOURCE, "response has no 'value' list (OData v4)", url=payload.url)
    rows = doc["value"]
    if rows:
        missing = [f for f in required if f not in rows[0]]
        if missing:
            raise ContractError(SOURCE, f"rows lack field(s) {missing} (schema drift?)",
                                url=payload.url)
    return rows


def parse_tables(specs: Sequence[TableSpec], payloads: Sequence[Payload]) -> pl.DataFrame:
    """Rows of every table in `specs` from one feed's payloads (metadata and pages, keyed by
    `<table>/...` request keys as `sources.statline.fetch_table` stores them)."""
    frames = []
    for spec in specs:
        mine = {p.request_key: p for p in payloads if p.request_key.startswith(f"{spec.table}/")}
        pages = [mine[k] for k in sorted(mine) if k.startswith(f"{spec.table}/Observations/")]
        frames.append(parse_observations(spec, pages, mine[f"{spec.table}/MeasureCodes"],
                                         mine[f"{spec.table}/PeriodenCodes"]))
    return pl.concat(frames) if frames else STAT_SHAPE.empty()
