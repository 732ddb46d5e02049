"""DUO open onderwijsdata (CKAN `datastore_search`) -> mbo students per home municipality,
in the long statistical schema.

The resource read is "Studenten per sectorkamer leerweg niveau woongemeente woonprovincie"
(dataset mbo-studenten-per-sectorkamer-en-leerweg). Its sibling without municipality has the
columns `SECTORKAMER NAAM, HOOFDGROEP NAAM, LEERWEG, NIVEAU, WOONPROVINCIE, JAAR_2021 ...
JAAR_2025`: one row per category combination, one count column per year (wide). The rows are
reshaped to one count per municipality, year and route (BBL or BOL) and summed over sector
chambers, main groups and levels. The name of the home-municipality column is unverified: the
plausible variants are tried (a number column first, then a name column matched to the
configured municipality names), and none present is a contract error. A long layout (`JAAR`
plus `BBL`/`BOLDT`/`BOLVT` count columns, as in the per-institution resources) is read too.

DUO suppresses small counts (as -1, per a third-party reader of these files): a suppressed cell
counts as 0, so a sum is a lower bound. BBL (work-based learning) enrolment by home
municipality is the regional proxy for lifelong learning: no municipal table exists. Diplomas
are published per institution only (no home municipality), so they are not read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

import polars as pl

from core.errors import ContractError
from core.payload import Payload
from core.tables import STAT_SHAPE

SOURCE = "duo"
WIDE_YEAR = re.compile(r"^JAAR_(\d{4})$")
LONG_ROUTES = ("BBL", "BOLDT", "BOLVT")  # per-institution layout: a count column per route
NUMBER_COLUMNS = ("GEMEENTENUMMER WOONGEMEENTE", "WOONGEMEENTENUMMER", "GEMEENTENUMMER",
                  "WOONGEMEENTE CODE", "GEMEENTECODE WOONGEMEENTE")
NAME_COLUMNS = ("WOONGEMEENTE", "GEMEENTENAAM WOONGEMEENTE", "WOONGEMEENTENAAM", "GEMEENTENAAM")
SECTOR_COLUMNS = ("SECTORKAMER NAAM", "SECTORKAMER")
CATEGORY_COLUMNS = ("SECTORKAMER NAAM", "SECTORKAMER", "HOOFDGROEP NAAM", "LEERWEG", "NIVEAU")
NAME_ALIASES = {"den haag": "'s-gravenhage"}
# Sector chambers (SBB) whose programmes train for the technical jobs of the transition.
TECHNICAL_SECTORS = frozenset({
    "Techniek en gebouwde omgeving", "Mobiliteit, transport, logistiek en maritiem",
    "ICT en creatieve industrie"})
IGNORED_ROUTES = {"EX", "EXTRANEUS", "EXTRANEI"}  # examination only: not enrolled in a route


def envelope(payload: Payload) -> dict:
    """The CKAN `result` object; `success: false` or a missing envelope is a contract error."""
    try:
        doc = json.loads(payload.body)
    except ValueError:
        raise ContractError(SOURCE, "response is not JSON", url=payload.url) from None
    if not isinstance(doc, dict) or doc.get("success") is not True or "result" not in doc:
        error = doc.get("error") if isinstance(doc, dict) else None
        raise ContractError(SOURCE, f"CKAN call did not succeed: {error!r}", url=payload.url)
    return doc["result"]


def records(payloads: Sequence[Payload]) -> tuple[list[str], list[dict]]:
    """The field names (of the first page) and every record of a resource's pages."""
    fields: list[str] = []
    rows: dict[object, dict] = {}
    for payload in payloads:
        result = envelope(payload)
        fields = fields or [str(f["id"]) for f in result.get("fields", [])]
        for record in result.get("records", []):
            rows[record.get("_id", len(rows))] = record
    return fields, list(rows.values())


def _route(value: object) -> str | None:
    text = re.sub(r"[\s_-]", "", str(value or "")).upper()
    if text == "BBL":
        return "bbl"
    if text.startswith("BOL"):
        return "bol"
    if text in IGNORED_ROUTES:
        return None
    raise ContractError(SOURCE, f"unknown LEERWEG {value!r} (expected BBL or BOL...)")


def _count(value: object) -> float:
    """A count cell: numbers may come as text; -1 (suppressed) and empty count as 0."""
    text = str(value).strip() if value is not None else ""
    try:
        number = float(text) if text else 0.0
    except ValueError:
        raise ContractError(SOURCE, f"non-numeric count {value!r}") from None
    return 0.0 if number == -1 else number


def _first(fields: Sequence[str], candidates: Sequence[str]) -> str | None:
    upper = {f.strip().upper(): f for f in fields}
    return next((upper[c] for c in candidates if c in upper), None)


def municipality_resolver(fields: Sequence[str], names: Mapping[str, str]):
    """A function record -> GM code (or None for a municipality not configured), from the
    first home-municipality column present; none present is a contract error."""
    column = _first(fields, NUMBER_COLUMNS) or _first(fields, NAME_COLUMNS)
    if column is None:
        raise ContractError(SOURCE, "no home-municipality column (tried "
                            f"{list(NUMBER_COLUMNS + NAME_COLUMNS)}; columns are {list(fields)})")
    by_name = {n.strip().lower(): code for code, n in names.items()}

    def resolve(record: dict) -> str | None:
        value = str(record.get(column) or "").strip()
        if value.isdigit():
            return f"GM{int(value):04d}"
        key = value.lower()
        return by_name.get(NAME_ALIASES.get(key, key))
    return resolve


def student_rows(fields: Sequence[str], rows: Sequence[dict],
                 names: Mapping[str, str]) -> list[dict]:
    """One row per record, route and year: region_code, year, route, sector, students."""
    municipality = municipality_resolver(fields, names)
    sector = _first(fields, SECTOR_COLUMNS)
    years = {f: int(m.group(1)) for f in fields if (m := WIDE_YEAR.match(f.strip()))}
    categories = [c for c in (_first(fields, (name,)) for name in CATEGORY_COLUMNS) if c]
    wide = bool(years)
    if not wide and not (_first(fields, ("JAAR",)) and all(_first(fields, (r,)) for r in LONG_ROUTES)):
        raise ContractError(SOURCE, f"neither JAAR_yyyy columns nor JAAR with {list(LONG_ROUTES)}"
                            f" (columns are {list(fields)})")
    if wide and not _first(fields, ("LEERWEG",)):
        raise ContractError(SOURCE, f"wide layout without a LEERWEG column ({list(fields)})")
    out = []
    for record in rows:
        code = municipality(record)
        if code is None or any(str(record.get(c) or "").strip().upper().startswith("TOTAAL")
                               for c in categories):
            continue  # a municipality outside the configuration, or a subtotal row
        base = {"region_code": code, "sector": str(record.get(sector) or "").strip()}
        if wide:
            route = _route(record.get(_first(fields, ("LEERWEG",))))
            if route:
                out += [{**base, "route": route, "year": year, "students": _count(record.get(f))}
                        for f, year in years.items()]
        else:
            year = int(str(record[_first(fields, ("JAAR",))]).strip())
            out += [{**base, "route": _route(r), "year": year,
                     "students": _count(record.get(_first(fields, (r,))))} for r in LONG_ROUTES]
    return out


def parse_enrolment(payloads: Sequence[Payload], source_table: str,
                    names: Mapping[str, str]) -> pl.DataFrame:
    """BBL, BOL and technical-sector mbo students per home municipality and year."""
    fields, rows = records(payloads)
    if not rows:
        return STAT_SHAPE.empty()
    long = student_rows(fields, rows, names)
    if not long:
        raise ContractError(SOURCE, "no record matched a configured municipality (home-"
                            "municipality column in an unexpected format?)")
    frame = pl.DataFrame(long)
    technical = {s.lower() for s in TECHNICAL_SECTORS}
    if _first(fields, SECTOR_COLUMNS) and not frame["sector"].str.to_lowercase().is_in(technical).any():
        raise ContractError(SOURCE, "no technical sector chamber found (sector names renamed?): "
                            f"{sorted(frame['sector'].unique().to_list())[:8]}")
    totals = frame.group_by("region_code", "year").agg(
        mbo_bbl_students_count=pl.col("students").filter(pl.col("route") == "bbl").sum(),
        mbo_bol_students_count=pl.col("students").filter(pl.col("route") == "bol").sum(),
        mbo_technical_students_count=pl.col("students")
        .filter(pl.col("sector").str.to_lowercase().is_in(technical)).sum())
    if not _first(fields, SECTOR_COLUMNS):  # no sector chambers: no technical count at all
        totals = totals.drop("mbo_technical_students_count")
    return _long(totals, source_table)


def _long(totals: pl.DataFrame, source_table: str) -> pl.DataFrame:
    long = totals.unpivot(index=["region_code", "year"], variable_name="measure", value_name="value")
    return STAT_SHAPE.conform(long.with_columns(
        entity=pl.lit(""), period=pl.col("year").cast(pl.String), unit=pl.lit("students"),
        is_provisional=pl.lit(False), missing_reason=pl.lit(None, pl.String),
        source=pl.lit(SOURCE), source_table=pl.lit(source_table)))
