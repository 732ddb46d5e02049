"""The Klimaatmonitor Open Data Service format (ABF Research Swing/Jive OData, "v1"), read in
this one module, so the announced v2 (a changed structure; v1 reportedly stays until
31 December 2026) is one change here and in the paths of `sources.klimaatmonitor`.

Evidence (see docs/evidence/luchtmeetnet_klimaatmonitor.md, section 2; all public client
code, none of it the publisher's documentation, which is not in the searchable corpora):
- envelope `{"@odata.context": ..., "value": [...], "@odata.nextLink": ...}` (Jan Hoogenraad's
  notebook; Team-Data-Antwerpen/stadincijfers.py for the Swing ODS in general);
- `Values` records with `ExternalCode, GeoLevel, PeriodLevel, Period, ValueString,
  Description` and per-item `@odata.type` / `@odata.id`; `Period` a year as text and
  `ValueString` text (`"?"` seen for "not available");
- `ExternalCode` is `<level>_<code>`: `gemeente_453` is CBS gemeente 453 (GM0453), the number
  without zero padding (a Dutch energy pipeline that checked it live);
- the `/Variables` catalogue has `ExternalCode` (the variable id) and `Name`.
Unverified, so every variant is handled: the ExternalCode of the single `nederland` item
(any code at that level is the country, NL01; two different ones break the contract), a
zero-padded (`gemeente_0453`) or already-CBS (`GM0453`) municipal code, the content of
`Description`, and whether `@odata.*` keys appear on records (ignored when they do).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

import polars as pl

from core.errors import ContractError
from core.payload import Payload
from transforms.air_quality import SchemaDriftWarning

MUNICIPAL_LEVEL = "gemeente"
NATIONAL_LEVEL = "nederland"  # there is no 'land' level
NATIONAL_CODE = "NL01"
VALUE_FIELDS = ("ExternalCode", "GeoLevel", "PeriodLevel", "Period", "ValueString")
OPTIONAL_VALUE_FIELDS = ("Description",)
CATALOGUE_FIELDS = ("ExternalCode", "Name")
_VARIABLE_IN_URL = re.compile(r"Variables\('([^']+)'\)")
_LEVEL_IN_URL = re.compile(r"GeoLevels\('([^']+)'\)")
_MUNICIPAL_CODE = r"(?i)^(?:gemeente_(\d{1,4})|GM(\d{4}))$"


def records(payload: Payload) -> list[dict]:
    """The `value` list of one OData page (records without their `@odata.*` annotations)."""
    try:
        doc = payload.json()
    except ValueError as exc:
        raise ContractError(payload.source, f"invalid JSON: {exc}", url=payload.url) from None
    found = doc.get("value") if isinstance(doc, dict) else None
    if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
        raise ContractError(payload.source, "OData response lacks a `value` list of records",
                            url=payload.url)
    return [{k: v for k, v in r.items() if not k.startswith("@odata.")} for r in found]


def is_catalogue(payload: Payload) -> bool:
    """A page of `/Variables` (the catalogue), not of a variable's `Values`."""
    return urlsplit(payload.url).path.rstrip("/").endswith("/Variables")


def catalogue(payloads: Sequence[Payload]) -> dict[str, str]:
    """Variable id -> name from the pages of `/Variables`."""
    out: dict[str, str] = {}
    for payload in payloads:
        for record in records(payload):
            missing = [f for f in CATALOGUE_FIELDS if not isinstance(record.get(f), str)]
            if missing:
                raise ContractError(payload.source, f"catalogue records lack {missing}; got "
                                    f"{sorted(record)}", url=payload.url)
            out[record["ExternalCode"].strip()] = record["Name"]
    return out


def variable_of(payload: Payload) -> str:
    """The variable id a `Values` page belongs to, read from its URL."""
    match = _VARIABLE_IN_URL.search(unquote(payload.url))
    if match is None:
        raise ContractError(payload.source, "page URL names no Variables('...')", url=payload.url)
    return match.group(1)


def values_page(payload: Payload) -> pl.DataFrame:
    """One `Values` page as text columns: variable, geo_level, region_code (CBS), year,
    value_text (the raw ValueString, NULL when absent) and description ('' when absent)."""
    variable = variable_of(payload)
    rows = records(payload)
    if not rows:
        return pl.DataFrame(schema={"variable": pl.String, "geo_level": pl.String,
                                    "region_code": pl.String, "year": pl.Int32,
                                    "value_text": pl.String, "description": pl.String})
    try:
        page = pl.from_dicts(rows, infer_schema_length=None)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        raise ContractError(payload.source, f"records of mixed or unexpected types: {exc}",
                            url=payload.url) from None
    _check_fields(payload, page)
    page = page.with_columns(geo_level=pl.col("GeoLevel").str.strip_chars().str.to_lowercase(),
                             code=pl.col("ExternalCode").str.strip_chars())
    _require_yearly_periods(payload, page)
    _require_the_level_asked_for(payload, page)
    description = (pl.col("Description").cast(pl.String).fill_null("")
                   if "Description" in page.columns else pl.lit(""))
    return page.select(variable=pl.lit(variable), geo_level="geo_level",
                       region_code=_region_codes(payload, page),
                       year=pl.col("Period").str.strip_chars().cast(pl.Int32),
                       value_text=pl.col("ValueString"), description=description)


def _check_fields(payload: Payload, page: pl.DataFrame) -> None:
    missing = [f for f in VALUE_FIELDS if f not in page.columns]
    if missing:
        raise ContractError(payload.source, f"Values records lack field(s) {missing}; got "
                            f"{page.columns}", url=payload.url)
    wrong = [f"{f} is {page.schema[f]}" for f in VALUE_FIELDS
             if page.schema[f] not in (pl.String, pl.Null)]
    if wrong:
        raise ContractError(payload.source, f"field types changed: {', '.join(wrong)}",
                            url=payload.url)
    blank = [f for f in ("ExternalCode", "GeoLevel", "Period") if page[f].null_count()]
    if blank:
        raise ContractError(payload.source, f"records without {blank}", url=payload.url)
    extra = sorted(set(page.columns) - set(VALUE_FIELDS) - set(OPTIONAL_VALUE_FIELDS))
    if extra:
        warnings.warn(SchemaDriftWarning(f"[{payload.source}] unknown field(s) {extra} in "
                                         f"Values records ignored (url: {payload.url})"),
                      stacklevel=4)


def _require_yearly_periods(payload: Payload, page: pl.DataFrame) -> None:
    odd = page.filter((pl.col("PeriodLevel").fill_null("").str.to_lowercase() != "year")
                      | ~pl.col("Period").str.strip_chars().str.contains(r"^\d{4}$"))
    if odd.height:
        examples = odd.select("PeriodLevel", "Period").head(3).rows()
        raise ContractError(payload.source, f"expected yearly periods, got {examples}",
                            url=payload.url)


def _require_the_level_asked_for(payload: Payload, page: pl.DataFrame) -> None:
    asked = _LEVEL_IN_URL.search(unquote(payload.url))
    levels = set(page["geo_level"].unique())
    if asked is not None and asked.group(1).lower() != "all" and levels != {asked.group(1).lower()}:
        raise ContractError(payload.source, f"asked for GeoLevel '{asked.group(1)}', got "
                            f"{sorted(levels)}", url=payload.url)
    unread = sorted(levels - {MUNICIPAL_LEVEL, NATIONAL_LEVEL})
    if unread:
        raise ContractError(payload.source, f"GeoLevel(s) {unread} are not read by this "
                            f"monitor (only '{MUNICIPAL_LEVEL}' and '{NATIONAL_LEVEL}')",
                            url=payload.url)


def _region_codes(payload: Payload, page: pl.DataFrame) -> pl.Series:
    """`gemeente_453` -> GM0453 (also `gemeente_0453`, `GM0453`); the one `nederland` item,
    whatever its code, -> NL01. Anything else breaks the contract, naming the code."""
    national = page.filter(pl.col("geo_level") == NATIONAL_LEVEL)["code"].unique()
    if national.len() > 1:
        raise ContractError(payload.source, f"GeoLevel '{NATIONAL_LEVEL}' holds more than one "
                            f"area: {sorted(national.to_list())}", url=payload.url)
    parts = page["code"].str.extract_groups(_MUNICIPAL_CODE)
    number = pl.select(pl.coalesce(parts.struct.field("1"), parts.struct.field("2"))).to_series()
    municipal = page["geo_level"] == MUNICIPAL_LEVEL
    bad = page.filter(municipal & number.is_null())["code"]
    if bad.len():
        raise ContractError(payload.source, f"{bad.len()} municipal ExternalCode(s) not like "
                            f"'gemeente_453', e.g. {bad[0]!r}", url=payload.url)
    codes = pl.select(pl.when(municipal).then(pl.lit("GM") + number.str.zfill(4))
                      .otherwise(pl.lit(NATIONAL_CODE))).to_series()
    return codes.alias("region_code")
