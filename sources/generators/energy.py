"""Deterministic Klimaatmonitor `Values` pages for the energy family's variables, in the ODS
format the emissions snapshot uses (`sources.generators.emissions_wind`: the same envelope,
record fields, `gemeente_<number>` codes, one `nederland` item, `@odata.nextLink` paging).
Committed like the CO2 pages (run `python -m sources.generators.energy`); every value is
synthesized (see the manifest `klimaatmonitor.json`); the catalogue extract listing these ids
is written by `sources.generators.emissions_wind`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sources import klimaatmonitor
from sources.generators.emissions_wind import klimaatmonitor_pages
from sources.generators.statline import POPULATION
from sources.snapshot import RECORDED_DIR, write_recording
from transforms.emissions import NATIONAL
from transforms.green_zone import BUSINESS_GAS_VARIABLES, KLIMAATMONITOR_ENERGY_VARIABLES

SEED = 20261201
YEARS = tuple(range(2013, 2024))
PROVISIONAL_YEAR = 2023
# Synthesized energy use per inhabitant in 2013 (GJ) and the renewable share then and in 2023.
# Velsen carries the steelworks' energy use; rural Cleantech municipalities have more renewables.
USE_GJ_PER_INHABITANT = {"GM0453": 1_450, "GM0375": 95, "GM0396": 80, "GM0518": 75,
                         NATIONAL: 170}
RENEWABLE_PCT = {"GM0453": (1.0, 4.0), "GM0232": (9.0, 26.0), "GM0285": (10.0, 29.0),
                 "GM0262": (9.5, 31.0), "GM0213": (8.0, 24.0), "GM0246": (9.0, 27.0),
                 "GM0518": (2.0, 8.0), NATIONAL: (4.8, 17.0)}
GAS_M3_PER_DWELLING = {"GM0518": 1_050, NATIONAL: 1_300}
# Synthesized natural gas delivered to businesses in 2013, m3 per inhabitant, and each SBI
# section's share of it (manufacturing dominates in Velsen, agriculture in the rural east).
BUSINESS_GAS_M3_PER_INHABITANT = {"GM0453": 4_800, "GM0518": 420, NATIONAL: 650}
SECTION_SHARES = {"A": 8, "B": 1, "C": 40, "E": 2, "F": 2, "G": 9, "H": 4, "I": 5, "J": 1,
                  "K": 1, "L": 2, "M": 3, "N": 3, "O": 3, "P": 5, "Q": 7, "R": 2, "S": 1.5,
                  "U": 0.5}
VELSEN_SHARES = {**SECTION_SHARES, "C": 88, "A": 0.2}
# Sections the service suppresses for a municipality: '?' (the sum is then a lower bound).
SUPPRESSED = {("GM0246", "vbrzg_b"), ("GM0213", "vbrzg_u")}


def _series(variable: str, code: str) -> dict[int, float]:
    rng = np.random.default_rng([SEED, int(code[2:]) if code[2:].isdigit() else 1,
                                 len(variable)])
    steps = np.arange(len(YEARS))
    noise = rng.normal(0, 0.01, len(YEARS))
    people = POPULATION[code] * (1 + 0.004 * steps)
    use_tj = people * USE_GJ_PER_INHABITANT.get(code, 90) * (1 - 0.012 * steps) / 1000
    if variable == "energie_totaal_combi":
        values = use_tj * (1 + noise)
    elif variable == "hern_tot":
        start, end = RENEWABLE_PCT.get(code, (5.0, 18.0))
        values = use_tj * (start + (end - start) * steps / steps[-1]) / 100 * (1 + noise)
    elif variable in BUSINESS_GAS_VARIABLES:  # m3 delivered to one SBI section, falling
        shares = VELSEN_SHARES if code == "GM0453" else SECTION_SHARES
        share = shares[BUSINESS_GAS_VARIABLES[variable]] / sum(shares.values())
        values = (people * BUSINESS_GAS_M3_PER_INHABITANT.get(code, 600) * share
                  * (1 - 0.02 * steps) * (1 + noise))
    else:  # kern331b_gas_wont: m3 per dwelling, weather-corrected, falling
        values = GAS_M3_PER_DWELLING.get(code, 1_250) * (1 - 0.022 * steps) * (1 + noise)
    return {y: round(float(v), 1) for y, v in zip(YEARS, values, strict=True)}


def pages(variable: str, geo_level: str) -> Iterator[tuple[str, bytes]]:
    def value(code: str, year: int) -> str:
        if (code, variable) in SUPPRESSED:
            return "?"
        return f"{_series(variable, code)[year]:.1f}"

    return klimaatmonitor_pages(variable, geo_level, YEARS, value=value,
                                provisional_year=PROVISIONAL_YEAR)


def write_energy(root: Path = RECORDED_DIR) -> int:
    written = 0
    for variable in KLIMAATMONITOR_ENERGY_VARIABLES:
        for level in klimaatmonitor.GEO_LEVELS:
            for url, body in pages(variable, level):
                write_recording(root, url, body, "json", compress=True)
                written += 1
    return written


if __name__ == "__main__":
    print(f"wrote {write_energy()} recordings under {RECORDED_DIR}")
