"""Validation results: every outcome stored (runs and expectations), and which tables' latest
validation failed (the report refuses to publish from those)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from core.outcomes import ValidationOutcome


class ValidationResults:
    """Stored validation outcomes (a mixin of `Warehouse`)."""

    def record_validation(self, outcome: ValidationOutcome, validation_id: str) -> None:
        with self.transaction() as con:
            insert_validation(con, outcome, validation_id)

    def failed_tables(self) -> list[str]:
        """Tables whose latest validation of any partition failed."""
        frame = self.query("SELECT DISTINCT table_name FROM validation_latest WHERE NOT success "
                           "ORDER BY table_name")
        return frame["table_name"].to_list()


def insert_validation(con, outcome: ValidationOutcome, validation_id: str) -> None:
    """Store one outcome over `con`, inside the caller's transaction (a chunked write records a
    passed validation in its own write transaction)."""
    con.execute(
        "INSERT INTO validation_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [validation_id, outcome.table_name, outcome.partition_key, datetime.now(UTC),
         outcome.success, outcome.row_count, len(outcome.expectations), len(outcome.failed)],
    )
    for e in outcome.expectations:
        con.execute(
            "INSERT INTO validation_expectations VALUES (?, ?, ?, ?, ?, ?, ?)",
            [validation_id, e.expectation, e.column,
             json.dumps(e.parameters, default=str, sort_keys=True), e.success,
             e.unexpected_count, json.dumps(list(e.unexpected_examples)[:20], default=str)],
        )
