"""Deterministic CBS StatLine payloads (OData v4) for the snapshot, in the service's format.

For every table a family reads (its `TableSpec`s) and every issue of it, this writes what the
client requests: `Dimensions`, `MeasureCodes`, the `<Dim>Codes` lists, the `Observations` pages
at the filtered URL (paged through `@odata.nextLink`) and, where a spec looks for newer issues,
the `Datasets` catalogue answer. The structure follows verbatim captures of
`https://datasets.cbs.nl/odata/v1/CBS/...` made by a third party (Stefan7168/checkdecijfers,
`tests/fixtures/cbs/`, 82610NED captured 2026-07-02; docs/evidence/cbs_duo.md section 1): the
`{"@odata.context", "value"}` envelope; rows with `Id` (position in the full table, gaps under a
filter), `Measure`, `ValueAttribute`, `Value`, `StringValue` and one column per dimension;
unpadded region codes; `Status` on period codes ("NaderVoorlopig" with a trailing space in
the title); a sparse cube (empty cells are absent).

82610NED is written as CBS publishes it: its real measure list (titles repeat across the
"mln kWh" and "in % van het verbruik" groups), its real identifiers and the published offshore
wind series (BronTechniek E006638), cited in the manifest `cbs_statline.json`. Every other
table's structure is unverified and every value in it is synthesized, with measure identifiers
spelled `SYN...` so they cannot be taken for real ones.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.payload import Payload
from sources.generators import statline_inclusion as inclusion
from sources.registry import make_http
from sources.snapshot import DEMO_MUNICIPALITIES, Generator, write_recording
from sources.statline import catalogue_query
from transforms.statline import TableSpec, code_lists, observations_filter, request_key, resolve

PAGE_ROWS = 200
SYNTH_YEARS = range(2013, 2025)
PROVISIONAL_YEAR = 2024
# CBS 82610NED, BronTechniek E006638 "Windenergie op zee", 2006-2025 (1990-2005 "Impossible"):
# M002417_1 net production (mln kWh), M002163 capacity at the end of the year (megawatt).
# 2024 and 2025 are "NaderVoorlopig". Source: the table as served on 2026-07-02 (manifest).
OFFSHORE_NET_MLN_KWH = dict(zip(range(2006, 2026), (
    68, 330, 596, 735, 679, 802, 789, 771, 748, 1130, 2269, 3700, 3630, 3573, 5484, 7865, 7936,
    11553, 15182, 15614), strict=True))
OFFSHORE_CAPACITY_MW = dict(zip(range(2006, 2026), (
    108, 108, 228, 228, 228, 228, 228, 228, 228, 357, 957, 957, 957, 957, 2460, 2460, 2570, 4110,
    4748, 4748), strict=True))
MEASURES_82610 = (  # Identifier, Index, Title, MeasureGroupId, DataType, Unit, Decimals
    ("M002416_1", 3, "Genormaliseerde bruto productie", "D002158_1", "Long", "mln kWh", 0),
    ("M002264_1", 5, "Bruto elektriciteitsproductie", "M002195_1", "Long", "mln kWh", 0),
    ("M002417_1", 6, "Netto elektriciteitsproductie", "M002195_1", "Long", "mln kWh", 0),
    ("M002416_2", 8, "Genormaliseerde bruto productie", "D002158_2", "Double", "in % van het verbruik", 2),
    ("M002264_2", 10, "Bruto elektriciteitsproductie", "M002195_2", "Double", "in % van het verbruik", 2),
    ("M002417_2", 11, "Netto elektriciteitsproductie", "M002195_2", "Double", "in % van het verbruik", 2),
    ("M002252_2", 13, "Opgestelde installaties einde van jaar", "M002252_1", "Long", "aantal", 0),
    ("M002163", 14, "Opgesteld elektrisch vermogen einde jaar", "M002252_1", "Long", "megawatt", 0),
)
BRONTECHNIEK = (("T001028", "Totaal hernieuwbare energiebronnen", "2"), ("E006588", "Totaal windenergie", "6"),
                ("E006637", "Windenergie op land", "6"), ("E006638", "Windenergie op zee", "6"),
                ("E006590", "Zonnestroom", "8"))
# Person dimensions as CBS codes them in 80590ned (captured): Geslacht, Leeftijd.
GESLACHT = (("T001038", "Totaal"), ("3000", "Mannen"), ("4000", "Vrouwen"))
LEEFTIJD = (("52052", "15 tot 75 jaar"), ("53050", "15 tot 25 jaar"), ("53310", "25 tot 45 jaar"),
            ("53825", "45 tot 75 jaar"))
# Synthesized structure of the tables whose v4 layout is unverified: extra dimensions, the
# unit CBS states per measure title, and the issues' year ranges.
PERSON_DIMS = {"85969NED": ("Geslacht", "Leeftijd"), "85494NED": ("Geslacht", "Leeftijd"),
               "85525NED": ("Geslacht", "Leeftijd")}
CBS_UNITS = {"Werkzame beroepsbevolking": "x 1 000", "Werkloze beroepsbevolking": "x 1 000",
             "Beroeps- en niet-beroepsbevolking": "x 1 000"}
ISSUE_YEARS = {"85969NED": range(2019, 2025), "85494NED": range(2013, 2023)}
CATALOGUE = {  # synthesized catalogue rows for the title stems the specs search
    "Arbeidsdeelname; regionale indeling": (
        ("84703NED", "Arbeidsdeelname; regionale indeling 2019", "Gediscontinueerd"),
        ("85494NED", "Arbeidsdeelname; regionale indeling 2022", "Gediscontinueerd"),
        ("85969NED", "Arbeidsdeelname; regionale indeling 2023", "Regulier"))}

# Issue 15 tables (structure unverified; every value synthesized): the dimension each splits
# or fixes, named here as CBS's v3 service spells it (the v4 identifiers are unverified, and
# the client finds a split dimension by its code titles, not by this name), and its codes.
GREEN_DIMS = {"83452NED": "Afvalsoort", "83582NED": "BedrijfstakkenBranchesSBI2008",
              "85005NED": "SectorEnVermogensklasse", "83631NED": "BedrijfstakkenBranchesSBI2008",
              "83635NED": "BedrijfstakkenBranchesSBI2008"}
# Synthesized start-ups (new establishments) per year in 2013, per COROP area and NL: IJmond
# (CR20), Agglomeratie 's-Gravenhage (CR26); other areas get a middling figure.
STARTUPS_2013 = {"CR20": 1_900, "CR26": 9_500, "NL01": 190_000}
# Synthesized closures (establishments closed) per year in 2013, same areas: fewer than the
# start-ups, growing more slowly, with a rise in 2023.
CLOSURES_2013 = {"CR20": 1_550, "CR26": 7_900, "NL01": 150_000}
GREEN_CODES = {
    "Afvalsoort": (("T001126", "Totaal huishoudelijk afval"), ("A047330", "Huishoudelijk restafval"),
                   ("A047331", "Grof huishoudelijk restafval"), ("A047336", "GFT-afval"),
                   ("A047337", "Oud papier en karton")),
    "BedrijfstakkenBranchesSBI2008": (
        ("T001081", "A-U Alle economische activiteiten"), ("300002", "A Landbouw, bosbouw en visserij"),
        ("307500", "C Industrie"), ("346600", "D Energievoorziening"),
        ("348000", "E Waterbedrijven en afvalbeheer"), ("350000", "F Bouwnijverheid"),
        ("389100", "H Vervoer en opslag"), ("422400", "Q Gezondheids- en welzijnszorg")),
    "SectorEnVermogensklasse": (("E007161", "Totaal alle sectoren"), ("E007037", "Woningen"),
                                ("T001081", "Economische activiteiten")),
}
# Synthesized shares of all employee jobs per SBI section (Velsen: the steelworks).
JOB_SHARES = {"C Industrie": 0.09, "D Energievoorziening": 0.006, "F Bouwnijverheid": 0.05,
              "H Vervoer en opslag": 0.045, "E Waterbedrijven en afvalbeheer": 0.007,
              "A Landbouw, bosbouw en visserij": 0.01, "Q Gezondheids- en welzijnszorg": 0.16}
# NL household waste, kg per inhabitant, 2013-2024 (synthesized paths of a realistic size).
WASTE_NL = {"Totaal huishoudelijk afval": [495, 497, 500, 505, 502, 494, 490, 515, 496, 460, 453, 450],
            "Huishoudelijk restafval": [240, 232, 222, 205, 185, 172, 165, 168, 158, 152, 150, 146],
            "Grof huishoudelijk restafval": [36, 35, 34, 33, 31, 29, 28, 30, 29, 27, 27, 26],
            "GFT-afval": [80, 82, 84, 88, 92, 94, 95, 99, 97, 93, 92, 92],
            "Oud papier en karton": [62, 60, 58, 57, 56, 55, 54, 55, 52, 48, 46, 45]}
WASTE_FACTOR = {"GM0518": 1.25, "GM0453": 1.1, "GM0375": 1.05, "GM0232": 0.55, "GM0285": 0.6,
                "GM0262": 0.6, "GM0213": 0.65, "GM0246": 0.55}
SUPPRESSED = {("GM0246", "D Energievoorziening"), ("GM0213", "D Energievoorziening"),
              ("GM0285", "D Energievoorziening")}

POPULATION = {"GM0453": 68_000, "GM0375": 42_000, "GM0396": 39_500, "GM0518": 550_000,
              "GM0200": 165_000, "GM0150": 101_000, "GM0301": 48_000, "GM0232": 33_500,
              "GM0285": 25_000, "GM0262": 34_000, "GM0213": 21_500, "GM0246": 19_000,
              "GM0383": 36_500, "GM0450": 13_500,
              "NL01": 17_900_000}
NL_PATHS = {  # national synthesized paths, yearly from 2013
    "net_labour_participation_pct": [65.0, 65.1, 65.5, 66.0, 66.7, 67.8, 68.8, 68.5, 69.7, 71.0, 71.3, 71.5],
    "unemployment_pct": [7.3, 7.4, 6.9, 6.0, 4.9, 3.8, 3.4, 3.8, 4.2, 3.5, 3.6, 3.7],
    "benefit_dependency_pct": [13.9, 14.0, 13.8, 13.4, 12.9, 12.3, 11.9, 12.3, 11.8, 11.2, 11.0, 10.9],
    "low_education_share_pct": [31.5, 30.9, 30.2, 29.6, 28.9, 28.2, 27.6, 27.0, 26.5, 25.9, 25.4, 24.9],
    "lifelong_learning_pct": [28.1, 28.4, 28.9, 29.3, 29.8, 30.2, 30.8, 27.5, 29.6, 31.4, 32.3, 32.6],
    "electricity_consumption_gwh": [117_900, 116_600, 117_700, 118_400, 119_500, 119_600, 119_900, 117_400, 119_900, 113_700, 111_900, 113_200],
}
# Municipal offsets from the national path (percentage points), synthesized.
OFFSETS = {"GM0453": 0.6, "GM0375": -0.8, "GM0396": 1.5, "GM0518": -5.1, "GM0200": 0.4,
           "GM0150": -0.3, "GM0301": -0.6, "GM0232": 0.9, "GM0285": 1.4, "GM0262": 1.1,
           "GM0213": 0.2, "GM0246": 1.3, "GM0383": 1.2, "GM0450": 0.8}
LOWER_IS_BETTER = ("unemployment_pct", "benefit_dependency_pct", "low_education_share_pct")


def series(measure: str, region: str, rng: np.random.Generator) -> dict[int, float]:
    """A synthesized yearly path for one of our measures in one region."""
    if measure == "population_count":
        return {y: round(POPULATION[region] * (1 + 0.004 * i)) for i, y in enumerate(SYNTH_YEARS)}
    base = np.array(NL_PATHS[measure], dtype=float)
    if region != "NL01":
        sign = -1 if measure in LOWER_IS_BETTER else 1
        base = base + sign * OFFSETS[region] + rng.normal(0, 0.25, len(base))
    return {y: round(float(v), 1) for y, v in zip(SYNTH_YEARS, base, strict=True)}


def labour_counts(region: str, rng: np.random.Generator) -> dict[str, dict[int, float]]:
    """x 1000 persons whose ratios follow the synthesized participation and unemployment."""
    share_15_75 = 0.74
    people = {y: POPULATION[region] * share_15_75 * (1 + 0.004 * i) / 1000
              for i, y in enumerate(SYNTH_YEARS)}
    participation = series("net_labour_participation_pct", region, rng)
    unemployment = series("unemployment_pct", region, rng)
    employed = {y: people[y] * participation[y] / 100 for y in SYNTH_YEARS}
    unemployed = {y: employed[y] * unemployment[y] / (100 - unemployment[y]) for y in SYNTH_YEARS}
    return {"Werkzame beroepsbevolking": {y: round(v, 1) for y, v in employed.items()},
            "Werkloze beroepsbevolking": {y: round(v, 1) for y, v in unemployed.items()},
            "Beroeps- en niet-beroepsbevolking": {y: round(v, 1) for y, v in people.items()}}


# -- metadata documents ------------------------------------------------------------------------

def _doc(base: str, issue: str, entity: str, rows: list[dict]) -> dict:
    return {"@odata.context": f"{base}/{issue}/$metadata#{entity}", "value": rows}


def _dimension(base: str, issue: str, name: str, kind: str) -> dict:
    row = {"Identifier": name, "Title": name, "Description": "", "MapYear": None,
           "ReleasePolicy": True if kind == "TimeDimension" else None, "Kind": kind,
           "ContainsGroups": kind != "Dimension", "ContainsCodes": True,
           "CodesUrl": f"{base}/{issue}/{name}Codes",
           "GroupsUrl": f"{base}/{issue}/{name}Groups" if kind != "Dimension" else None}
    return {"@odata.type": f"#Cbs.Ccb.Models.{kind}", **row} if kind != "Dimension" else row


def _dims(spec: TableSpec, issue: str) -> dict[str, str]:
    if issue in inclusion.TABLES:  # issue 16's tables: their own dimensions
        synth = inclusion.TABLES[issue]
        return ({d: kind for d, (kind, _) in synth.dims.items()} | {synth.geo: synth.geo_kind}
                | {"Perioden": "TimeDimension"})
    dims = {"BronTechniek": "Dimension"} if issue == "82610NED" else {}
    dims |= {d: "Dimension" for d in PERSON_DIMS.get(issue, ())}
    if issue in GREEN_DIMS:
        dims[GREEN_DIMS[issue]] = "Dimension"
    if spec.regional:
        dims["RegioS"] = "GeoDimension"
    return dims | {"Perioden": "TimeDimension"}


def _codes(rows) -> list[dict]:
    """`<Dim>Codes` rows from (code, title[, DimensionGroupId]) tuples."""
    return [{"Identifier": row[0], "Index": i + 1, "Title": row[1], "Description": "",
             "DimensionGroupId": row[2] if len(row) > 2 else None} for i, row in enumerate(rows)]


def _periods(issue: str) -> list[dict]:
    if issue == "82610NED":
        years, provisional = range(1990, 2026), {2024: "2024 ", 2025: "2025"}
    else:
        years = inclusion.TABLES[issue].years if issue in inclusion.TABLES else \
            ISSUE_YEARS.get(issue, SYNTH_YEARS)
        provisional = {max(years): f"{max(years)} "} if max(years) == PROVISIONAL_YEAR else {}
    rows = [{"Identifier": f"{y}JJ00", "Index": i + 1, "Title": provisional.get(y, str(y)),
             "Description": "Nader voorlopige cijfers" if y in provisional else "",
             "DimensionGroupId": "0", "Status": "NaderVoorlopig" if y in provisional else "Definitief"}
            for i, y in enumerate(years)]
    if issue == "84575NED":  # months and quarters beside the years, as this table has
        rows += [{"Identifier": f"{y}{kind}", "Index": len(rows) + n, "Title": f"{y} {kind}",
                  "Description": "", "DimensionGroupId": "1", "Status": "Definitief"}
                 for n, (y, kind) in enumerate((y, k) for y in years for k in ("KW01", "MM01"))]
    return rows


def _measures(spec: TableSpec, issue: str) -> list[dict]:
    if issue in inclusion.TABLES:
        return inclusion.measure_rows(issue, spec.measures)
    if issue == "82610NED":
        return [{"Identifier": i, "Index": n, "Title": t, "Description": "", "MeasureGroupId": g,
                 "DataType": dt, "Unit": u, "Decimals": d, "PresentationType": None}
                for i, n, t, g, dt, u, d in MEASURES_82610]
    return [{"Identifier": m.identifier or f"SYN{issue[:5]}{n:02d}", "Index": n + 1, "Title": m.title,
             "Description": "", "MeasureGroupId": None, "DataType": "Double",
             "Unit": CBS_UNITS.get(m.title, m.cbs_unit), "Decimals": 1, "PresentationType": None}
            for n, m in enumerate(spec.measures)]


# -- observations --------------------------------------------------------------------------------

def _green_values(issue: str, code_title: str, region: str,
                  rng: np.random.Generator) -> dict[int, float | None]:
    """Synthesized yearly values of an issue-15 table at one code of its split dimension."""
    steps = np.arange(len(SYNTH_YEARS))
    if issue == "83631NED":  # start-ups per COROP area: rising, a dip in 2020
        base = STARTUPS_2013.get(region, 3_000) * (1 + 0.035 * steps)
        values = base * np.where(np.array(SYNTH_YEARS) == 2020, 0.93, 1.0) \
            * (1 + rng.normal(0, 0.02, len(steps)))
        return {y: float(round(v)) for y, v in zip(SYNTH_YEARS, values, strict=True)}
    if issue == "83635NED":  # closures per COROP area: rising more slowly, up in 2023
        base = CLOSURES_2013.get(region, 2_500) * (1 + 0.025 * steps)
        values = base * np.where(np.array(SYNTH_YEARS) == 2023, 1.12, 1.0) \
            * (1 + rng.normal(0, 0.02, len(steps)))
        return {y: float(round(v)) for y, v in zip(SYNTH_YEARS, values, strict=True)}
    people = POPULATION[region] * (1 + 0.004 * steps)
    if issue == "85005NED":  # kWp: from ~60 Wp to ~1,500 Wp per inhabitant
        wp = 60 * (1.34 ** steps) * (1.2 if region in WASTE_FACTOR and region != "GM0518" else 1.0)
        values = people * wp / 1000 * (1 + rng.normal(0, 0.03, len(steps)))
    elif issue == "83452NED":
        factor = 1.0 if region == "NL01" else WASTE_FACTOR.get(region, 0.9)
        if code_title == "Totaal huishoudelijk afval":
            factor = 1.0 if region == "NL01" else 0.95 + 0.1 * (factor > 1)
        values = np.array(WASTE_NL[code_title]) * factor * (1 + rng.normal(0, 0.02, len(steps)))
    else:  # 83582NED, x 1000 jobs in December
        jobs = people * 0.47 / 1000 * (1 + 0.006 * steps)
        if code_title != "A-U Alle economische activiteiten":
            share = JOB_SHARES[code_title] * (2.6 if (region, code_title) == ("GM0453", "C Industrie") else 1)
            jobs = jobs * share
        values = jobs * (1 + rng.normal(0, 0.01, len(steps)))
    if (region, code_title) in SUPPRESSED:
        return {y: None for y in SYNTH_YEARS}
    return {y: round(float(v), 1) for y, v in zip(SYNTH_YEARS, values, strict=True)}


def _values(spec: TableSpec, issue: str, title: str, region: str,
            rng: np.random.Generator) -> dict[int, float | None]:
    if issue == "82610NED":
        published = OFFSHORE_CAPACITY_MW if title.startswith("Opgesteld") else OFFSHORE_NET_MLN_KWH
        return {y: published.get(y) for y in range(1990, 2026)}
    years = ISSUE_YEARS.get(issue, SYNTH_YEARS)
    if spec.table == "85969NED":
        values = labour_counts(region, rng)[title]
        if issue != spec.table:  # an older issue: the former regional division, slightly off
            values = {y: round(v * 0.995, 1) for y, v in values.items()}
    else:
        measure = next(m.measure_id for m in spec.measures if m.title == title)
        values = series(measure, region, rng)
    return {y: values[y] for y in years}


def _observations(spec: TableSpec, issue: str, resolved, regions: list[str],
                  rng: np.random.Generator) -> list[dict]:
    if issue in inclusion.TABLES:
        return inclusion.observations(issue, spec, resolved, regions)
    titles = {row["Identifier"]: row["Title"] for row in _measures(spec, issue)}
    split = resolved.split_dim
    code_titles = dict(GREEN_CODES.get(split, ())) if split else {}
    rows = []
    for code in sorted(resolved.measures):
        for region in (regions if resolved.geo else ["NL01"]):
            for part in (sorted(resolved.split_codes) if split else [None]):
                if issue in GREEN_DIMS:
                    title = code_titles.get(part, "") if split else ""
                    values = _green_values(issue, title, region, rng)
                else:
                    values = _values(spec, issue, titles[code], region, rng)
                for year, value in values.items():
                    # A suppressed cell: the enum value for it is unverified ("Confidential").
                    attribute = "None" if value is not None else (
                        "Confidential" if issue in GREEN_DIMS else "Impossible")
                    row = {"Id": len(rows) * 7 + 3, "Measure": code, "ValueAttribute": attribute,
                           "Value": value, "StringValue": None, **resolved.fixed}
                    if resolved.geo:
                        row[resolved.geo] = region
                    if split:
                        row[split] = part
                    rows.append(row | {resolved.time: f"{year}JJ00"})
    return rows


def write_issue(root: Path, http, spec: TableSpec, issue: str, regions: list[str],
                rng: np.random.Generator) -> None:
    base = http.base_url.rstrip("/")
    dims = _dims(spec, issue)
    metadata = {
        "Dimensions": _doc(base, issue, "Dimensions",
                           [_dimension(base, issue, d, k) for d, k in dims.items()]),
        "MeasureCodes": _doc(base, issue, "MeasureCodes", _measures(spec, issue)),
        "PeriodenCodes": _doc(base, issue, "PeriodenCodes", _periods(issue)),
        "GeslachtCodes": _doc(base, issue, "GeslachtCodes", _codes(GESLACHT)),
        "LeeftijdCodes": _doc(base, issue, "LeeftijdCodes", _codes(LEEFTIJD)),
        "BronTechniekCodes": _doc(base, issue, "BronTechniekCodes", _codes(BRONTECHNIEK)),
        **{f"{d}Codes": _doc(base, issue, f"{d}Codes", _codes(c)) for d, c in GREEN_CODES.items()},
    }
    if issue in inclusion.TABLES:
        metadata |= {f"{d}Codes": _doc(base, issue, f"{d}Codes", _codes(codes))
                     for d, (_, codes) in inclusion.TABLES[issue].dims.items()}
    wanted = ["Dimensions", "MeasureCodes"] + [f"{d}Codes" for d in code_lists(spec, dims)]
    meta = {}
    for what in wanted:
        url = http.url_for(f"{issue}/{what}")
        _write(root, url, metadata[what])
        meta[what] = _payload(url, metadata[what], request_key(spec, issue, what))
    resolved = resolve(spec, issue, meta)
    rows = _observations(spec, issue, resolved, regions, rng)
    first = http.url_for(f"{issue}/Observations",
                         {"$filter": observations_filter(spec, resolved, regions)})
    for start in range(0, max(len(rows), 1), PAGE_ROWS):
        url = first if start == 0 else f"{first}&%24skip={start}"
        doc = _doc(base, issue, "Observations", rows[start:start + PAGE_ROWS])
        if start + PAGE_ROWS < len(rows):
            doc["@odata.nextLink"] = f"{first}&%24skip={start + PAGE_ROWS}"
        _write(root, url, doc)


def write_catalogue(root: Path, http, spec: TableSpec) -> None:
    rows = [{"Identifier": i, "Title": t, "Description": "", "Status": s, "DatasetType": "Numeric",
             "Language": "nl", "Modified": "2025-06-30T02:00:00+02:00"}
            for i, t, s in CATALOGUE.get(spec.catalogue_title or "", ())
            or inclusion.CATALOGUE.get(spec.catalogue_title or "", ())]
    _write(root, http.url_for("Datasets", catalogue_query(spec)),
           {"@odata.context": f"{http.base_url.rstrip('/')}/$metadata#Datasets", "value": rows})


def write_statline(root: Path, specs: tuple[TableSpec, ...]) -> None:
    http = make_http("cbs_statline", mode="snapshot")
    rng = np.random.default_rng(20261123)
    regions = sorted(c for c in DEMO_MUNICIPALITIES if c.startswith("GM"))
    for spec in specs:
        if spec.catalogue_title:
            write_catalogue(root, http, spec)
        for issue in spec.issues:
            write_issue(root, http, spec, issue, list(spec.region_codes) or regions + ["NL01"],
                        rng)


def _payload(url: str, doc: dict, key: str) -> Payload:
    return Payload(source="cbs_statline", dataset="generator", request_key=key, url=url,
                   media_type="application/json", body=json.dumps(doc).encode(),
                   fetched_at=datetime.now(UTC))


def _write(root: Path, url: str, doc: dict) -> None:
    write_recording(root, url, json.dumps(doc, ensure_ascii=False).encode(), "json", compress=True)


def statline_generator(specs: tuple[TableSpec, ...]) -> Generator:
    """The generator of every CBS table the families read (one seed over all of them, so the
    synthesized values do not depend on how the tables are split across families)."""
    return Generator(source="cbs_statline", version="5", write=lambda root: write_statline(root, specs))
