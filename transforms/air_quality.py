"""Air quality: parse Luchtmeetnet API pages and RIVM yearly CSVs into tidy hourly UTC rows,
the business rules that guard them, and the daily/annual aggregates indicators build on.

Pure functions, vectorised Polars; no I/O beyond the payload bytes handed in. Every parsed
frame is conformed to `core.tables.AIR_HOURLY_SHAPE`: one row
per station, component and UTC start-of-hour, `value_ugm3` NULL where the source has no value
(never zero). Broken upstream contracts raise `ContractError`; an extra, unknown field only
warns with `SchemaDriftWarning`.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from core.errors import ContractError
from core.payload import Payload
from core.tables import AIR_HOURLY_SHAPE

# Luchtmeetnet formulas; PM2.5 is spelled "PM25" by the API and in RIVM's file names.
COMPONENTS = ("NO2", "PM10", "PM25")

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

API_SOURCE = "luchtmeetnet_api"
VALIDATED_SOURCE = "rivm_validated"
KEY = ["station_code", "component", "measured_at"]

# Hourly values between these bounds pass; small negatives are instrument noise around zero.
VALUE_MIN_UGM3 = -5.0
VALUE_MAX_UGM3 = 1500.0
LOW_COVERAGE_BELOW_PCT = 90.0  # GGD reports flag annual means below 90% data capture

# Dutch validated data are stamped in UTC+1 all year (no daylight-saving time).
DUTCH_STANDARD_TIME = "Etc/GMT-1"


class SchemaDriftWarning(UserWarning):
    """An upstream payload carries a field or column this parser does not know (not fatal)."""


# -- Luchtmeetnet open API -------------------------------------------------------------------

API_FIELDS = ("station_number", "formula", "timestamp_measured", "value")
# Seen in some responses only (docs/evidence/luchtmeetnet_klimaatmonitor.md L3): the hour's start and end, spelled out.
OPTIONAL_API_FIELDS = ("timestamp_measured_start", "timestamp_measured_end")
HOUR = timedelta(hours=1)
_NUMERIC = (pl.Float64, pl.Float32, pl.Int64, pl.Int32, pl.Int16, pl.Int8, pl.UInt64,
            pl.UInt32, pl.UInt16, pl.UInt8, pl.Null)


def parse_luchtmeetnet_measurements(payloads: Sequence[Payload]) -> pl.DataFrame:
    """Hourly measurements of the monitored components from `/measurements` pages, keyed by
    the START of each hour in UTC, one row per natural key.

    `timestamp_measured` is the END of the averaging hour (RIVM's client documents it as
    "Eindtijd van het uurgemiddelde", rivm-syso/samanapir), so an hour 10:00-11:00 stamped
    11:00 is keyed 10:00, the key RIVM's validated files give the same hour. Where a record
    also carries `timestamp_measured_start` (some responses do), that is the key, and it must
    be one hour before `timestamp_measured` (as `timestamp_measured_end` must equal it), else
    the contract is broken. Rows of other components (a station's chain holds all it
    measures) are left out. A row repeated across pages (the API shifts rows when data arrive
    mid-walk) is kept once, from the highest page. Offsets are converted to UTC.
    """
    # A national day is 300 pages: building and checking one frame per page cost more than
    # the rest of the refresh. The records of all pages become one frame, checked once; only
    # when that check finds something are the pages checked one by one, so the error or the
    # drift warning names the page it occurs on.
    pages = [_measurement_records(p) for p in payloads]
    pages_frame = _all_pages(pages)
    if pages_frame is None or not _fields_as_contracted(pages_frame):
        frames = [_page_frame(payload, data, current_page, n)
                  for n, (payload, (data, current_page)) in enumerate(zip(payloads, pages,
                                                                          strict=True))
                  if data]
        pages_frame = pl.concat(frames) if frames else None
    if pages_frame is None or pages_frame.is_empty():
        return AIR_HOURLY_SHAPE.empty()
    pages_frame = _with_optional_fields(pages_frame)
    rows = (pages_frame.select(station_code=pl.col("station_number"), component=pl.col("formula"),
                               measured_at=_hour_starts(payloads, pages_frame),
                               value_ugm3=pl.col("value").cast(pl.Float64), _page="_page",
                               _payload="_payload")
            .filter(pl.col("component").is_in(COMPONENTS))
            .sort(["_page", "_payload"], maintain_order=True)
            .unique(subset=KEY, keep="last", maintain_order=True)
            .with_columns(source=pl.lit(API_SOURCE)).sort(KEY))
    return AIR_HOURLY_SHAPE.conform(rows)


def _measurement_records(payload: Payload) -> tuple[list, int]:
    """One page's `data` records and its page number, the page's structure checked."""
    doc = _json_object(payload)
    data, pagination = doc.get("data"), doc.get("pagination")
    missing = ([] if isinstance(data, list) else ["`data` list"]) + (
        [] if isinstance(pagination, dict) else ["`pagination` object"])
    if missing:
        raise ContractError(payload.source, f"response lacks a {' and a '.join(missing)}",
                            url=payload.url)
    return data, pagination.get("current_page") or 0


def _all_pages(pages: Sequence[tuple[list, int]]) -> pl.DataFrame | None:
    """Every page's records in one frame, tagged with page and payload number; None when
    they do not make one frame (the page-by-page check then says which page is at fault)."""
    records = [record for data, _ in pages for record in data]
    if not records:
        return pl.DataFrame()
    counts = [len(data) for data, _ in pages]
    try:
        frame = pl.from_dicts(records, infer_schema_length=None)
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        return None
    return frame.with_columns(
        _page=pl.Series(np.repeat(np.array([page for _, page in pages], dtype=np.int64), counts)),
        _payload=pl.Series(np.repeat(np.arange(len(pages), dtype=np.int64), counts)))


def _fields_as_contracted(frame: pl.DataFrame) -> bool:
    """The API fields all there, of their types and filled in, and no others."""
    fields = set(frame.columns) - {"_page", "_payload"}
    return (set(API_FIELDS) <= fields <= set(API_FIELDS) | set(OPTIONAL_API_FIELDS)
            and all(frame.schema[f] == pl.String for f in API_FIELDS[:3])
            and all(frame.schema[f] in (pl.String, pl.Null)
                    for f in OPTIONAL_API_FIELDS if f in fields)
            and frame.schema["value"] in _NUMERIC
            and not any(frame[f].null_count() for f in API_FIELDS[:3]))


def _page_frame(payload: Payload, data: list, current_page: int, order: int) -> pl.DataFrame:
    """One page's records, contract-checked, tagged with its page and payload number."""
    page = _with_optional_fields(_rows_frame(payload, data))
    _check_api_fields(payload, page)
    return page.select(
        pl.col("station_number", "formula", "timestamp_measured", *OPTIONAL_API_FIELDS),
        value=pl.col("value").cast(pl.Float64),
        _page=pl.lit(current_page, dtype=pl.Int64),
        _payload=pl.lit(order, dtype=pl.Int64))


def _with_optional_fields(frame: pl.DataFrame) -> pl.DataFrame:
    """The optional start/end fields as text columns, all-null where a response lacks them."""
    return frame.with_columns(pl.lit(None, dtype=pl.String).alias(f)
                              for f in OPTIONAL_API_FIELDS if f not in frame.columns)


def _hour_starts(payloads: Sequence[Payload], pages: pl.DataFrame) -> pl.Series:
    """The UTC start of each record's hour: `timestamp_measured_start` where given, else
    `timestamp_measured` (the hour's end) minus one hour; the spelled-out start and end must
    agree with `timestamp_measured`. A failure names the first page it occurs on."""
    end = _api_timestamps(payloads, pages, "timestamp_measured")
    start = end - HOUR
    for field, expected in (("timestamp_measured_start", start), ("timestamp_measured_end", end)):
        if pages[field].null_count() == pages.height:
            continue
        given = _api_timestamps(payloads, pages, field)
        disagree = given.is_not_null() & (given != expected)
        if disagree.any():
            page = pages.filter(disagree)["_payload"][0]
            row = pages.filter(disagree & (pages["_payload"] == page)).row(0, named=True)
            raise ContractError(payloads[page].source, f"{disagree.sum()} record(s) whose {field} "
                                f"is not {'one hour before' if field.endswith('start') else 'equal to'}"
                                f" timestamp_measured, e.g. {row[field]!r} with "
                                f"{row['timestamp_measured']!r}", url=payloads[page].url)
        start = start if field.endswith("end") else given.fill_null(start)
    return start.alias("measured_at")


def _api_timestamps(payloads: Sequence[Payload], pages: pl.DataFrame,
                    field: str) -> pl.Series:
    """ISO 8601 stamps with any offset (or Z) as UTC datetimes, each on the hour (NULL stays
    NULL); a failure names the first page it occurs on."""
    stamps = pages[field]
    parsed = (stamps.str.replace(r"Z$", "+00:00")
              .str.to_datetime("%Y-%m-%dT%H:%M:%S%z", time_zone="UTC", strict=False))
    unparseable = parsed.is_null() & stamps.is_not_null()
    if unparseable.any():
        page = pages.filter(unparseable)["_payload"][0]
        bad = stamps.filter(unparseable & (pages["_payload"] == page))
        raise ContractError(payloads[page].source, f"{bad.len()} unparseable {field}, "
                            f"e.g. {bad[0]!r}", url=payloads[page].url)
    off_the_hour = (parsed.dt.truncate("1h") != parsed).fill_null(False)
    if off_the_hour.any():
        page = pages.filter(off_the_hour)["_payload"][0]
        on_page = pages["_payload"] == page
        _check_on_the_hour(payloads[page], stamps.filter(on_page), parsed.filter(on_page),
                           "on the hour")
    return parsed


def keep_window(frame: pl.DataFrame, start: datetime, end: datetime) -> tuple[pl.DataFrame, int]:
    """The rows whose hour starts in [start, end), and how many were left out.

    A request's window bounds the hours' END stamps and its bounds may or may not be
    inclusive, so a day's pages can hold an hour of the day before or after: those rows
    belong to another partition and are dropped here (counted), never written or fatal.
    """
    inside = (pl.col("measured_at") >= start) & (pl.col("measured_at") < end)
    kept = frame.filter(inside)
    return kept, frame.height - kept.height


def _json_object(payload: Payload) -> dict:
    try:
        doc = json.loads(payload.body)
    except ValueError as exc:
        raise ContractError(payload.source, f"invalid JSON: {exc}", url=payload.url) from None
    if not isinstance(doc, dict):
        raise ContractError(payload.source, "expected a JSON object with `data` and "
                            f"`pagination`, got {type(doc).__name__}", url=payload.url)
    return doc


def _rows_frame(payload: Payload, data: list) -> pl.DataFrame:
    try:
        return pl.from_dicts(data, infer_schema_length=None)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        raise ContractError(payload.source, f"`data` is not a list of records: {exc}",
                            url=payload.url) from None


def _check_api_fields(payload: Payload, page: pl.DataFrame) -> None:
    """Missing/renamed or retyped fields break the contract; unknown extra fields only warn."""
    missing = [f for f in API_FIELDS if f not in page.columns]
    if missing:
        raise ContractError(payload.source, f"measurement records lack field(s) {missing}; "
                            f"got {page.columns}", url=payload.url)
    wrong = [f"{f} is {page.schema[f]}" for f in API_FIELDS[:3] if page.schema[f] != pl.String]
    if page.schema["value"] not in _NUMERIC:
        wrong.append(f"value is {page.schema['value']}")
    if wrong:
        raise ContractError(payload.source, f"field types changed: {', '.join(wrong)}",
                            url=payload.url)
    blank = [f for f in API_FIELDS[:3] if page[f].null_count()]
    if blank:
        raise ContractError(payload.source, f"records without {blank}", url=payload.url)
    retyped = [f"{f} is {page.schema[f]}" for f in OPTIONAL_API_FIELDS
               if page.schema[f] not in (pl.String, pl.Null)]
    if retyped:
        raise ContractError(payload.source, f"field types changed: {', '.join(retyped)}",
                            url=payload.url)
    extra = sorted(set(page.columns) - set(API_FIELDS) - set(OPTIONAL_API_FIELDS))
    if extra:
        warnings.warn(SchemaDriftWarning(f"[{payload.source}] unknown field(s) {extra} ignored "
                                         f"(url: {payload.url})"), stacklevel=3)


def _check_on_the_hour(payload: Payload, text: pl.Series, parsed: pl.Series,
                       where: str = "at the start of an hour") -> None:
    """Hourly means are stamped on the hour (their start or end); anything else breaks the
    format."""
    off = text.filter((parsed.dt.truncate("1h") != parsed).fill_null(False))
    if off.len():
        raise ContractError(payload.source, f"{off.len()} timestamp(s) not {where}, "
                            f"e.g. {off[0]!r}", url=payload.url)


# -- Station detail --------------------------------------------------------------------------

def parse_station_detail(payload: Payload) -> dict[str, object]:
    """One `/stations/{number}` document as a flat record (name, municipality, lon/lat, owner)."""
    data = _json_object(payload).get("data")
    if not isinstance(data, dict):
        raise ContractError(payload.source, "station detail lacks a `data` object",
                            url=payload.url)
    coordinates = (data.get("geometry") or {}).get("coordinates") or [None, None]
    missing = [k for k in ("location", "municipality", "organisation") if k not in data]
    if missing or len(coordinates) != 2:
        raise ContractError(payload.source, f"station detail lacks {missing or 'coordinates'}",
                            url=payload.url)
    return {"station_code": payload.url.rstrip("/").rsplit("/", 1)[-1],
            "name": data["location"], "municipality": data["municipality"],
            "longitude": coordinates[0], "latitude": coordinates[1],
            "organisation": data["organisation"], "station_type": data.get("type"),
            "components": list(data.get("components") or [])}


RIVM_METADATA_ROWS = 7
RIVM_FIXED_COLUMNS = ("Component", "Bep.periode", "Eenheid", "Begindatumtijd", "Einddatumtijd")
RIVM_UNITS = {"ug/m3", "µg/m3", "µg/m³", "ug/m³"}
# Begindatumtijd is read as "YYYYMMDD HH:MM"; the ISO-like spellings are accepted too.
RIVM_TIME_FORMATS = ("%Y%m%d %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y %H:%M")
_STATION_COLUMN = r"NL\d{5}"


def parse_rivm_yearly_csv(payload: Payload) -> pl.DataFrame:
    """Validated hourly means from one RIVM yearly file, melted to one row per station-hour.

    Format (assumed from the published files and public readers of them): `;`-separated,
    seven metadata rows (station codes, names, coordinates ... in the columns from the sixth
    on), then the header `Component;Bep.periode;Eenheid;Begindatumtijd;Einddatumtijd;NL.....`
    and one row per hour. `Begindatumtijd` is the start of the hour in Dutch standard time,
    UTC+1 all year (no DST): `20160101 00:00` is 2015-12-31 23:00 UTC. Decimal separator
    comma or point; an empty cell is NULL.
    """
    return next(iter(rivm_yearly_chunks(payload)))


def rivm_yearly_chunks(payload: Payload, max_rows: int | None = None) -> Iterator[pl.DataFrame]:
    """The rows of `parse_rivm_yearly_csv`, in frames of at most about `max_rows` rows (None:
    one frame): consecutive blocks of hour rows, each decoded, melted and sorted by the key on
    its own, so only one block's text and station-hours are in memory at a time (issue 18;
    the file's bytes stay as they are). A block holds at least one hour row. A broken contract
    in any block raises, as it would for the whole file."""
    body = payload.body
    start = _after_lines(body, 0, RIVM_METADATA_ROWS + 1)
    head = _decode(body[:start]).splitlines()
    if len(head) <= RIVM_METADATA_ROWS or not body[start:].strip():
        lines = len(_decode(body).splitlines())
        raise ContractError(payload.source, f"only {lines} line(s); expected "
                            f"{RIVM_METADATA_ROWS} metadata rows, a header row and hourly rows",
                            url=payload.url)
    header = head[RIVM_METADATA_ROWS]
    per_block = (len(body) if max_rows is None
                 else max(1, max_rows // max(1, _station_count(header))))
    first = True
    while start < len(body):
        end = _after_lines(body, start, per_block)
        hours = _decode(body[start:end], bom=False).splitlines()
        start = end
        if hours:
            yield _rivm_rows(payload, _rivm_table(payload, header, hours, first=first))
            first = False


def _after_lines(body: bytes, start: int, lines: int) -> int:
    """The offset just after `lines` more line ends from `start` (or the end of `body`)."""
    for _ in range(lines):
        end = body.find(b"\n", start)
        if end < 0:
            return len(body)
        start = end + 1
    return start


def rivm_yearly_rows(payload: Payload) -> int:
    """About how many rows `parse_rivm_yearly_csv` gives (station columns x hour rows), read
    from the bytes without parsing: decides whether a partition is written in chunks."""
    body = payload.body
    head = body.split(b"\n", RIVM_METADATA_ROWS + 1)
    if len(head) <= RIVM_METADATA_ROWS + 1:
        return 0
    hours = body.count(b"\n") - RIVM_METADATA_ROWS - (1 if body.endswith(b"\n") else 0)
    return max(0, hours) * _station_count(_decode(head[RIVM_METADATA_ROWS]))


def _station_count(header: str) -> int:
    return sum(1 for c in header.split(";") if _is_station(c.strip()))


def _rivm_rows(payload: Payload, table: pl.DataFrame) -> pl.DataFrame:
    _check_units(payload, table["Eenheid"])
    stations = [c for c in table.columns if _is_station(c)]
    hours = table.select(  # per hour first: parsing once per row, not once per station-hour
        *stations,
        component=pl.col("Component").str.strip_chars().str.replace_all(".", "", literal=True)
        .str.to_uppercase(),
        measured_at=_rivm_timestamps(payload, table["Begindatumtijd"]))
    long = hours.unpivot(index=["component", "measured_at"], on=stations,
                         variable_name="station_code", value_name="raw")
    rows = long.select("station_code", "component", "measured_at",
                       value_ugm3=_rivm_values(payload, long), source=pl.lit(VALIDATED_SOURCE))
    return AIR_HOURLY_SHAPE.conform(rows.sort(KEY))


def _rivm_table(payload: Payload, header: str, hours: Sequence[str], *,
                first: bool = True) -> pl.DataFrame:
    """Hour rows below the header, every cell as text, headers stripped; the header is
    checked (and drift warned about) with the first block."""
    body = "\n".join([header, *hours])
    try:
        table = pl.read_csv(io.StringIO(body), separator=";", infer_schema=False,
                            truncate_ragged_lines=True)
    except pl.exceptions.PolarsError as exc:
        raise ContractError(payload.source, f"unreadable CSV table: {exc}", url=payload.url) \
            from None
    table = table.rename({c: c.strip() for c in table.columns})
    if first:
        _check_rivm_columns(payload, table.columns)
    blank = [c for c in table.columns if not c or c.startswith("_duplicated_")]
    return table.drop(blank)


def _decode(body: bytes, *, bom: bool = True) -> str:
    # The published files have been seen in both UTF-8 and Latin-1 (µ, ³). A block of a file
    # is decoded on its own (`rivm_yearly_chunks`); only the file's start can hold a BOM.
    try:
        return body.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1")


def _is_station(column: str) -> bool:
    return re.fullmatch(_STATION_COLUMN, column) is not None


def _check_rivm_columns(payload: Payload, columns: list[str]) -> None:
    missing = [c for c in RIVM_FIXED_COLUMNS if c not in columns]
    if missing:
        raise ContractError(payload.source, f"yearly CSV lacks column(s) {missing} in its "
                            f"header row (row {RIVM_METADATA_ROWS + 1}); got {columns[:8]}",
                            url=payload.url)
    extra = [c for c in columns if c and c not in RIVM_FIXED_COLUMNS and not _is_station(c)]
    if extra:
        warnings.warn(SchemaDriftWarning(f"[{payload.source}] unknown column(s) {extra} "
                                         f"ignored (url: {payload.url})"), stacklevel=4)
    if not any(_is_station(c) for c in columns):
        raise ContractError(payload.source, "yearly CSV has no station columns (NL.....)",
                            url=payload.url)


def _check_units(payload: Payload, units: pl.Series) -> None:
    found = set(units.drop_nulls().str.strip_chars().unique().to_list())
    unknown = sorted(u for u in found if u.lower() not in RIVM_UNITS)
    if unknown:
        raise ContractError(payload.source, f"unit(s) {unknown} are not µg/m³", url=payload.url)


def _rivm_timestamps(payload: Payload, stamps: pl.Series) -> pl.Series:
    text = stamps.str.strip_chars()
    local = pl.select(pl.coalesce(
        [text.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in RIVM_TIME_FORMATS]
    )).to_series()
    bad = text.filter(local.is_null())
    if bad.len():
        raise ContractError(payload.source, f"{bad.len()} unparseable Begindatumtijd value(s), "
                            f"e.g. {bad[0]!r}", url=payload.url)
    _check_on_the_hour(payload, text, local)
    return (local.dt.replace_time_zone(DUTCH_STANDARD_TIME).dt.convert_time_zone("UTC")
            .alias("measured_at"))


def _rivm_values(payload: Payload, long: pl.DataFrame) -> pl.Series:
    """Cell text as µg/m³: decimal comma or point, empty -> NULL; anything else is drift."""
    text = long["raw"].str.strip_chars().str.replace(",", ".", literal=True)
    text = pl.select(pl.when(text == "").then(None).otherwise(text)).to_series()
    values = text.cast(pl.Float64, strict=False)
    bad = long.filter(text.is_not_null() & values.is_null())
    if bad.height:
        raise ContractError(payload.source, f"{bad.height} non-numeric value(s), e.g. "
                            f"{bad['raw'][0]!r} in column {bad['station_code'][0]}",
                            url=payload.url)
    return values.alias("value_ugm3")


def reporting_year_window(year: int) -> tuple[datetime, datetime]:
    """The UTC span [start, end) of a Dutch reporting year (and of RIVM's file for it).

    The year runs in UTC+1: from 31 December 23:00 UTC of the year before.
    """
    return (datetime(year - 1, 12, 31, 23, tzinfo=UTC), datetime(year, 12, 31, 23, tzinfo=UTC))


def reporting_year(moment: datetime) -> int:
    """The Dutch reporting year (UTC+1 all year) an instant falls in (a naive one is UTC; an
    aware one in another zone, as DuckDB may return them, is converted first)."""
    return ((moment if moment.tzinfo is None else moment.astimezone(UTC)) + HOUR).year


def reporting_year_of(column: str = "measured_at") -> pl.Expr:
    """`reporting_year` of a column of instants, as a Polars expression."""
    return pl.col(column).dt.convert_time_zone(DUTCH_STANDARD_TIME).dt.year()


def reporting_years_touched(windows: Iterable[tuple[datetime | None, datetime | None]]
                            ) -> set[int] | None:
    """The reporting years (UTC+1) that UTC write windows [start, end) overlap; None when a
    window has no time bounds (a whole-table write), meaning every year may have changed."""
    years: set[int] = set()
    for start, end in windows:
        if start is None or end is None:
            return None
        if end <= start:
            continue
        years.update(range(reporting_year(start),
                           reporting_year(end - timedelta(microseconds=1)) + 1))
    return years


# -- Business rules --------------------------------------------------------------------------

def air_quality_rules() -> list[Expectation]:
    """GX business rules for both hourly air-quality tables (schema checks come separately)."""
    # Imported here: GX takes seconds to import, and parsing must not wait for it.
    import great_expectations as gx

    # "measured_at is the start of an hour" is a format contract checked by the parsers
    # (vectorised in Polars); as a GX row condition it cost a fifth of
    # the validation of a national yearly partition.
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="component", value_set=list(COMPONENTS),
            description="component is one of the monitored components"),
        gx.expectations.ExpectColumnValuesToMatchRegex(
            column="station_code", regex=r"^NL\d{5}$",
            description="station_code is a Luchtmeetnet station number"),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value_ugm3", min_value=VALUE_MIN_UGM3, max_value=VALUE_MAX_UGM3,
            description="hourly mean is plausible (small negatives are instrument noise)"),
    ]


# -- Aggregates ------------------------------------------------------------------------------

def daily_completeness(frame: pl.DataFrame) -> pl.DataFrame:
    """Hours with a value per station, component and UTC day, against the 24 every UTC day has.

    UTC days have 24 hours even when Europe/Amsterdam changes to or from summer time.
    """
    return (frame.with_columns(date=pl.col("measured_at").dt.convert_time_zone("UTC").dt.date())
            .group_by(["station_code", "component", "date"])
            .agg(hours_with_value=_hours_with_value())
            .with_columns(hours_expected=pl.lit(24, dtype=pl.Int64))
            .with_columns(completeness_pct=100.0 * pl.col("hours_with_value")
                          / pl.col("hours_expected"))
            .sort(["station_code", "component", "date"]))


def annual_means(frame: pl.DataFrame) -> pl.DataFrame:
    """Annual mean (µg/m³) per station, component and reporting year, with data coverage.

    The year is the Dutch reporting year (UTC+1, as in RIVM's files and GGD reports), so a
    validated file maps to exactly one year. `low_coverage` flags years below 90% of hours.
    (The pipeline runs the same aggregation inside DuckDB, `Warehouse.station_annual_sums`,
    and shares `with_coverage`; a test keeps the two equal.)
    """
    sums = (frame.with_columns(year=reporting_year_of().cast(pl.Int32))
            .group_by(["station_code", "component", "year"])
            .agg(mean_ugm3=pl.col("value_ugm3").mean(), hours_with_value=_hours_with_value()))
    return with_coverage(sums)


def with_coverage(sums: pl.DataFrame) -> pl.DataFrame:
    """Add hours in the year, coverage % and the low-coverage flag to annual sums."""
    leap = ((pl.col("year") % 4 == 0) & (pl.col("year") % 100 != 0)) | (pl.col("year") % 400 == 0)
    return (sums.with_columns(year=pl.col("year").cast(pl.Int32),
                              hours_with_value=pl.col("hours_with_value").cast(pl.Int64),
                              hours_in_year=pl.when(leap).then(8784).otherwise(8760).cast(pl.Int64))
            .with_columns(coverage_pct=100.0 * pl.col("hours_with_value")
                          / pl.col("hours_in_year"))
            .with_columns(low_coverage=pl.col("coverage_pct") < LOW_COVERAGE_BELOW_PCT)
            .sort(["station_code", "component", "year"]))


def _hours_with_value() -> pl.Expr:
    # Distinct hours, so a duplicated row can never count twice.
    return (pl.col("measured_at").filter(pl.col("value_ugm3").is_not_null()).n_unique()
            .cast(pl.Int64))
