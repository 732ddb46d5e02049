"""A lake writer process for the serialisation test (the backend follows TM_LAKE_*):

    python tests/distributed/writer.py hold RELEASE_FILE   # delete the test day, wait, commit
    python tests/distributed/writer.py replace VALUE        # replace the test day with VALUE

`hold` opens a write transaction, deletes the day's rows, prints "holding" and commits only
once RELEASE_FILE exists: a writer caught in the middle of a partition write."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared row helpers

import test_warehouse as rules  # noqa: E402

from warehouse.store import Warehouse  # noqa: E402


def main(mode: str, arg: str) -> int:
    wh = Warehouse(Path("/nonexistent/warehouse.duckdb"))  # the lake: only payloads use the path
    if mode == "hold":
        with wh.transaction() as con:
            con.execute("DELETE FROM clean_air_quality_hourly WHERE measured_at >= ? "
                        "AND measured_at < ?", list(rules.DAY))
            print("holding", flush=True)
            while not Path(arg).exists():
                time.sleep(0.05)
        return 0
    wh.replace_window("clean_air_quality_hourly", rules.hourly([float(arg)]),
                      {"measured_at": rules.DAY})
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
