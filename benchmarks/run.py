"""The national-scale benchmark: `python -m benchmarks.run [--size small|national] [--out FILE]`.

For each size (both by default), in a fresh child process so memory figures do not mix, it
generates the input (`benchmarks.national`) and runs the build through the project's own
functions, stage by stage, as the Dagster assets call them (Dagster's own run overhead is
not included): raw (fetch + append-only vintages), parse, validate (GX, blocking), load
(`Warehouse.replace_window` per partition), indicators (station annual means -> indicator
values -> progress) and report (the edition). It then times the DuckDB floor for the
annual means, a one-day incremental refresh and every edition page, and prints the results
against the targets with PASS/FAIL. Wall times are `time.perf_counter`; peak memory is the kernel's
high-water mark of resident memory (VmHWM), reset before each stage through
/proc/self/clear_refs, so each stage's figure is the process peak while that stage ran.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import polars as pl

from benchmarks.national import (
    SIZES,
    GeneratedInput,
    Size,
    cbs_request_files,
    generate,
    refresh_window,
    year_to_date_frame,
)

MB = 1024 * 1024
PAGE_LIMIT_KB = 300
TARGETS = {  # name -> (limit, how the measured figure compares, the size it is defined at)
    "indicators_vs_floor": (3.0, "ratio", "national"),
    "incremental_vs_rebuild": (0.05, "ratio", "national"),
    "validate_vs_load": (0.50, "ratio", "national"),
    "peak_memory_gb": (4.0, "GB", "national"),
    "largest_page_kb": (PAGE_LIMIT_KB, "KB", "national"),
}
# Annual mean and hours with a value per station, component and Dutch reporting year, as
# transforms.air_quality.annual_means returns them, in one query written for speed: the
# reporting year is UTC+1 all year, a fixed offset, so epoch arithmetic replaces a time-zone
# conversion; and (station, component, hour) is unique in both tables (a validated key) and
# in the view, so count() equals the distinct count. The run checks both against the table.
FLOOR_SQL = """
SELECT station_code, component,
       CAST(year(make_timestamp(epoch_us(measured_at) + 3600000000)) AS INTEGER) AS year,
       avg(value_ugm3) AS mean_ugm3, count(value_ugm3) AS hours_with_value
FROM {source} GROUP BY ALL ORDER BY ALL
"""
FLOOR_SOURCES = {"best_view": "air_quality_hourly_best",
                 "validated_table": "clean_air_quality_validated_hourly"}


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# -- measuring -------------------------------------------------------------------------------

def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def peak_rss_bytes() -> int:
    """The process's resident high-water mark since the last reset (VmHWM)."""
    try:
        return _status_kb("VmHWM") * 1024
    except OSError:  # not Linux: the lifetime peak is the best there is
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak_rss() -> bool:
    """Restart VmHWM from the current resident size (Linux >= 4.0); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class StageClock:
    """Wall time and peak resident memory per named stage, summed over repeated entries."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.peak: dict[str, int] = defaultdict(int)
        self.process_peak = 0
        self.resettable = True

    def _fold_peak(self) -> int:
        current = peak_rss_bytes()
        self.process_peak = max(self.process_peak, current)
        return current

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self._fold_peak()  # whatever ran between stages still counts for the process
        self.resettable = reset_peak_rss() and self.resettable
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start
            self.peak[name] = max(self.peak[name], self._fold_peak())

    def as_dict(self) -> dict:
        return {name: {"seconds": round(self.seconds[name], 3),
                       "peak_mb": round(self.peak[name] / MB, 1)} for name in self.seconds}


# -- the build, stage by stage ---------------------------------------------------------------

class Bench:
    """One size's run: the generated input, a fresh warehouse and site, and the clock."""

    def __init__(self, size: Size, root: Path) -> None:
        from warehouse.store import Warehouse

        self.size, self.root = size, root
        self.clock = StageClock()
        self.unavailable: dict[str, str] = {}
        self.facts: dict[str, object] = {}
        self.wh = Warehouse(root / "warehouse.duckdb")
        self.site = root / "site"
        self.gen: GeneratedInput | None = None
        self.declarations = None  # (catalogue, regions), loaded on first use

    def run(self) -> dict:
        # Other processes on the machine skew wall times: the 1-minute load is kept with them.
        self.facts["load_average_start"] = round(os.getloadavg()[0], 2)
        with self.clock.stage("generate"):
            self.gen = generate(self.size, self.root / "input")
        say(f"generated {self.size.measurements:,} station-hours under {self.gen.root}")
        phases = (self.warm_up_validation, self.load_air_quality_years, self.load_statistics,
                  self.preload_year_to_date, self.compute_indicators, self.publish_report,
                  self.measure_floor, self.measure_pages, self.incremental_refresh)
        for phase in phases:
            self.run_phase(phase)
        self.facts["load_average_end"] = round(os.getloadavg()[0], 2)
        return self.results()

    def run_phase(self, phase) -> None:
        """A failing phase is reported with its error; the phases after it still run."""
        try:
            phase()
        except Exception as exc:  # noqa: BLE001 - reported in the results, not hidden
            self.unavailable[phase.__name__] = f"failed: {exc.__class__.__name__}: {exc}"
            say(f"{phase.__name__} failed: {exc}")

    def warm_up_validation(self) -> None:
        """GX import and context creation, paid once per process, kept out of `validate`."""
        with self.clock.stage("gx_startup"):
            from families.air_quality import VALIDATED_HOURLY
            from transforms.validation import validate_frame

            validate_frame(VALIDATED_HOURLY.table, VALIDATED_HOURLY.table.empty(),
                           VALIDATED_HOURLY.rules())

    # -- air quality: one yearly partition at a time, as the clean asset runs --------------

    def load_air_quality_years(self) -> None:
        from sources import rivm_air_quality
        from sources.http import SnapshotTransport, SourceHttp
        from sources.registry import SOURCES

        spec = SOURCES["rivm_air_quality"]
        http = SourceHttp(source=spec.name, base_url=spec.base_url,
                          transport=SnapshotTransport([self.gen.root]))
        rows, per_partition = 0, {}
        for year in self.size.years:
            key = str(year)
            with self.clock.stage("raw.air"):
                payloads = rivm_air_quality.fetch_year(http, year, partition=key)
                self.wh.record_payloads(payloads, partition_key=key)
            before = {s: self.clock.seconds[s] for s in ("validate.air", "load.air")}
            rows += self.air_quality_partition(year)
            spent = {s: self.clock.seconds[s] - before[s] for s in before}
            per_partition[key] = {s: round(t, 3) for s, t in spent.items()}
            say(f"air quality {year}: {rows:,} rows loaded so far (validate "
                f"{spent['validate.air']:.2f} s, load {spent['load.air']:.2f} s)")
        self.facts["validated_rows"] = rows
        self.facts["air_partitions"] = per_partition

    def air_quality_partition(self, year: int) -> int:
        """As the clean asset does (`warehouse.validated_air.write_validated_year`): a partition
        above the configured chunk size is parsed, validated and written in chunks."""
        from warehouse.validated_air import write_validated_year

        names = {"parse": "parse.air", "validate": "validate.air", "load": "load.air"}
        with self.clock.stage("parse.air"):
            payloads = self.wh.stored_payloads("rivm_air_quality", "validated_yearly", str(year))
        result, _ = write_validated_year(self.wh, payloads, str(year),
                                         timed=lambda phase: self.clock.stage(names[phase]))
        if not result.outcome.success:
            failed = [(e.expectation, e.column, e.unexpected_count) for e in result.outcome.failed]
            raise RuntimeError(f"air quality {year}: generated data failed validation: {failed}")
        return result.rows_written

    def gate(self, stages: tuple[str, str], table: str, frame: pl.DataFrame, rules, window,
             partition: str) -> int:
        """The pipeline's own `warehouse.gate.validate_then_write`, its validate and load phases
        timed as the two stages."""
        from warehouse.gate import validate_then_write

        names = dict(zip(("validate", "load"), stages, strict=True))
        result = validate_then_write(self.wh, table, frame, rules, window, partition,
                                     timed=lambda phase: self.clock.stage(names[phase]))
        if not result.outcome.success:
            failed = [(e.expectation, e.column, e.unexpected_count) for e in result.outcome.failed]
            raise RuntimeError(f"{table} {partition}: generated data failed validation: {failed}")
        return result.rows_written

    # -- statistics: CBS StatLine families -------------------------------------------------

    def cbs_feeds(self) -> list:
        """(family, feed, its CBS tables) of every family that reads CBS StatLine."""
        from families import employment, offshore_wind, training

        return [(module.FAMILY, feed, module.CBS_TABLES)
                for module in (employment, training, offshore_wind)
                for feed in module.FAMILY.feeds if feed.source == "cbs_statline"]

    def load_statistics(self) -> None:
        rows = 0
        for family, feed, tables in self.cbs_feeds():
            with self.clock.stage("raw.cbs"):
                self.wh.record_payloads(self.cbs_payloads(feed, tables))
            with self.clock.stage("parse.cbs"):
                frame = feed.parse(self.wh.current_payloads(feed.source, feed.name))
            rows += self.gate(("validate.cbs", "load.cbs"), family.table_name, frame,
                              family.rules(), {}, "")
        self.facts["cbs_rows"] = rows
        say(f"CBS StatLine: {rows:,} rows loaded")

    def cbs_payloads(self, feed, tables) -> list:
        """The feed's recorded responses, keyed as `sources.statline.fetch_table` keys them."""
        from core.payload import Payload

        payloads = []
        for spec in tables:
            for key, path in cbs_request_files(self.gen.root, spec):
                payloads.append(Payload(
                    source=feed.source, dataset=feed.name, request_key=key,
                    url=f"{self.gen.root.as_uri()}/{key}",
                    media_type="application/json", body=path.read_bytes(),
                    fetched_at=datetime.now(UTC)))
        return payloads

    # -- indicators ------------------------------------------------------------------------

    def preload_year_to_date(self) -> None:
        """Earlier daily runs: API rows from 1 January to the refresh day (not timed)."""
        frame = year_to_date_frame(self.size, self.gen.stations)
        start, _ = refresh_window(self.size)
        first = datetime(start.year, 1, 1, tzinfo=UTC)
        with self.clock.stage("setup.year_to_date"):
            self.wh.replace_window("clean_air_quality_hourly", frame,
                                   {"source": "luchtmeetnet_api", "measured_at": (first, start)})
        self.facts["year_to_date_rows"] = frame.height

    def compute_indicators(self, stage: str = "indicators") -> None:
        """As the assets: `indicators.refresh` for station-years, values and progress (a full
        computation the first time, only what changed afterwards)."""
        from indicators.refresh import refresh_station_annual

        with self.clock.stage(f"{stage}.station_annual"):
            annual = refresh_station_annual(self.wh)
        self.facts[f"{stage}_station_annual"] = {"scope": annual.scope, "keys": list(annual.keys),
                                                 "rows_written": annual.rows_written}
        self.indicator_values(stage)

    def indicator_values(self, stage: str) -> None:
        from indicators import refresh
        from indicators.catalogue import load_catalogue, load_regions

        if self.declarations is None:  # read once: the same catalogue for every recompute
            self.declarations = (load_catalogue(), load_regions(self.gen.regions_file))
        catalogue, regions = self.declarations
        with self.clock.stage(f"{stage}.values"):
            values = refresh.refresh_indicator_values(self.wh, catalogue, regions)
        with self.clock.stage(f"{stage}.progress"):
            assessments = refresh.refresh_progress(self.wh, catalogue, regions)
        self.facts[f"{stage}_values"] = {"scope": values.scope, "indicators": len(values.keys),
                                         "rows_written": values.rows_written}
        self.facts[f"{stage}_progress"] = {"scope": assessments.scope,
                                           "rows_written": assessments.rows_written}
        self.facts.update(regions=len(regions.regions), indicator_value_rows=values.frame.height,
                          assessment_rows=assessments.frame.height)

    # -- report ----------------------------------------------------------------------------

    @contextmanager
    def benchmark_regions(self) -> Iterator[None]:
        """The edition reads the regions file in use: the benchmark's, through the setting a
        deployment uses for its own file ($TRANSITION_MONITOR_REGIONS)."""
        from core.geography import REGIONS_FILE_ENV

        saved = os.environ.get(REGIONS_FILE_ENV)
        os.environ[REGIONS_FILE_ENV] = str(self.gen.regions_file)
        try:
            yield
        finally:
            if saved is None:
                os.environ.pop(REGIONS_FILE_ENV, None)
            else:
                os.environ[REGIONS_FILE_ENV] = saved

    def publish_report(self) -> None:
        from reports import inputs, publish

        with self.benchmark_regions(), self.clock.stage("report"):
            edition = publish.publish_edition(self.wh, self.site, source_mode="snapshot",
                                              pdf=False, load_inputs=inputs.load_edition_inputs)
        self.facts["edition_pages"] = edition.pages
        say(f"edition {edition.edition_id}: {edition.pages} pages")

    def measure_pages(self) -> None:
        """Each page rendered again on its own, timed, and its size (plotly.js is a shared file)."""
        from reports import inputs
        from reports import writer as site

        with self.benchmark_regions(), self.clock.stage("pages_timed_apart"):
            view = site.build_view(inputs.load_edition_inputs(self.wh, "pages", demo_data=True))
            pages = []
            for path, render in site.edition_pages(view, site.list_editions(self.site)):
                start = time.perf_counter()
                html = render()
                pages.append({"path": path, "seconds": round(time.perf_counter() - start, 4),
                              "bytes": len(html.encode("utf-8"))})
        self.facts["pages"] = pages

    # -- the floor ---------------------------------------------------------------------------

    def measure_floor(self) -> None:
        """The same annual means in one DuckDB query, checked against the pipeline's table."""
        for label, source in FLOOR_SOURCES.items():
            with self.clock.stage(f"floor.{label}"):
                floor = self.wh.query(FLOOR_SQL.format(source=source))  # noqa: S608 (constant)
            if label == "best_view":
                self.facts["floor_check"] = self.compare_with_pipeline(floor)

    def compare_with_pipeline(self, floor: pl.DataFrame) -> dict:
        ours = self.wh.query("SELECT station_code, component, year, mean_ugm3, hours_with_value "
                             "FROM air_station_annual")
        joined = ours.join(floor, on=["station_code", "component", "year"], how="full",
                           coalesce=True)
        diff = (joined["mean_ugm3"] - joined["mean_ugm3_right"]).abs().max()
        return {"pipeline_rows": ours.height, "floor_rows": floor.height,
                "max_abs_mean_diff": None if diff is None else float(diff),
                "hours_equal": bool((joined["hours_with_value"]
                                     == joined["hours_with_value_right"]).all())}

    # -- incremental refresh ---------------------------------------------------------------

    def incremental_refresh(self) -> None:
        """One new UTC day of air quality, then the derived tables through `indicators.refresh`,
        as the daily assets run them (the target); then, measured apart, one new CBS period."""
        from families.air_quality import HOURLY
        from sources import luchtmeetnet
        from sources.http import SnapshotTransport, SourceHttp
        from sources.registry import SOURCES
        from transforms.air_quality import keep_window, parse_luchtmeetnet_measurements

        spec, key = SOURCES["luchtmeetnet"], self.size.refresh_day.isoformat()
        http = SourceHttp(source=spec.name, base_url=spec.base_url,
                          transport=SnapshotTransport([self.gen.root]))
        with self.clock.stage("incremental.raw"):
            payloads = luchtmeetnet.fetch_measurements(http, self.size.refresh_day,
                                                       stations=self.gen.stations, partition=key)
            self.wh.record_payloads(payloads, partition_key=key)
        with self.clock.stage("incremental.parse"):
            frame, _ = keep_window(parse_luchtmeetnet_measurements(
                self.wh.current_payloads("luchtmeetnet", "measurements", key)),
                *refresh_window(self.size))
        window = {"source": "luchtmeetnet_api", "measured_at": refresh_window(self.size)}
        self.facts["incremental_rows"] = self.gate(
            ("incremental.validate", "incremental.load"), HOURLY.table_name, frame,
            HOURLY.rules(), window, key)
        self.compute_indicators("incremental")
        self.new_cbs_period("employment")
        self.compute_indicators("cbs_period")

    def new_cbs_period(self, family: str) -> None:
        """CBS publishes the newest (so far empty) period of the family's tables: the pages
        change, new vintages are stored, and the family is parsed, validated and loaded again."""
        family_, feed, tables = next(f for f in self.cbs_feeds() if f[0].name == family)
        newest = f"{self.size.stat_years[-1] + 1}JJ00"
        with self.clock.stage("cbs_period.raw"):
            payloads = [_with_period_published(p, newest) for p in self.cbs_payloads(feed, tables)]
            self.facts["incremental_cbs_new_vintages"] = self.wh.record_payloads(payloads)
        with self.clock.stage("cbs_period.parse"):
            frame = feed.parse(self.wh.current_payloads(feed.source, feed.name))
        self.facts["incremental_cbs_rows"] = self.gate(
            ("cbs_period.validate", "cbs_period.load"), family_.table_name, frame,
            family_.rules(), {}, "")

    # -- results ---------------------------------------------------------------------------

    def results(self) -> dict:
        return {"size": self.size.name, "measurements": self.size.measurements,
                "stations": self.size.stations, "years": list(self.size.years),
                "municipalities": self.size.municipalities,
                "stages": self.clock.as_dict(), "unavailable": self.unavailable,
                "process_peak_mb": round(self.clock.process_peak / MB, 1),
                "peak_per_stage": self.clock.resettable,
                "warehouse_mb": round(self.wh.path.stat().st_size / MB, 1),
                "input_mb": round(_tree_bytes(self.gen.root) / MB, 1), **self.facts}


def _with_period_published(payload, period: str):
    """An Observations page with `period` filled in: last period's value plus 1% (synthetic)."""
    from dataclasses import replace

    if "/Observations/" not in payload.request_key:
        return payload
    doc = json.loads(payload.body)
    rows = pl.DataFrame(doc["value"], infer_schema_length=None)
    keys = [c for c in rows.columns if c not in ("Id", "Perioden", "Value", "ValueAttribute")]
    previous = f"{int(period[:4]) - 1}{period[4:]}"
    before = rows.filter(pl.col("Perioden") == previous).select(*keys, prior=pl.col("Value"))
    filled = (rows.join(before, on=keys, how="left", maintain_order="left")
              .with_columns(
                  Value=pl.when(pl.col("Perioden") == period)
                  .then((pl.col("prior").fill_null(pl.col("Value").mean()) * 1.01).round(1))
                  .otherwise(pl.col("Value")),
                  ValueAttribute=pl.when(pl.col("Perioden") == period).then(pl.lit("None"))
                  .otherwise(pl.col("ValueAttribute")))
              .drop("prior"))
    doc["value"] = filled.to_dicts()
    return replace(payload, body=json.dumps(doc).encode(), fetched_at=datetime.now(UTC))


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# -- summaries and targets -------------------------------------------------------------------

BUILD_STAGES = ("raw", "parse", "validate", "load", "indicators", "report")
INCREMENTAL_STEPS = ("incremental.raw", "incremental.parse", "incremental.validate",
                     "incremental.load", "incremental.station_annual", "incremental.values",
                     "incremental.progress")
CBS_PERIOD_STEPS = ("cbs_period.raw", "cbs_period.parse", "cbs_period.validate", "cbs_period.load",
                    "cbs_period.station_annual", "cbs_period.values", "cbs_period.progress")


def stage_total(stages: dict, prefix: str) -> float:
    return sum(v["seconds"] for k, v in stages.items() if k == prefix or k.startswith(prefix + "."))


def stage_peak(stages: dict, prefix: str) -> float:
    return max((v["peak_mb"] for k, v in stages.items()
                if k == prefix or k.startswith(prefix + ".")), default=0.0)


def derived(result: dict) -> dict:
    """The ratios and totals the targets are checked on."""
    stages = result["stages"]
    build = {s: stage_total(stages, s) for s in BUILD_STAGES}
    full = sum(build.values())
    incremental = sum(stages.get(s, {}).get("seconds", 0.0) for s in INCREMENTAL_STEPS)
    cbs_period = sum(stages.get(s, {}).get("seconds", 0.0) for s in CBS_PERIOD_STEPS)
    floor = stages.get("floor.best_view", {}).get("seconds")
    pages = result.get("pages") or []
    return {
        "build": build, "full_build_s": full, "full_build_without_report_s": full - build["report"],
        "incremental_s": incremental,
        "incremental_vs_rebuild": incremental / (full - build["report"]) if full else None,
        "incremental_vs_rebuild_with_report": incremental / full if full else None,
        "cbs_period_s": cbs_period,
        "cbs_period_vs_rebuild": cbs_period / (full - build["report"]) if full else None,
        "indicators_vs_floor": build["indicators"] / floor if floor and build["indicators"] else None,
        "station_annual_vs_floor": (stages.get("indicators.station_annual", {}).get("seconds", 0)
                                    / floor) if floor else None,
        "validate_vs_load": build["validate"] / build["load"] if build["load"] else None,
        "peak_memory_gb": result["process_peak_mb"] / 1024,
        "largest_page_kb": max((p["bytes"] for p in pages), default=0) / 1024 if pages else None,
        "report_s_per_page": (build["report"] / result["edition_pages"]
                              if result.get("edition_pages") else None),
    }


def verdicts(result: dict) -> list[dict]:
    figures = derived(result)
    out = []
    for name, (limit, unit, defined_at) in TARGETS.items():
        value = figures.get(name)
        verdict = "n/a" if value is None else ("PASS" if value <= limit and
                                               (name != "peak_memory_gb" or value < limit)
                                               else "FAIL")
        out.append({"target": name, "value": value, "limit": limit, "unit": unit,
                    "verdict": verdict, "binding": result["size"] == defined_at})
    return out


# -- printing --------------------------------------------------------------------------------

def _fmt(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def stage_table(result: dict) -> list[str]:
    stages, unavailable = result["stages"], result["unavailable"]
    lines = ["| stage | wall time (s) | peak RSS (MB) |", "| --- | ---: | ---: |"]
    for name in ("generate", "gx_startup", "setup.year_to_date"):
        lines.append(_stage_line(f"({name}, not in the build)", stages.get(name)))
    for stage in BUILD_STAGES:
        parts = sorted(k for k in stages if k.startswith(stage + ".") or k == stage)
        if not parts:
            lines.append(f"| **{stage}** | {unavailable.get(stage, 'not run')} | |")
            continue
        lines.append(f"| **{stage}** | **{_fmt(stage_total(stages, stage))}** | "
                     f"**{_fmt(stage_peak(stages, stage), 0)}** |")
        lines += [_stage_line(f"&nbsp;&nbsp;{k}", stages[k]) for k in parts if k != stage]
    figures = derived(result)
    lines.append(f"| **full build** | **{_fmt(figures['full_build_s'])}** | "
                 f"**{_fmt(result['process_peak_mb'], 0)}** (process) |")
    extras = {"floor.best_view": "floor: one DuckDB query over the view the assets read",
              "floor.validated_table": "floor: the same over the validated table only",
              "pages_timed_apart": "(every page rendered again, one by one; not in the build)"}
    lines += [_stage_line(label, stages.get(name)) for name, label in extras.items()]
    lines += [_stage_line(name, stages.get(name)) for name in INCREMENTAL_STEPS]
    lines.append(f"| **incremental refresh (one day)** | **{_fmt(figures['incremental_s'])}** | |")
    lines += [_stage_line(name, stages.get(name)) for name in CBS_PERIOD_STEPS]
    lines.append(f"| **one new CBS period (employment family)** | "
                 f"**{_fmt(figures['cbs_period_s'])}** | |")
    for name, reason in unavailable.items():
        lines.append(f"| {name} | {reason} | |")
    return lines


def _stage_line(label: str, entry: dict | None) -> str:
    if entry is None:
        return f"| {label} | – | – |"
    return f"| {label} | {_fmt(entry['seconds'])} | {_fmt(entry['peak_mb'], 0)} |"


def page_table(result: dict) -> list[str]:
    pages = result.get("pages") or []
    if not pages:
        return ["(no edition pages: " + result["unavailable"].get("report", "not run") + ")"]
    kinds: dict[str, list[dict]] = defaultdict(list)
    for page in pages:
        parts = page["path"].split("/")
        kinds["/".join(parts[1:-1] + ["*"]) if len(parts) > 2 else parts[-1]].append(page)
    lines = ["| page (nl + en) | pages | mean ms | max ms | max KB | pages > 300 KB |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for kind, group in sorted(kinds.items()):
        seconds = [p["seconds"] for p in group]
        sizes = [p["bytes"] / 1024 for p in group]
        lines.append(f"| {kind} | {len(group)} | {_fmt(1000 * sum(seconds) / len(group), 1)} | "
                     f"{_fmt(1000 * max(seconds), 1)} | {_fmt(max(sizes), 1)} | "
                     f"{sum(s > PAGE_LIMIT_KB for s in sizes)} |")
    largest = sorted(pages, key=lambda p: -p["bytes"])[:5]
    lines += ["", "Largest pages: " + ", ".join(f"{p['path']} {p['bytes'] / 1024:,.0f} KB"
                                               for p in largest)]
    return lines


def target_table(results: list[dict]) -> list[str]:
    lines = ["| target | size | measured | limit | verdict |", "| --- | --- | ---: | ---: | --- |"]
    for result in results:
        for v in verdicts(result):
            binding = "" if v["binding"] else " (informative)"
            lines.append(f"| {v['target']} | {result['size']} | {_fmt(v['value'], 3)} | "
                         f"{v['limit']} {v['unit']} | {v['verdict']}{binding} |")
    return lines


def render(results: list[dict], machine: dict) -> str:
    out = [f"# Benchmark results ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)", "",
           "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()), ""]
    for result in results:
        figures = derived(result)
        out += [f"## size `{result['size']}`: {result['stations']} stations x "
                f"{len(result['years'])} years x 3 components = {result['measurements']:,} "
                f"station-hours; {result['municipalities']} municipalities", "",
                f"input {result['input_mb']} MB, warehouse {result['warehouse_mb']} MB, "
                f"regions {result.get('regions', '–')}, edition pages "
                f"{result.get('edition_pages', '–')}; 1-minute load average "
                f"{result.get('load_average_start')} at the start, "
                f"{result.get('load_average_end')} at the end; floor check "
                f"{json.dumps(result.get('floor_check'))}", "", *stage_table(result), "",
                f"Ratios: indicators / floor {_fmt(figures['indicators_vs_floor'])}; station "
                f"annual means alone / floor {_fmt(figures['station_annual_vs_floor'])}; "
                f"validate / load {_fmt(figures['validate_vs_load'])}; incremental / rebuild "
                f"without report {_fmt(figures['incremental_vs_rebuild'], 4)} (with report "
                f"{_fmt(figures['incremental_vs_rebuild_with_report'], 4)}); one CBS period / "
                f"rebuild without report {_fmt(figures['cbs_period_vs_rebuild'], 4)}; edition build time "
                f"per page {_fmt(figures['report_s_per_page'], 3)} s.", "",
                *page_table(result), ""]
    out += ["## Targets", "", *target_table(results), ""]
    return "\n".join(out)


def machine_facts() -> dict:
    versions = {m: metadata.version(m) for m in
                ("polars", "duckdb", "great-expectations", "pandas", "pyarrow", "numpy", "plotly")}
    with open("/proc/meminfo", encoding="ascii") as fh:
        total_kb = int(fh.readline().split()[1])
    return {"nproc": os.cpu_count(), "memory_gb": round(total_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "platform": platform.platform(), **versions}


# -- command ---------------------------------------------------------------------------------

def run_child(size: str, root: Path, result_file: Path) -> None:
    """Run one size in this process and write its results as JSON."""
    result = Bench(SIZES[size], root).run()
    result_file.write_text(json.dumps(result, indent=1), encoding="utf-8")


def run_size(size: str, workdir: Path) -> dict:
    """One size in a fresh interpreter, so its memory figures start from nothing."""
    root = workdir / size
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    result_file = root / "result.json"
    say(f"size {size}: starting in {root}")
    subprocess.run([sys.executable, "-m", "benchmarks.run", "--child", size, "--workdir",
                    str(root), "--result", str(result_file)], check=True,
                   cwd=Path(__file__).resolve().parent.parent)
    return json.loads(result_file.read_text(encoding="utf-8"))


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--size", choices=sorted(SIZES), action="append",
                     help="size to run (repeatable; default: small, then national)")
    cli.add_argument("--out", type=Path, help="also write the results: .json raw, else Markdown")
    cli.add_argument("--workdir", type=Path, help="where input, warehouse and site go "
                     "(default: a temporary directory, removed afterwards)")
    cli.add_argument("--keep", action="store_true", help="keep the work directory")
    cli.add_argument("--commands", action="store_true",
                     help="time the commands users run instead (fresh `build`, no-op `build`, "
                     "`publish`, `status` in subprocesses) against the direct baseline")
    cli.add_argument("--repeat", type=int, default=3, help="--commands: rounds (medians)")
    cli.add_argument("--before", type=Path, help="--commands: another checkout (with its own "
                     ".venv) timed in the same rounds, e.g. the code before a change")
    cli.add_argument("--memory", action="store_true",
                     help="peak memory of one yearly air-quality partition at the national "
                     "station count and --factors times it, whole and in chunks "
                     "(benchmarks/memory.py)")
    cli.add_argument("--factors", type=int, nargs="+", default=[1, 2, 4],
                     help="--memory: multiples of the national station count")
    cli.add_argument("--child", choices=sorted(SIZES), help=argparse.SUPPRESS)
    cli.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.child:
        run_child(args.child, args.workdir, args.result)
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="transition-monitor-bench-"))
    if args.commands:
        return run_commands_main(args, workdir)
    if args.memory:
        return run_memory_main(args, workdir)
    try:
        results = [run_size(size, workdir) for size in (args.size or ["small", "national"])]
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    text = render(results, machine_facts())
    print(text)
    if args.out:
        payload = json.dumps({"machine": machine_facts(), "results": results}, indent=1) \
            if args.out.suffix == ".json" else text
        args.out.write_text(payload, encoding="utf-8")
    failed = [f"{r['size']}: {name} {why}" for r in results
              for name, why in r["unavailable"].items() if why.startswith("failed")]
    for line in failed:  # a stage that raised is a broken benchmark, not a figure: say so
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


def run_memory_main(args: argparse.Namespace, workdir: Path) -> int:
    from benchmarks.memory import render_memory, run_memory

    return _run_and_report(args, workdir, "Memory benchmark", render_memory,
                           lambda: run_memory(workdir, args.factors, say=say))


def run_commands_main(args: argparse.Namespace, workdir: Path) -> int:
    from benchmarks.commands import render_commands, run_commands

    return _run_and_report(args, workdir, "Command benchmark", render_commands,
                           lambda: run_commands(workdir, repeat=args.repeat, before=args.before,
                                                say=say))


def _run_and_report(args: argparse.Namespace, workdir: Path, title: str, render, run) -> int:
    """Run a benchmark mode, print its Markdown (and write it, or its raw JSON, to --out)."""
    try:
        result = run()
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    text = "\n".join([f"# {title} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)", "",
                      "Machine: " + ", ".join(f"{k} {v}" for k, v in machine_facts().items()),
                      "", *render(result)])
    print(text)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) if args.out.suffix == ".json"
                            else text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
