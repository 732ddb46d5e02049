"""The direct baseline for `transition-monitor build` on the snapshot:
`python -m benchmarks.direct --snapshot DIR --out DIR`.

It does the build's work with the project's own functions and nothing around them: reads the
snapshot files (already generated in DIR, as a fresh build leaves them) through the same
clients, parses them with the same parsers, writes the clean tables with
`Warehouse.replace_window`, computes station means, indicator values and progress with
`indicators.refresh`, and writes the same edition (PDF included) with `publish_edition`. No
Dagster, and no Great Expectations validation: the ratio of the real command to this script is
what orchestration, validation and bookkeeping cost on top of the work itself.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl


def run(snapshot: Path, out: Path) -> dict[str, float]:
    from core.geography import Geography
    from families.air_quality import HOURLY, VALIDATED_HOURLY
    from families.registry import statistical
    from indicators.catalogue import load_catalogue, load_regions
    from indicators.refresh import (
        STAT_TABLES,
        refresh_indicator_values,
        refresh_progress,
        refresh_station_annual,
    )
    from orchestration.partitions import VALIDATED_AIR_QUALITY_YEARS
    from reports.inputs import load_edition_inputs
    from reports.publish import publish_edition
    from sources import luchtmeetnet, rivm_air_quality
    from sources.registry import make_http
    from sources.snapshot import DEMO_MUNICIPALITIES, DEMO_STATIONS
    from transforms.air_quality import (
        keep_window,
        parse_luchtmeetnet_measurements,
        parse_rivm_yearly_csv,
        reporting_year_window,
    )
    from warehouse.store import Warehouse

    times: dict[str, float] = {}
    started = time.perf_counter()
    wh = Warehouse(out / "warehouse.duckdb")
    geography = Geography(tuple(sorted(DEMO_MUNICIPALITIES)), tuple(sorted(DEMO_STATIONS)))

    def client(source: str):
        return make_http(source, mode="snapshot", generated_dir=snapshot)

    with wh.session():
        rivm = client("rivm_air_quality")
        for year in VALIDATED_AIR_QUALITY_YEARS:
            payloads = rivm_air_quality.fetch_year(rivm, int(year), partition=year)
            wh.record_payloads(payloads, partition_key=year)
            frame = pl.concat([parse_rivm_yearly_csv(p) for p in payloads])
            wh.replace_window(VALIDATED_HOURLY.table_name, VALIDATED_HOURLY.table.conform(frame),
                              {"source": "rivm_validated",
                               "measured_at": reporting_year_window(int(year))})
        lml = client("luchtmeetnet")
        for day_text in luchtmeetnet.SNAPSHOT_DAYS:
            day = date.fromisoformat(day_text)
            payloads = luchtmeetnet.fetch_measurements(lml, day, stations=geography.stations,
                                                       partition=day_text)
            wh.record_payloads(payloads, partition_key=day_text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            frame, _ = keep_window(parse_luchtmeetnet_measurements(payloads), start,
                                   start + timedelta(days=1))
            wh.replace_window(HOURLY.table_name, HOURLY.table.conform(frame),
                              {"source": "luchtmeetnet_api",
                               "measured_at": (start, start + timedelta(days=1))})
        for family in statistical():
            frames = []
            for feed in family.feeds:
                payloads = feed.fetch(client(feed.source), geography)
                wh.record_payloads(payloads)
                frames.append(family.table.conform(feed.parse(payloads)))
            wh.replace_window(family.table_name, pl.concat(frames) if frames
                              else family.table.empty(), {})
    times["sources"] = time.perf_counter() - started

    mark = time.perf_counter()
    catalogue, regions = load_catalogue(), load_regions()
    refresh_station_annual(wh)
    tables = wh.read_tables([*STAT_TABLES, "air_station_annual"], read_only=False)
    refresh_indicator_values(wh, catalogue, regions, tables)
    refresh_progress(wh, catalogue, regions)
    times["indicators"] = time.perf_counter() - mark

    mark = time.perf_counter()
    publish_edition(wh, out / "site", source_mode="snapshot", pdf=True,
                    load_inputs=load_edition_inputs)
    times["edition"] = time.perf_counter() - mark
    times["total_in_process"] = time.perf_counter() - started
    return times


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.direct", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--snapshot", type=Path, required=True,
                     help="a home's snapshot-generated directory (a build made it)")
    cli.add_argument("--out", type=Path, required=True, help="where warehouse and site go")
    args = cli.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    times = run(args.snapshot, args.out)
    print(" ".join(f"{k}={v:.2f}" for k, v in times.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
