"""One worker of the distributed test tier: runs the given (job, partition) pairs through
`build_defs` in its own process. The warehouse backend follows the environment (TM_LAKE_*:
the DuckLake lake; unset: the embedded file under --home).

    python tests/distributed/worker.py --home H air_quality_daily_job:2025-01-06 ...
"""

from __future__ import annotations

import argparse
import sys
import time

import dagster as dg

from orchestration.definitions import build_defs
from orchestration.settings import paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True)
    parser.add_argument("runs", nargs="+", help="job:partition (partition may be empty)")
    args = parser.parse_args(argv)
    defs = build_defs(home=str(paths(args.home).home), mode="snapshot")
    instance = dg.DagsterInstance.ephemeral()
    failed = 0
    for run in args.runs:
        job, _, key = run.partition(":")
        started = time.monotonic()
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance, partition_key=key or None, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
        print(f"{run}: {'ok' if result.success else 'FAILED'} "
              f"({time.monotonic() - started:.1f}s)", flush=True)
        failed += not result.success
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
