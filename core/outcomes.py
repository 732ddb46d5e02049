"""What a validation found, in plain types: written by the validation layer, stored by the
warehouse, shown by the reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    parameters: Mapping[str, object]
    success: bool
    unexpected_count: int | None
    unexpected_examples: Sequence[object]


@dataclass(frozen=True)
class ValidationOutcome:
    table_name: str
    partition_key: str
    row_count: int
    expectations: Sequence[ExpectationOutcome]

    @property
    def success(self) -> bool:
        return all(e.success for e in self.expectations)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success]
