"""Deterministic synthesized air-quality snapshot files, in the exact upstream formats.

Two writers:
- `write_rivm_years(root)` writes RIVM's validated yearly CSVs (2016-2024, NO2/PM10/PM25,
  every station in `sources.snapshot.DEMO_STATIONS`) where `SnapshotTransport` looks them up.
  It runs on first use through `GENERATORS` / `sources.snapshot.ensure_generated`, so these
  large files are never committed. The hourly series are synthesized, but each station-year
  whose PM10 annual mean GGD published is scaled to that exact figure.
- `write_api_recordings(root)` writes the small, committed Luchtmeetnet API pages for the
  snapshot days (one page per station and day, all monitored components, each hour stamped
  with its END as the API does) and the station details. Run it after any change here:
  `python -m sources.generators.air_quality`; a test checks the committed files equal its output.

All randomness comes from numpy generators seeded per file, so every run writes the same bytes.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import polars as pl

from sources.luchtmeetnet import SNAPSHOT_DAYS, measurement_query
from sources.registry import SOURCES
from sources.rivm_air_quality import yearly_path
from sources.snapshot import DEMO_STATIONS as STATIONS
from sources.snapshot import RECORDED_DIR, Generator, write_recording
from transforms.air_quality import COMPONENTS

SEED = 20250106
YEARS = tuple(range(2016, 2025))
RIVM_BASE = SOURCES["rivm_air_quality"].base_url
API_BASE = SOURCES["luchtmeetnet"].base_url

# Published PM10 annual means (µg/m³) from the GGD IJmond reports, as listed in SOURCES.md.
PUBLISHED_PM10: dict[str, dict[int, int]] = {
    "NL49551": dict(zip(range(2016, 2022), (20, 21, 24, 21, 19, 18), strict=True)),
    "NL49553": dict(zip(range(2016, 2022), (21, 24, 26, 25, 22, 21), strict=True)),
    "NL49557": {2021: 21},
    "NL49570": dict(zip(range(2016, 2022), (17, 20, 21, 20, 18, 17), strict=True)),
    "NL49572": dict(zip(range(2016, 2022), (19, 20, 20, 17, 17, 15), strict=True)),
    "NL49573": dict(zip(range(2016, 2022), (28, 28, 32, 28, 25, 23), strict=True)),
    "NL49556": dict(zip(range(2016, 2022), (15, 14, 17, 15, 13, 13), strict=True)),
}
FIRST_YEAR = {"NL49557": 2021}  # Wijk aan Zee-Bosweg reports from 2021 only
LOW_COVERAGE = {("NL49570", 2018): 45}  # synthesized outage (days) -> coverage below 90%

# Synthesized 2016 levels (µg/m³) where no figure is bundled; they decline year on year.
NO2_2016 = {"NL49551": 26, "NL49553": 21, "NL49557": 24, "NL49570": 23, "NL49572": 27,
            "NL49573": 26, "NL49556": 13, "NL49703": 21, "NL10404": 30, "NL10445": 36,
            "NL10446": 19, "NL10450": 33}
PM10_2016 = {"NL49703": 19, "NL10404": 22, "NL10445": 24, "NL10446": 19, "NL10450": 23}
PM25_PER_PM10 = 0.55

# Approximate station metadata for the files' header rows and the API's station details.
STATION_META = {
    "NL49551": ("Velsen", "Industrie", "GGD Amsterdam", 52.463, 4.601),
    "NL49553": ("Beverwijk", "Industrie", "GGD Amsterdam", 52.494, 4.602),
    "NL49557": ("Beverwijk", "Industrie", "Tata Steel", 52.491, 4.611),
    "NL49570": ("Beverwijk", "Stad", "GGD Amsterdam", 52.485, 4.663),
    "NL49572": ("Velsen", "Industrie", "GGD Amsterdam", 52.466, 4.616),
    "NL49573": ("Velsen", "Verkeer", "GGD Amsterdam", 52.463, 4.640),
    "NL49556": ("Alkmaar", "Regionaal", "GGD Amsterdam", 52.556, 4.845),
    "NL49703": ("Haarlemmermeer", "Regionaal", "GGD Amsterdam", 52.417, 4.723),
    "NL10404": ("'s-Gravenhage", "Stad", "RIVM", 52.077, 4.289),
    "NL10445": ("'s-Gravenhage", "Verkeer", "RIVM", 52.075, 4.316),
    "NL10446": ("'s-Gravenhage", "Stad", "RIVM", 52.039, 4.359),
    "NL10450": ("'s-Gravenhage", "Verkeer", "RIVM", 52.066, 4.322),
}
STATION_TYPE_EN = {"Industrie": "Industrial", "Stad": "Urban", "Verkeer": "Traffic",
                   "Regionaal": "Regional"}

# Shape of the hourly series per component: (morning peak, evening peak) amplitudes,
# (seasonal amplitude, day of year of the peak), (Saturday, Sunday) factors.
DIURNAL = {"NO2": (0.45, 0.55), "PM10": (0.10, 0.15), "PM25": (0.08, 0.15)}
SEASONAL = {"NO2": (0.25, 15), "PM10": (0.15, 80), "PM25": (0.25, 60)}
WEEKEND = {"NO2": (0.85, 0.75), "PM10": (0.97, 0.94), "PM25": (0.97, 0.94)}


# -- annual levels ---------------------------------------------------------------------------

def annual_target(station: str, component: str, year: int) -> float | None:
    """The annual mean a synthesized station-year is scaled to (None: station not reporting)."""
    if year < FIRST_YEAR.get(station, 0):
        return None
    if component == "PM25":
        return round(PM25_PER_PM10 * annual_target(station, "PM10", year), 1)
    if component == "NO2":
        covid = 0.88 if year == 2020 else 1.0
        return round(NO2_2016[station] * 0.965 ** (year - 2016) * covid, 1)
    published = PUBLISHED_PM10.get(station, {})
    if year in published:
        return float(published[year])
    if published:  # continue the last published figure's decline
        last = max(published)
        return round(published[last] * 0.97 ** (year - last), 1)
    return round(PM10_2016[station] * 0.975 ** (year - 2016), 1)


# -- hourly series ---------------------------------------------------------------------------

def local_hours(start: datetime, hours: int) -> pl.Series:
    """Consecutive naive hour starts in Dutch standard time (UTC+1, no DST)."""
    return pl.datetime_range(start, start + timedelta(hours=hours - 1), "1h", eager=True)


def hourly_shape(stamps: pl.Series, component: str) -> np.ndarray:
    """Diurnal (rush hours), weekly (quieter weekends) and seasonal pattern, mean about 1."""
    hour = stamps.dt.hour().to_numpy().astype(float)
    doy = stamps.dt.ordinal_day().to_numpy().astype(float)
    weekday = stamps.dt.weekday().to_numpy()  # 1 = Monday .. 7 = Sunday
    morning, evening = DIURNAL[component]
    diurnal = (1 + morning * np.exp(-((hour - 8) ** 2) / 4)
               + evening * np.exp(-((hour - 18) ** 2) / 8))
    amplitude, peak_day = SEASONAL[component]
    seasonal = 1 + amplitude * np.cos(2 * np.pi * (doy - peak_day) / 365.25)
    saturday, sunday = WEEKEND[component]
    weekly = np.select([weekday == 6, weekday == 7], [saturday, sunday], 1.0)
    shape = diurnal * seasonal * weekly
    return shape / shape.mean()


def smoothed_noise(rng: np.random.Generator, size: tuple[int, int], hours: float) -> np.ndarray:
    """Unit-variance noise correlated over about `hours` (weather episodes), per column."""
    kernel = np.exp(-np.arange(int(4 * hours)) / hours)
    white = rng.standard_normal((size[0] + kernel.size, size[1]))
    smooth = np.stack([np.convolve(white[:, j], kernel, "valid")[: size[0]]
                       for j in range(size[1])], axis=1)
    return smooth / smooth.std(axis=0)


def synthesize_hours(rng: np.random.Generator, shape: np.ndarray, n_stations: int) -> np.ndarray:
    """Positive hourly values (mean about 1 per column): pattern x shared weather x local noise."""
    size = (shape.size, n_stations)
    regional = smoothed_noise(rng, (shape.size, 1), 36.0)  # one weather for the whole region
    local = smoothed_noise(rng, size, 6.0)
    values = shape[:, None] * np.exp(0.45 * regional + 0.2 * local
                                     + 0.12 * rng.standard_normal(size))
    return values / values.mean(axis=0)


def missing_mask(rng: np.random.Generator, hours: int, outage_days: int = 0) -> np.ndarray:
    """Hours without a value: scattered hours, a few maintenance blocks, optional long outage."""
    mask = rng.random(hours) < 0.01
    for start, length in zip(rng.integers(0, hours, 5), rng.integers(3, 48, 5), strict=True):
        mask[start:start + length] = True
    if outage_days:
        start = int(rng.integers(0, hours - outage_days * 24))
        mask[start:start + outage_days * 24] = True
    return mask


def scale_to_mean(rng: np.random.Generator, values: np.ndarray, mask: np.ndarray,
                  target: float) -> np.ndarray:
    """One station's series: a few small negatives (instrument noise), NaN where missing,
    scaled so the mean of the present hours equals `target` after rounding to 0.1."""
    out = values.copy()
    negative = (rng.random(out.size) < 0.0007) & ~mask
    out[negative] = -rng.uniform(0.1, 2.0, int(negative.sum()))
    present = ~mask & ~negative
    scale = (target * (~mask).sum() - out[negative].sum()) / out[present].sum()
    out[present] *= scale
    out[mask] = np.nan
    return np.round(out, 1)


# -- RIVM yearly CSV -------------------------------------------------------------------------

def year_matrix(year: int, component: str) -> tuple[pl.Series, dict[str, np.ndarray]]:
    """Local hour starts of a reporting year and one synthesized series per reporting station."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, year, COMPONENTS.index(component)]))
    start = datetime(year, 1, 1)
    stamps = local_hours(start, (datetime(year + 1, 1, 1) - start) // timedelta(hours=1))
    raw = synthesize_hours(rng, hourly_shape(stamps, component), len(STATIONS))
    series = {}
    for j, station in enumerate(STATIONS):
        target = annual_target(station, component, year)
        outage = LOW_COVERAGE.get((station, year), 0)
        mask = missing_mask(rng, stamps.len(), outage)  # drawn for every station: stable seeds
        if target is not None:
            series[station] = scale_to_mean(rng, raw[:, j], mask, target)
    return stamps, series


def rivm_csv(year: int, component: str) -> bytes:
    """One yearly file in RIVM's layout: 7 metadata rows, header, one row per hour."""
    stamps, series = year_matrix(year, component)
    return render_rivm_csv(component, stamps, series, metadata_rows(component, list(series)))


def render_rivm_csv(component: str, stamps: pl.Series, series: dict, metadata: str) -> bytes:
    """The hourly table under `metadata`, `;`-separated, empty cells for missing hours."""
    fmt = "%Y%m%d %H:%M"
    table = pl.DataFrame({
        "Component": component, "Bep.periode": "uur", "Eenheid": "ug/m3",
        "Begindatumtijd": stamps.dt.strftime(fmt),
        "Einddatumtijd": stamps.dt.offset_by("1h").dt.strftime(fmt),
        **{code: pl.Series(values).fill_nan(None) for code, values in series.items()},
    })
    body = table.write_csv(separator=";", float_precision=1, null_value="")
    return (metadata + body).encode("utf-8")


def metadata_rows(component: str, stations: list[str]) -> str:
    """The seven rows above the table: file facts left, station facts from the fifth column."""
    meta = [STATION_META[s] for s in stations]
    rows = [
        ("Component", component, "StationsCode", stations),
        ("Bep.periode", "uur", "Stationsnaam", [STATIONS[s] for s in stations]),
        ("Eenheid", "ug/m3", "Latitude,Longitude", [f"({m[3]},{m[4]})" for m in meta]),
        ("Opmerking", "synthetische demodata, geen officiele cijfers", "Stationstype",
         [m[1] for m in meta]),
        ("", "", "Gemeente", [m[0] for m in meta]),
        ("", "", "Beheerder", [m[2] for m in meta]),
        ("", "", "Meetopstelling", [f"{s}-{component}" for s in stations]),
    ]
    return "".join(";".join([left, value, "", "", label, *cells]) + "\n"
                   for left, value, label, cells in rows)


def rivm_url(year: int, component: str) -> str:
    return f"{RIVM_BASE}/{yearly_path(year, component)}"


def write_rivm_years(root: Path, years: tuple[int, ...] = YEARS) -> None:
    """Write every yearly file (gzipped) under `root`, where the snapshot transport finds it."""
    for year in years:
        for component in COMPONENTS:
            write_recording(root, rivm_url(year, component), rivm_csv(year, component), "csv",
                            compress=True, level=1)


GENERATORS: list[Generator] = [Generator(source="rivm_air_quality", version="1",
                                         write=write_rivm_years)]


# -- Luchtmeetnet API recordings (committed) -------------------------------------------------

SINGLE_PAGE = {"first_page": 1, "last_page": 1, "prev_page": 1, "next_page": 1,
               "current_page": 1, "page_list": [1]}


def api_week(component: str) -> tuple[pl.Series, dict[str, np.ndarray]]:
    """Hourly values for the snapshot week, per station, around the 2025 synthesized level.

    The hours are keyed by their UTC start, as the RIVM files' are; the page writer stamps
    each with its end. One hour more than the week: the last day's page holds the hour that
    starts at midnight after it, as the API returns it for the request's window.
    """
    rng = np.random.default_rng(np.random.SeedSequence([SEED, 2025, COMPONENTS.index(component)]))
    first = date.fromisoformat(SNAPSHOT_DAYS[0])
    utc = local_hours(datetime(first.year, first.month, first.day) - timedelta(hours=1),
                      24 * len(SNAPSHOT_DAYS) + 2)
    shape = hourly_shape(utc.dt.offset_by("1h"), component)
    raw = synthesize_hours(rng, shape, len(STATIONS))
    series = {}
    for j, station in enumerate(STATIONS):
        mask = rng.random(utc.len()) < 0.005
        winter = 1.15 if component == "NO2" else 1.05
        series[station] = scale_to_mean(rng, raw[:, j], mask,
                                        annual_target(station, component, 2025) * winter)
    return utc, series


def measurement_page(station: str, series: dict[str, tuple[pl.Series, np.ndarray]]) -> bytes:
    """One `/measurements` page as the API sends it for a station without a `formula` filter:
    per hour one record per component, ascending, fields in the API's order
    (`station_number, value, timestamp_measured, formula`), each stamped with the END of its
    hour (`series` maps component -> (UTC hour starts, values))."""
    frames = [pl.DataFrame({
        "station_number": station, "value": pl.Series(values, dtype=pl.Float64).fill_nan(None),
        "timestamp_measured": starts.dt.offset_by("1h").dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "formula": component}) for component, (starts, values) in series.items()]
    rows = pl.concat(frames).sort("timestamp_measured", maintain_order=True)
    return json.dumps({"pagination": SINGLE_PAGE, "data": json.loads(rows.write_json())}).encode()


def station_detail(station: str) -> bytes:
    """A `/stations/{number}` document as the API sends it."""
    municipality, kind, organisation, lat, lon = STATION_META[station]
    name = STATIONS[station]
    data = {"type": STATION_TYPE_EN[kind], "components": list(COMPONENTS),
            "geometry": {"type": "point", "coordinates": [lon, lat]},
            "municipality": municipality, "url": "", "province": None, "organisation": organisation,
            "location": name, "year_start": "",
            "description": {"NL": f"{name} (synthetische demodata)",
                            "EN": f"{name} (synthesized demo data)"}}
    return json.dumps({"data": data}, ensure_ascii=False).encode()


def write_api_recordings(root: Path = RECORDED_DIR) -> int:
    """Write the snapshot week's API pages and the station details (gzipped); return count.

    Each day's page answers the client's window (`sources.luchtmeetnet.measurement_query`):
    stamps from the day's 00:00 to the next day's 01:00, both included (as the API seems to),
    so it holds the day's 24 hours plus the hour before and the hour after, which the parser's
    window filter drops.
    """
    weeks = {component: api_week(component) for component in COMPONENTS}
    written = 0
    for n, day in enumerate(SNAPSHOT_DAYS):
        hours = slice(24 * n, 24 * (n + 1) + 2)
        for station in STATIONS:
            series = {component: (utc[hours], values[station][hours])
                      for component, (utc, values) in weeks.items()}
            query = {**measurement_query(station, date.fromisoformat(day)), "page": 1}
            url = f"{API_BASE}/measurements?{urlencode(query)}"
            write_recording(root, url, measurement_page(station, series), "json", compress=True)
            written += 1
    for station in STATIONS:
        write_recording(root, f"{API_BASE}/stations/{station}", station_detail(station), "json",
                        compress=True)
        written += 1
    return written


if __name__ == "__main__":
    print(f"wrote {write_api_recordings()} recordings under {RECORDED_DIR}")
