"""DUO open onderwijsdata (CKAN `datastore_search`) -> mbo enrolment and diplomas per
home municipality, in the long statistical schema.

BBL (work-based learning) enrolment by home municipality is the regional proxy for
work-based and lifelong learning: no municipal lifelong-learning table exists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import polars as pl

from core.errors import ContractError
from core.payload import Payload
from core.tables import STAT_SHAPE

SOURCE = "duo"
ENROLMENT_FIELDS = ("JAAR", "GEMEENTENUMMER", "SECTORKAMER", "BBL", "BOLDT", "BOLVT")
DIPLOMA_FIELDS = ("JAAR", "GEMEENTENUMMER", "SECTORKAMER", "DIPMAN", "DIPVROUW")
# Sectors whose programmes train for the technical jobs of the transition.
TECHNICAL_SECTORS = frozenset({
    "Techniek en gebouwde omgeving", "Mobiliteit, transport, logistiek en maritiem",
    "ICT en creatieve industrie"})


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


def records(payloads: Sequence[Payload], required: Sequence[str]) -> pl.DataFrame:
    rows = []
    for payload in payloads:
        result = envelope(payload)
        fields = {f["id"] for f in result.get("fields", [])}
        missing = [f for f in required if f not in fields]
        if missing:
            raise ContractError(SOURCE, f"resource lacks column(s) {missing} (renamed or "
                                "dropped?)", url=payload.url)
        rows += result.get("records", [])
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    return frame.unique(["_id"], keep="last") if "_id" in frame.columns else frame


def _counts(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    try:
        return frame.with_columns(pl.col(c).cast(pl.Float64, strict=True) for c in columns)
    except pl.exceptions.InvalidOperationError as exc:
        raise ContractError(SOURCE, f"non-numeric count in {list(columns)}: {exc}") from None


def _municipality() -> pl.Expr:
    return "GM" + pl.col("GEMEENTENUMMER").cast(pl.String).str.strip_chars().str.zfill(4)


def parse_enrolment(payloads: Sequence[Payload], source_table: str) -> pl.DataFrame:
    frame = records(payloads, ENROLMENT_FIELDS)
    if frame.is_empty():
        return STAT_SHAPE.empty()
    frame = _counts(frame, ["BBL", "BOLDT", "BOLVT"])
    frame = frame.with_columns(region_code=_municipality(), year=pl.col("JAAR").cast(pl.Int32),
                               bol=pl.col("BOLDT") + pl.col("BOLVT"),
                               technical=pl.col("SECTORKAMER").is_in(sorted(TECHNICAL_SECTORS)))
    totals = frame.group_by("region_code", "year").agg(
        mbo_bbl_students_count=pl.col("BBL").sum(),
        mbo_bol_students_count=pl.col("bol").sum(),
        mbo_technical_students_count=(pl.col("BBL") + pl.col("bol")).filter(pl.col("technical")).sum())
    return _long(totals, source_table)


def parse_diplomas(payloads: Sequence[Payload], source_table: str) -> pl.DataFrame:
    frame = records(payloads, DIPLOMA_FIELDS)
    if frame.is_empty():
        return STAT_SHAPE.empty()
    frame = _counts(frame, ["DIPMAN", "DIPVROUW"])
    totals = (frame.with_columns(region_code=_municipality(), year=pl.col("JAAR").cast(pl.Int32))
              .group_by("region_code", "year")
              .agg(mbo_diplomas_count=(pl.col("DIPMAN") + pl.col("DIPVROUW")).sum()))
    return _long(totals, source_table)


def _long(totals: pl.DataFrame, source_table: str) -> pl.DataFrame:
    long = totals.unpivot(index=["region_code", "year"], variable_name="measure", value_name="value")
    return STAT_SHAPE.conform(long.with_columns(
        entity=pl.lit(""), period=pl.col("year").cast(pl.String), unit=pl.lit("students"),
        is_provisional=pl.lit(False), missing_reason=pl.lit(None, pl.String),
        source=pl.lit(SOURCE), source_table=pl.lit(source_table)))
