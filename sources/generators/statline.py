"""Deterministic synthesized CBS StatLine payloads (OData v4) for the snapshot.

Writes, for every table a family reads from CBS (its `TableSpec`s), the `MeasureCodes`, `PeriodenCodes` and
paged `Observations` responses at the URLs the client requests, so snapshot mode runs the
client's metadata resolution and nextLink paging. Published figures (SOURCES.md) are used
where they exist; every other value is synthesized (see the manifest `cbs_statline.json`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sources.registry import make_http
from sources.snapshot import DEMO_MUNICIPALITIES, Generator, write_recording
from sources.statline import observations_filter
from transforms.statline import TableSpec

YEARS = range(2013, 2025)
PROVISIONAL_YEAR = 2024
EMPTY_NEWEST = "2025JJ00"  # CBS often publishes the newest period empty first
PAGE_ROWS = 200

# Published figures (SOURCES.md); everything else below is synthesized around them.
PUBLISHED = {
    ("net_labour_participation_pct", "NL01"): {2017: 66.7, 2018: 67.8, 2019: 68.8},
    ("net_labour_participation_pct", "GM0396"): {2020: 70.0},
    ("net_labour_participation_pct", "GM0518"): {2017: 61.6},
    ("lifelong_learning_pct", "NL01"): {2023: 32.3},
    ("offshore_wind_capacity_mw", "NL01"): {2022: 2570, 2023: 4110, 2024: 4748},
    ("offshore_wind_production_gwh", "NL01"): {2022: 7936, 2023: 11553, 2024: 15182},
}
POPULATION = {"GM0453": 68_000, "GM0375": 42_000, "GM0396": 39_500, "GM0518": 550_000,
              "GM0200": 165_000, "GM0150": 101_000, "GM0301": 48_000, "GM0232": 33_500,
              "GM0285": 25_000, "GM0262": 34_000, "GM0213": 21_500, "GM0246": 19_000,
              "NL01": 17_900_000}
NL_PATHS = {  # national synthesized paths, yearly from 2013
    "net_labour_participation_pct": [65.0, 65.1, 65.5, 66.0, 66.7, 67.8, 68.8, 68.5, 69.7, 71.0, 71.3, 71.5],
    "unemployment_pct": [7.3, 7.4, 6.9, 6.0, 4.9, 3.8, 3.4, 3.8, 4.2, 3.5, 3.6, 3.7],
    "benefit_dependency_pct": [13.9, 14.0, 13.8, 13.4, 12.9, 12.3, 11.9, 12.3, 11.8, 11.2, 11.0, 10.9],
    "low_education_share_pct": [31.5, 30.9, 30.2, 29.6, 28.9, 28.2, 27.6, 27.0, 26.5, 25.9, 25.4, 24.9],
    "lifelong_learning_pct": [28.1, 28.4, 28.9, 29.3, 29.8, 30.2, 30.8, 27.5, 29.6, 31.4, 32.3, 32.6],
    "offshore_wind_capacity_mw": [228, 357, 357, 957, 957, 957, 957, 2460, 2460, 2570, 4110, 4748],
    "offshore_wind_production_gwh": [880, 1330, 2420, 3230, 3680, 3520, 3960, 5350, 7290, 7936, 11553, 15182],
    "electricity_consumption_gwh": [117_900, 116_600, 117_700, 118_400, 119_500, 119_600, 119_900, 117_400, 119_900, 113_700, 111_900, 113_200],
}
# Municipal offsets from the national path (percentage points), synthesized.
OFFSETS = {"GM0453": 0.6, "GM0375": -0.8, "GM0396": 1.5, "GM0518": -5.1, "GM0200": 0.4,
           "GM0150": -0.3, "GM0301": -0.6, "GM0232": 0.9, "GM0285": 1.4, "GM0262": 1.1,
           "GM0213": 0.2, "GM0246": 1.3}


def series(measure: str, region: str, rng: np.random.Generator) -> dict[int, float]:
    base = np.array(NL_PATHS.get(measure, [0.0] * len(YEARS)), dtype=float)
    if measure == "population_count":
        values = POPULATION[region] * (1 + 0.004 * np.arange(len(YEARS)))
    elif region == "NL01":
        values = base
    else:
        sign = -1 if measure in ("unemployment_pct", "benefit_dependency_pct",
                                 "low_education_share_pct") else 1
        values = base + sign * OFFSETS[region] + rng.normal(0, 0.25, len(YEARS))
    out = {y: round(float(v), 1) for y, v in zip(YEARS, values, strict=True)}
    out.update(PUBLISHED.get((measure, region), {}))
    return out


def _stable_code(title: str) -> str:
    # Python's hash() is salted per process; derive a stable pseudo-code from the bytes.
    return f"M{sum(title.encode()) * 7919 % 900000 + 100000:06d}_2"


def _codes(spec) -> list[dict]:
    return [{"Identifier": _stable_code(m.title), "Index": i, "Title": m.title, "Unit": m.unit,
             "Description": ""} for i, m in enumerate(spec.measures)]


def _periods() -> list[dict]:
    rows = [{"Identifier": f"{y}JJ00", "Title": f"{y}{'*' if y == PROVISIONAL_YEAR else ''}",
             "Status": "Voorlopig" if y == PROVISIONAL_YEAR else "Definitief"} for y in YEARS]
    return rows + [{"Identifier": EMPTY_NEWEST, "Title": "2025*", "Status": "Voorlopig"}]


def _observations(spec, codes: list[dict], regions: list[str], rng) -> list[dict]:
    rows, n = [], 0
    wanted = regions if spec.regional else ["NL01"]
    for code, measure in zip(codes, spec.measures, strict=True):
        for region in wanted:
            values = series(measure.measure_id, region, rng)
            for year, value in values.items():
                n += 1
                row = {"Id": n, "Measure": code["Identifier"], "Perioden": f"{year}JJ00",
                       "Value": value, "ValueAttribute": "None"}
                rows.append(_dims(spec, row, region))
            n += 1
            rows.append(_dims(spec, {"Id": n, "Measure": code["Identifier"],
                                     "Perioden": EMPTY_NEWEST, "Value": None,
                                     "ValueAttribute": "Missing"}, region))
    return rows


def _dims(spec, row: dict, region: str) -> dict:
    if spec.regional:
        row["RegioS"] = f"{region:<10}"  # CBS pads region keys with spaces
    row.update(spec.filters)
    return row


def write_statline(root: Path, specs: tuple[TableSpec, ...]) -> None:
    http = make_http("cbs_statline", mode="snapshot")
    rng = np.random.default_rng(20261123)
    regions = sorted(DEMO_MUNICIPALITIES)
    for spec in specs:
        codes = _codes(spec)
        _write(root, http.url_for(f"{spec.table}/MeasureCodes"), {"value": codes})
        _write(root, http.url_for(f"{spec.table}/PeriodenCodes"), {"value": _periods()})
        rows = _observations(spec, codes, regions, rng)
        query = {"$filter": observations_filter(spec, [c["Identifier"] for c in codes], regions)}
        first = http.url_for(f"{spec.table}/Observations", query)
        for start in range(0, len(rows), PAGE_ROWS):
            url = first if start == 0 else f"{first}&%24skip={start}"
            doc = {"@odata.context": f"{http.base_url}/{spec.table}/$metadata#Observations",
                   "value": rows[start:start + PAGE_ROWS]}
            if start + PAGE_ROWS < len(rows):
                doc["@odata.nextLink"] = f"{first}&%24skip={start + PAGE_ROWS}"
            _write(root, url, doc)


def _write(root: Path, url: str, doc: dict) -> None:
    write_recording(root, url, json.dumps(doc, ensure_ascii=False).encode(), "json", compress=True)


def statline_generator(specs: tuple[TableSpec, ...]) -> Generator:
    """The generator of every CBS table the families read (one seed over all of them, so the
    synthesized values do not depend on how the tables are split across families)."""
    return Generator(source="cbs_statline", version="1", write=lambda root: write_statline(root, specs))
