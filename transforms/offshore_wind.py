"""Offshore wind: parse ENTSO-E A75 generation documents (psrType B18, Wind Offshore) into
monthly and yearly generation totals, and the project's wind-farm register into capacity rows;
plus the business rules (GX expectations) that guard `clean_offshore_wind`.

Pure functions over payload bytes. XML is parsed safely (`transforms.xml_safe`) and matched on
local names (`{*}`), so a namespace version bump does not break the parser. Points are gathered with one
list build per document and expanded, filled and aggregated in Polars.

ENTSO-E answers a query it cannot serve with an `Acknowledgement_MarketDocument`. Reason code
999 with the text "No matching data found" means the window holds no data: such a document is
a valid answer that yields no rows. Any other acknowledgement is a refusal (bad query, too much
data) and breaks the contract. A TimeSeries naming `outBiddingZone_Domain.mRID` is consumption
(e.g. the farms' own use), one naming `inBiddingZone_Domain.mRID` (or neither, as entsoe-py
reads it) is generation: the two are summed into separate measures, never into one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

import polars as pl

from core.errors import ContractError
from core.payload import Payload
from core.tables import STAT_SHAPE
from transforms.emissions import (
    NATIONAL,
    check_fields,
    merge_payload_frames,
    parse_numbers,
    read_text_csv,
    require_years,
    stat_common_rules,
    stat_frame,
)
from transforms.xml_safe import ParseError as XmlParseError
from transforms.xml_safe import parse_xml

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

LOCAL_TZ = "Europe/Amsterdam"  # months and years are Dutch calendar periods
PSR_WIND_OFFSHORE = "B18"
UNIT_MW = "MAW"  # ENTSO-E's code for megawatt
CURVE_POINT = "A01"  # one point per resolution step
CURVE_BLOCKS = "A03"  # variable blocks: a point holds until the next position given

OFFSHORE_WIND_UNITS: dict[str, str] = {
    "offshore_wind_generation_gwh": "GWh",  # ENTSO-E actual generation, summed per period
    "offshore_wind_consumption_gwh": "GWh",  # ENTSO-E actual consumption (outBiddingZone)
    "farm_capacity_mw": "MW",  # register: operational farm, period = commissioning year
    "farm_capacity_planned_mw": "MW",  # register: planned farm, period = expected year
    # CBS 82610NED measures that share the table (filled by the CBS feed).
    "offshore_wind_capacity_mw": "MW",
    "offshore_wind_production_gwh": "GWh",
    "electricity_consumption_gwh": "GWh",
}
NL_DOMAIN = "10YNL----------L"  # EIC of the Dutch bidding zone
ENTSOE_TABLE = f"A75 B18 {NL_DOMAIN}"
GENERATION_ELEMENT = "inBiddingZone_Domain.mRID"
CONSUMPTION_ELEMENT = "outBiddingZone_Domain.mRID"
DIRECTION_MEASURES = {"generation": "offshore_wind_generation_gwh",
                      "consumption": "offshore_wind_consumption_gwh"}
NO_DATA_CODE = "999"
NO_DATA_TEXT = "no matching data found"  # entsoe-py matches this text (NoMatchingDataError)


# -- XML helpers -----------------------------------------------------------------------------

def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def text_at(element: Element, path: str) -> str | None:
    """Text of the first element at a '/'-separated path of local names, stripped."""
    found = element.find("/".join(f"{{*}}{step}" for step in path.split("/")))
    return None if found is None or found.text is None else found.text.strip()


def _xml_root(payload: Payload) -> Element:
    try:
        return parse_xml(payload.body)
    except (XmlParseError, ValueError) as exc:  # defusedxml refusals are ValueErrors
        raise ContractError(payload.source, f"invalid XML ({exc.__class__.__name__}): {exc}",
                            url=payload.url) from None


def acknowledgement_reasons(payload: Payload) -> list[tuple[str, str]] | None:
    """(code, text) of each Reason when the body is an Acknowledgement_MarketDocument, else
    None. Matched on the local name: the namespace version varies (7:0 seen live, 8:0 too)."""
    if b"Acknowledgement_MarketDocument" not in payload.body[:4096]:
        return None
    root = _xml_root(payload)
    if local_name(root.tag) != "Acknowledgement_MarketDocument":
        return None
    return [(text_at(r, "code") or "", text_at(r, "text") or "")
            for r in root.findall("{*}Reason")]


def is_no_data(reasons: Sequence[tuple[str, str]]) -> bool:
    """Reason code 999 with "No matching data found": a window without data. Code 999 alone
    is not enough: ENTSO-E also sends 999 for refusals ("Delivered Area EIC ... is not valid",
    "The number of instances ... exceeds the allowed maximum")."""
    return bool(reasons) and all(code == NO_DATA_CODE and NO_DATA_TEXT in text.lower()
                                 for code, text in reasons)


def describe_reasons(reasons: Sequence[tuple[str, str]]) -> str:
    return "; ".join(f"{code or '?'}: {text}" for code, text in reasons) or "no reason given"


def document_root(payload: Payload) -> Element | None:
    """The GL_MarketDocument root; None for a "no matching data" acknowledgement (a window
    without data); any other acknowledgement or root breaks the contract."""
    reasons = acknowledgement_reasons(payload)
    if reasons is not None:
        if is_no_data(reasons):
            return None
        raise ContractError(payload.source, "ENTSO-E acknowledgement instead of data: "
                            f"{describe_reasons(reasons)}", url=payload.url,
                            hint="Check the query (domain, psrType, window). Nothing was written.")
    root = _xml_root(payload)
    name = local_name(root.tag)
    if name != "GL_MarketDocument":
        raise ContractError(payload.source, f"expected a GL_MarketDocument, got {name}",
                            url=payload.url)
    return root


# -- ENTSO-E A75 actual generation per type --------------------------------------------------

def parse_entsoe_generation(payloads: Sequence[Payload]) -> pl.DataFrame:
    """Offshore wind generation (and, where a document has it, consumption) in GWh per month
    ('2024-05') and per year ('2024'), NL01.

    Quantities are MW averages per resolution step, so energy = MW x step (PT15M: x 0.25 h).
    A step repeated across documents counts once (the later document wins). Months and years
    not fully covered by points are flagged `is_provisional` (a partial total, not a drop):
    the current year, a month still being published, a window ENTSO-E had no data for.
    """
    points = [document_points(p) for p in payloads]
    points = [p for p in points if not p.is_empty()]
    if not points:
        return STAT_SHAPE.empty()
    merged = pl.concat(points).unique(subset=["direction", "start", "step_min"], keep="last",
                                      maintain_order=True)
    source = payloads[0].source
    _refuse_overlaps(payloads[0], merged)
    frames = []
    for direction, measure in DIRECTION_MEASURES.items():
        mine = merged.filter(direction=direction)
        if not mine.is_empty():
            frames += [generation_totals(mine, "%Y-%m", "1mo", source, measure),
                       generation_totals(mine, "%Y", "1y", source, measure)]
    return merge_payload_frames(frames, STAT_SHAPE)


def _refuse_overlaps(payload: Payload, points: pl.DataFrame) -> None:
    """Steps of one direction may not overlap (a PT60M and a PT15M series over the same hour
    would count that hour's energy twice)."""
    ordered = points.sort("direction", "start", "step_min").with_columns(
        ends=pl.col("start") + pl.duration(minutes=pl.col("step_min")))
    clash = ordered.filter(pl.col("start") < pl.col("ends").shift(1).over("direction"))
    if clash.height:
        raise ContractError(payload.source, "time steps overlap (mixed resolutions over the "
                            f"same time?) at {clash['start'].head(3).to_list()}", url=payload.url)


def document_points(payload: Payload) -> pl.DataFrame:
    """One row per time step of a document: start (UTC), mw, step_min, direction."""
    root = document_root(payload)
    periods: list[dict] = []
    points: dict[str, list] = {"pid": [], "position": [], "quantity": []}
    for series in [] if root is None else root.findall("{*}TimeSeries"):
        if text_at(series, "MktPSRType/psrType") != PSR_WIND_OFFSHORE:
            continue
        _require_unit(payload, series)
        direction = series_direction(payload, series)
        curve = text_at(series, "curveType") or CURVE_POINT
        for period in series.findall("{*}Period"):
            periods.append(_period_header(payload, period, len(periods), curve) | {
                "direction": direction})
            _collect_points(payload, period, len(periods) - 1, points)
    if not periods:
        return pl.DataFrame(schema={"start": pl.Datetime("us", "UTC"), "mw": pl.Float64,
                                    "step_min": pl.Int64, "direction": pl.String})
    return _expand(payload, pl.DataFrame(periods), _typed_points(payload, points))


def series_direction(payload: Payload, series: Element) -> str:
    """'consumption' for an outBiddingZone series, else 'generation' (entsoe-py's reading);
    a series naming both, or another bidding zone than NL, breaks the contract."""
    zones = {name: text_at(series, name) for name in (GENERATION_ELEMENT, CONSUMPTION_ELEMENT)}
    named = {name: zone for name, zone in zones.items() if zone is not None}
    if len(named) == 2:
        raise ContractError(payload.source, f"TimeSeries names both {GENERATION_ELEMENT} and "
                            f"{CONSUMPTION_ELEMENT}", url=payload.url)
    foreign = [zone for zone in named.values() if zone != NL_DOMAIN]
    if foreign:
        raise ContractError(payload.source, f"TimeSeries for bidding zone {foreign[0]!r}, "
                            f"expected {NL_DOMAIN}", url=payload.url)
    return "consumption" if CONSUMPTION_ELEMENT in named else "generation"


def _require_unit(payload: Payload, series: Element) -> None:
    unit = text_at(series, "quantity_Measure_Unit.name")
    if unit != UNIT_MW:
        raise ContractError(payload.source, f"quantity unit {unit!r}, expected {UNIT_MW!r}",
                            url=payload.url)


def _period_header(payload: Payload, period: Element, pid: int, curve: str) -> dict:
    fields = {f: text_at(period, f) for f in ("timeInterval/start", "timeInterval/end",
                                              "resolution")}
    missing = [f for f, v in fields.items() if not v]
    if missing:
        raise ContractError(payload.source, f"Period lacks {missing}", url=payload.url)
    start = _utc(payload, fields["timeInterval/start"])
    span_min = (_utc(payload, fields["timeInterval/end"]) - start).total_seconds() / 60
    step = resolution_minutes(payload, fields["resolution"])
    if span_min <= 0 or span_min % step:
        raise ContractError(payload.source, f"Period of {span_min:.0f} min is not a whole "
                            f"number of {fields['resolution']} steps", url=payload.url)
    return {"pid": pid, "start": start, "step_min": step, "n": int(span_min // step),
            "curve": curve}


def _utc(payload: Payload, stamp: str) -> datetime:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        raise ContractError(payload.source, f"unreadable time {stamp!r}",
                            url=payload.url) from None
    # ENTSO-E stamps are UTC ('Z'); a stamp without an offset is read as UTC too.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_RESOLUTION = re.compile(r"^PT(\d+)([MH])$|^P1D$")


def resolution_minutes(payload: Payload, resolution: str) -> int:
    """Minutes per step of an ISO 8601 resolution: PT15M -> 15, PT60M or PT1H -> 60."""
    match = _RESOLUTION.match(resolution)
    if match is None:
        raise ContractError(payload.source, f"unsupported resolution {resolution!r}",
                            url=payload.url)
    if match.group(1) is None:
        return 24 * 60
    return int(match.group(1)) * (60 if match.group(2) == "H" else 1)


def _collect_points(payload: Payload, period: Element, pid: int,
                    points: dict[str, list]) -> None:
    count = len(period.findall("{*}Point"))
    positions = [e.text for e in period.findall("{*}Point/{*}position")]
    quantities = [e.text for e in period.findall("{*}Point/{*}quantity")]
    if not len(positions) == len(quantities) == count:
        raise ContractError(payload.source, f"{count} Point(s) but {len(positions)} position(s) "
                            f"and {len(quantities)} quantity(ies)", url=payload.url)
    points["pid"] += [pid] * count
    points["position"] += positions
    points["quantity"] += quantities


def _typed_points(payload: Payload, points: dict[str, list]) -> pl.DataFrame:
    raw = pl.DataFrame(points, schema={"pid": pl.Int64, "position": pl.String,
                                       "quantity": pl.String})
    typed = raw.with_columns(position=pl.col("position").str.strip_chars().cast(pl.Int64,
                                                                               strict=False),
                             # entsoe-py strips thousands separators ("1,234") too
                             quantity=pl.col("quantity").str.strip_chars()
                             .str.replace_all(",", "", literal=True)
                             .cast(pl.Float64, strict=False))
    bad = raw.filter(typed["position"].is_null() | typed["quantity"].is_null())
    if bad.height:
        raise ContractError(payload.source, f"unreadable Point(s) {bad.head(3).rows()}",
                            url=payload.url)
    return typed


def _expand(payload: Payload, periods: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """Every step of every Period, with A03 blocks filled forward and A01 gaps left out."""
    outside = points.join(periods, on="pid").filter(
        (pl.col("position") < 1) | (pl.col("position") > pl.col("n")))
    if outside.height:
        raise ContractError(payload.source, "Point position outside its Period: "
                            f"{outside['position'].head(3).to_list()}", url=payload.url)
    grid = (periods.with_columns(position=pl.int_ranges(1, pl.col("n") + 1, dtype=pl.Int64))
            .explode("position").join(points, on=["pid", "position"], how="left"))
    filled = pl.when(pl.col("curve") == CURVE_BLOCKS).then(
        pl.col("quantity").forward_fill().over("pid", order_by="position")
    ).otherwise(pl.col("quantity"))
    offset = pl.duration(minutes=(pl.col("position") - 1) * pl.col("step_min"))
    return (grid.with_columns(mw=filled).drop_nulls("mw")
            .select(start=pl.col("start").dt.convert_time_zone("UTC") + offset,
                    mw=pl.col("mw"), step_min=pl.col("step_min"),
                    direction=pl.col("direction")))


def generation_totals(points: pl.DataFrame, fmt: str, every: str, source: str,
                      measure: str = "offshore_wind_generation_gwh") -> pl.DataFrame:
    """GWh per Dutch calendar period (`fmt` '%Y-%m' with every '1mo', or '%Y' with '1y')."""
    local = pl.col("start").dt.convert_time_zone(LOCAL_TZ)
    totals = (points.group_by(period=local.dt.strftime(fmt))
              .agg(value=(pl.col("mw") * pl.col("step_min") / 60).sum() / 1000,
                   covered_min=pl.col("step_min").sum(),
                   opens=local.dt.truncate(every).min()))
    expected_min = (pl.col("opens").dt.offset_by(every) - pl.col("opens")).dt.total_minutes()
    rows = totals.select(
        region_code=pl.lit(NATIONAL), entity=pl.lit(""),
        measure=pl.lit(measure), period="period",
        year=pl.col("period").str.slice(0, 4).cast(pl.Int32), value="value",
        is_provisional=pl.col("covered_min") < expected_min,
        missing_reason=pl.lit(None, dtype=pl.String))
    return stat_frame(STAT_SHAPE, rows, source=source, units=OFFSHORE_WIND_UNITS,
                      source_table=ENTSOE_TABLE)


# -- wind-farm register (sources/wind_farms.csv) ---------------------------------------------

REGISTER_COLUMNS = ("farm_id", "name", "capacity_mw", "commissioning_year", "status", "coast",
                    "citation")
REGISTER_OPTIONAL = ("approximate", "unverified")
# Status -> measure. Only an operational farm counts as capacity; the others are expected
# capacity in their expected year (flagged provisional).
FARM_STATUSES = {"operational": "farm_capacity_mw",
                 "under_construction": "farm_capacity_planned_mw",
                 "awarded": "farm_capacity_planned_mw",
                 "planned": "farm_capacity_planned_mw"}


def parse_wind_farm_register(payloads: Sequence[Payload]) -> pl.DataFrame:
    """Capacity per farm: farm_capacity_mw (operational, period = commissioning year) or
    farm_capacity_planned_mw (under construction, awarded or planned; period = expected year,
    flagged provisional). A farm whose year is not announced (empty) yields no row."""
    return merge_payload_frames([_register_rows(p) for p in payloads], STAT_SHAPE)


def read_register(payload: Payload) -> pl.DataFrame:
    """The register as typed columns: farm_id, name, capacity_mw, commissioning_year, ...

    `commissioning_year` is the year of (full) operation, or the expected year; it may be
    empty only for a farm that is not operational and has no announced year."""
    table = read_text_csv(payload, ",")
    check_fields(payload, table.schema, REGISTER_COLUMNS, "register columns",
                 optional=REGISTER_OPTIONAL)
    table = table.with_columns(pl.col("status", "farm_id").str.strip_chars(),
                               pl.col("commissioning_year").str.strip_chars().replace("", None))
    unknown = sorted(set(table["status"].to_list()) - set(FARM_STATUSES))
    if unknown:
        raise ContractError(payload.source, f"unknown status {unknown}; allowed "
                            f"{sorted(FARM_STATUSES)}", url=payload.url)
    repeated = table.filter(pl.col("farm_id").is_duplicated())["farm_id"].unique().to_list()
    if repeated:
        raise ContractError(payload.source, f"farm_id repeated: {sorted(repeated)}",
                            url=payload.url)
    undated = table.filter((pl.col("status") == "operational")
                           & pl.col("commissioning_year").is_null())["farm_id"].to_list()
    if undated:
        raise ContractError(payload.source, f"operational farm(s) without commissioning_year: "
                            f"{undated}", url=payload.url)
    require_years(payload, table.drop_nulls("commissioning_year"), "commissioning_year")
    typed = parse_numbers(payload, table, "capacity_mw", {}).with_columns(
        capacity_mw=pl.col("value"),
        commissioning_year=pl.col("commissioning_year").cast(pl.Int32))
    if "approximate" in typed.columns:
        typed = typed.with_columns(
            approximate=pl.col("approximate").str.strip_chars().str.to_lowercase() == "true")
    return typed.drop("value", "missing_reason")


def _register_rows(payload: Payload) -> pl.DataFrame:
    farms = read_register(payload).drop_nulls("commissioning_year")
    rows = farms.select(
        region_code=pl.lit(NATIONAL), entity=pl.col("farm_id"),
        measure=pl.col("status").replace_strict(FARM_STATUSES),
        year=pl.col("commissioning_year"), value=pl.col("capacity_mw"),
        is_provisional=pl.col("status") != "operational",
        missing_reason=pl.lit(None, dtype=pl.String))
    return stat_frame(STAT_SHAPE, rows, source=payload.source, units=OFFSHORE_WIND_UNITS,
                      source_table="wind_farms.csv")


# -- business rules --------------------------------------------------------------------------

def offshore_wind_rules() -> list[Expectation]:
    """GX business rules for clean_offshore_wind (schema checks are generated separately)."""
    import great_expectations as gx

    return [
        *stat_common_rules(OFFSHORE_WIND_UNITS, r"^\d{4}(?:-(?:0[1-9]|1[0-2]|Q[1-4]))?$"),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, description="capacity and production are not negative"),
        gx.expectations.ExpectColumnValuesToNotBeInSet(
            column="entity", value_set=[""], row_condition='measure.str.startswith("farm_")',
            condition_parser="pandas", description="farm rows name their farm"),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="is_provisional", value_set=[True],
            row_condition='measure == "farm_capacity_planned_mw"', condition_parser="pandas",
            description="planned capacity is flagged provisional"),
    ]
