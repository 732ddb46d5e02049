"""Emissions: parse Klimaatmonitor OData pages, Emissieregistratie XLSX exports and EU ETS
verified-emissions files (XLSX workbook or long gzip CSV) into the long statistical shape of `clean_emissions`, plus the business
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

import gzip
import io
import json
import logging
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import unquote

import polars as pl
from python_calamine import CalamineWorkbook

from core.errors import ContractError, first_bytes
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
# kton, 2010-2024 (a public copy of the `/Variables` catalogue; see docs/evidence/luchtmeetnet_klimaatmonitor.md K13);
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


def parse_klimaatmonitor(payloads: Sequence[Payload],
                         variables: Mapping[str, tuple] = KLIMAATMONITOR_VARIABLES,
                         units: Mapping[str, str] = EMISSIONS_UNITS) -> pl.DataFrame:
    """Yearly values per municipality (and NL01) from Klimaatmonitor `Values` pages.

    The ODS format (envelope, fields, ExternalCode -> CBS code) is read by
    `transforms.odata_ods`; here the variable becomes a measure through `variables` (variable
    id -> (measure, factor); the CO2 ones by default, a family passes its own with their
    `units`). A Description mentioning "voorlopig" marks a provisional value.
    """
    catalogue_pages = [p for p in payloads if odata_ods.is_catalogue(p)]
    catalogue = odata_ods.catalogue(catalogue_pages) if catalogue_pages else None
    frames = [_klimaatmonitor_page(p, catalogue, variables, units) for p in payloads
              if not odata_ods.is_catalogue(p)]
    return merge_payload_frames(frames, STAT_SHAPE)


def _klimaatmonitor_page(payload: Payload, catalogue: dict[str, str] | None,
                         variables: Mapping[str, tuple],
                         units: Mapping[str, str]) -> pl.DataFrame:
    page = odata_ods.values_page(payload)
    variable = odata_ods.variable_of(payload)
    if catalogue is not None and variable not in catalogue:
        raise ContractError(payload.source, f"Values of variable '{variable}', which the "
                            "catalogue fetched with them does not list", url=payload.url)
    if variable not in variables:
        raise ContractError(payload.source, f"Values of variable '{variable}', which this "
                            f"feed does not read (known: {sorted(variables)})",
                            url=payload.url)
    if page.is_empty():
        return STAT_SHAPE.empty()
    # (measure, factor) or (measure, factor, entity): one variable per part of a measure
    measure, factor, *part = variables[variable]
    valued = parse_numbers(payload, page, "value_text", KLIMAATMONITOR_MARKERS)
    rows = valued.select(
        "region_code", entity=pl.lit(part[0] if part else ""), measure=pl.lit(measure),
        year="year",
        value=pl.col("value") * factor,
        is_provisional=pl.col("description").str.to_lowercase().str.contains("voorlopig"),
        missing_reason=pl.col("missing_reason"),
    )
    return stat_frame(STAT_SHAPE, rows, source=payload.source, units=units,
                      source_table=f"Variables('{variable}')")


# -- XLSX workbooks (python-calamine) --------------------------------------------------------

def workbook(payload: Payload) -> CalamineWorkbook:
    """The payload as a workbook; a body that is no workbook breaks the contract."""
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(payload.body))
    except Exception as exc:  # calamine raises its own error types per format problem
        raise ContractError(payload.source, f"unreadable XLSX workbook: {exc}",
                            url=payload.url) from None


def sheet_rows(payload: Payload, book: CalamineWorkbook, name: str) -> list[list]:
    try:
        return book.get_sheet_by_name(name).to_python()
    except Exception as exc:
        raise ContractError(payload.source, f"unreadable sheet {name!r}: {exc}",
                            url=payload.url) from None


def find_header(rows: list[list], wanted: Sequence[str], max_rows: int = 200) -> tuple[int, int]:
    """(row, first column) of the header: the first row holding every `wanted` name, from its
    first non-empty cell. (-1, -1) when no such row is near the top."""
    for number, row in enumerate(rows[:max_rows]):
        cells = [cell_text(c) for c in row]
        if all(w in cells for w in wanted):
            return number, next(i for i, c in enumerate(cells) if c)
    return -1, -1


def cell_text(cell: object) -> str:
    """A cell as text: numbers without locale ('5800000', '12.5'), empty as ''."""
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, str):
        return cell.strip()
    return "" if cell is None else str(cell)


def sheet_frame(rows: list[list], header_row: int, first_column: int,
                keep: Callable[[str], bool], typed: Sequence[str] = ()) -> pl.DataFrame:
    """The rows under a header as text columns (only the header names `keep` accepts). Each
    column in `typed` also gets `<name>__text`: whether the cell was text, not a number."""
    header = [cell_text(c) for c in rows[header_row][first_column:]]
    body = [row[first_column:] for row in rows[header_row + 1:]]
    columns: dict[str, pl.Series] = {}
    for index, name in enumerate(header):
        if not name or name in columns or not keep(name):
            continue
        cells = [row[index] if index < len(row) else "" for row in body]
        columns[name] = pl.Series(name, [cell_text(c) for c in cells], dtype=pl.String)
        if name in typed:
            columns[f"{name}__text"] = pl.Series(
                f"{name}__text", [isinstance(c, str) and c.strip() != "" for c in cells],
                dtype=pl.Boolean)
    return pl.DataFrame(list(columns.values()))


# -- Emissieregistratie data export (XLSX, sheet "Emissies") ---------------------------------

ER_SHEET = "Emissies"
EMISSIEREGISTRATIE_REQUIRED = ("Stof", "Gebiedsindeling", "Code_gebied", "Sector", "Emissie",
                               "Eenheid", "Jaar")
# Seen in real exports (Ribasim-NL script, an R script merging ER lists); all optional here.
EMISSIEREGISTRATIE_OPTIONAL = (
    "Stofcode", "Compartimentcode", "Compartiment", "Gebied", "Brontype", "Subsector",
    "Emissieoorzaak", "Emissieoorzaak_code", "Nic", "Bedrijf", "Sbi_code", "Sbi_naam", "Straat",
    "Huisnummer", "Toevoeging", "Postcode", "Woonplaats", "Xcoord", "Ycoord", "Herkomst",
    "Herkomst_code", "Dataset", "Status")
# The substance's name in the export; "Kortcyclisch CO2" and the like are deliberately not CO2.
CO2_NAMES = ("co2", "kooldioxide", "koolstofdioxide", "kooldioxide (co2)",
             "koolstofdioxide (co2)", "carbon dioxide")
# Export units -> factor to kilotonnes. Any other unit breaks the contract.
MASS_TO_KT = {"g": 1e-9, "gram": 1e-9, "kg": 1e-6, "kilogram": 1e-6, "ton": 1e-3, "t": 1e-3,
              "kton": 1.0, "kt": 1.0, "mln kg": 1.0, "mln. kg": 1.0, "mkg": 1.0, "mton": 1000.0,
              "mt": 1000.0, "mln ton": 1000.0}
EMISSIEREGISTRATIE_MARKERS = {"": "empty in the Emissieregistratie export",
                              "-": "not estimated by the Emissieregistratie"}
# Area divisions kept: municipalities, and the country as NL01. Others (Provincie, squares,
# GAF areas) are left out, with a warning.
ER_MUNICIPAL, ER_NATIONAL = "gemeente", "nederland"
# A municipality code in any spelling seen or plausible: GM0453, 453, 0453, 453.0, gemeente_453.
_MUNICIPALITY_CODE = r"^(?:GM|GEMEENTE_)?0*(\d{1,4})$"
# A value written as Dutch text: 1234,5 or 1.234,5 (thousands dots only with a decimal comma).
_DUTCH_NUMBER = r"^-?(?:\d+|\d{1,3}(?:\.\d{3})+)(?:,\d+)?$"
_EXPORT_STAMP = re.compile(r"ER_DataExport-(\d{4})-\d{2}-\d{2}-\d{6}")


def parse_emissieregistratie(payloads: Sequence[Payload]) -> pl.DataFrame:
    """CO2 per municipality (and NL01), sector and year from Emissieregistratie exports
    (measure co2_sector_kt, entity = sector slug), summed over finer rows (subsector, cause).

    Units are read per row from `Eenheid`; a value that comes as text may use a decimal comma.
    The newest year of an export is provisional when it is at most two years before the export
    (final figures for year t come about two years later; the export date is in the file name).
    """
    return merge_payload_frames([_emissieregistratie_export(p) for p in payloads], STAT_SHAPE)


def sector_slug(name: pl.Expr) -> pl.Expr:
    """'Handel, Diensten en Overheid (HDO)' -> 'handel_diensten_en_overheid'."""
    return (name.str.strip_chars().str.to_lowercase()
            .str.replace_all(r"\s*\([^)]*\)", "")
            .str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_"))


def _emissieregistratie_export(payload: Payload) -> pl.DataFrame:
    table = _er_table(payload)
    co2 = _er_co2_rows(payload, table)
    valued = parse_numbers(payload, _er_dutch_text(payload, co2), "Emissie",
                           EMISSIEREGISTRATIE_MARKERS)
    rows = (valued.with_columns(region_code=_er_region(payload, valued),
                                entity=sector_slug(pl.col("Sector")),
                                year=pl.col("Jaar").cast(pl.Int32),
                                kt=pl.col("value") * _unit_factor(payload, valued["Eenheid"]))
            .group_by("region_code", "entity", "year")
            .agg(value=pl.when(pl.col("kt").is_not_null().any()).then(pl.col("kt").sum()),
                 missing_reason=pl.col("missing_reason").drop_nulls().first()))
    rows = rows.with_columns(measure=pl.lit("co2_sector_kt"),
                             is_provisional=_er_provisional(payload, rows),
                             missing_reason=pl.when(pl.col("value").is_null())
                             .then(pl.col("missing_reason")))
    _warn_unknown_sectors(payload, rows)
    return stat_frame(STAT_SHAPE, rows, source=payload.source, units=EMISSIONS_UNITS,
                      source_table=f"Emissieregistratie {_file_of(payload)}, sheet {ER_SHEET}")


def _file_of(payload: Payload) -> str:
    return unquote(payload.url).rsplit("/", 1)[-1].split("?filename=")[-1]


def _er_table(payload: Payload) -> pl.DataFrame:
    book = workbook(payload)
    if ER_SHEET not in book.sheet_names:
        raise ContractError(payload.source, f"no sheet {ER_SHEET!r} in the export; sheets: "
                            f"{book.sheet_names}", url=payload.url)
    rows = sheet_rows(payload, book, ER_SHEET)
    header, first = find_header(rows, ("Jaar", "Emissie"))
    if header < 0:
        raise ContractError(payload.source, f"sheet {ER_SHEET!r} has no header row with Jaar "
                            "and Emissie", url=payload.url)
    table = sheet_frame(rows, header, first, keep=lambda name: True, typed=("Emissie",))
    columns = [c for c in table.columns if not c.endswith("__text")]
    check_fields(payload, dict.fromkeys(columns), EMISSIEREGISTRATIE_REQUIRED,
                 f"sheet {ER_SHEET!r} columns", optional=EMISSIEREGISTRATIE_OPTIONAL)
    return table


def _er_co2_rows(payload: Payload, table: pl.DataFrame) -> pl.DataFrame:
    co2 = table.filter(pl.col("Stof").str.to_lowercase().is_in(CO2_NAMES))
    if "Compartiment" in co2.columns:  # CO2 is emitted to air; keep the air rows only
        co2 = co2.filter(pl.col("Compartiment").str.to_lowercase().is_in(["lucht", "air", ""]))
    if co2.is_empty():
        raise ContractError(payload.source, "the export holds no CO2 to air; substances: "
                            f"{sorted(table['Stof'].unique().to_list())[:10]}", url=payload.url,
                            hint="Export the substance CO2 (kooldioxide) again.")
    require_years(payload, co2, "Jaar")
    division = co2["Gebiedsindeling"].str.to_lowercase()
    other = sorted(set(co2.filter(~division.is_in([ER_MUNICIPAL, ER_NATIONAL]))["Gebiedsindeling"]))
    if other:
        warnings.warn(SchemaDriftWarning(f"[{payload.source}] area division(s) {other} left out: "
                                         "only Gemeente and Nederland are read"), stacklevel=4)
    return co2.filter(division.is_in([ER_MUNICIPAL, ER_NATIONAL]))


def _er_dutch_text(payload: Payload, frame: pl.DataFrame) -> pl.DataFrame:
    """Values that came as text: a decimal comma (and thousands dots) becomes a decimal point;
    text with a dot but no comma is ambiguous (1.234: 1234 or 1.234?) and breaks the contract."""
    text = pl.col("Emissie__text") & ~pl.col("Emissie").is_in(list(EMISSIEREGISTRATIE_MARKERS))
    ambiguous = frame.filter(text & ~pl.col("Emissie").str.contains(_DUTCH_NUMBER))
    if ambiguous.height:
        raise ContractError(payload.source, "unreadable Emissie text value(s) "
                            f"{ambiguous['Emissie'].head(5).to_list()}", url=payload.url)
    dutch = pl.col("Emissie").str.replace_all(".", "", literal=True).str.replace(",", ".",
                                                                                literal=True)
    return frame.with_columns(Emissie=pl.when(text).then(dutch).otherwise(pl.col("Emissie")))


def _er_region(payload: Payload, frame: pl.DataFrame) -> pl.Expr:
    """GM + four digits for a municipality (any spelling of its number), NL01 for the country."""
    number = pl.col("Code_gebied").str.to_uppercase().str.replace(r"\.0+$", "") \
        .str.extract(_MUNICIPALITY_CODE)
    municipal = pl.col("Gebiedsindeling").str.to_lowercase() == ER_MUNICIPAL
    bad = frame.filter(municipal & number.is_null())["Code_gebied"].unique().head(5).to_list()
    if bad:
        raise ContractError(payload.source, f"unreadable municipality Code_gebied {bad}",
                            url=payload.url)
    return pl.when(municipal).then(pl.lit("GM") + number.str.zfill(4)).otherwise(pl.lit(NATIONAL))


def require_years(payload: Payload, frame: pl.DataFrame, column: str) -> None:
    """A text column holds four-digit years only (a retyped column breaks the contract)."""
    bad = frame.filter(~pl.col(column).fill_null("").str.strip_chars().str.contains(r"^\d{4}$"))
    if bad.height:
        raise ContractError(payload.source, f"column {column} is not a year: "
                            f"{bad[column].head(3).to_list()}", url=payload.url)


def _unit_factor(payload: Payload, units: pl.Series) -> pl.Expr:
    """Factor to kt per row; an unknown mass unit breaks the contract."""
    clean = units.str.strip_chars().str.to_lowercase()
    unknown = sorted(set(clean.to_list()) - set(MASS_TO_KT))
    if unknown:
        raise ContractError(payload.source, f"unknown Eenheid {unknown}; known "
                            f"{sorted(MASS_TO_KT)}", url=payload.url)
    return (pl.col("Eenheid").str.strip_chars().str.to_lowercase()
            .replace_strict(MASS_TO_KT, return_dtype=pl.Float64))


def _er_provisional(payload: Payload, rows: pl.DataFrame) -> pl.Expr:
    stamp = _EXPORT_STAMP.search(unquote(payload.url))
    exported = int(stamp.group(1)) if stamp else payload.fetched_at.year
    newest = rows["year"].max()
    return pl.lit(newest is not None and newest >= exported - 2) & (pl.col("year") == newest)


def _warn_unknown_sectors(payload: Payload, rows: pl.DataFrame) -> None:
    unknown = sorted(set(rows["entity"].unique().to_list()) - set(SECTORS))
    if unknown:
        warnings.warn(SchemaDriftWarning(f"[{payload.source}] unknown sector(s) {unknown}; "
                                         "validation will refuse them until SECTORS lists them"),
                      stacklevel=3)


# -- EU ETS verified emissions (Union Registry workbook or long daily CSV) -------------------

ETS_MARKER = "REGISTRY_CODE"  # the header row is the row holding this cell, at any depth
ETS_ID_COLUMNS = ("REGISTRY_CODE", "INSTALLATION_IDENTIFIER")
ETS_YEAR_COLUMN = re.compile(r"^VERIFIED_EMISSIONS_(\d{4})$")
ETS_LONG_REQUIRED = (*ETS_ID_COLUMNS, "PERIOD_YEAR", "VERIFIED_EMISSIONS")
ETS_NAMES_REQUIRED = (*ETS_ID_COLUMNS, "INSTALLATION_NAME")
ETS_MARKERS = {"": "no verified emissions reported", "excluded": "installation excluded",
               "not reported": "no verified emissions reported",
               "-1": "no verified emissions reported (-1 in the registry file)"}
ETS2_ACTIVITY = "60"  # ETS2 national aggregate accounts, mixed in from the 2024 files on
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EtsInstallation:
    """An installation followed: reported as `entity` in `region_code`. Pinned by its registry
    and installation identifier(s); `name_pattern` (case-insensitive regex) is a fallback used
    only while no identifier is configured, and then only when it matches exactly one."""

    entity: str
    region_code: str
    registry: str
    installation_ids: tuple[str, ...] = ()
    name_pattern: str | None = None


def parse_eu_ets(payloads: Sequence[Payload],
                 installations: Sequence[EtsInstallation]) -> pl.DataFrame:
    """Verified emissions of the followed installations per year, t CO2e -> kt.

    Reads the annual workbook (the sheet holding a REGISTRY_CODE header cell: `data`, else
    `verified_emissions*`, else any; the header may sit at any depth) or the long daily CSV
    (gzip; -1 = no data; the zero grid after the newest reported year is dropped), with an
    operators file for names. Rows are keyed by (REGISTRY_CODE, INSTALLATION_IDENTIFIER).
    """
    long_frames, names = [], []
    for payload in payloads:
        kind, frame = _ets_payload(payload)
        (names if kind == "names" else long_frames).append((payload, frame))
    known = pl.concat([f for _, f in names]) if names else None
    frames = [_ets_rows(p, frame, known, i) for p, frame in long_frames for i in installations]
    return merge_payload_frames(frames, STAT_SHAPE)


def _ets_payload(payload: Payload) -> tuple[str, pl.DataFrame]:
    """('emissions' | 'names', frame) of one file, recognised by its content."""
    if payload.body.startswith(b"PK\x03\x04"):
        return "emissions", _ets_workbook(payload)
    if not payload.body.startswith(b"\x1f\x8b"):
        raise ContractError(payload.source, "expected an XLSX workbook or a gzip CSV, got "
                            f"{first_bytes(payload.body)}", url=payload.url)
    table = _ets_csv(payload)
    if "PERIOD_YEAR" in table.columns:
        check_fields(payload, table.schema, ETS_LONG_REQUIRED, "yearly CSV columns",
                     warn_extra=False)
        return "emissions", _ets_long(table)
    check_fields(payload, table.schema, ETS_NAMES_REQUIRED, "operators CSV columns",
                 warn_extra=False)
    return "names", _ets_keys(table).select("registry", "installation_id",
                                            name=pl.col("INSTALLATION_NAME"))


def _ets_keys(table: pl.DataFrame) -> pl.DataFrame:
    return table.with_columns(
        registry=pl.col("REGISTRY_CODE").str.strip_chars().str.to_uppercase(),
        installation_id=pl.col("INSTALLATION_IDENTIFIER").str.strip_chars()
        .str.replace(r"\.0+$", ""))


def _ets_workbook(payload: Payload) -> pl.DataFrame:
    book = workbook(payload)
    ordered = sorted(book.sheet_names, key=lambda s: (s.lower() != "data",
                                                      not s.lower().startswith("verified_emissions")))
    for sheet in ordered:
        rows = sheet_rows(payload, book, sheet)
        header, first = find_header(rows, (ETS_MARKER, "INSTALLATION_IDENTIFIER"))
        if header >= 0:
            return _ets_wide(payload, rows, header, first)
    raise ContractError(payload.source, f"no sheet with a {ETS_MARKER} header row; sheets: "
                        f"{book.sheet_names}", url=payload.url)


def _ets_wide(payload: Payload, rows: list[list], header: int, first: int) -> pl.DataFrame:
    keep = {*ETS_NAMES_REQUIRED, "MAIN_ACTIVITY_TYPE_CODE"}
    table = sheet_frame(rows, header, first, lambda n: n in keep or bool(ETS_YEAR_COLUMN.match(n)))
    check_fields(payload, table.schema, ETS_NAMES_REQUIRED, "verified-emissions columns",
                 warn_extra=False)
    years = [c for c in table.columns if ETS_YEAR_COLUMN.match(c)]
    if not years:
        raise ContractError(payload.source, "no VERIFIED_EMISSIONS_YYYY column", url=payload.url)
    activity = "MAIN_ACTIVITY_TYPE_CODE" if "MAIN_ACTIVITY_TYPE_CODE" in table.columns else None
    long = _ets_keys(table).unpivot(
        index=["registry", "installation_id", "INSTALLATION_NAME", *([activity] if activity else [])],
        on=years, variable_name="column", value_name="verified_t")
    return long.select("registry", "installation_id", name=pl.col("INSTALLATION_NAME"),
                       activity=pl.col(activity) if activity else pl.lit(None, pl.String),
                       year=pl.col("column").str.extract(r"(\d{4})$").cast(pl.Int32),
                       verified_t=pl.col("verified_t").str.to_lowercase(),
                       excluded=pl.lit(False))


def _ets_csv(payload: Payload) -> pl.DataFrame:
    try:
        text = gzip.decompress(payload.body).decode("utf-8-sig", errors="replace")
    except (OSError, EOFError) as exc:
        raise ContractError(payload.source, f"unreadable gzip file: {exc}",
                            url=payload.url) from None
    gunzipped = replace(payload, body=text.replace("\x00", "").encode())
    return read_text_csv(gunzipped, ",")


def _ets_long(table: pl.DataFrame) -> pl.DataFrame:
    """The long yearly file, without the zero grid written after the newest reported year."""
    long = _ets_keys(table).select(
        "registry", "installation_id", name=pl.lit(None, pl.String),
        activity=pl.lit(None, pl.String),
        year=pl.col("PERIOD_YEAR").str.strip_chars().cast(pl.Int32, strict=False),
        verified_t=pl.col("VERIFIED_EMISSIONS").str.strip_chars().str.to_lowercase(),
        excluded=pl.col("EXCLUDED").str.strip_chars().str.to_uppercase() == "YES"
        if "EXCLUDED" in table.columns else pl.lit(False))
    reported = long.filter(pl.col("verified_t").cast(pl.Float64, strict=False) > 0)["year"].max()
    return long.filter(pl.col("year") <= (reported if reported is not None else 0))


def _ets_rows(payload: Payload, long: pl.DataFrame, names: pl.DataFrame | None,
              wanted: EtsInstallation) -> pl.DataFrame:
    ids, how = _ets_resolve(payload, long, names, wanted)
    mine = long.filter((pl.col("registry") == wanted.registry)
                       & pl.col("installation_id").is_in(ids))
    mine = mine.with_columns(verified_t=pl.when(pl.col("excluded")).then(pl.lit("excluded"))
                             .otherwise(pl.col("verified_t").fill_null("")))
    valued = parse_numbers(payload, mine, "verified_t", ETS_MARKERS)
    rows = (valued.group_by("year")
            .agg(value=pl.when(pl.col("value").is_not_null().any())
                 .then(pl.col("value").sum() / 1000),
                 missing_reason=pl.col("missing_reason").drop_nulls().first()))
    rows = rows.with_columns(region_code=pl.lit(wanted.region_code), entity=pl.lit(wanted.entity),
                             measure=pl.lit("ets_verified_emissions_kt"), is_provisional=False,
                             missing_reason=pl.when(pl.col("value").is_null())
                             .then(pl.col("missing_reason")))
    return stat_frame(STAT_SHAPE, rows, source=payload.source, units=EMISSIONS_UNITS,
                      source_table=f"EU ETS {_file_of(payload)}; {how}")


def _ets_resolve(payload: Payload, long: pl.DataFrame, names: pl.DataFrame | None,
                 wanted: EtsInstallation) -> tuple[list[str], str]:
    """The installation ids to read, and how they were chosen (recorded in source_table)."""
    present = set(long.filter(pl.col("registry") == wanted.registry)["installation_id"])
    if wanted.installation_ids:
        missing = sorted(set(wanted.installation_ids) - present)
        if missing:
            raise ContractError(payload.source, f"configured installation(s) {wanted.registry} "
                                f"{missing} of {wanted.entity} are not in the file",
                                url=payload.url, hint="Check the identifiers in "
                                "families/emissions/installations.yaml against the registry.")
        ids = sorted(wanted.installation_ids)
        return ids, f"installation {wanted.registry} {', '.join(ids)} (configured)"
    return _ets_by_name(payload, long, names, wanted)


def _ets_by_name(payload: Payload, long: pl.DataFrame, names: pl.DataFrame | None,
                 wanted: EtsInstallation) -> tuple[list[str], str]:
    """The explicit fallback: exactly one installation of the registry whose name matches."""
    hint = (f"Set installation_ids of {wanted.entity} in families/emissions/installations.yaml "
            "to the identifier(s) checked in the Union Registry.")
    if not wanted.name_pattern:
        raise ContractError(payload.source, f"no installation id configured for "
                            f"{wanted.entity}", url=payload.url, hint=hint)
    source = long if names is None else names
    candidates = (source.filter((pl.col("registry") == wanted.registry)
                                & pl.col("name").fill_null("").str.strip_chars()
                                .str.contains(f"(?i){wanted.name_pattern}"))
                  .filter(pl.col("activity").fill_null("") != ETS2_ACTIVITY
                          if "activity" in source.columns else pl.lit(True))
                  .select("installation_id", "name").unique().sort("installation_id"))
    if candidates["installation_id"].n_unique() != 1:
        found = candidates.rows()[:10]
        raise ContractError(payload.source, f"the name fallback for {wanted.entity} "
                            f"({wanted.registry}, /{wanted.name_pattern}/i) matched "
                            f"{candidates['installation_id'].n_unique()} installations {found}, "
                            "not exactly one", url=payload.url, hint=hint)
    installation = candidates["installation_id"][0]
    _log.warning("[%s] %s: no installation id configured; resolved by name /%s/i to %s %s "
                 "(%s). Unverified: pin it in families/emissions/installations.yaml.",
                 payload.source, wanted.entity, wanted.name_pattern, wanted.registry,
                 installation, candidates["name"][0])
    return [installation], (f"installation {wanted.registry} {installation} resolved by name "
                            f"/{wanted.name_pattern}/i (id not configured)")


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
