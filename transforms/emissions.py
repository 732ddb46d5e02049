"""Emissions: parse Klimaatmonitor OData pages, Emissieregistratie CSV exports and EU ETS
verified-emissions files into the long statistical shape of `clean_emissions`, plus the business
rules (GX expectations) that guard that table.

Pure functions over payload bytes, vectorised Polars. Every frame is conformed to
`core.tables.STAT_SHAPE`: one row per region (CBS code), entity ('' for a whole
municipality, a sector slug, or an installation id), measure (unit-suffixed), and year. Source
markers for "no value" become NULL plus a `missing_reason`, never zero. A missing, renamed or
retyped field breaks the contract (`ContractError`, nothing written); an unknown extra field
only warns (`SchemaDriftWarning`).

The small helpers in the "shared" section are used by `transforms.offshore_wind` too.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import polars as pl

from core.errors import ContractError
from core.payload import Payload
from core.tables import STAT_SHAPE, TableSchema
from transforms import odata_ods
from transforms.air_quality import SchemaDriftWarning

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

# -- regions ---------------------------------------------------------------------------------

NATIONAL = "NL01"
# How sources spell the whole country; all become the CBS code NL01.
NATIONAL_ALIASES = ("NL", "NL00", "NL01", "NEDERLAND")

# -- measures --------------------------------------------------------------------------------

KT_CO2 = "kt CO2"
EMISSIONS_UNITS: dict[str, str] = {
    "co2_total_kt": KT_CO2,  # Klimaatmonitor: total known CO2 from energy use and vehicle fuels
    "co2_sector_kt": KT_CO2,  # Emissieregistratie: CO2 per sector (entity = sector slug)
    "ets_verified_emissions_kt": KT_CO2,  # EU ETS: verified emissions of an installation
}

# Klimaatmonitor variable id -> (measure, factor to the measure's unit). The id is a catalogue
# id, "Totaal bekende CO2-uitstoot (aardgas, elektr., stadswarmte, voertuigbrandstoffen)" in
# kton, 2010-2024 (a public copy of the `/Variables` catalogue; see the research note, K13);
# the client checks it against `/Variables` before fetching. Its sibling `kern111a_co2_tot`
# ("Totale CO2-uitstoot (aardgas, elektr., stadswarmte, brandstoffen)", kton) is documented too.
KLIMAATMONITOR_VARIABLES: dict[str, tuple[str, float]] = {
    "co2_totaal_combi_kton": ("co2_total_kt", 1.0),  # published in kton CO2
}

# The 14 sectors of the Emissieregistratie (emissieregistratie.nl, "Indeling emissiegegevens:
# bronnen"), keyed by the slug used as `entity`.
SECTORS: dict[str, str] = {
    "afvalverwijdering": "Afvalverwijdering",
    "bouw": "Bouw",
    "chemische_industrie": "Chemische industrie",
    "consumenten": "Consumenten",
    "drinkwatervoorziening": "Drinkwatervoorziening",
    "energiesector": "Energiesector",
    "landbouw": "Landbouw",
    "handel_diensten_en_overheid": "Handel, Diensten en Overheid (HDO)",
    "natuur": "Natuur",
    "overig": "Overig",
    "overige_industrie": "Overige industrie",
    "raffinaderijen": "Raffinaderijen",
    "riolering_en_waterzuiveringsinstallaties": "Riolering en waterzuiveringsinstallaties",
    "verkeer_en_vervoer": "Verkeer en vervoer",
}


# -- shared by the statistical parsers -------------------------------------------------------

def check_fields(payload: Payload, columns: Mapping[str, pl.DataType], required: Sequence[str],
                 what: str, *, optional: Sequence[str] = (), warn_extra: bool = True) -> None:
    """Required fields present, else `ContractError` naming them; unknown extras only warn."""
    missing = [f for f in required if f not in columns]
    if missing:
        raise ContractError(payload.source, f"{what} lack field(s) {missing}; got "
                            f"{list(columns)}", url=payload.url)
    extra = sorted(set(columns) - set(required) - set(optional))
    if extra and warn_extra:
        warnings.warn(SchemaDriftWarning(f"[{payload.source}] unknown field(s) {extra} in {what} "
                                         f"ignored (url: {payload.url})"), stacklevel=3)


def require_text_fields(payload: Payload, frame: pl.DataFrame, fields: Sequence[str]) -> None:
    """Fields that must arrive as text (or all-null) did not change type upstream."""
    wrong = [f"{f} is {frame.schema[f]}" for f in fields
             if frame.schema[f] not in (pl.String, pl.Null)]
    if wrong:
        raise ContractError(payload.source, f"field types changed: {', '.join(wrong)}",
                            url=payload.url)


def parse_numbers(payload: Payload, frame: pl.DataFrame, column: str,
                  markers: Mapping[str, str], *, decimal_comma: bool = False) -> pl.DataFrame:
    """Add `value` (Float64) and `missing_reason` from a text column.

    `markers` maps the source's "no value" spellings ('' for empty or absent) to a reason;
    any other text that is not a number breaks the contract rather than becoming NULL silently.
    """
    text = pl.col(column).str.strip_chars()
    if decimal_comma:
        text = text.str.replace(",", ".", literal=True)
    text = text.fill_null("")
    is_marker = text.is_in(list(markers))
    number = text.cast(pl.Float64, strict=False)
    out = frame.with_columns(
        value=pl.when(is_marker).then(None).otherwise(number),
        missing_reason=pl.when(is_marker).then(text.replace_strict(markers, default=None)),
        _unreadable=~is_marker & number.is_null(),
    )
    bad = out.filter(pl.col("_unreadable"))[column].unique().head(5).to_list()
    if bad:
        raise ContractError(payload.source, f"unreadable {column} value(s) {bad}",
                            url=payload.url)
    return out.drop("_unreadable")


def normalise_region_code(code: pl.Expr) -> pl.Expr:
    """CBS region codes, stripped and upper-cased; every spelling of the country -> NL01."""
    clean = code.str.strip_chars().str.to_uppercase()
    return pl.when(clean.is_in(NATIONAL_ALIASES)).then(pl.lit(NATIONAL)).otherwise(clean)


def stat_frame(schema: TableSchema, rows: pl.DataFrame, *, source: str, units: Mapping[str, str],
               source_table: str | pl.Expr) -> pl.DataFrame:
    """Fill the shared columns (period, unit, source) and conform to the statistical schema.

    `rows` carries region_code, entity, measure, year, value, is_provisional, missing_reason
    and, for sub-year rows, period (default: the year).
    """
    table = pl.lit(source_table) if isinstance(source_table, str) else source_table
    if "period" not in rows.columns:
        rows = rows.with_columns(period=pl.col("year").cast(pl.String))
    filled = rows.with_columns(unit=pl.col("measure").replace_strict(units, default=None),
                               source=pl.lit(source), source_table=table)
    return schema.conform(filled)


def merge_payload_frames(frames: Sequence[pl.DataFrame], schema: TableSchema) -> pl.DataFrame:
    """Concatenate parsed payloads; a key repeated across payloads keeps the later payload."""
    frames = [f for f in frames if not f.is_empty()]
    if not frames:
        return schema.empty()
    return (pl.concat(frames).unique(subset=list(schema.key), keep="last", maintain_order=True)
            .sort(list(schema.key)))


def json_object(payload: Payload) -> dict:
    try:
        doc = json.loads(payload.body)
    except ValueError as exc:
        raise ContractError(payload.source, f"invalid JSON: {exc}", url=payload.url) from None
    if not isinstance(doc, dict):
        raise ContractError(payload.source, f"expected a JSON object, got {type(doc).__name__}",
                            url=payload.url)
    return doc


def read_text_csv(payload: Payload, separator: str, *, skip_rows: int = 0) -> pl.DataFrame:
    """A CSV payload as all-text columns (types are checked per column by the caller)."""
    text = payload.body.decode("utf-8-sig", errors="replace")
    try:
        frame = pl.read_csv(io.StringIO(text), separator=separator, infer_schema=False,
                            skip_rows=skip_rows, truncate_ragged_lines=False)
    except pl.exceptions.PolarsError as exc:
        raise ContractError(payload.source, f"unreadable CSV: {exc}".splitlines()[0],
                            url=payload.url) from None
    return frame.rename({c: c.strip() for c in frame.columns})


# -- Klimaatmonitor Open Data Service (OData v4 JSON) ----------------------------------------

KLIMAATMONITOR_MARKERS = {"?": "not available in Klimaatmonitor ('?')",
                          "": "empty in Klimaatmonitor"}


def parse_klimaatmonitor(payloads: Sequence[Payload]) -> pl.DataFrame:
    """Yearly values per municipality (and NL01) from Klimaatmonitor `Values` pages.

    The ODS format (envelope, fields, ExternalCode -> CBS code) is read by
    `transforms.odata_ods`; here the variable becomes a measure through
    `KLIMAATMONITOR_VARIABLES`. A Description mentioning "voorlopig" marks a provisional value.
    """
    catalogue_pages = [p for p in payloads if odata_ods.is_catalogue(p)]
    catalogue = odata_ods.catalogue(catalogue_pages) if catalogue_pages else None
    frames = [_klimaatmonitor_page(p, catalogue) for p in payloads
              if not odata_ods.is_catalogue(p)]
    return merge_payload_frames(frames, STAT_SHAPE)


def _klimaatmonitor_page(payload: Payload, catalogue: dict[str, str] | None) -> pl.DataFrame:
    page = odata_ods.values_page(payload)
    variable = odata_ods.variable_of(payload)
    if catalogue is not None and variable not in catalogue:
        raise ContractError(payload.source, f"Values of variable '{variable}', which the "
                            "catalogue fetched with them does not list", url=payload.url)
    if variable not in KLIMAATMONITOR_VARIABLES:
        raise ContractError(payload.source, f"Values of variable '{variable}', which this "
                            f"monitor does not read (known: {sorted(KLIMAATMONITOR_VARIABLES)})",
                            url=payload.url)
    if page.is_empty():
        return STAT_SHAPE.empty()
    measure, factor = KLIMAATMONITOR_VARIABLES[variable]
    valued = parse_numbers(payload, page, "value_text", KLIMAATMONITOR_MARKERS)
    rows = valued.select(
        "region_code", entity=pl.lit(""), measure=pl.lit(measure), year="year",
        value=pl.col("value") * factor,
        is_provisional=pl.col("description").str.to_lowercase().str.contains("voorlopig"),
        missing_reason=pl.col("missing_reason"),
    )
    return stat_frame(STAT_SHAPE, rows, source=payload.source, units=EMISSIONS_UNITS,
                      source_table=f"Variables('{variable}')")


# -- Emissieregistratie export (CSV, ';'-separated) ------------------------------------------

EMISSIEREGISTRATIE_REQUIRED = ("Jaar", "Gebiedcode", "Sector", "Stof", "Emissie", "Eenheid")
EMISSIEREGISTRATIE_OPTIONAL = ("Gebied", "Status")
CO2_NAMES = ("co2", "koolstofdioxide")
# Export units -> factor to kilotonnes.
MASS_TO_KT = {"kg": 1e-6, "ton": 1e-3, "kton": 1.0, "mln kg": 1.0, "mln. kg": 1.0,
              "mkg": 1.0, "mton": 1000.0, "mln ton": 1000.0}
EMISSIEREGISTRATIE_MARKERS = {"": "empty in the Emissieregistratie export",
                              "-": "not estimated by the Emissieregistratie"}


def parse_emissieregistratie(payloads: Sequence[Payload]) -> pl.DataFrame:
    """CO2 per municipality, sector and year (measure co2_sector_kt, entity = sector slug).

    A `Status` of "voorlopig" marks provisional rows. Without a Status column the release rule
    applies: figures for year t are provisional until final ones appear two years later, so the
    years from (fetch year - 1) on are flagged.
    """
    return merge_payload_frames([_emissieregistratie_export(p) for p in payloads], STAT_SHAPE)


def sector_slug(name: pl.Expr) -> pl.Expr:
    """'Handel, Diensten en Overheid (HDO)' -> 'handel_diensten_en_overheid'."""
    return (name.str.strip_chars().str.to_lowercase()
            .str.replace_all(r"\s*\([^)]*\)", "")
            .str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_"))


def _emissieregistratie_export(payload: Payload) -> pl.DataFrame:
    table = read_text_csv(payload, ";")
    check_fields(payload, table.schema, EMISSIEREGISTRATIE_REQUIRED, "export columns",
                 optional=EMISSIEREGISTRATIE_OPTIONAL)
    co2 = table.filter(pl.col("Stof").str.strip_chars().str.to_lowercase().is_in(CO2_NAMES))
    if co2.is_empty():
        return STAT_SHAPE.empty()
    require_years(payload, co2, "Jaar")
    valued = parse_numbers(payload, co2, "Emissie", EMISSIEREGISTRATIE_MARKERS,
                           decimal_comma=True)
    rows = valued.select(
        region_code=normalise_region_code(pl.col("Gebiedcode")),
        entity=sector_slug(pl.col("Sector")), measure=pl.lit("co2_sector_kt"),
        year=pl.col("Jaar").str.strip_chars().cast(pl.Int32),
        value=pl.col("value") * _unit_factor(payload, valued["Eenheid"]),
        is_provisional=_provisional(payload, valued),
        missing_reason=pl.col("missing_reason"),
    )
    _warn_unknown_sectors(payload, rows)
    return stat_frame(STAT_SHAPE, rows, source=payload.source, units=EMISSIONS_UNITS,
                      source_table="emissieregistratie export CO2")


def require_years(payload: Payload, frame: pl.DataFrame, column: str) -> None:
    """A text column holds four-digit years only (a retyped column breaks the contract)."""
    bad = frame.filter(~pl.col(column).fill_null("").str.strip_chars().str.contains(r"^\d{4}$"))
    if bad.height:
        raise ContractError(payload.source, f"column {column} is not a year: "
                            f"{bad[column].head(3).to_list()}", url=payload.url)


def _unit_factor(payload: Payload, units: pl.Series) -> pl.Expr:
    """Factor to kt per row; an unknown mass unit breaks the contract."""
    clean = units.str.strip_chars().str.to_lowercase()
    unknown = sorted(set(clean.drop_nulls().to_list()) - set(MASS_TO_KT))
    if unknown or clean.null_count():
        raise ContractError(payload.source, f"unknown Eenheid {unknown or [None]}; known "
                            f"{sorted(MASS_TO_KT)}", url=payload.url)
    return (pl.col("Eenheid").str.strip_chars().str.to_lowercase()
            .replace_strict(MASS_TO_KT, return_dtype=pl.Float64))


def _provisional(payload: Payload, frame: pl.DataFrame) -> pl.Expr:
    if "Status" in frame.columns:
        return (pl.col("Status").fill_null("").str.strip_chars().str.to_lowercase()
                == "voorlopig")
    first_provisional = payload.fetched_at.year - 1
    return pl.col("Jaar").str.strip_chars().cast(pl.Int32) >= first_provisional


def _warn_unknown_sectors(payload: Payload, rows: pl.DataFrame) -> None:
    unknown = sorted(set(rows["entity"].unique().to_list()) - set(SECTORS))
    if unknown:
        warnings.warn(SchemaDriftWarning(f"[{payload.source}] unknown sector(s) {unknown}; "
                                         "validation will refuse them until SECTORS lists them"),
                      stacklevel=3)


# -- EU ETS verified emissions (Union Registry file, CSV export of its data sheet) -----------

ETS_REQUIRED = ("REGISTRY_CODE", "INSTALLATION_NAME", "INSTALLATION_IDENTIFIER")
ETS_YEAR_COLUMN = re.compile(r"^VERIFIED_EMISSIONS_(\d{4})$")
ETS_MARKERS = {"": "no verified emissions reported", "excluded": "installation excluded",
               "not reported": "no verified emissions reported"}


# Installations followed, as (registry, name pattern) -> (entity, region). Matched on the name
# because the identifier is not confirmed here; pin it to INSTALLATION_IDENTIFIER once checked.
ETS_INSTALLATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("NL", r"(?i)^tata steel ijmuiden"): ("tata_steel_ijmuiden", "GM0453"),
}


def parse_eu_ets(payloads: Sequence[Payload]) -> pl.DataFrame:
    """Verified emissions per followed installation and year, t CO2 -> kt.

    The Commission's file is wide (one VERIFIED_EMISSIONS_YYYY column per year) and may open
    with banner rows; the header is the row starting with REGISTRY_CODE. Only the columns used
    are checked: the file carries dozens of others (allocations, compliance codes).
    """
    return merge_payload_frames([_ets_file(p) for p in payloads], STAT_SHAPE)


def _ets_file(payload: Payload) -> pl.DataFrame:
    table = read_text_csv(payload, ",", skip_rows=_ets_header_row(payload))
    check_fields(payload, table.schema, ETS_REQUIRED, "verified-emissions columns",
                 warn_extra=False)
    year_columns = [c for c in table.columns if ETS_YEAR_COLUMN.match(c)]
    if not year_columns:
        raise ContractError(payload.source, "no VERIFIED_EMISSIONS_YYYY column", url=payload.url)
    frames = [_ets_installation(payload, table, year_columns, registry, pattern, *target)
              for (registry, pattern), target in ETS_INSTALLATIONS.items()]
    return pl.concat(frames)


def _ets_header_row(payload: Payload) -> int:
    lines = payload.body.decode("utf-8-sig", errors="replace").splitlines()
    for number, line in enumerate(lines[:50]):
        if line.lstrip('"').startswith("REGISTRY_CODE"):
            return number
    raise ContractError(payload.source, "no header row starting with REGISTRY_CODE in the "
                        "first 50 lines", url=payload.url)


def _ets_installation(payload: Payload, table: pl.DataFrame, year_columns: list[str],
                      registry: str, pattern: str, entity: str, region: str) -> pl.DataFrame:
    mine = table.filter((pl.col("REGISTRY_CODE").str.strip_chars() == registry)
                        & pl.col("INSTALLATION_NAME").str.strip_chars().str.contains(pattern))
    if mine.is_empty():
        raise ContractError(payload.source, f"no {registry} installation matches {pattern!r}",
                            url=payload.url, hint="Check the installation's name and id in the "
                            "Union Registry and update ETS_INSTALLATIONS.")
    long = (mine.unpivot(index="INSTALLATION_IDENTIFIER", on=year_columns, variable_name="column",
                         value_name="verified_t")
            .with_columns(pl.col("verified_t").str.to_lowercase()))
    valued = parse_numbers(payload, long, "verified_t", ETS_MARKERS)
    rows = (valued.group_by(year=pl.col("column").str.extract(r"(\d{4})$").cast(pl.Int32))
            .agg(value=pl.when(pl.col("value").is_not_null().any())
                 .then(pl.col("value").sum() / 1000),
                 missing_reason=pl.col("missing_reason").drop_nulls().first()))
    rows = rows.with_columns(region_code=pl.lit(region), entity=pl.lit(entity),
                             measure=pl.lit("ets_verified_emissions_kt"), is_provisional=False,
                             missing_reason=pl.when(pl.col("value").is_null())
                             .then(pl.col("missing_reason")))
    return stat_frame(STAT_SHAPE, rows, source=payload.source, units=EMISSIONS_UNITS,
                      source_table="union registry verified emissions")


# -- business rules --------------------------------------------------------------------------

def stat_common_rules(units: Mapping[str, str], period_regex: str) -> list[Expectation]:
    """Rules every statistical family shares: known measures with their units, plausible years,
    CBS region codes, well-formed periods, and a reason for every NULL value."""
    import great_expectations as gx  # slow import: only when rules are built

    return [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="measure", value_set=sorted(units), description="measure is a known measure"),
        gx.expectations.ExpectColumnPairValuesToBeInSet(
            column_A="measure", column_B="unit", value_pairs_set=sorted(units.items()),
            description="unit matches the measure"),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="year", min_value=1990, max_value=2100, description="year is plausible"),
        gx.expectations.ExpectColumnValuesToMatchRegex(
            column="region_code", regex=r"^(?:GM\d{4}|NL01)$",
            description="region_code is a CBS municipality code or NL01"),
        gx.expectations.ExpectColumnValuesToMatchRegex(
            column="period", regex=period_regex, description="period is well formed"),
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column="missing_reason", row_condition="value != value", condition_parser="pandas",
            description="every NULL value says why it is missing"),
    ]


def emissions_rules() -> list[Expectation]:
    """GX business rules for clean_emissions (schema checks are generated separately)."""
    import great_expectations as gx

    return [
        *stat_common_rules(EMISSIONS_UNITS, r"^\d{4}$"),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, description="emissions are not negative"),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="entity", value_set=sorted(SECTORS),
            row_condition='measure == "co2_sector_kt"', condition_parser="pandas",
            description="sector rows name one of the 14 Emissieregistratie sectors"),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="entity", value_set=[""], row_condition='measure == "co2_total_kt"',
            condition_parser="pandas", description="municipal totals have no entity"),
    ]
