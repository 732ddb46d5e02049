"""The national validated air-quality history (the yearly partitions, the bulk of a national
build) through the embedded file and through the distributed profile with 1, 2 and 4 worker
processes, in one run: wall time, peak memory per process, rows per second.

    python -m benchmarks.distributed [--size national] [--stations N] [--years N]
                                     [--workers 1 2 4] [--out results.md]

Input: `benchmarks.national`'s synthesized RIVM yearly files (synthetic data for timing). Each
worker is its own process and runs its share of the years (round robin) as the yearly assets
do: `rivm_air_quality.fetch_year` over the recorded files, `record_payloads`, parse, then the
gate `validate_then_write` (GX validation, one-transaction window write). Dagster's own
overhead per run is not included (as in `benchmarks.run`). The embedded file takes one
process (one writer); each lake run gets a fresh catalogue database and S3 prefix on the
services this command starts on 127.0.0.1 (PostgreSQL, moto's S3 server;
benchmarks/services.py), with the raw payload bodies in the S3 payload store
(TM_PAYLOAD_PATH), as workers on several machines need them. Peak memory is each worker's
resident high-water mark (VmHWM). After each profile: what it stored (the DuckDB file and its
payload folder; the lake's Parquet objects, payload objects and PostgreSQL catalogue), one
reader's query over every row (annual means per station and component), and for the file the
full read check a build makes before publishing (`warehouse.integrity.verify_readable`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import services
from benchmarks.national import SIZES, station_codes, write_rivm_files
from benchmarks.run import machine_facts, peak_rss_bytes, say

HERE = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def worker(input_root: Path, home: Path, years: list[int]) -> dict:
    """In a worker process: the yearly partitions `years`, one after the other."""
    import polars as pl

    from families.air_quality import VALIDATED_HOURLY
    from sources import rivm_air_quality
    from sources.http import SnapshotTransport, SourceHttp
    from sources.registry import SOURCES
    from transforms.air_quality import parse_rivm_yearly_csv, reporting_year_window
    from warehouse.gate import validate_then_write
    from warehouse.store import Warehouse

    started = time.perf_counter()
    spec = SOURCES["rivm_air_quality"]
    http = SourceHttp(source=spec.name, base_url=spec.base_url,
                      transport=SnapshotTransport([input_root]))
    wh = Warehouse(home / "warehouse.duckdb")  # the lake when TM_LAKE_* is set
    rows = 0
    for year in years:
        key = str(year)
        wh.record_payloads(rivm_air_quality.fetch_year(http, year, partition=key),
                           partition_key=key)
        frame = pl.concat([parse_rivm_yearly_csv(p) for p in
                           wh.current_payloads("rivm_air_quality", "validated_yearly", key)])
        window = {"source": "rivm_validated", "measured_at": reporting_year_window(year)}
        result = validate_then_write(wh, VALIDATED_HOURLY.table_name, frame,
                                     VALIDATED_HOURLY.rules(), window, key)
        if not result.outcome.success:
            raise RuntimeError(f"{year}: the synthesized data failed validation")
        rows += result.rows_written
    return {"years": years, "rows": rows, "seconds": round(time.perf_counter() - started, 2),
            "peak_mb": round(peak_rss_bytes() / MB, 1)}


# A reader's query over every validated row (what a report reads, at its largest).
ANNUAL_MEANS = ("SELECT station_code, component, year(measured_at) AS year, avg(value_ugm3) "
                "FROM clean_air_quality_validated_hourly GROUP BY ALL")


def _folder_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) if root.is_dir() else 0


def _s3_bytes(endpoint: str, url: str) -> tuple[int, int]:
    """Object count and bytes under an s3://bucket/prefix/ URL."""
    bucket, prefix = url[len("s3://"):].split("/", 1)
    pages = services.s3_client(endpoint).get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix)
    sizes = [o["Size"] for page in pages for o in page.get("Contents", [])]
    return len(sizes), sum(sizes)


def storage_and_reads(home: Path, env: dict[str, str]) -> dict:
    """What a profile stored, and the time of a reader's query (and the file's read check)."""
    from warehouse.integrity import verify_readable
    from warehouse.lake import LakeSettings
    from warehouse.store import Warehouse

    lake = LakeSettings.from_env(env)
    if lake is None:
        wh = Warehouse(home / "warehouse.duckdb", lake=False)
        out = {"warehouse_mb": round(wh.path.stat().st_size / MB, 1),
               "payloads_mb": round(_folder_bytes(wh.payloads.root) / MB, 1)}
        started = time.perf_counter()
        verify_readable(wh)
        out["read_check_s"] = round(time.perf_counter() - started, 1)
    else:
        wh = Warehouse(home / "warehouse.duckdb", lake=lake)
        files, data = _s3_bytes(env["TM_LAKE_S3_ENDPOINT"], env["TM_LAKE_DATA_PATH"])
        bodies, payloads = _s3_bytes(env["TM_LAKE_S3_ENDPOINT"], env["TM_PAYLOAD_PATH"])
        import psycopg2  # with dagster-postgres, in the `distributed` group

        with psycopg2.connect(lake.catalog) as pg, pg.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            catalogue = cur.fetchone()[0]
        out = {"warehouse_mb": round(data / MB, 1), "parquet_files": files,
               "payloads_mb": round(payloads / MB, 1), "payload_objects": bodies,
               "catalogue_mb": round(catalogue / MB, 1)}
    started = time.perf_counter()
    with wh.connect(read_only=True) as con:
        out["query_rows"] = len(con.execute(ANNUAL_MEANS).fetchall())
    out["query_s"] = round(time.perf_counter() - started, 1)
    return out


def run_profile(label: str, input_root: Path, home: Path, years: list[int], workers: int,
                env: dict[str, str]) -> dict:
    """`workers` worker processes at once over `years`; wall time from start to the last."""
    home.mkdir(parents=True, exist_ok=True)
    if env.get("TM_LAKE_CATALOG"):  # the catalogue made once, untimed, as a deployment's setup
        from warehouse.lake import LakeSettings
        from warehouse.store import Warehouse

        Warehouse(home / "warehouse.duckdb", lake=LakeSettings.from_env(env)).initialise()
    shares = [years[n::workers] for n in range(workers)]
    started = time.perf_counter()
    procs = []
    for n, share in enumerate(shares):
        result = home / f"worker{n}.json"
        procs.append((subprocess.Popen(
            [sys.executable, "-m", "benchmarks.distributed", "--worker", str(input_root),
             str(home), str(result), *map(str, share)], cwd=HERE,
            env={**os.environ, **env}), result))
    for proc, _ in procs:
        if proc.wait() != 0:
            raise RuntimeError(f"{label}: a worker failed")
    seconds = time.perf_counter() - started
    per_worker = [json.loads(result.read_text()) for _, result in procs]
    rows = sum(w["rows"] for w in per_worker)
    say(f"{label}: {rows:,} rows in {seconds:.1f} s")
    load_end = round(os.getloadavg()[0], 2)
    stored = storage_and_reads(home, env)
    say(f"{label}: {stored}")
    return {"profile": label, "workers": workers, "seconds": round(seconds, 1), "rows": rows,
            "rows_per_s": round(rows / seconds), "per_worker": per_worker,
            "load_average_end": load_end, "stored": stored}


def run(size_name: str, worker_counts: list[int], workdir: Path, last_years: int | None = None,
        progress: Path | None = None, stations: int | None = None) -> dict:
    size = SIZES[size_name]
    if stations:  # the size's years and components over another number of stations
        size = replace(size, stations=stations)
        size_name = f"{stations} stations"
    if last_years:  # the size's stations over fewer years (a shorter run on a loaded machine)
        size = replace(size, years=size.years[-last_years:])
    input_root = workdir / "input"
    say(f"generating {size_name} RIVM files under {input_root}")
    started = time.perf_counter()
    write_rivm_files(size, station_codes(size.stations), input_root)
    say(f"generated {_folder_bytes(input_root) / MB:,.0f} MB in "
        f"{time.perf_counter() - started:.0f} s")
    years = list(size.years)
    out = {"size": size_name, "input_mb": round(_folder_bytes(input_root) / MB, 1), "measurements": size.measurements, "years": years,
           "load_average_start": round(os.getloadavg()[0], 2), "results": []}

    def record(entry: dict) -> None:
        out["results"].append(entry)
        if progress is not None:  # each profile's figures kept as soon as they are measured
            progress.write_text(json.dumps(out, indent=1), encoding="utf-8")

    record(run_profile("embedded (one DuckDB file)", input_root, workdir / "embedded", years, 1,
                       {"TM_LAKE_CATALOG": ""}))
    with services.postgres() as libpq, services.s3_endpoint() as endpoint:
        for workers in worker_counts:
            env = services.lake_environment(libpq, endpoint, f"bench{workers}")
            record(run_profile(f"distributed, {workers} worker(s)", input_root,
                               workdir / f"lake{workers}", years, workers, env))
    return out


def render(result: dict, machine: dict) -> str:
    lines = [f"## Distributed profile ({result['size']}, years "
             f"{result['years'][0]}-{result['years'][-1]}, {datetime.now(UTC):%Y-%m-%d %H:%M} "
             "UTC, one run)", "",
             "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()), "",
             "| profile | wall s | rows | rows/s | per worker: s, peak MB |",
             "| --- | ---: | ---: | ---: | --- |"]
    for r in result["results"]:
        workers = "; ".join(f"{w['seconds']:.0f} s, {w['peak_mb']:.0f} MB"
                            for w in r["per_worker"])
        lines.append(f"| {r['profile']} | {r['seconds']:.1f} | {r['rows']:,} | "
                     f"{r['rows_per_s']:,} | {workers} |")
    lines += ["", "| profile | stored data MB | payload bodies MB | catalogue MB | "
              "annual-means query s | full read check s |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in result["results"]:
        s = r["stored"]
        lines.append(f"| {r['profile']} | {s['warehouse_mb']:,} | {s['payloads_mb']:,} | "
                     f"{s.get('catalogue_mb', '-')} | {s['query_s']} | "
                     f"{s.get('read_check_s', '-')} |")
    lines.append("")
    lines.append(f"Input: {result['input_mb']:,} MB of yearly CSV files. "
                 f"1-minute load average at the start {result['load_average_start']}, after each: "
                 + ", ".join(str(r["load_average_end"]) for r in result["results"]))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "--worker":
        input_root, home, result, *years = argv[1:]
        out = worker(Path(input_root), Path(home), [int(y) for y in years])
        Path(result).write_text(json.dumps(out), encoding="utf-8")
        return 0
    cli = argparse.ArgumentParser(prog="python -m benchmarks.distributed", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--size", choices=sorted(SIZES), default="national")
    cli.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    cli.add_argument("--years", type=int, help="only the size's last N reporting years")
    cli.add_argument("--stations", type=int, help="the size's years over N stations instead")
    cli.add_argument("--workdir", type=Path)
    cli.add_argument("--out", type=Path, help="also write the table (.json: raw figures)")
    args = cli.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tm-bench-distributed-"))
    result = run(args.size, args.workers, workdir, args.years,
                 args.out.with_suffix(".json") if args.out else None, args.stations)
    text = render(result, machine_facts())
    print(text)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) if args.out.suffix == ".json"
                            else text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
