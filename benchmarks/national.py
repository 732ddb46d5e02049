"""Deterministic, synthesized national-scale input in the exact upstream formats.

Everything here is synthesized demo data for timing, never official figures:
- RIVM validated yearly CSVs (`;`, seven metadata rows, a column per station, a row per hour)
  for every station, component and year of a size, at the paths `SnapshotTransport` reads;
- Luchtmeetnet `/measurements` JSON pages for one new UTC day (the incremental refresh), and
  the year-to-date API rows before that day as a clean frame (earlier daily runs);
- CBS StatLine OData v4 `Dimensions`, `MeasureCodes`, `PeriodenCodes` and paged `Observations` for every
  table in `sources.statline.TABLES`, for every municipality of the size;
- a regions file: the configured regions plus one region per municipality.

Identifiers: the twelve project stations come first (their levels follow the snapshot
generator, which scales some station-years to published GGD means), then synthetic station
codes `NL9xxxx`; the twelve project municipalities come first, then synthetic codes from
`GM0001` (real CBS codes are not contiguous). The hourly series reuse the snapshot
generator's shapes and noise (`sources.generators.air_quality`), parameterised by station
count. All randomness comes from numpy generators with fixed seeds: the same size always
writes the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import polars as pl
import yaml

from core.geography import load_regions
from sources.generators.air_quality import (
    API_BASE,
    annual_target,
    hourly_shape,
    local_hours,
    measurement_page,
    missing_mask,
    render_rivm_csv,
    rivm_url,
    scale_to_mean,
    synthesize_hours,
)
from sources.luchtmeetnet import measurement_query
from sources.registry import SOURCES
from sources.snapshot import DEMO_STATIONS as STATIONS
from sources.snapshot import write_recording
from transforms.air_quality import COMPONENTS

SEED = 20250217
PROJECT_MUNICIPALITIES = ("GM0453", "GM0375", "GM0396", "GM0518", "GM0200", "GM0150",
                          "GM0301", "GM0232", "GM0285", "GM0262", "GM0213", "GM0246")
CBS_BASE = SOURCES["cbs_statline"].base_url
CBS_DIR = "cbs_statline"  # Observations URLs carry a $filter too long for a file name
CBS_PAGE_ROWS = 10_000  # assumed page size of the v4 service (v3 returns at most 10,000)
CBS_MISSING_SHARE = 0.005


@dataclass(frozen=True)
class Size:
    """How much input one benchmark size generates."""

    name: str
    stations: int
    years: tuple[int, ...]  # RIVM reporting years (one yearly partition each)
    municipalities: int
    stat_years: tuple[int, ...]  # CBS StatLine years
    refresh_day: date  # the one new UTC day of the incremental refresh
    components: tuple[str, ...] = COMPONENTS

    @property
    def measurements(self) -> int:
        """Station-hours across all yearly files (a value or an empty cell each)."""
        hours = sum((datetime(y + 1, 1, 1) - datetime(y, 1, 1)) // timedelta(hours=1)
                    for y in self.years)
        return hours * self.stations * len(self.components)


SIZES: dict[str, Size] = {
    "small": Size("small", stations=10, years=(2023, 2024), municipalities=20,
                  stat_years=tuple(range(2015, 2025)), refresh_day=date(2025, 3, 1)),
    "national": Size("national", stations=100, years=tuple(range(2015, 2025)),
                     municipalities=342, stat_years=tuple(range(2005, 2025)),
                     refresh_day=date(2025, 7, 1)),
}


@dataclass
class GeneratedInput:
    """Where one size's generated files are, and what the work directory holds."""

    size: Size
    root: Path
    stations: list[str]
    municipalities: list[str]
    regions_file: Path
    rivm_files: list[Path] = field(default_factory=list)
    api_pages: int = 0
    cbs_tables: dict[str, list[Path]] = field(default_factory=dict)  # table -> files


# -- identifiers -----------------------------------------------------------------------------

def station_codes(count: int) -> list[str]:
    """The project stations first, then synthetic `NL9xxxx` codes up to `count`."""
    real = list(STATIONS)[:count]
    return real + [f"NL{90001 + n}" for n in range(count - len(real))]


def municipality_codes(count: int) -> list[str]:
    """The project municipalities first, then synthetic codes from GM0001 up to `count`."""
    codes = list(PROJECT_MUNICIPALITIES[:count])
    number = 1
    while len(codes) < count:
        code = f"GM{number:04d}"
        number += 1
        if code not in codes:
            codes.append(code)
    return codes


def station_municipalities(stations: Sequence[str], municipalities: Sequence[str]) -> dict:
    """Station -> municipality code: the project's own, or a seeded pick for synthetic ones."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, 1]))
    picks = rng.choice(list(municipalities), size=len(stations))
    declared = load_regions()

    def located(station: str, pick: str) -> str | None:
        """A project station's own municipality (None for a background station)."""
        if station not in STATIONS:
            return pick
        known = declared.station(station)
        return known.municipality if known else None

    return {s: located(s, str(p)) for s, p in zip(stations, picks, strict=True)}


# -- annual levels and hourly series ---------------------------------------------------------

def station_levels(stations: Sequence[str], component: str, year: int) -> np.ndarray:
    """Annual mean (µg/m³) each station is scaled to in `year`; NaN = not reporting.

    Project stations follow the snapshot generator; synthetic stations draw a 2016 level
    and decline like it (NO2 3.5% a year, 2020 dip; PM 2.5% a year; PM2.5 = 0.55 x PM10).
    """
    rng = np.random.default_rng(np.random.SeedSequence([SEED, 2]))
    no2, pm10 = rng.uniform(12, 38, len(stations)), rng.uniform(14, 26, len(stations))
    decline = {"NO2": no2 * 0.965 ** (year - 2016) * (0.88 if year == 2020 else 1.0),
               "PM10": pm10 * 0.975 ** (year - 2016)}
    decline["PM25"] = 0.55 * decline["PM10"]
    levels = np.round(decline[component], 1)
    for j, station in enumerate(stations):
        if station in STATIONS:
            target = annual_target(station, component, year)
            levels[j] = np.nan if target is None else target
    return levels


def yearly_series(stations: Sequence[str], year: int,
                  component: str) -> tuple[pl.Series, dict[str, np.ndarray]]:
    """Local hour starts of a reporting year and one synthesized series per reporting station."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, year, COMPONENTS.index(component)]))
    start = datetime(year, 1, 1)
    stamps = local_hours(start, (datetime(year + 1, 1, 1) - start) // timedelta(hours=1))
    raw = synthesize_hours(rng, hourly_shape(stamps, component), len(stations))
    series = {}
    for j, (station, level) in enumerate(zip(stations, station_levels(stations, component, year),
                                             strict=True)):
        mask = missing_mask(rng, stamps.len())  # drawn for every station: stable seeds
        if not np.isnan(level):
            series[station] = scale_to_mean(rng, raw[:, j], mask, float(level))
    return stamps, series


# -- RIVM validated yearly CSV ---------------------------------------------------------------

def rivm_csv(stations: Sequence[str], year: int, component: str) -> bytes:
    """One yearly file in RIVM's layout: seven metadata rows, header, one row per hour."""
    stamps, series = yearly_series(stations, year, component)
    return render_rivm_csv(component, stamps, series, rivm_metadata_rows(component, list(series)))


def rivm_metadata_rows(component: str, stations: list[str]) -> str:
    """The seven rows above the table, station facts from the sixth column on."""
    rows = [
        ("Component", component, "StationsCode", stations),
        ("Bep.periode", "uur", "Stationsnaam", [f"Station {s}" for s in stations]),
        ("Eenheid", "ug/m3", "Latitude,Longitude", ["(52.0,5.0)"] * len(stations)),
        ("Opmerking", "synthetische benchmarkdata, geen officiele cijfers", "Stationstype",
         ["Stad"] * len(stations)),
        ("", "", "Gemeente", [""] * len(stations)),
        ("", "", "Beheerder", ["benchmark"] * len(stations)),
        ("", "", "Meetopstelling", [f"{s}-{component}" for s in stations]),
    ]
    return "".join(";".join([left, value, "", "", label, *cells]) + "\n"
                   for left, value, label, cells in rows)


def write_rivm_files(size: Size, stations: Sequence[str], root: Path) -> list[Path]:
    """Every yearly file of the size, uncompressed, where `SnapshotTransport` finds it."""
    return [write_recording(root, rivm_url(year, component),
                            rivm_csv(stations, year, component), "csv")
            for year in size.years for component in size.components]


# -- Luchtmeetnet API: the refresh day and the year to date before it ------------------------

def api_matrix(stations: Sequence[str], first: datetime, hours: int, component: str,
               seed_tag: int) -> tuple[pl.Series, np.ndarray]:
    """UTC hour starts (naive) and hourly values (hours x stations) around this year's levels."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, seed_tag,
                                                        COMPONENTS.index(component)]))
    utc = local_hours(first, hours)
    raw = synthesize_hours(rng, hourly_shape(utc.dt.offset_by("1h"), component), len(stations))
    levels = np.nan_to_num(station_levels(stations, component, first.year), nan=20.0)
    values = np.round(raw * levels[None, :], 1)
    values[rng.random(values.shape) < 0.01] = np.nan
    return utc, values


def write_api_day(size: Size, stations: Sequence[str], root: Path) -> int:
    """One `/measurements` page per station (all components) for the refresh day."""
    day = size.refresh_day
    first = datetime(day.year, day.month, day.day)
    matrices = {component: api_matrix(stations, first, 24, component, seed_tag=3)
                for component in size.components}
    for j, station in enumerate(stations):
        series = {component: (utc, values[:, j]) for component, (utc, values) in matrices.items()}
        query = {**measurement_query(station, day), "page": 1}
        write_recording(root, f"{API_BASE}/measurements?{urlencode(query)}",
                        measurement_page(station, series), "json")
    return len(stations)


def year_to_date_frame(size: Size, stations: Sequence[str]) -> pl.DataFrame:
    """Clean API rows from 1 January to the refresh day (what earlier daily runs loaded)."""
    day = size.refresh_day
    first = datetime(day.year, 1, 1)
    hours = (datetime(day.year, day.month, day.day) - first) // timedelta(hours=1)
    frames = []
    for component in size.components:
        utc, values = api_matrix(stations, first, hours, component, seed_tag=4)
        frames.append(pl.DataFrame({
            "station_code": np.tile(np.asarray(stations), hours),
            "component": component,
            "measured_at": utc.gather(np.repeat(np.arange(hours), len(stations)))
            .dt.replace_time_zone("UTC"),
            "value_ugm3": values.reshape(-1),
        }).with_columns(pl.col("value_ugm3").fill_nan(None)))
    return pl.concat(frames).with_columns(source=pl.lit("luchtmeetnet_api"))


# -- CBS StatLine OData v4 -------------------------------------------------------------------

# measure id -> (national level in the first year, change per year as a fraction of the level,
# spread between municipalities as a fraction of the level). Unknown measures use DEFAULT.
MEASURE_LEVELS = {
    "net_labour_participation_pct": (64.0, 0.004, 0.05),
    "unemployment_pct": (6.0, -0.02, 0.25),
    "population_count": (17_900_000.0, 0.004, 0.0),
    "benefit_dependency_pct": (14.0, -0.015, 0.2),
    "low_education_share_pct": (32.0, -0.012, 0.15),
    "lifelong_learning_pct": (27.0, 0.01, 0.1),
    "offshore_wind_capacity_mw": (200.0, 0.2, 0.0),
    "offshore_wind_production_gwh": (700.0, 0.2, 0.0),
    "electricity_consumption_gwh": (115_000.0, 0.0, 0.0),
    # 85969NED counts (x 1000 persons) the rates are derived from
    "employed_persons": (9_000.0, 0.006, 0.0),
    "unemployed_persons": (550.0, -0.02, 0.0),
    "population_15_75_persons": (13_300.0, 0.004, 0.0),
}
DEFAULT_LEVEL = (50.0, 0.0, 0.1)


def measure_codes(table_index: int, spec) -> list[dict]:
    """A table's `MeasureCodes` rows (the declared identifier or a synthetic one, the declared
    title and CBS unit)."""
    return [{"Identifier": m.identifier or f"M{100_000 + 10 * table_index + n:06d}_2", "Index": n,
             "Title": m.title, "Unit": m.cbs_unit, "Description": ""}
            for n, m in enumerate(spec.measures)]


def dimensions(spec) -> list[dict]:
    """`Dimensions`: the fixed dimensions, the region dimension if any, the periods."""
    kinds = {d: "Dimension" for d in spec.filters}
    kinds |= {"RegioS": "GeoDimension"} if spec.regional else {}
    return [{"Identifier": d, "Title": d, "Kind": k} for d, k in (kinds | {"Perioden": "TimeDimension"}).items()]


def period_codes(years: Sequence[int]) -> list[dict]:
    """`PeriodenCodes`: the newest year provisional, the year after it published empty."""
    last = years[-1]
    rows = [{"Identifier": f"{y}JJ00", "Title": f"{y}{'*' if y == last else ''}",
             "Status": "Voorlopig" if y == last else "Definitief"} for y in years]
    return rows + [{"Identifier": f"{last + 1}JJ00", "Title": f"{last + 1}*",
                    "Status": "Voorlopig"}]


def population_weights(municipalities: Sequence[str]) -> np.ndarray:
    """Each municipality's seeded share of the national population (sums to 1)."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, 5]))
    sizes = np.clip(rng.lognormal(10.3, 0.9, len(municipalities)), 1_000, 950_000)
    return sizes / sizes.sum()


def observations_frame(size: Size, spec, codes: list[dict], municipalities: Sequence[str],
                       seed_tag: int) -> pl.DataFrame:
    """Every Observations row of one table: measures x regions x years, vectorised."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, 6, seed_tag]))
    regions = [*municipalities, "NL01"] if spec.regional else ["NL01"]
    years = [*size.stat_years, size.stat_years[-1] + 1]
    levels = np.array([MEASURE_LEVELS.get(m.measure_id, DEFAULT_LEVEL) for m in spec.measures])
    level, change, spread = (levels[:, k, None, None] for k in range(3))
    factor = region_factors(spec, municipalities, spread, rng)
    step = np.arange(len(years), dtype=float)[None, None, :]
    values = level * factor * (1 + change) ** step * (1 + rng.normal(0, 0.005, (
        len(spec.measures), len(regions), len(years))))
    missing = rng.random(values.shape) < CBS_MISSING_SHARE
    missing[:, :, -1] = True  # the newest period is published empty first
    return _observation_rows(spec, codes, regions, years, np.round(values, 1), missing)


def region_factors(spec, municipalities: Sequence[str], spread: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """(measure, region, 1) multipliers of the national level: a municipality's population
    share for counts, a seeded spread around 1 for rates; the last region (NL01) is 1."""
    n_regions = len(municipalities) + 1 if spec.regional else 1
    factor = 1 + spread * rng.normal(0, 1, (len(spec.measures), n_regions, 1))
    shares = np.append(population_weights(municipalities), 1.0) if spec.regional else np.ones(1)
    is_count = np.array([m.measure_id.endswith(("count", "_persons"))
                         for m in spec.measures])[:, None, None]
    factor = np.where(is_count, shares[None, :, None], factor)
    factor[:, -1, :] = 1.0
    return factor


def _observation_rows(spec, codes, regions, years, values: np.ndarray,
                      missing: np.ndarray) -> pl.DataFrame:
    n_m, n_r, n_y = values.shape
    flat = values.reshape(-1)
    frame = pl.DataFrame({
        "Id": np.arange(1, flat.size + 1),
        "Measure": np.repeat([c["Identifier"] for c in codes], n_r * n_y),
        "RegioS": np.tile(np.repeat(list(regions), n_y), n_m),
        "Perioden": np.tile([f"{y}JJ00" for y in years], n_m * n_r),
        "Value": np.where(missing.reshape(-1), np.nan, flat),
        "ValueAttribute": np.where(missing.reshape(-1), "Missing", "None"),
    }).with_columns(pl.col("Value").fill_nan(None), StringValue=pl.lit(None, pl.String))
    if not spec.regional:
        frame = frame.drop("RegioS")
    return frame.with_columns(pl.lit(v).alias(k) for k, v in spec.filters.items())


def observation_pages(table: str, rows: pl.DataFrame, page_rows: int = CBS_PAGE_ROWS) -> list[bytes]:
    """The Observations response pages, chained by `@odata.nextLink`."""
    first = f"{CBS_BASE}/{table}/Observations"
    pages = []
    for start in range(0, rows.height, page_rows):
        tail = ""
        if start + page_rows < rows.height:
            tail = f', "@odata.nextLink": "{first}?$skip={start + page_rows}"'
        head = f'{{"@odata.context": "{CBS_BASE}/{table}/$metadata#Observations", "value": '
        pages.append((head + rows.slice(start, page_rows).write_json() + tail + "}").encode())
    return pages


def cbs_table_dir(root: Path, table: str) -> Path:
    return root / CBS_DIR / table


def cbs_request_files(root: Path, spec) -> list[tuple[str, Path]]:
    """Every document written for one CBS table (Dimensions, MeasureCodes, the code lists, the
    Observations pages), with the request key `sources.statline` gives that response."""
    from transforms.statline import request_key

    folder = cbs_table_dir(root, spec.table)
    return [(request_key(spec, spec.table, path.stem.replace("-", "/")), path)
            for path in sorted(folder.glob("*.json"))]


def write_cbs_tables(size: Size, municipalities: Sequence[str], root: Path) -> dict[str, list[Path]]:
    """Dimensions.json, MeasureCodes.json, PeriodenCodes.json and Observations-NNNN.json per
    CBS table (request keys `<table>/<table>/<name>`, as `sources.statline` keys them)."""
    from families import employment, offshore_wind, training

    TABLES = employment.CBS_TABLES + training.CBS_TABLES + offshore_wind.CBS_TABLES
    written: dict[str, list[Path]] = {}
    for index, spec in enumerate(TABLES):
        folder = cbs_table_dir(root, spec.table)
        folder.mkdir(parents=True, exist_ok=True)
        codes = measure_codes(index, spec)
        docs = {"Dimensions": {"value": dimensions(spec)}, "MeasureCodes": {"value": codes},
                "PeriodenCodes": {"value": period_codes(size.stat_years)}}
        paths = []
        for name, doc in docs.items():
            paths.append(folder / f"{name}.json")
            paths[-1].write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        rows = observations_frame(size, spec, codes, municipalities, seed_tag=index)
        for n, page in enumerate(observation_pages(spec.table, rows)):
            paths.append(folder / f"Observations-{n:04d}.json")
            paths[-1].write_bytes(page)
        written[spec.table] = paths
    return written


# -- regions ---------------------------------------------------------------------------------

def regions_document(stations: Sequence[str], municipalities: Sequence[str]) -> dict:
    """The configured regions (their stations limited to those generated; the country region
    gets every station) plus one region per municipality, as `regions.yaml` declares them.
    The configured regions stay the featured ones, as a national deployment would have it."""
    present = set(stations)
    declared = load_regions()
    configured = []
    for region in declared.regions:
        entry = region.model_dump(exclude_defaults=True)
        entry["stations"] = (list(stations) if region.kind == "country"
                             else [s for s in region.stations if s in present])
        configured.append(entry)
    located = station_municipalities(stations, municipalities)
    per_municipality = [
        {"id": f"m_{code.lower()}", "kind": "municipality",
         "name": {"nl": f"Gemeente {code} (synthetisch)", "en": f"Municipality {code} (synthetic)"},
         "municipalities": [code], "stations": [s for s, m in located.items() if m == code]}
        for code in municipalities]
    located_by = {s.code: s for s in declared.station_register}
    register = [{"code": s, "name": located_by[s].name if s in located_by else s,
                 **({"municipality": located[s]} if located.get(s) else {})} for s in stations]
    names = {**declared.municipality_names,
             **{code: declared.municipality_names.get(code, f"Gemeente {code}")
                for code in municipalities}}
    return {"municipality_names": names, "station_register": register,
            "regions": configured + per_municipality, "featured": declared.featured_ids}


def write_regions_file(stations: Sequence[str], municipalities: Sequence[str], root: Path) -> Path:
    path = root / "regions.yaml"
    path.write_text(yaml.safe_dump(regions_document(stations, municipalities), sort_keys=False,
                                   allow_unicode=True), encoding="utf-8")
    return path


# -- everything for one size -----------------------------------------------------------------

def generate(size: Size, root: Path) -> GeneratedInput:
    """Write one size's input under `root` (deterministic: same size, same bytes)."""
    root.mkdir(parents=True, exist_ok=True)
    stations, municipalities = station_codes(size.stations), municipality_codes(size.municipalities)
    out = GeneratedInput(size=size, root=root, stations=stations, municipalities=municipalities,
                         regions_file=write_regions_file(stations, municipalities, root))
    out.rivm_files = write_rivm_files(size, stations, root)
    out.api_pages = write_api_day(size, stations, root)
    out.cbs_tables = write_cbs_tables(size, municipalities, root)
    return out


def refresh_window(size: Size) -> tuple[datetime, datetime]:
    """The UTC span of the incremental refresh day."""
    day = size.refresh_day
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)
