"""Deterministic snapshot files for the emissions and offshore-wind sources, in the exact
upstream formats, at the paths `SnapshotTransport` looks them up.

Two writers:
- `write_recordings(root)` writes the small, committed snapshot: Klimaatmonitor OData pages
  (gzipped; a catalogue extract of `/Variables`; `Values` pages, two for the municipalities
  chained by `@odata.nextLink`, one for the country at level `nederland`), the EU ETS download listing and verified-emissions workbook (XLSX, header at row
  21 as in the 2022-2024 files), and the Emissieregistratie data export (XLSX, sheet
  `Emissies`) as a dropped file under `sources/snapshot/files/`. Run once, with the dev
  dependencies (XlsxWriter): `python -m sources.generators.emissions_wind`.
- `write_entsoe_years(root)` writes ENTSO-E A75 documents for 2015-2026 (one request window
  per Dutch year: PT60M points 2015-2023, PT15M points from 2024, one Period per local day;
  2026 is partial, as recorded on SNAPSHOT_AS_OF). The files are large, so they are generated
  on first use through `GENERATORS` and never committed. Their values are all synthesized.

What is published and what is synthesized is listed per file in the manifest fragments
(`sources/snapshot/manifest/{klimaatmonitor,emissieregistratie,eu_ets,entsoe}.json`). In short:
Tata Steel's ETS figures for 2020-2023 (NEa, cited in the manifest) are published figures;
everything else is synthesized.
All randomness comes from numpy generators seeded per series, so every run writes the same bytes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from sources import emissieregistratie, entsoe, eu_ets, klimaatmonitor
from sources.registry import SNAPSHOT_FILES_DIR, SOURCES
from sources.snapshot import DEMO_MUNICIPALITIES, RECORDED_DIR, Generator, write_recording
from transforms.emissions import KLIMAATMONITOR_VARIABLES, NATIONAL, SECTORS
from transforms.green_zone import BUSINESS_GAS_VARIABLES

SEED = 20240501
YEARS = tuple(range(2010, 2024))
PROVISIONAL_YEAR = 2023

# -- emissions: synthesized totals (kt CO2) --------------------------------------------------

# The demo snapshot's municipalities (and the country), as the generators write them.
MONITORED_REGIONS = tuple(DEMO_MUNICIPALITIES)
MONITORED_MUNICIPALITIES = tuple(c for c in MONITORED_REGIONS if c != NATIONAL)
NAMES = DEMO_MUNICIPALITIES
# Synthesized 2010 levels (kt CO2) of everything but the steelworks.
LEVEL_2010_KT = {"GM0453": 650, "GM0375": 270, "GM0396": 180, "GM0200": 950, "GM0150": 650,
                 "GM0301": 220, "GM0232": 200, "GM0285": 175, "GM0262": 210, "GM0213": 125,
                 "GM0246": 115, "GM0518": 2500, "GM0383": 190, "GM0450": 75,
                 NATIONAL: 168_000}
RURAL = {"GM0232", "GM0285", "GM0262", "GM0213", "GM0246"}

# The steelworks' part of the synthesized Klimaatmonitor totals of Velsen and NL (kt CO2).
# The EU ETS snapshot uses TATA_ETS_KT below (published figures 2020-2023, cited).
TATA_PUBLISHED_KT = {2017: 6800, 2021: 6000, 2022: 5800, 2023: 4500}
TATA_SYNTHESIZED_KT = {2010: 6700, 2011: 6900, 2012: 6600, 2013: 6650, 2014: 6750, 2015: 6700,
                       2016: 6850, 2018: 6750, 2019: 6650, 2020: 6300}
TATA_KT = {**TATA_SYNTHESIZED_KT, **TATA_PUBLISHED_KT}

# Klimaatmonitor "no value" markers placed in the snapshot: (code, year) -> marker.
KLIMAATMONITOR_GAPS = {("GM0246", 2023): "?", ("GM0213", 2023): "?", ("GM0232", 2011): ""}
KLIMAATMONITOR_PAGE_SIZE = 100


def other_emissions_kt(code: str, year: int) -> float:
    """Synthesized CO2 (kt) of a region apart from the steelworks: -1.8% a year, a 2020 dip,
    and a little seeded noise."""
    rng = np.random.default_rng([SEED, int(code[2:]) if code[2:].isdigit() else 1, year])
    trend = (1 - 0.018) ** (year - 2010) * (0.93 if year == 2020 else 1.0)
    return LEVEL_2010_KT[code] * trend * (1 + rng.normal(0, 0.015))


def co2_total_kt(code: str, year: int) -> float:
    """Synthesized total CO2 (kt); Velsen and NL include the steelworks' ETS series."""
    steel = TATA_KT[year] if code in ("GM0453", NATIONAL) else 0.0
    return round(other_emissions_kt(code, year) + steel, 1)


# -- Klimaatmonitor OData pages --------------------------------------------------------------

KLIMAATMONITOR_BASE = SOURCES["klimaatmonitor"].base_url
# The country's one item at GeoLevel 'nederland': its ExternalCode is not documented anywhere we
# could read; this follows the '<level>_<code>' pattern of the others and is UNVERIFIED (the
# parser maps any code at that level to NL01).
KLIMAATMONITOR_NATIONAL_CODE = "nederland_1"
# Catalogue extract: ids and names as listed in a public copy of the `/Variables` catalogue
# (docs/evidence/luchtmeetnet_klimaatmonitor.md K13); the real catalogue holds about 1,574 variables.
KLIMAATMONITOR_CATALOGUE = {
    "kern111a_co2_tot": "Totale CO₂-uitstoot (aardgas, elektr., stadswarmte, brandstoffen)",
    "co2_totaal_inw": "Totale CO₂-uitstoot per inwoner",
    "co2_totaal_combi_kton": "Totaal bekende CO₂-uitstoot (aardgas, elektr., stadswarmte, "
                             "voertuigbrandstoffen)",
    "co2go_inw": "CO₂-uitstoot gebouwde omgeving per inwoner",
    "co2verv_inw": "CO₂-uitstoot verkeer en vervoer per inwoner",
    "co2ind_inw": "CO₂-uitstoot industrie per inwoner",
    "perc_he_combi": "Aandeel hernieuwbare energie t.o.v. totaal verbruik",
    "perc_he_el_combi": "Aandeel hernieuwbare elektriciteit",
    "hern_tot_inw": "Totaal bekende hernieuwbare energie per inwoner",
    "co2landb_inw": "CO₂-uitstoot landbouw, bosbouw en visserij per inwoner",
    # The energy family's variables: the gas one as listed in the same public copy; the names
    # of the other two are not in it and are written here as descriptions (see the manifest).
    "kern331b_gas_wont": "Gemiddeld aardgasverbruik alle woningen (weergecorrigeerd)",
    "energie_totaal_combi": "Totaal bekend energieverbruik",
    "hern_tot": "Totaal bekende hernieuwbare energie",
    # Business gas per SBI section: ids from a public client that checked them against the
    # live service (docs/evidence/green_zone_more.md G1); names written here as descriptions.
    **{variable: f"Aardgaslevering aan bedrijven, SBI {section}"
       for variable, section in BUSINESS_GAS_VARIABLES.items()},
}


def klimaatmonitor_code(code: str) -> str:
    """The ODS ExternalCode of a region: `gemeente_453` for GM0453 (no zero padding)."""
    return KLIMAATMONITOR_NATIONAL_CODE if code == NATIONAL else f"gemeente_{int(code[2:])}"


def co2_value_string(code: str, year: int) -> str:
    marker = KLIMAATMONITOR_GAPS.get((code, year))
    return marker if marker is not None else f"{co2_total_kt(code, year):.1f}"


def klimaatmonitor_record(code: str, year: int, geo_level: str,
                          value: Callable[[str, int], str] = co2_value_string,
                          provisional_year: int = PROVISIONAL_YEAR) -> dict[str, str]:
    return {"ExternalCode": klimaatmonitor_code(code), "GeoLevel": geo_level,
            "PeriodLevel": "year", "Period": str(year), "ValueString": value(code, year),
            "Description": "Voorlopige cijfers" if year == provisional_year else ""}


def klimaatmonitor_pages(variable: str, geo_level: str, years: tuple[int, ...] = YEARS,
                         **record: Callable | int) -> Iterator[tuple[str, bytes]]:
    """(url, body) of each Values page, as the service sends them (OData v4 JSON); `record`
    passes another value writer (and provisional year) to `klimaatmonitor_record`."""
    codes = MONITORED_MUNICIPALITIES if geo_level == "gemeente" else (NATIONAL,)
    records = [klimaatmonitor_record(c, y, geo_level, **record) for y in years for c in codes]
    first = f"{KLIMAATMONITOR_BASE}/{klimaatmonitor.values_path(variable, geo_level)}"
    context = f"{KLIMAATMONITOR_BASE}/$metadata#Values"
    for skip in range(0, len(records), KLIMAATMONITOR_PAGE_SIZE):
        url = first if skip == 0 else f"{first}?$skip={skip}"
        following = skip + KLIMAATMONITOR_PAGE_SIZE
        doc: dict = {"@odata.context": context,
                     "value": records[skip:following]}
        if following < len(records):
            doc["@odata.nextLink"] = f"{first}?$skip={following}"
        yield url, json.dumps(doc, ensure_ascii=False, indent=1).encode()


def klimaatmonitor_catalogue_page() -> tuple[str, bytes]:
    """(url, body) of the catalogue request the client sends (`$select=ExternalCode,Name`)."""
    url = (f"{KLIMAATMONITOR_BASE}/{klimaatmonitor.CATALOGUE_PATH}?"
           f"{urlencode(klimaatmonitor.CATALOGUE_QUERY)}")
    doc = {"@odata.context": f"{KLIMAATMONITOR_BASE}/$metadata#Variables(ExternalCode,Name)",
           "value": [{"ExternalCode": k, "Name": v} for k, v in KLIMAATMONITOR_CATALOGUE.items()]}
    return url, json.dumps(doc, ensure_ascii=False, indent=1).encode()


# -- XLSX writing (generator and test side only) ---------------------------------------------

def xlsx_bytes(sheets: list[tuple[str, list[list]]]) -> bytes:
    """A workbook with the given sheets (name, rows from A1), byte-reproducible.

    Written with XlsxWriter, a dev dependency: only the committed snapshot files and the tests
    need it, never a build. Numbers are number cells, strings text cells, None empty.
    """
    import xlsxwriter  # dev dependency, imported only when writing

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"created": datetime(2025, 1, 1)})  # fixed: same bytes every run
    for name, rows in sheets:
        sheet = book.add_worksheet(name)
        for number, row in enumerate(rows):
            for column, cell in enumerate(row):
                if cell is not None:
                    sheet.write(number, column, cell)
    book.close()
    return buffer.getvalue()


# -- Emissieregistratie data export (XLSX, a file source) ------------------------------------

SECTOR_SHARES = {
    "velsen": {"overige_industrie": 62, "energiesector": 28, "verkeer_en_vervoer": 4,
               "consumenten": 2.5, "handel_diensten_en_overheid": 2, "bouw": 0.5,
               "afvalverwijdering": 0.2, "landbouw": 0.1, "chemische_industrie": 0.5,
               "riolering_en_waterzuiveringsinstallaties": 0.1, "overig": 0.1},
    "urban": {"verkeer_en_vervoer": 33, "consumenten": 32, "handel_diensten_en_overheid": 20,
              "overige_industrie": 8, "energiesector": 3, "bouw": 2, "landbouw": 1,
              "chemische_industrie": 1, "afvalverwijdering": 0.5,
              "riolering_en_waterzuiveringsinstallaties": 0.2, "drinkwatervoorziening": 0.1,
              "overig": 0.2},
    "rural": {"verkeer_en_vervoer": 38, "consumenten": 27, "landbouw": 15,
              "handel_diensten_en_overheid": 10, "overige_industrie": 6, "bouw": 2,
              "energiesector": 1, "riolering_en_waterzuiveringsinstallaties": 0.3,
              "drinkwatervoorziening": 0.2, "overig": 0.5},
    "national": {"energiesector": 30, "verkeer_en_vervoer": 20, "overige_industrie": 12,
                 "chemische_industrie": 12, "consumenten": 10, "raffinaderijen": 7,
                 "handel_diensten_en_overheid": 5, "landbouw": 4, "bouw": 1,
                 "afvalverwijdering": 1, "natuur": 0.3, "overig": 0.5,
                 "riolering_en_waterzuiveringsinstallaties": 0.1, "drinkwatervoorziening": 0.1},
}
# The export's file name carries its date: made before the 2025 release, its newest year
# (2023) is the provisional one.
ER_EXPORT_NAME = "ER_DataExport-2025-05-12-093000.xlsx"
# Columns of a real export (Deltares Ribasim-NL script; an R script merging ER lists), in a
# plausible order; the full export has more (Stofcode, Brontype, Emissieoorzaak, Herkomst...).
ER_COLUMNS = ["Stof", "Compartiment", "Gebiedsindeling", "Code_gebied", "Gebied", "Sector",
              "Subsector", "Emissie", "Eenheid", "Jaar"]


def sector_profile(code: str) -> dict[str, float]:
    """Share (0-1) of each of the 14 sectors in a region's CO2 (0 where none is emitted)."""
    kind = ("velsen" if code == "GM0453" else "national" if code == NATIONAL
            else "rural" if code in RURAL else "urban")
    shares = SECTOR_SHARES[kind]
    total = sum(shares.values())
    return {slug: shares.get(slug, 0.0) / total for slug in SECTORS}


def er_row(code: str, year: int, sector: str, kg: float | str) -> list:
    """One export row; municipalities as numbers (453), the country as 'NL' (both unverified
    spellings the parser accepts, like GM0453 and 0453)."""
    national = code == NATIONAL
    return ["Koolstofdioxide", "Lucht", "Nederland" if national else "Gemeente",
            "NL" if national else int(code[2:]), NAMES[code], sector, sector, kg, "kg", year]


def emissieregistratie_xlsx() -> bytes:
    """One export with every demo region: the 14 sectors x the snapshot years, CO2 in kg."""
    rows: list[list] = [ER_COLUMNS]
    for code in MONITORED_REGIONS:
        profile = sector_profile(code)
        for year in YEARS:
            total = co2_total_kt(code, year)
            rows += [er_row(code, year, name, round(total * profile[slug] * 1e6))
                     for slug, name in SECTORS.items()]
    return xlsx_bytes([("Emissies", rows)])


# -- EU ETS: the registry's download listing and verified-emissions workbook -----------------

# Tata Steel IJmuiden, t CO2 -> kt. Published (NEa, via the press; cited in the manifest):
# 2020 5.8 Mt, 2021 "bijna 6" Mt, 2022 5.8 Mt, 2023 "ruim 4,5" Mt. Other years synthesized.
TATA_ETS_PUBLISHED_KT = {2020: 5800, 2021: 6000, 2022: 5800, 2023: 4500}
TATA_ETS_KT = {**{y: kt for y, kt in TATA_SYNTHESIZED_KT.items() if y != 2020}, 2017: 6800,
               **TATA_ETS_PUBLISHED_KT}
ETS_FILE_YEAR = 2024
ETS_FIRST_YEAR = 2008
# The 2024 workbook's address (verified: ghgsql's Dockerfile); the operators files' blob
# addresses (verified: public catalogues of the registry's extracts).
ETS_WORKBOOK_URL = ("https://climate.ec.europa.eu/document/download/"
                    "385daec1-0970-44ab-917d-f500658e72aa_en?filename=verified_emissions_2024_en.xlsx")
ETS_BLOB = ("https://dlsclimabi.blob.core.windows.net/public-data/eutlpublic/extracts/"
            "_all_extracts")
ETS_LISTING = [
    {"action": "d_operators_dayli", "url": f"{ETS_BLOB}/operator/operators_daily.csv.gz"},
    {"action": "d_operators_yearly_activity_daily",
     "url": f"{ETS_BLOB}/operators_yearly_activity/operators_yearly_activity_daily.csv.gz"},
    {"action": "d_verified_emissions", "url": ETS_WORKBOOK_URL},
]
# The installations of the demo extract. Only the name of Tata's row is real; its identifier
# is synthesized (the real one is unverified) and the other rows are decoys that a correct
# reader must leave out: a same-numbered id in another registry, an ETS2 aggregate (code 60).
ETS_DEMO_ID = "900001"
ETS_ROWS = [  # registry, installation name, identifier, activity code, t CO2 per year or None
    ("NL", "Tata Steel IJmuiden BV", ETS_DEMO_ID, 24, {y: kt * 1000 for y, kt in TATA_ETS_KT.items()}),
    ("NL", "Synthesized installation B", "900002", 20, dict.fromkeys(range(2013, 2025), 150_000)),
    ("DE", "Synthesized installation C", ETS_DEMO_ID, 20, dict.fromkeys(range(2013, 2025), 99)),
    ("NL", "Synthesized ETS2 account", "900003", 60, {2024: 1}),
]


def ets_columns(file_year: int = ETS_FILE_YEAR) -> list[str]:
    """The workbook's columns, as ghgsql loads the 2024 file: per year newest first; CH_ from
    2020; before 2013 only allocation and emissions, 2008 spelled ALLOCATION2008."""
    columns = ["REGISTRY_CODE", "IDENTIFIER_IN_REG", "INSTALLATION_NAME",
               "INSTALLATION_IDENTIFIER", "PERMIT_IDENTIFIER", "MAIN_ACTIVITY_TYPE_CODE"]
    for year in range(file_year, ETS_FIRST_YEAR - 1, -1):
        if year < 2013:
            columns += ["ALLOCATION2008" if year == 2008 else f"ALLOCATION_{year}",
                        f"VERIFIED_EMISSIONS_{year}"]
            continue
        columns += [f"ALLOCATION_{year}", f"ALLOCATION_RESERVE_{year}",
                    f"ALLOCATION_TRANSITIONAL_{year}"]
        columns += [f"CH_ALLOCATION_{year}"] if year >= 2020 else []
        columns += [f"VERIFIED_EMISSIONS_{year}"]
        columns += [f"CH_VERIFIED_EMISSIONS_{year}"] if year >= 2020 else []
    return columns + ["ACCOUNT_CLOSURE", "IMO_ID", "ACCOUNT_TYPE"]


def ets_data_rows(rows: list[tuple] = ETS_ROWS, file_year: int = ETS_FILE_YEAR) -> list[list]:
    """Header and one row per installation; absent years are empty cells."""
    columns = ets_columns(file_year)
    table = [columns]
    for registry, name, identifier, activity, tonnes in rows:
        cells = {"REGISTRY_CODE": registry, "INSTALLATION_NAME": name,
                 "INSTALLATION_IDENTIFIER": int(identifier), "MAIN_ACTIVITY_TYPE_CODE": activity,
                 "IDENTIFIER_IN_REG": f"{registry}-synthesized-{identifier}",
                 "ACCOUNT_TYPE": "100-7", **{f"VERIFIED_EMISSIONS_{y}": t for y, t in tonnes.items()}}
        table.append([cells.get(c) for c in columns])
    return table


def ets_workbook(*, banner_rows: int, sheet: str = "data", before: tuple[str, ...] = (),
                 rows: list[tuple] = ETS_ROWS, file_year: int = ETS_FILE_YEAR) -> bytes:
    """A verified-emissions workbook with `banner_rows` text rows above the header (2022-2024
    files: a Read Me block down to row 20; 2025: 3 banner rows), on sheet `sheet` (2021:
    verified_emissions_2021), after the sheets named in `before` (2025: a Read Me sheet)."""
    banner = [[f"Verified emissions {file_year} - synthesized snapshot extract, see "
               "sources/snapshot/manifest/eu_ets.json"]] + [[None]] * (banner_rows - 1)
    extra = [(name, [[f"{name} (synthesized placeholder sheet)"]]) for name in before]
    return xlsx_bytes([*extra, (sheet, banner[:banner_rows] + ets_data_rows(rows, file_year))])


def write_recordings(root: Path = RECORDED_DIR, files: Path = SNAPSHOT_FILES_DIR) -> int:
    """Write the committed snapshot: Klimaatmonitor pages and the EU ETS listing and workbook
    (recordings of requests), and the Emissieregistratie export (a dropped file)."""
    write_recording(root, *klimaatmonitor_catalogue_page(), "json", compress=True)
    written = 1
    for variable in KLIMAATMONITOR_VARIABLES:
        for level in klimaatmonitor.GEO_LEVELS:
            for url, body in klimaatmonitor_pages(variable, level):
                write_recording(root, url, body, "json", compress=True)
                written += 1
    er = files / emissieregistratie.SOURCE / ER_EXPORT_NAME
    er.parent.mkdir(parents=True, exist_ok=True)
    er.write_bytes(emissieregistratie_xlsx())
    listing = f"{SOURCES['eu_ets'].base_url}/{eu_ets.LISTING_PATH}"
    write_recording(root, listing, json.dumps(ETS_LISTING, indent=1).encode(), "json")
    write_recording(root, ETS_WORKBOOK_URL, ets_workbook(banner_rows=20), "xlsx")
    return written + 3


# -- ENTSO-E A75 offshore wind generation (generated on first use) ---------------------------

# The snapshot is as recorded on SNAPSHOT_AS_OF (Amsterdam midnight, 1 December 2026): whole
# years 2015-2025 and 2026 up to that moment. Feeds asking for later years in snapshot mode get
# the years the snapshot holds (see entsoe.fetch_years).
SNAPSHOT_AS_OF = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
ENTSOE_YEARS = tuple(entsoe.feed_years(SNAPSHOT_AS_OF))
PT15M_FROM = 2024  # NL A75 moved to 15-minute steps; the exact switch date is unverified
# Yearly totals (GWh) the synthesized series are scaled to: synthesized, of the magnitude of
# CBS 82610NED net offshore production, not ENTSO-E figures (2026: January to November).
YEAR_GWH = {2015: 1300, 2016: 2500, 2017: 3300, 2018: 3400, 2019: 3500, 2020: 4600,
            2021: 6900, 2022: 7900, 2023: 11500, 2024: 15200, 2025: 16400, 2026: 15800}
NAMESPACE = "urn:iec62325.351:tc57wg16:451-6:generationloaddocument:3:0"


def capacity_factors(rng: np.random.Generator, stamps: np.ndarray, step_min: int) -> np.ndarray:
    """A wind-like series in [0, 0.97]: persistent weather (AR(1)) plus a winter high."""
    phi = 0.985 ** (step_min / 60)
    shocks = rng.normal(0, np.sqrt(1 - phi**2), stamps.size)
    weather = np.empty(stamps.size)
    weather[0] = shocks[0]
    for i in range(1, stamps.size):  # generator only: a recurrence, not per-row parsing
        weather[i] = phi * weather[i - 1] + shocks[i]
    day_of_year = (stamps.astype("datetime64[D]") - stamps.astype("datetime64[Y]")).astype(int)
    winter = 0.12 * np.cos(2 * np.pi * (day_of_year - 15) / 365.25)
    return np.clip(0.45 + winter + 0.28 * weather, 0.0, 0.97)


def year_end(year: int) -> datetime:
    """Where a year's synthesized points stop: its end, or SNAPSHOT_AS_OF for the last year."""
    return min(entsoe.new_year_utc(year + 1), SNAPSHOT_AS_OF)


def year_quantities(year: int) -> tuple[datetime, int, np.ndarray]:
    """Start (UTC), step (min) and MW per step of one Dutch year (up to `year_end`), scaled to
    its GWh total."""
    start, end = entsoe.new_year_utc(year), year_end(year)
    step = 15 if year >= PT15M_FROM else 60
    stamps = np.arange(np.datetime64(start.replace(tzinfo=None), "m"),
                       np.datetime64(end.replace(tzinfo=None), "m"), np.timedelta64(step, "m"))
    cf = capacity_factors(np.random.default_rng([SEED, year]), stamps, step)
    mw = cf * (YEAR_GWH[year] * 1000 / (cf.sum() * step / 60))
    return start, step, np.round(mw)


def local_days(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """UTC bounds of each Amsterdam calendar day in [start, end) (23 or 25 h at DST)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Amsterdam")
    day = start.astimezone(tz).date()
    bounds = []
    while (opens := datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)) < end:
        bounds.append(opens)
        day += timedelta(days=1)
    bounds.append(end)
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def period_xml(opens: datetime, closes: datetime, step: int, values: np.ndarray) -> str:
    points = "".join(f"<Point><position>{i}</position><quantity>{int(v)}</quantity></Point>"
                     for i, v in enumerate(values, start=1))
    return (f"<Period><timeInterval><start>{_stamp(opens)}</start><end>{_stamp(closes)}</end>"
            f"</timeInterval><resolution>PT{step}M</resolution>{points}</Period>")


def a75_document(year: int) -> bytes:
    """One GL_MarketDocument (A75, B18, NL) for a Dutch year, one Period per local day."""
    start, step, mw = year_quantities(year)
    end = year_end(year)
    periods, offset = [], 0
    for opens, closes in local_days(start, end):
        count = int((closes - opens).total_seconds() // 60 // step)
        periods.append(period_xml(opens, closes, step, mw[offset:offset + count]))
        offset += count
    header = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<GL_MarketDocument xmlns="{NAMESPACE}">'
        f"<mRID>snapshot-{year}</mRID><revisionNumber>1</revisionNumber><type>A75</type>"
        "<process.processType>A16</process.processType>"
        '<sender_MarketParticipant.mRID codingScheme="A01">10X1001A1001A450'
        "</sender_MarketParticipant.mRID>"
        "<sender_MarketParticipant.marketRole.type>A32</sender_MarketParticipant.marketRole.type>"
        f"<createdDateTime>{min(end, SNAPSHOT_AS_OF):%Y-%m-%dT%H:%M:%SZ}</createdDateTime>"
        f"<time_Period.timeInterval><start>{_stamp(start)}</start><end>{_stamp(end)}</end>"
        "</time_Period.timeInterval>"
        "<TimeSeries><mRID>1</mRID><businessType>A01</businessType>"
        "<objectAggregation>A08</objectAggregation>"
        '<inBiddingZone_Domain.mRID codingScheme="A01">10YNL----------L'
        "</inBiddingZone_Domain.mRID>"
        "<quantity_Measure_Unit.name>MAW</quantity_Measure_Unit.name><curveType>A01</curveType>"
        "<MktPSRType><psrType>B18</psrType></MktPSRType>"
    )
    return (header + "".join(periods) + "</TimeSeries></GL_MarketDocument>\n").encode()


def entsoe_url(year: int) -> str:
    query = entsoe.generation_query(entsoe.new_year_utc(year), entsoe.new_year_utc(year + 1))
    return f"{SOURCES['entsoe'].base_url}?{urlencode(query)}"


def write_entsoe_years(root: Path, years: tuple[int, ...] = ENTSOE_YEARS) -> None:
    """Write one gzipped A75 document per year where the ENTSO-E client will ask for it."""
    secrets = SOURCES["entsoe"].secret_names
    for year in years:
        write_recording(root, entsoe_url(year), a75_document(year), "xml",
                        exclude_params=secrets, compress=True, level=1)


GENERATORS: list[Generator] = [Generator(source="entsoe", version="2",
                                         write=write_entsoe_years)]


if __name__ == "__main__":
    print(f"wrote {write_recordings()} recordings under {RECORDED_DIR}")
