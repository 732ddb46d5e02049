"""What each clean window was last written from: the content hashes of its raw payloads.

A clean write that passed validation records a fingerprint of its inputs (the newest vintage
of each payload it parsed, plus what else shapes the rows: the table's schema and the project
version). A later run whose payloads have the same fingerprint has nothing to do: the rows in
the table are what parsing, validating and writing them again would give. A failed validation
clears the fingerprint, so the next run validates again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

INPUTS_DDL = """
CREATE TABLE IF NOT EXISTS input_fingerprints (
  table_name VARCHAR NOT NULL,
  partition_key VARCHAR NOT NULL,
  inputs_hash VARCHAR NOT NULL,
  validation_id VARCHAR NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL
)
"""  # one row per window, kept so by delete-then-insert (DuckLake has no key constraints)


@dataclass(frozen=True)
class UnchangedInputs:
    """The stored validation that passed on exactly these inputs."""
    validation_id: str
    row_count: int
    expectations: int


class CleanInputs:
    """Fingerprints of the raw payloads behind each clean window (a mixin of `Warehouse`)."""

    def inputs_fingerprint(self, requests: Iterable[tuple[str, str | None, str | None]],
                           *extra: object) -> str:
        """SHA-256 over the newest vintage (request key and content hash) of each payload of
        the given (source, dataset, partition) selections, and `extra` (schema, version)."""
        digest = hashlib.sha256()
        for part in extra:
            digest.update(str(part).encode() + b"\0")
        with self.connect(read_only=False) as con:
            for source, dataset, partition in requests:
                rows = con.execute(
                    "SELECT request_key, content_hash FROM raw_payloads_current "
                    "WHERE source = ? AND (? IS NULL OR dataset = ?) "
                    "AND (? IS NULL OR partition_key = ?) ORDER BY request_key",
                    [source, dataset, dataset, partition, partition]).fetchall()
                digest.update(f"{source}\0{dataset}\0{partition}\0{len(rows)}\n".encode())
                for request_key, content_hash in rows:
                    digest.update(f"{request_key}\0{content_hash}\n".encode())
        return digest.hexdigest()

    def unchanged_inputs(self, table: str, partition_key: str,
                         fingerprint: str) -> UnchangedInputs | None:
        """The passed validation of these exact inputs, if it is still the window's latest."""
        with self.connect(read_only=False) as con:
            row = con.execute(
                "SELECT v.validation_id, v.row_count, v.expectations FROM input_fingerprints i "
                "JOIN validation_latest v ON v.table_name = i.table_name "
                "AND v.partition_key = i.partition_key AND v.validation_id = i.validation_id "
                "WHERE i.table_name = ? AND i.partition_key = ? AND i.inputs_hash = ? "
                "AND v.success", [table, partition_key, fingerprint]).fetchone()
        return UnchangedInputs(*row) if row else None

    def record_inputs(self, table: str, partition_key: str, fingerprint: str | None,
                      validation_id: str) -> None:
        """After a gate: remember the inputs of a passed write (None: forget, it failed)."""
        with self.transaction() as con:
            con.execute("DELETE FROM input_fingerprints WHERE table_name = ? AND partition_key = ?",
                        [table, partition_key])
            if fingerprint is not None:
                con.execute("INSERT INTO input_fingerprints VALUES (?, ?, ?, ?, ?)",
                            [table, partition_key, fingerprint, validation_id,
                             datetime.now(UTC)])
