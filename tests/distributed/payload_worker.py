"""One process of the shared-payload test: writes or reads raw payloads through the warehouse
its environment configures (the lake and TM_PAYLOAD_PATH), with its own home folder.

    python tests/distributed/payload_worker.py write HOME REQUEST_KEY BODY_FILE
    python tests/distributed/payload_worker.py read HOME REQUEST_KEY   # the body on stdout
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from core.payload import Payload
from warehouse.store import Warehouse


def main(mode: str, home: str, request_key: str, body_file: str = "") -> int:
    wh = Warehouse(Path(home) / "warehouse.duckdb")
    if mode == "write":
        body = Path(body_file).read_bytes()
        stored = wh.record_payloads([Payload(
            "rivm_air_quality", "validated_yearly", request_key, "https://example.invalid/y",
            "text/csv", body, datetime.now(UTC))], partition_key="2024")
        print(stored, flush=True)
        return 0
    (payload,) = [p for p in wh.current_payloads("rivm_air_quality", "validated_yearly")
                  if p.request_key == request_key]
    sys.stdout.buffer.write(payload.body)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
