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


def combined(table_name: str, partition_key: str,
             parts: Sequence[ValidationOutcome]) -> ValidationOutcome:
    """One outcome for a frame validated in parts (the chunks of one partition, each against
    the same rules in the same order): a rule passes when it passed on every part, its
    unexpected rows add up, its examples are the parts' in order (the store keeps 20)."""
    rules = [part.expectations for part in parts]
    if any(len(r) != len(rules[0]) for r in rules):
        raise ValueError(f"{table_name} {partition_key}: parts validated against different rules")
    merged = []
    for same_rule in zip(*rules, strict=True):
        counts = [e.unexpected_count for e in same_rule if e.unexpected_count is not None]
        examples = [x for e in same_rule for x in e.unexpected_examples][:20]
        merged.append(ExpectationOutcome(
            expectation=same_rule[0].expectation, column=same_rule[0].column,
            parameters=same_rule[0].parameters, success=all(e.success for e in same_rule),
            unexpected_count=sum(counts) if counts else None, unexpected_examples=examples))
    return ValidationOutcome(table_name=table_name, partition_key=partition_key,
                             row_count=sum(part.row_count for part in parts),
                             expectations=merged)
