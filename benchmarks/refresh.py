"""One day of air quality as the deployment refreshes it, in a new process (timed by
`benchmarks.commands`): the definitions loaded as `workspace.yaml` loads them
(`orchestration.definitions.defs`), the daily schedule evaluated for the morning after the
day (its own `RunRequest`: partition key and tags), that run executed, then the
edition sensor evaluated with the cursor it held before the run, and any edition it asks
for executed.

`python -m benchmarks.refresh --home HOME [--day YYYY-MM-DD]` prints one JSON line (last on
stdout): the seconds of each phase, the run's success, whether the sensor asked for an
edition, and `refresh_s`: the process's time from its start to the end of the last run, less
the sensor's evaluation before the run (setup: it stands for the cursor a running daemon
holds after the build).

What differs from the daemon: the daemon's run launcher starts a process per run and its
schedule and sensor ticks come from the daemon loop; here the run executes in this process
(`execute_in_process`, the in-process executor the project's runs use), so the process start,
the imports and the definitions are paid once, as the run's own process pays them. The
run-status sensors (alerts) are not evaluated: they send notifications and start no run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

STARTED = time.perf_counter()


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.refresh", description=__doc__)
    cli.add_argument("--home", type=Path, required=True, help="a built state directory")
    cli.add_argument("--day", type=date.fromisoformat, default=None,
                     help="the UTC day to refresh (default the last snapshot day)")
    args = cli.parse_args(argv)

    from orchestration.settings import HOME_ENV, SOURCE_MODE_ENV, paths, prepare_dagster_home

    os.environ[HOME_ENV] = str(args.home)
    os.environ.setdefault(SOURCE_MODE_ENV, "snapshot")
    prepare_dagster_home(paths(args.home))

    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.schedules import TIMEZONE
    from sources.luchtmeetnet import SNAPSHOT_DAYS

    day = args.day or date.fromisoformat(SNAPSHOT_DAYS[-1])
    phases: dict[str, float] = {}
    mark = time.perf_counter()
    phases["start_imports_definitions"] = mark - STARTED
    repository = defs.get_repository_def()
    with dg.DagsterInstance.get() as instance:
        sensor = defs.get_sensor_def("edition_after_new_data")
        # the cursor a running daemon holds after the build: its evaluation before the run
        held = sensor.evaluate_tick(dg.build_sensor_context(
            instance=instance, repository_def=repository)).cursor
        phases["setup_sensor_cursor"] = time.perf_counter() - mark  # the daemon's, not timed
        mark = time.perf_counter()
        schedule = defs.get_schedule_def("air_quality_daily_schedule")
        morning = datetime.combine(day + timedelta(days=1), clock(6, 15), ZoneInfo(TIMEZONE))
        requests = schedule.evaluate_tick(dg.build_schedule_context(
            instance=instance, scheduled_execution_time=morning,
            repository_def=repository)).run_requests or []
        phases["schedule"] = time.perf_counter() - mark
        if [r.partition_key for r in requests] != [day.isoformat()]:
            raise SystemExit(f"the schedule asked for {requests}, not the day {day}")
        mark = time.perf_counter()
        job = defs.resolve_job_def(schedule.job_name)
        daily = job.execute_in_process(instance=instance, partition_key=requests[0].partition_key,
                                       tags=dict(requests[0].tags), raise_on_error=False)
        phases["daily_run"] = time.perf_counter() - mark
        mark = time.perf_counter()
        asked = sensor.evaluate_tick(dg.build_sensor_context(
            instance=instance, cursor=held, repository_def=repository))
        phases["sensor"] = time.perf_counter() - mark
        edition = None
        for request in asked.run_requests or []:
            mark = time.perf_counter()
            edition = defs.resolve_job_def(sensor.job_name).execute_in_process(
                instance=instance, tags=dict(request.tags), raise_on_error=False).success
            phases["edition_run"] = time.perf_counter() - mark
    total = time.perf_counter() - STARTED
    print(json.dumps({"day": day.isoformat(), "daily_run_success": daily.success,
                      "refresh_s": round(total - phases["setup_sensor_cursor"], 2),
                      "sensor_asked_for_edition": bool(asked.run_requests),
                      "edition_success": edition,
                      "phases_s": {k: round(v, 2) for k, v in phases.items()}}))
    return 0 if daily.success and edition in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
