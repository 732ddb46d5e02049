"""CBS StatLine OData v4 payloads -> rows of the long statistical schema.

What a table is read for is declared as a `TableSpec` in the family's folder. The traps of the
real service (docs/evidence/cbs_duo.md, section 1.10) are handled here, once:

- Measures: `MeasureCodes.Title` repeats across measure groups (82610NED has "Netto
  elektriciteitsproductie" in mln kWh and in "% van het verbruik"), so a measure is resolved by
  its `Identifier` where that is verified, otherwise by title AND unit, and the `Unit` is
  checked either way; more than one match is an error, never a pick.
- Units are free text ("mln kWh", "x 1 000", "megawatt"); each accepted (CBS unit, our unit)
  pair has an explicit conversion factor (1 mln kWh = 10^6 kWh = 1 GWh).
- Every dimension other than region and period is filtered to its total, read from its
  `<Dim>Codes` list (`Geslacht` T001038 "Totaal"), unless the spec fixes its value; a
  dimension without an identifiable total is an error, so "Vrouwen" rows are never read as the
  total. An Observations column that is not a declared dimension is an error too.
- Periods are filtered by type: a yearly spec keeps `YYYYJJ00` only (84575NED mixes
  `2023MM01`, `2023KW01`, `2023JJ00`); the provisional marker lives in `PeriodenCodes.Status`.
- A table read at several codes of one dimension (a `Split`: waste types, SBI sections) finds
  that dimension by content, as the one whose `<Dim>Codes` hold every configured title (its
  identifier is unverified for several tables), and keeps the codes apart as `entity`.
- Tables that publish counts instead of rates (85969NED, x 1000 persons) yield rates derived
  here (`Rate`), with the derivation stated in the indicator definition.
- Titles whose exact wording is unverified are matched on their letters and digits only
  ("Sociale cohesie (schaalscore)" = "SocialeCohesieSchaalscore", the form of a v3 key), and
  a spec may list title variants (`aliases`) and unit variants (`alt_units`): every variant is
  handled, none is guessed as the one truth, and still at most one measure may match.
- A measure may be read at a slice of a dimension (`MeasureSpec.slice`, e.g. Arbeidskenmerken
  "niet-werkzame bevolking") while the other measures read that dimension at its total; the
  code is found by its title in `<Dim>Codes`.
- A fixed code that applies only where the table has the dimension (`TableSpec.if_present`,
  e.g. Marges "MW00000", the estimate without its margins, in survey tables).
- A regional table re-issued under a new id (a new regional division) is read from every
  issue; the newest issue wins per period and rows from an older issue name it in
  `source_table`, so the series break is on record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from core.errors import ContractError
from core.payload import Payload
from core.tables import STAT_SHAPE

log = logging.getLogger(__name__)

SOURCE = "cbs_statline"
OBSERVATION_FIELDS = ("Measure", "Value", "ValueAttribute")
# Columns of an Observations row that are not dimensions (StringValue since release 1.14.1).
NON_DIMENSION_FIELDS = frozenset({"Id", "Measure", "Value", "ValueAttribute", "StringValue"})
# ValueAttribute values: "None" (a value) and "Impossible" are seen on the wire; the rest of the
# enum is unverified, so an unknown attribute is a NULL with a generic reason, not a failure.
MISSING_REASONS = {
    "Missing": "not available", "Impossible": "not applicable", "Confidential": "confidential",
    "NotAvailable": "not available", "Unknown": "not available", "": "not available",
}
PROVISIONAL_STATUS = {"voorlopig", "nadervoorlopig", "nader voorlopig"}
# Period type -> (the `contains` filter sent to CBS, or None to filter here only; the codes kept).
# "school_year": school-year tables (84780NED) may code a year as YYYYJJ00 or as a school-year
# code YYYYSJnn (unverified which): both are kept, labelled by their first four digits.
PERIOD_TYPES = {"year": ("JJ", re.compile(r"^\d{4}JJ00$")),
                "quarter": ("KW", re.compile(r"^\d{4}KW0[1-4]$")),
                "school_year": (None, re.compile(r"^\d{4}(JJ00|SJ\d{2})$"))}
TOTAL_CODE = re.compile(r"^T\d{6}$")  # CBS's total codes: T001038, T001028, T001081
GEO_KIND, TIME_KIND = "GeoDimension", "TimeDimension"
TIDY_COLUMNS = [c for c in STAT_SHAPE.column_names if c != "source_table"]

# (CBS Unit, normalised; our unit) -> factor. Anything else is refused when a spec is declared.
UNIT_CONVERSIONS: dict[tuple[str, str], float] = {
    ("mln kwh", "GWh"): 1.0,  # 1 mln kWh = 10^6 kWh = 1 GWh
    ("megawatt", "MW"): 1.0,
    ("%", "%"): 1.0,
    ("x 1000", "persons"): 1000.0,  # "x 1 000" normalises to this as well
    ("aantal", "inwoners"): 1.0,
    ("aantal", "persons"): 1.0,
    ("schaalscore", "score"): 1.0,  # survey scale scores (Veiligheidsmonitor), as published
    ("", "score"): 1.0,
    ("score", "score"): 1.0,
    ("rapportcijfer", "score"): 1.0,
    ("x 1000", "jobs"): 1000.0,
    ("kg per inwoner", "kg/inw."): 1.0,
    ("kw", "kWp"): 1.0,  # 85005NED panel capacity: CBS spelling of the unit unverified
    ("kwp", "kWp"): 1.0,
    ("aantal", "establishments"): 1.0,
}


def title_key(title: str | None) -> str:
    """A CBS title compared on its letters and digits only: case, spaces, brackets and
    punctuation ignored, so a title matches the v3 key built from it."""
    return re.sub(r"[^0-9a-z]", "", str(title or "").lower())


def unit_key(unit: str | None) -> str:
    """A CBS unit compared loosely: case, spacing and thousands spaces ("x 1 000") ignored."""
    text = re.sub(r"\s+", " ", str(unit or "").strip().lower())
    return re.sub(r"(?<=\d) (?=\d)", "", text)


@dataclass(frozen=True)
class MeasureSpec:
    measure_id: str  # our id, unit-suffixed, e.g. offshore_wind_production_gwh
    title: str  # the CBS title (for title+unit resolution and for messages)
    unit: str  # our unit, stored
    cbs_unit: str  # the Unit CBS publishes; checked against MeasureCodes
    identifier: str | None = None  # the CBS Identifier, only where verified
    aliases: tuple[str, ...] = ()  # other titles the measure may carry (unverified wording)
    # Other spellings CBS may use for the same unit where the exact one is unverified; each
    # must convert with the same factor.
    alt_units: tuple[str, ...] = ()
    # (dimension, code title): read the measure at that code instead of the dimension's total
    slice: tuple[tuple[str, str], ...] = ()
    # An unverified title may be absent from the real table: an optional measure that is not
    # found is left out (its indicator reads "not measured") instead of failing the feed.
    optional: bool = False

    def __post_init__(self) -> None:
        factors = set()
        for unit in self.units:
            if (unit_key(unit), self.unit) not in UNIT_CONVERSIONS:
                raise ValueError(f"{self.measure_id}: no conversion from CBS unit "
                                 f"{unit!r} to {self.unit!r}")
            factors.add(UNIT_CONVERSIONS[(unit_key(unit), self.unit)])
        if len(factors) > 1:
            raise ValueError(f"{self.measure_id}: unit spellings convert differently")

    @property
    def titles(self) -> tuple[str, ...]:
        return (self.title, *self.aliases)

    @property
    def units(self) -> tuple[str, ...]:
        return (self.cbs_unit, *self.alt_units)

    @property
    def factor(self) -> float:
        return UNIT_CONVERSIONS[(unit_key(self.cbs_unit), self.unit)]


@dataclass(frozen=True)
class Rate:
    """A rate derived from counts: sum(numerator) / sum(denominator) x 100."""

    measure_id: str
    numerator: tuple[str, ...]  # measure_ids of the table's MeasureSpecs
    denominator: tuple[str, ...]
    unit: str = "%"


@dataclass(frozen=True)
class Split:
    """Read one dimension at several codes, kept apart as `entity`: code title -> entity.
    The dimension is the one whose code list holds every title (found at runtime)."""

    titles: dict[str, str]


@dataclass(frozen=True)
class TableSpec:
    table: str  # the current issue's id (case-sensitive)
    measures: tuple[MeasureSpec, ...]
    filters: dict[str, str] = field(default_factory=dict)  # fixed codes, e.g. BronTechniek
    regional: bool = True  # has a region dimension; national tables map to NL01
    period: str = "year"  # a key of PERIOD_TYPES
    derived: tuple[Rate, ...] = ()  # rates derived from count measures (counts not stored)
    # A dimension fixed by the title of its code where the table has it (e.g. Leeftijd
    # "15 tot 75 jaar", the universe of the indicator, which is not titled "Totaal").
    dimension_titles: dict[str, str] = field(default_factory=dict)
    previous: tuple[str, ...] = ()  # older issues of the same series, newest first
    catalogue_title: str | None = None  # title stem to find newer issues in CBS/Datasets
    # Fixed codes for dimensions the table may or may not have (Marges "MW00000").
    if_present: dict[str, str] = field(default_factory=dict)
    # The region dimension where its Kind may not say GeoDimension (84780NED "Regiokenmerken").
    geo_dimension: str | None = None
    split: Split | None = None  # one dimension read at several codes (entity per code)
    # The region codes to read where the table is published at a coarser level than
    # municipalities (COROP areas `CR20` and the country `NL01`): read instead of the configured
    # municipalities.
    region_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ids = {m.measure_id for m in self.measures}
        for rate in self.derived:
            unknown = set(rate.numerator + rate.denominator) - ids
            if unknown:
                raise ValueError(f"{self.table}: rate {rate.measure_id} reads unknown {unknown}")
        if self.period not in PERIOD_TYPES:
            raise ValueError(f"{self.table}: unknown period type {self.period!r}")

    @property
    def issues(self) -> tuple[str, ...]:
        return (self.table, *self.previous)


@dataclass(frozen=True)
class Resolved:
    """One table issue's metadata read: row key -> our measure, dimension names, fixed codes.

    A row key is the CBS measure Identifier, followed by `|code` for each sliced dimension
    (`sliced`, in order) where any measure reads a slice: "M001|T001", "M001|A028"."""

    issue: str
    measures: dict[str, MeasureSpec]
    geo: str | None
    time: str
    fixed: dict[str, str]
    sliced: dict[str, tuple[str, ...]] = field(default_factory=dict)  # dim -> codes read
    split_dim: str | None = None
    split_codes: dict[str, str] = field(default_factory=dict)  # CBS code -> entity

    @property
    def codes(self) -> list[str]:
        """The CBS measure Identifiers read."""
        return sorted({key.split("|")[0] for key in self.measures})


# -- metadata ----------------------------------------------------------------------------------

def value_list(payload: Payload, required: Sequence[str] = ()) -> list[dict]:
    try:
        doc = payload.json()
    except ValueError:
        raise ContractError(SOURCE, "response is not JSON", url=payload.url) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
        raise ContractError(SOURCE, "response has no 'value' list (OData v4)", url=payload.url)
    rows = doc["value"]
    for row in rows[:1]:
        missing = [f for f in required if f not in row]
        if missing:
            raise ContractError(SOURCE, f"rows lack field(s) {missing} (schema drift?)",
                                url=payload.url)
    return rows


def dimensions(payload: Payload) -> dict[str, str]:
    """Dimension Identifier -> Kind (Dimension, TimeDimension, GeoDimension)."""
    return {str(r["Identifier"]).strip(): str(r["Kind"]).strip()
            for r in value_list(payload, ("Identifier", "Kind"))}


def code_lists(spec: TableSpec, dims: Mapping[str, str]) -> list[str]:
    """The `<Dim>Codes` lists a table issue needs: its periods and every other non-region
    dimension not fixed by the spec."""
    return [d for d, kind in dims.items() if kind == TIME_KIND or (
        kind != GEO_KIND and d not in spec.filters and d not in spec.if_present
        and d != spec.geo_dimension)]


def resolve_measures(spec: TableSpec, issue: str,
                     measure_codes: Payload) -> list[tuple[str, MeasureSpec]]:
    """(CBS measure Identifier, our measure) per measure of the spec. Pinned identifiers apply
    to `spec.table` only (another issue may number its measures differently); the unit is
    checked either way, and the measure carries the unit CBS states (one of its variants)."""
    rows = value_list(measure_codes, ("Identifier", "Title", "Unit"))
    out = []
    for m in spec.measures:
        try:
            out.append(_resolve_one(spec, issue, m, rows, measure_codes.url))
        except ContractError:
            if not m.optional:
                raise
            log.warning("CBS %s: optional measure %s (%r) not found; left out",
                        issue, m.measure_id, m.title)
    if not out:
        raise ContractError(SOURCE, f"table {issue}: none of its measures was found",
                            url=measure_codes.url)
    return out


def _resolve_one(spec: TableSpec, issue: str, m: MeasureSpec, rows: list[dict],
                 url: str) -> tuple[str, MeasureSpec]:
    if m.identifier and issue == spec.table:
        found = [r for r in rows if str(r["Identifier"]).strip() == m.identifier]
        if not found:
            raise ContractError(SOURCE, f"table {issue} has no measure {m.identifier} "
                                f"({m.title}); renamed or discontinued?", url=url)
    else:
        wanted = {title_key(t) for t in m.titles}
        found = [r for r in rows if title_key(r["Title"]) in wanted]
        if not found:
            raise ContractError(SOURCE, f"table {issue} has no measure titled "
                                f"{' or '.join(repr(t) for t in m.titles)}; renamed or "
                                "discontinued?", url=url)
    units = sorted({str(r["Unit"]) for r in found})
    found = [r for r in found if unit_key(r["Unit"]) in {unit_key(u) for u in m.units}]
    if not found:
        raise ContractError(SOURCE, f"table {issue}: measure {m.identifier or m.title!r} is in "
                            f"{units}, expected {' or '.join(repr(u) for u in m.units)}", url=url)
    if len(found) > 1:
        ids = sorted(str(r["Identifier"]) for r in found)
        raise ContractError(SOURCE, f"table {issue}: {len(found)} measures titled {m.title!r} in "
                            f"{m.cbs_unit!r} ({ids}); pin the Identifier", url=url)
    actual = next(u for u in m.units if unit_key(u) == unit_key(found[0]["Unit"]))
    return str(found[0]["Identifier"]).strip(), replace(m, cbs_unit=actual, alt_units=())


def code_titled(dim: str, title: str, codes: Payload) -> str:
    """The one code of a dimension with this title (compared on letters and digits)."""
    rows = value_list(codes, ("Identifier", "Title"))
    hits = [r for r in rows if title_key(r["Title"]) == title_key(title)]
    if len(hits) != 1:
        raise ContractError(SOURCE, f"table dimension {dim}: {len(hits)} codes titled "
                            f"{title!r}", url=codes.url)
    return str(hits[0]["Identifier"]).strip()


def dimension_total(spec: TableSpec, dim: str, codes: Payload) -> str:
    """The code a dimension is read at: fixed by the spec's title, else its total (a `T` code,
    else the one code titled "Totaal")."""
    rows = value_list(codes, ("Identifier", "Title"))
    if dim in spec.dimension_titles:
        return code_titled(dim, spec.dimension_titles[dim], codes)
    if len(rows) == 1:  # a dimension with one code (e.g. Leeftijd "18 jaar of ouder") is read there
        return str(rows[0]["Identifier"]).strip()
    for rule in (lambda r: TOTAL_CODE.match(str(r["Identifier"]).strip()),
                 lambda r: str(r["Title"]).strip().lower() == "totaal"):
        hits = [r for r in rows if rule(r)]
        if len(hits) == 1:
            return str(hits[0]["Identifier"]).strip()
    titles = [str(r["Title"]).strip() for r in rows[:6]]
    raise ContractError(SOURCE, f"dimension {dim} has no identifiable total (codes {titles}...); "
                        "fix its value in the TableSpec", url=codes.url)


def split_dimension(spec: TableSpec, issue: str, dims: Mapping[str, str],
                    meta: Mapping[str, Payload]) -> tuple[str | None, dict[str, str]]:
    """The dimension a `Split` reads (the one whose codes hold every configured title) and its
    code -> entity map; none, or more than one such dimension, is an error naming the titles."""
    if spec.split is None:
        return None, {}
    wanted = {title.strip().lower(): entity for title, entity in spec.split.titles.items()}
    found = {}
    for dim in code_lists(spec, dims):
        if dims[dim] == TIME_KIND:
            continue
        rows = value_list(meta[f"{dim}Codes"], ("Identifier", "Title"))
        by_title = {}
        for row in rows:
            by_title.setdefault(str(row["Title"]).strip().lower(), []).append(
                str(row["Identifier"]).strip())
        if all(len(by_title.get(t, [])) == 1 for t in wanted):
            found[dim] = {by_title[t][0]: entity for t, entity in wanted.items()}
    if len(found) != 1:
        raise ContractError(SOURCE, f"table {issue}: {len(found)} dimensions hold each of the "
                            f"code titles {sorted(spec.split.titles)} once (expected one)",
                            url=meta["Dimensions"].url)
    return next(iter(found.items()))


def resolve(spec: TableSpec, issue: str, meta: Mapping[str, Payload]) -> Resolved:
    """Read one issue's metadata payloads, keyed "Dimensions", "MeasureCodes", "<Dim>Codes"."""
    dims = dimensions(meta["Dimensions"])
    geo = [d for d, kind in dims.items() if kind == GEO_KIND or d == spec.geo_dimension]
    time = [d for d, kind in dims.items() if kind == TIME_KIND]
    if len(time) != 1 or len(geo) > 1 or (spec.regional and not geo):
        raise ContractError(SOURCE, f"table {issue}: unexpected dimensions {dims}",
                            url=meta["Dimensions"].url)
    split_dim, split_codes = split_dimension(spec, issue, dims, meta)
    fixed = {d: spec.filters[d] for d in dims if d in spec.filters}
    fixed |= {d: spec.if_present[d] for d in dims if d in spec.if_present and d not in fixed}
    fixed |= {d: dimension_total(spec, d, meta[f"{d}Codes"]) for d in code_lists(spec, dims)
              if d not in time and d != split_dim}
    if geo and not spec.regional:
        fixed[geo[0]] = "NL01"
    missing = set(spec.filters) - set(dims)
    if missing:
        raise ContractError(SOURCE, f"table {issue} has no dimension(s) {sorted(missing)}",
                            url=meta["Dimensions"].url)
    measures = resolve_measures(spec, issue, meta["MeasureCodes"])
    sliced_dims = sorted({d for _, m in measures for d, _ in m.slice})
    unknown = set(sliced_dims) - set(fixed)
    if unknown:
        raise ContractError(SOURCE, f"table {issue}: sliced dimension(s) {sorted(unknown)} "
                            "absent or not read at a total", url=meta["Dimensions"].url)
    keyed: dict[str, MeasureSpec] = {}
    for code, m in measures:
        cut = dict(m.slice)
        parts = [code_titled(d, cut[d], meta[f"{d}Codes"]) if d in cut else fixed[d]
                 for d in sliced_dims]
        key = "|".join([code, *parts])
        if key in keyed:
            raise ContractError(SOURCE, f"table {issue}: {m.measure_id} and "
                                f"{keyed[key].measure_id} read the same cells",
                                url=meta["MeasureCodes"].url)
        keyed[key] = m
    sliced = {d: tuple(sorted({k.split("|")[1 + i] for k in keyed}))
              for i, d in enumerate(sliced_dims)}
    return Resolved(issue, keyed, geo[0] if spec.regional else None, time[0], fixed, sliced,
                    split_dim, split_codes)


def observations_filter(spec: TableSpec, resolved: Resolved, regions: Sequence[str]) -> str:
    """OData $filter: the resolved measures, the regions, fixed dimensions, the period type."""
    clauses = ["(" + " or ".join(f"Measure eq '{c}'" for c in resolved.codes) + ")"]
    if resolved.geo:
        clauses.append("(" + " or ".join(f"{resolved.geo} eq '{r}'" for r in sorted(regions)) + ")")
    for dim, value in sorted(resolved.fixed.items()):
        values = resolved.sliced.get(dim, (value,))
        clause = " or ".join(f"{dim} eq '{v}'" for v in values)
        clauses.append(clause if len(values) == 1 else f"({clause})")
    if resolved.split_dim:
        clauses.append("(" + " or ".join(f"{resolved.split_dim} eq '{c}'"
                                         for c in sorted(resolved.split_codes)) + ")")
    marker = PERIOD_TYPES[spec.period][0]
    if marker:
        clauses.append(f"contains({resolved.time},'{marker}')")
    return " and ".join(clauses)


def provisional_periods(period_codes: Payload) -> set[str]:
    """Period codes CBS marks provisional in `PeriodenCodes.Status` (Voorlopig,
    NaderVoorlopig); `Definitief` and null are final."""
    rows = value_list(period_codes, ("Identifier",))
    return {str(r["Identifier"]).strip() for r in rows
            if str(r.get("Status") or "").strip().lower() in PROVISIONAL_STATUS}


def newer_issues(spec: TableSpec, catalogue: Payload) -> list[str]:
    """Regular (`Status` "Regulier") tables in the catalogue whose title starts with the spec's
    stem and that the spec does not name yet: newer issues of the series."""
    stem = (spec.catalogue_title or "").lower()
    return sorted(str(r["Identifier"]) for r in value_list(catalogue, ("Identifier", "Title"))
                  if str(r["Title"]).strip().lower().startswith(stem)
                  and str(r.get("Status") or "") == "Regulier"
                  and str(r["Identifier"]) not in spec.issues)


# -- observations ------------------------------------------------------------------------------

def parse_issue(spec: TableSpec, resolved: Resolved, pages: Sequence[Payload],
                period_codes: Payload) -> pl.DataFrame:
    """Rows of one issue: measures in our units, derived rates, provisional flags."""
    rows = [row for page in pages for row in _observations(resolved, page)]
    frame = pl.DataFrame(rows, schema={"Measure": pl.String, "region": pl.String,
                                       "entity": pl.String, "Perioden": pl.String,
                                       "Value": pl.Float64, "ValueAttribute": pl.String},
                         strict=False)
    lookup = pl.DataFrame({"Measure": list(resolved.measures),
                           "measure": [m.measure_id for m in resolved.measures.values()],
                           "unit": [m.unit for m in resolved.measures.values()],
                           "factor": [m.factor for m in resolved.measures.values()]})
    pattern = PERIOD_TYPES[spec.period][1].pattern
    frame = (frame.with_columns(pl.col("Perioden").str.strip_chars())
             .filter(pl.col("Perioden").str.contains(pattern))
             .join(lookup, on="Measure", how="inner"))
    tidy = _tidy(frame, provisional_periods(period_codes))
    tidy = _with_rates(spec, tidy) if spec.derived else tidy
    return tidy.with_columns(source_table=pl.lit(resolved.issue))


def _observations(resolved: Resolved, page: Payload) -> list[dict]:
    dims = {resolved.time, *resolved.fixed} | ({resolved.geo} if resolved.geo else set()) \
        | ({resolved.split_dim} if resolved.split_dim else set())
    required = OBSERVATION_FIELDS + (resolved.time,) + ((resolved.geo,) if resolved.geo else ())
    out = []
    for row in value_list(page, required):
        unknown = set(row) - NON_DIMENSION_FIELDS - dims
        if unknown:  # a dimension we did not filter to its total: its rows would add up wrong
            raise ContractError(SOURCE, f"table {resolved.issue}: undeclared dimension(s) "
                                f"{sorted(unknown)} in Observations", url=page.url)
        entity = ""
        if resolved.split_dim:
            entity = resolved.split_codes.get(str(row.get(resolved.split_dim, "")).strip())
        if entity is not None and all(str(row.get(d, "")).strip() == v
                                      for d, v in resolved.fixed.items()
                                      if d not in resolved.sliced):
            region = str(row[resolved.geo]).strip() if resolved.geo else "NL01"
            key = "|".join([str(row["Measure"]).strip(),
                            *(str(row.get(d, "")).strip() for d in resolved.sliced)])
            out.append({**{f: row[f] for f in OBSERVATION_FIELDS}, "Measure": key,
                        "region": region, "entity": entity, "Perioden": row[resolved.time]})
    return out


def _tidy(frame: pl.DataFrame, provisional: set[str]) -> pl.DataFrame:
    period = pl.col("Perioden")
    label = (pl.when(period.str.contains(r"(JJ00|SJ\d{2})$")).then(period.str.slice(0, 4))
             .otherwise(period.str.slice(0, 4) + "-Q" + period.str.slice(7, 1)))
    attribute = pl.col("ValueAttribute").fill_null("None")
    has_value = (attribute == "None") & pl.col("Value").is_not_null()
    return frame.with_columns(
        region_code=pl.col("region"), entity=pl.col("entity").fill_null(""), period=label,
        year=period.str.slice(0, 4).cast(pl.Int32),
        value=pl.when(has_value).then(pl.col("Value") * pl.col("factor")),
        is_provisional=period.is_in(sorted(provisional)),
        missing_reason=pl.when(~has_value).then(
            attribute.replace_strict(MISSING_REASONS, default="not available")),
        source=pl.lit(SOURCE),
    ).unique(["region_code", "entity", "measure", "period"], keep="last").select(TIDY_COLUMNS)


def _with_rates(spec: TableSpec, tidy: pl.DataFrame) -> pl.DataFrame:
    """Derived rates only (the counts they come from are not stored): NULL when an input is."""
    keys = ["region_code", "entity", "period", "year", "source"]
    frames = []
    for rate in spec.derived:
        def total(ids: tuple[str, ...]) -> pl.Expr:
            mine = pl.col("measure").is_in(list(ids))
            return pl.when(pl.col("value").filter(mine).null_count() == 0).then(
                pl.col("value").filter(mine).sum())

        grouped = tidy.group_by(keys).agg(
            num=total(rate.numerator), den=total(rate.denominator),
            n=pl.col("measure").is_in(list(set(rate.numerator + rate.denominator))).sum(),
            is_provisional=pl.col("is_provisional").any())
        complete = pl.col("n") == len(set(rate.numerator + rate.denominator))
        frames.append(grouped.with_columns(
            measure=pl.lit(rate.measure_id), unit=pl.lit(rate.unit),
            value=pl.when(complete & (pl.col("den") > 0)).then(pl.col("num") / pl.col("den") * 100),
        ).with_columns(missing_reason=pl.when(pl.col("value").is_null())
                       .then(pl.lit("not available (an input count is missing)"))))
    return pl.concat([f.select(TIDY_COLUMNS) for f in frames])


def _join_issues(frames: Sequence[pl.DataFrame], order: Sequence[str]) -> pl.DataFrame:
    """One series from several issues: per period the newest issue (latest year covered, then
    the configured order) wins; rows from an older issue say so in `source_table`."""
    frames = [f for f in frames if f.height]
    if not frames:
        return STAT_SHAPE.empty()
    rank = {f["source_table"][0]: (-int(f["year"].max()), order.index(f["source_table"][0]))
            for f in frames}
    ranked = sorted(rank, key=rank.__getitem__)
    newest = ranked[0]
    both = pl.concat(frames).with_columns(
        _rank=pl.col("source_table").replace_strict({t: i for i, t in enumerate(ranked)}))
    joined = both.sort("_rank").unique(["region_code", "entity", "measure", "period"],
                                       keep="first")
    return STAT_SHAPE.conform(joined.with_columns(
        source_table=pl.when(pl.col("source_table") == newest).then(pl.col("source_table"))
        .otherwise(pl.col("source_table") + f" (earlier issue; series break, re-issued as {newest})")))


# -- a feed's payloads -------------------------------------------------------------------------

def request_key(spec: TableSpec, issue: str, what: str) -> str:
    """How `sources.statline` keys each payload: `<table>/<issue>/<what>`."""
    return f"{spec.table}/{issue}/{what}"


def parse_table(spec: TableSpec, payloads: Sequence[Payload]) -> pl.DataFrame:
    mine = {p.request_key: p for p in payloads if p.request_key.startswith(f"{spec.table}/")}
    issues = [k.split("/")[1] for k in sorted(mine) if k.endswith("/MeasureCodes")]
    order = sorted(issues, key=lambda i: spec.issues.index(i) if i in spec.issues else -1)
    frames = []
    for issue in order:
        prefix = f"{spec.table}/{issue}/"
        meta = {k[len(prefix):]: p for k, p in mine.items()
                if k.startswith(prefix) and "/Observations/" not in k}
        resolved = resolve(spec, issue, meta)
        pages = [mine[k] for k in sorted(mine) if k.startswith(prefix + "Observations/")]
        frames.append(parse_issue(spec, resolved, pages, meta[f"{resolved.time}Codes"]))
    return _join_issues(frames, order)


def parse_tables(specs: Sequence[TableSpec], payloads: Sequence[Payload]) -> pl.DataFrame:
    """Rows of every table in `specs` from one feed's payloads (keyed as `request_key` says)."""
    frames = [parse_table(spec, payloads) for spec in specs]
    return pl.concat(frames) if frames else STAT_SHAPE.empty()
