"""Eurostat's dissemination API answers in JSON-stat 2.0; this module reads that format (pure:
payloads in, rows of the long statistical shape out).

Evidence (docs/evidence/eurostat.md): a dataset is `{"version": "2.0", "class": "dataset",
"label", "source", "updated", "id": [dimension ids], "size": [category counts], "dimension":
{id: {"label", "category": {"index", "label"}}}, "value", "status"}` (Eurostat's API Statistics
pages on wikis.ec.europa.eu; public clients that read it: rOpenGov/eurostat
`get_eurostat_json`, jsonstat/euro, a TypeScript adapter's `EurostatResponse`). Eurostat sends
`value` and `status` as objects keyed by the flat cell index as text (sparse: a cell without a
figure is absent); JSON-stat also allows full lists, and `category.index` as a list of codes
instead of an object of positions, and leaves out `index` on a single-category dimension:
every variant is read. An error answer carries `"class": "error"` or an `error` object.

The flat index is row-major over `id` in order (the last dimension varies fastest). Status
flags: `b` break in series, `e` estimated, `p` provisional, `u` low reliability, `c`
confidential, `:` not available (Eurostat's flag list); a provisional figure is kept and
marked, a missing one is a NULL with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from core.errors import ContractError
from core.payload import Payload
from core.tables import STAT_SHAPE

SOURCE = "eurostat"
TIME = "time"
GEO = "geo"
PROVISIONAL_FLAGS = frozenset("p")
# Eurostat's flags where a value is absent (":" not available, "c" confidential).
MISSING_FLAGS = {":": "not available (Eurostat ':')", "c": "confidential (Eurostat 'c')"}


@dataclass(frozen=True)
class DatasetSpec:
    """One Eurostat dataset as a family reads it: the one measure it gives, the category each
    other dimension is held at (the request's filters), and the unit the figure is in."""

    dataset: str  # Eurostat's code, e.g. trng_lfse_04
    measure: str  # the project's measure id, unit suffixed
    unit: str  # as stored ("%")
    held: Mapping[str, str]  # dimension -> category code, e.g. {"sex": "T", "age": "Y25-64"}


def document(payload: Payload) -> dict:
    """The JSON-stat dataset of a payload; an error answer or another class is a ContractError
    naming what the server said."""
    try:
        doc = json.loads(payload.body)
    except ValueError as exc:
        raise ContractError(payload.source, f"invalid JSON: {exc}", url=payload.url) from None
    if not isinstance(doc, dict):
        raise ContractError(payload.source, "JSON-stat answer is not an object", url=payload.url)
    if doc.get("class") == "error" or "error" in doc:
        said = doc.get("error") or doc.get("label") or doc
        raise ContractError(payload.source, f"Eurostat answered with an error: {said}",
                            url=payload.url)
    if doc.get("class", "dataset") != "dataset" or not isinstance(doc.get("dimension"), dict):
        raise ContractError(payload.source, "not a JSON-stat dataset (class/dimension)",
                            url=payload.url)
    return doc


def categories(doc: dict, dim: str) -> list[str]:
    """A dimension's category codes in index order: `index` as an object of positions or a
    list of codes; without `index` (one category), the keys of `label`."""
    category = (doc["dimension"].get(dim) or {}).get("category") or {}
    index = category.get("index")
    if isinstance(index, list):
        return [str(c) for c in index]
    if isinstance(index, dict):
        return [c for c, _ in sorted(index.items(), key=lambda kv: int(kv[1]))]
    labels = category.get("label")
    if isinstance(labels, dict) and len(labels) == 1:
        return list(labels)
    raise ContractError(SOURCE, f"dimension {dim!r} has no readable category index")


def _cells(raw, size: int) -> dict[int, object]:
    """`value` or `status` as {flat index: item}: an object keyed by the index as text, or a
    full list (None entries are absent cells); a single status string applies to every cell."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {int(k): v for k, v in raw.items()}
    if isinstance(raw, list):
        return {i: v for i, v in enumerate(raw) if v is not None}
    if isinstance(raw, str):
        return dict.fromkeys(range(size), raw)
    raise ContractError(SOURCE, f"value/status of type {type(raw).__name__} is not JSON-stat")


def cube(doc: dict) -> list[dict]:
    """Every cell of the dataset as {dimension: code, ..., "value", "status"}; a cell with a
    status but no value is kept (its flag says why), one with neither is left out."""
    ids, size = doc.get("id"), doc.get("size")
    if not isinstance(ids, list) or not isinstance(size, list) or len(ids) != len(size):
        raise ContractError(SOURCE, "JSON-stat `id` and `size` are missing or differ in length")
    codes = [categories(doc, d) for d in ids]
    if [len(c) for c in codes] != [int(s) for s in size]:
        raise ContractError(SOURCE, f"category counts {[len(c) for c in codes]} differ from "
                                    f"`size` {size}")
    total = 1
    for n in size:
        total *= int(n)
    values, status = _cells(doc.get("value"), total), _cells(doc.get("status"), total)
    out = []
    for flat in sorted(set(values) | set(status)):
        if not 0 <= flat < total:
            raise ContractError(SOURCE, f"cell index {flat} lies outside the cube of {total}")
        cell, rest = {}, flat
        for dim, dim_codes in zip(reversed(ids), reversed(codes), strict=True):
            rest, position = divmod(rest, len(dim_codes))
            cell[dim] = dim_codes[position]
        cell["value"], cell["status"] = values.get(flat), status.get(flat)
        out.append(cell)
    return out


def parse_dataset(spec: DatasetSpec, payload: Payload) -> pl.DataFrame:
    """Rows of the long statistical shape for one dataset: region_code is the NUTS code as
    Eurostat writes it (NL32, NL). Every dimension other than geo and time must be held at the
    spec's category, or have that one category only: a figure read at an unintended slice
    (men only, another age band) would be wrong without any sign."""
    doc = document(payload)
    dims = [d for d in doc["id"] if d not in (GEO, TIME)]
    if GEO not in doc["id"] or TIME not in doc["id"]:
        raise ContractError(SOURCE, f"{spec.dataset}: no {GEO!r} or {TIME!r} dimension",
                            url=payload.url)
    for dim in dims:
        codes = categories(doc, dim)
        wanted = spec.held.get(dim)
        if wanted is None and len(codes) > 1:
            raise ContractError(SOURCE, f"{spec.dataset}: dimension {dim!r} has categories "
                                f"{codes} and the spec holds it at none", url=payload.url)
        if wanted is not None and wanted not in codes:
            raise ContractError(SOURCE, f"{spec.dataset}: dimension {dim!r} lacks category "
                                f"{wanted!r} (has {codes})", url=payload.url)
    rows = []
    for cell in cube(doc):
        if any(cell[d] != spec.held[d] for d in dims if d in spec.held):
            continue
        flag = (cell["status"] or "").strip()
        value = cell["value"]
        if value is not None and not isinstance(value, int | float):
            raise ContractError(SOURCE, f"{spec.dataset}: value {value!r} is not a number",
                                url=payload.url)
        period = str(cell[TIME])
        if not period.isdigit() or len(period) != 4:
            raise ContractError(SOURCE, f"{spec.dataset}: period {period!r} is not a year",
                                url=payload.url)
        rows.append({
            "region_code": str(cell[GEO]), "entity": "", "measure": spec.measure,
            "period": period, "year": int(period),
            "value": float(value) if value is not None else None, "unit": spec.unit,
            "is_provisional": bool(set(flag) & PROVISIONAL_FLAGS),
            "missing_reason": None if value is not None
            else MISSING_FLAGS.get(flag, f"no value (Eurostat flag {flag!r})" if flag
                                   else "no value"),
            "source": SOURCE, "source_table": spec.dataset})
    if not rows:
        return STAT_SHAPE.empty()
    return STAT_SHAPE.conform(pl.DataFrame(rows))


def parse_datasets(specs: Sequence[DatasetSpec], payloads: Sequence[Payload]) -> pl.DataFrame:
    """Every spec's rows from its payload (matched by request key, the dataset code: the store
    files payloads under the feed's name); a missing one is an error unless nothing was
    fetched (no configured region has a NUTS code)."""
    if not payloads:
        return STAT_SHAPE.empty()
    by_dataset = {p.request_key: p for p in payloads}
    frames = []
    for spec in specs:
        if spec.dataset not in by_dataset:
            raise ContractError(SOURCE, f"no payload for dataset {spec.dataset}")
        frames.append(parse_dataset(spec, by_dataset[spec.dataset]))
    return pl.concat(frames) if frames else STAT_SHAPE.empty()
