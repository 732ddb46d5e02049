"""Deterministic snapshot files for the emissions and offshore-wind sources, in the exact
upstream formats, at the paths `SnapshotTransport` looks them up.

Two writers:
- `write_recordings(root)` writes the small, committed recordings (gzipped): Klimaatmonitor
  OData pages (a catalogue extract of `/Variables`; `Values` pages, two for the municipalities
  chained by `@odata.nextLink`, one for the country at level `nederland`), one Emissieregistratie CSV export per monitored region, and the EU ETS
  verified-emissions CSV. Run once: `python -m sources.generators.emissions_wind`.
- `write_entsoe_years(root)` writes ENTSO-E A75 documents for 2015-2024 (one request window
  per Dutch year: PT60M points 2015-2023, PT15M points 2024, one Period per local day). The
  files are large, so they are generated on first use through `GENERATORS` and never committed.

What is published and what is synthesized is listed per file in the manifest fragments
(`sources/snapshot/manifest/{klimaatmonitor,emissieregistratie,eu_ets,entsoe}.json`). In short:
Tata Steel's ETS figures for 2017, 2021, 2022, 2023 and the offshore production totals for
2022-2024 are published figures (marked "check" in SOURCES.md); everything else is synthesized.
All randomness comes from numpy generators seeded per series, so every run writes the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from sources import emissieregistratie, entsoe, eu_ets, klimaatmonitor
from sources.registry import SOURCES
from sources.snapshot import DEMO_MUNICIPALITIES, RECORDED_DIR, Generator, write_recording
from transforms.emissions import KLIMAATMONITOR_VARIABLES, NATIONAL, SECTORS

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
                 "GM0246": 115, "GM0518": 2500, NATIONAL: 168_000}
RURAL = {"GM0232", "GM0285", "GM0262", "GM0213", "GM0246"}

# Tata Steel IJmuiden verified emissions (kt CO2). Published (SOURCES.md, all "check"):
# 2017 6.8 Mt, 2021 ~6.0 Mt, 2022 5.8 Mt, 2023 ~4.5 Mt. The other years are synthesized.
TATA_PUBLISHED_KT = {2017: 6800, 2021: 6000, 2022: 5800, 2023: 4500}
TATA_SYNTHESIZED_KT = {2010: 6700, 2011: 6900, 2012: 6600, 2013: 6650, 2014: 6750, 2015: 6700,
                       2016: 6850, 2018: 6750, 2019: 6650, 2020: 6300}
TATA_KT = {**TATA_SYNTHESIZED_KT, **TATA_PUBLISHED_KT}
ETS_YEARS = tuple(range(2013, 2024))

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
# (research note K13); the real catalogue holds about 1,574 variables.
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
}


def klimaatmonitor_code(code: str) -> str:
    """The ODS ExternalCode of a region: `gemeente_453` for GM0453 (no zero padding)."""
    return KLIMAATMONITOR_NATIONAL_CODE if code == NATIONAL else f"gemeente_{int(code[2:])}"


def klimaatmonitor_record(code: str, year: int, geo_level: str) -> dict[str, str]:
    marker = KLIMAATMONITOR_GAPS.get((code, year))
    value = marker if marker is not None else f"{co2_total_kt(code, year):.1f}"
    return {"ExternalCode": klimaatmonitor_code(code), "GeoLevel": geo_level,
            "PeriodLevel": "year", "Period": str(year), "ValueString": value,
            "Description": "Voorlopige cijfers" if year == PROVISIONAL_YEAR else ""}


def klimaatmonitor_pages(variable: str, geo_level: str) -> Iterator[tuple[str, bytes]]:
    """(url, body) of each Values page, as the service sends them (OData v4 JSON)."""
    codes = MONITORED_MUNICIPALITIES if geo_level == "gemeente" else (NATIONAL,)
    records = [klimaatmonitor_record(c, y, geo_level) for y in YEARS for c in codes]
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


# -- Emissieregistratie CSV exports ----------------------------------------------------------

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
ER_HEADER = "Jaar;Gebiedcode;Gebied;Sector;Stof;Emissie;Eenheid;Status"


def sector_profile(code: str) -> dict[str, float]:
    """Share (0-1) of each of the 14 sectors in a region's CO2 (0 where none is emitted)."""
    kind = ("velsen" if code == "GM0453" else "national" if code == NATIONAL
            else "rural" if code in RURAL else "urban")
    shares = SECTOR_SHARES[kind]
    total = sum(shares.values())
    return {slug: shares.get(slug, 0.0) / total for slug in SECTORS}


def emissieregistratie_csv(code: str) -> bytes:
    """One export: 14 sectors x the snapshot years, mln kg (= kt) with a decimal comma."""
    lines = [ER_HEADER]
    profile = sector_profile(code)
    for year in YEARS:
        status = "Voorlopig" if year == PROVISIONAL_YEAR else "Definitief"
        total = co2_total_kt(code, year)
        for slug, name in SECTORS.items():
            value = f"{total * profile[slug]:.3f}".replace(".", ",")
            lines.append(f"{year};{code};{NAMES[code]};{name};Koolstofdioxide;{value};mln kg;"
                         f"{status}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def emissieregistratie_url(code: str) -> str:
    base = SOURCES["emissieregistratie"].base_url
    return f"{base}/{emissieregistratie.EXPORT_PATH}?{urlencode(emissieregistratie.export_query(code))}"


# -- EU ETS verified emissions ---------------------------------------------------------------

ETS_IDENTIFIER = "0000"  # placeholder: the real installation identifier is not confirmed


def eu_ets_csv() -> bytes:
    """The verified-emissions file (CSV of its data sheet), holding the Tata Steel row only."""
    years = ",".join(f"VERIFIED_EMISSIONS_{y}" for y in ETS_YEARS)
    tonnes = ",".join(str(TATA_KT[y] * 1000) for y in ETS_YEARS)
    lines = [
        "Verified emissions 2013-2023 (snapshot extract: one installation; see the manifest)",
        f"REGISTRY_CODE,INSTALLATION_NAME,INSTALLATION_IDENTIFIER,PERMIT_IDENTIFIER,"
        f"MAIN_ACTIVITY_TYPE_CODE,{years}",
        f"NL,Tata Steel IJmuiden BV,{ETS_IDENTIFIER},,24,{tonnes}",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_recordings(root: Path = RECORDED_DIR) -> int:
    """Write the committed recordings of Klimaatmonitor, Emissieregistratie and EU ETS."""
    write_recording(root, *klimaatmonitor_catalogue_page(), "json", compress=True)
    written = 1
    for variable in KLIMAATMONITOR_VARIABLES:
        for level in klimaatmonitor.GEO_LEVELS:
            for url, body in klimaatmonitor_pages(variable, level):
                write_recording(root, url, body, "json", compress=True)
                written += 1
    for code in MONITORED_REGIONS:
        write_recording(root, emissieregistratie_url(code), emissieregistratie_csv(code), "csv",
                        compress=True)
        written += 1
    ets_url = f"{SOURCES['eu_ets'].base_url}/{eu_ets.file_path()}"
    write_recording(root, ets_url, eu_ets_csv(), "csv")
    return written + 1


# -- ENTSO-E A75 offshore wind generation (generated on first use) ---------------------------

ENTSOE_YEARS = entsoe.YEARS
PT15M_YEARS = {2024}
# Yearly totals (GWh) the synthesized series are scaled to. 2022-2024: CBS 82610NED net
# offshore production as compiled in SOURCES.md ("check"); 2015-2021: synthesized.
PUBLISHED_GWH = {2022: 7936, 2023: 11553, 2024: 15182}
SYNTHESIZED_GWH = {2015: 1300, 2016: 2500, 2017: 3300, 2018: 3400, 2019: 3500, 2020: 4600,
                   2021: 6900}
YEAR_GWH = {**SYNTHESIZED_GWH, **PUBLISHED_GWH}
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


def year_quantities(year: int) -> tuple[datetime, int, np.ndarray]:
    """Start (UTC), step (min) and MW per step of one Dutch year, scaled to its GWh total."""
    start, end = entsoe.new_year_utc(year), entsoe.new_year_utc(year + 1)
    step = 15 if year in PT15M_YEARS else 60
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
    end = entsoe.new_year_utc(year + 1)
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
        f"<createdDateTime>{year + 1}-01-15T00:00:00Z</createdDateTime>"
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
                        exclude_params=secrets, compress=True)


GENERATORS: list[Generator] = [Generator(source="entsoe", version="1",
                                         write=write_entsoe_years)]


if __name__ == "__main__":
    print(f"wrote {write_recordings()} recordings under {RECORDED_DIR}")
