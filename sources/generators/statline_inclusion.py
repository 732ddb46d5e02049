"""Synthesized CBS StatLine tables of the inclusion families (issue 16), in the v4 format the
statline generator writes: their extra dimensions and code lists, measure rows, survey years,
the municipalities each table covers, and synthesized values.

Every table here has an unverified v4 structure (see each family's declaration): identifiers
are spelled `SYN...` so they cannot be taken for real ones, titles and units are the ones the
families resolve at runtime, and every value is synthesized (national paths with municipal
offsets below). Not official figures.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

TOTAL = ("SYN0000", "Totaal")
MARGES = (("MW00000", "Waarde"), ("MOG0095", "Ondergrens 95%-interval"),
          ("MBG0095", "Bovengrens 95%-interval"))
NOT_WORKING = "Arb.pos.: niet-werkzame bevolking"
# Municipal offsets (points on the national path; positive = better), synthesized.
OFFSET = {"GM0453": 0.4, "GM0375": -0.6, "GM0396": 0.9, "GM0518": -2.5, "GM0200": 0.2,
          "GM0150": -0.4, "GM0301": -0.5, "GM0232": 0.7, "GM0285": 1.0, "GM0262": 0.8,
          "GM0213": 0.1, "GM0246": 0.9, "GM0383": 1.0, "GM0450": 0.7, "NL01": 0.0}
YOUTH_SHARE = 0.16  # 15-27 year olds in the population, synthesized
PUPILS_SHARE = 0.11


@dataclass(frozen=True)
class SynthTable:
    dims: dict[str, tuple[str, tuple[tuple[str, str], ...]]]  # name -> (Kind, codes)
    years: tuple[int, ...]
    geo: str = "RegioS"
    geo_kind: str = "GeoDimension"
    covered: tuple[str, ...] | None = None  # municipalities published (None: all)
    paths: dict[str, tuple[float, ...]] = field(default_factory=dict)  # by our measure, NL
    lower_is_better: tuple[str, ...] = ()


TABLES: dict[str, SynthTable] = {
    "86223NED": SynthTable(
        dims={"Onderwijsvolgend": ("Dimension", (TOTAL, ("SYN0001", "Onderwijsvolgend"),
                                                 ("SYN0002", "Niet onderwijsvolgend"))),
              "Arbeidskenmerken": ("Dimension", (TOTAL, ("SYN0011", "Arb.pos.: werkzame beroepsbevolking"),
                                                 ("SYN0012", NOT_WORKING))),
              "Uitkering": ("Dimension", (TOTAL, ("SYN0021", "Met uitkering"))),
              "GeregistreerdWerkzoekendeBijUWV": ("Dimension", (TOTAL, ("SYN0031", "Geregistreerd")))},
        years=tuple(range(2015, 2025)),
        paths={"youth_not_working_pct": (31.0, 30.2, 28.9, 27.5, 26.4, 28.8, 27.1, 25.0, 24.6, 24.9)},
        lower_is_better=("youth_not_working_pct",)),
    "84780NED": SynthTable(
        dims={"Geslacht": ("Dimension", (("T001038", "Totaal mannen en vrouwen"), ("3000", "Mannen"),
                                         ("4000", "Vrouwen")))},
        years=tuple(range(2015, 2024)), geo="Regiokenmerken", geo_kind="Dimension",
        paths={"early_school_leavers_pct": (2.0, 1.8, 1.8, 1.9, 2.0, 1.5, 1.7, 1.9, 2.0)},
        lower_is_better=("early_school_leavers_pct",)),
    "86131NED": SynthTable(
        dims={"Persoonskenmerken": ("Dimension", (("T009002", "Totaal personen"),
                                                  ("SYN0101", "Kinderen"))),
              "Huishoudenskenmerken": ("Dimension", (TOTAL, ("SYN0111", "Eenoudergezin")))},
        years=tuple(range(2015, 2024)),
        paths={"poverty_105_share_pct": (8.6, 8.4, 8.1, 7.9, 7.4, 6.7, 6.6, 6.3, 6.5)},
        lower_is_better=("poverty_105_share_pct",)),
    "86137NED": SynthTable(
        dims={"Leeftijd": ("Dimension", (("SYN0201", "18 jaar of ouder"),)),
              "Marges": ("Dimension", MARGES)},
        years=(2016, 2020, 2022, 2024),
        paths={"good_health_pct": (76.0, 78.0, 75.5, 74.8),
               "anxiety_depression_risk_pct": (8.2, 8.5, 9.8, 10.1),
               "difficulty_making_ends_meet_pct": (14.0, 13.5, 14.9, 16.2)},
        lower_is_better=("anxiety_depression_risk_pct", "difficulty_making_ends_meet_pct")),
    "85146NED": SynthTable(
        dims={"Marges": ("Dimension", MARGES)}, years=(2019, 2021, 2023, 2025),
        covered=("GM0518",),  # large municipalities only: Den Haag of the demo ones (synthesized)
        paths={"social_cohesion_score": (5.8, 6.0, 5.9, 5.9),
               "liveability_mark_score": (7.5, 7.6, 7.5, 7.4)}),
}


def measure_rows(issue: str, measures) -> list[dict]:
    """One MeasureCodes row per distinct (title, unit) of the spec (sliced measures share)."""
    seen: dict[tuple[str, str], None] = {}
    for m in measures:
        seen.setdefault((m.title, m.cbs_unit), None)
    return [{"Identifier": f"SYN{issue[:5]}{n:02d}", "Index": n + 1, "Title": title,
             "Description": "", "MeasureGroupId": None, "DataType": "Double", "Unit": unit,
             "Decimals": 1, "PresentationType": None} for n, (title, unit) in enumerate(seen)]


def _path(table: SynthTable, measure: str, region: str, rng: np.random.Generator) -> np.ndarray:
    base = np.array(table.paths[measure], dtype=float)
    sign = -1 if measure in table.lower_is_better else 1
    scale = float(base.mean()) / 25  # an offset of 1 moves a series by 4% of its level
    return base + sign * scale * OFFSET[region] + rng.normal(0, 0.15 * scale, len(base))


def cell_values(issue: str, spec, region: str) -> dict[str, dict[int, float]]:
    """Synthesized values per our measure id for one region (a seed per table and region)."""
    table = TABLES[issue]
    rng = np.random.default_rng(zlib.crc32(f"{issue}/{region}".encode()))
    population = 17_900_000 if region == "NL01" else 60_000 * (1 + 0.1 * OFFSET[region])
    out: dict[str, dict[int, float]] = {}
    if issue == "86223NED":
        share = _path(table, "youth_not_working_pct", region, rng)
        youth = [round(population * YOUTH_SHARE * (1 + 0.003 * i)) for i in range(len(table.years))]
        out["youth_persons"] = dict(zip(table.years, youth, strict=True))
        out["youth_not_working_persons"] = {
            y: round(n * s / 100) for y, n, s in zip(table.years, youth, share, strict=True)}
    elif issue == "84780NED":
        rate = _path(table, "early_school_leavers_pct", region, rng)
        pupils = [round(population * PUPILS_SHARE) for _ in table.years]
        out["pupils_persons"] = dict(zip(table.years, pupils, strict=True))
        out["early_school_leavers_persons"] = {
            y: round(n * r / 100) for y, n, r in zip(table.years, pupils, rate, strict=True)}
    else:
        for m in spec.measures:
            values = _path(table, m.measure_id, region, rng)
            out[m.measure_id] = {y: round(float(v), 1) for y, v in zip(table.years, values,
                                                                      strict=True)}
    return out


def observations(issue: str, spec, resolved, regions: list[str]) -> list[dict]:
    """Observations rows of one synthesized issue: the spec's cells at their slices, the other
    dimensions at the codes the client filters on, for the regions the table covers."""
    table = TABLES[issue]
    covered = [r for r in regions if table.covered is None or r in table.covered or r == "NL01"]
    rows = []
    for key, m in sorted(resolved.measures.items()):
        code, *cuts = key.split("|")
        for region in covered:
            for year, value in cell_values(issue, spec, region)[m.measure_id].items():
                row = {"Id": len(rows) * 11 + 5, "Measure": code, "ValueAttribute": "None",
                       "Value": value, "StringValue": None, **resolved.fixed,
                       **dict(zip(resolved.sliced, cuts, strict=True)),
                       resolved.geo: region, resolved.time: f"{year}JJ00"}
                rows.append(row)
    return rows


# Catalogue answers (CBS/Datasets) for the title stems the specs search: the current issue
# itself, titled as in CBS's catalogue (as listed by a third party); no newer issue.
CATALOGUE = {
    "Arbeidsmarktsituatie jongeren (15 tot 27 jaar); regio": (
        ("86223NED", "Arbeidsmarktsituatie jongeren (15 tot 27 jaar); regio (indeling 2025)",
         "Regulier"),),
    "Armoede van personen; persoons- en huishoudenskenmerken, regio": (
        ("86131NED", "Armoede van personen; persoons- en huishoudenskenmerken, regio (2025)",
         "Regulier"),),
    "Gezondheidsmonitor; bevolking 18 jaar of ouder, regio": (
        ("86137NED", "Gezondheidsmonitor; bevolking 18 jaar of ouder, regio, 2024", "Regulier"),),
}
