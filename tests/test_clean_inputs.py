"""A clean window whose raw payloads are unchanged since its last passed validation is not
parsed, validated or written again; a new vintage, a failed validation or a new schema makes
the next run do the work."""

from datetime import UTC, datetime

from core.outcomes import ExpectationOutcome, ValidationOutcome
from core.payload import Payload
from warehouse.store import Warehouse

TABLE = "clean_employment"


def payload(body: bytes, key: str = "page-1") -> Payload:
    return Payload(source="cbs_statline", dataset="employment_jobs", request_key=key,
                   url=f"https://example.invalid/{key}", media_type="application/json",
                   body=body, fetched_at=datetime.now(UTC))


def passed(wh: Warehouse, validation_id: str, success: bool = True) -> None:
    outcome = ValidationOutcome(TABLE, "", 10, [ExpectationOutcome(
        "expect_column_values_to_not_be_null", "value", {}, success, 0 if success else 1, [])])
    wh.record_validation(outcome, validation_id)


def fingerprint(wh: Warehouse, schema: str = "ddl v1") -> str:
    return wh.inputs_fingerprint([("cbs_statline", "employment_jobs", None)], schema, "0.1.0")


def test_unchanged_payloads_find_their_passed_validation(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.record_payloads([payload(b'{"a": 1}'), payload(b'{"b": 2}', "page-2")])
    first = fingerprint(wh)
    assert wh.unchanged_inputs(TABLE, "", first) is None  # never written
    passed(wh, "v1")
    wh.record_inputs(TABLE, "", first, "v1")
    found = wh.unchanged_inputs(TABLE, "", first)
    assert found is not None and found.validation_id == "v1" and found.row_count == 10
    # the same bodies fetched again: no new vintage, the same fingerprint
    wh.record_payloads([payload(b'{"a": 1}'), payload(b'{"b": 2}', "page-2")])
    assert fingerprint(wh) == first
    assert wh.unchanged_inputs(TABLE, "", fingerprint(wh)) is not None


def test_a_new_vintage_or_schema_changes_the_fingerprint(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.record_payloads([payload(b'{"a": 1}')])
    first = fingerprint(wh)
    passed(wh, "v1")
    wh.record_inputs(TABLE, "", first, "v1")
    assert fingerprint(wh, "ddl v2") != first
    wh.record_payloads([payload(b'{"a": 2}')])
    assert fingerprint(wh) != first
    assert wh.unchanged_inputs(TABLE, "", fingerprint(wh)) is None


def test_a_failed_or_later_validation_means_the_work_is_done_again(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.record_payloads([payload(b'{"a": 1}')])
    first = fingerprint(wh)
    passed(wh, "v1")
    wh.record_inputs(TABLE, "", first, "v1")
    passed(wh, "v2", success=False)  # a later validation of the window failed
    assert wh.unchanged_inputs(TABLE, "", first) is None
    wh.record_inputs(TABLE, "", None, "v2")  # the gate forgets the inputs of a failure
    passed(wh, "v3")
    assert wh.unchanged_inputs(TABLE, "", first) is None


class Rule:
    """Stands for a GX expectation: what the fingerprint reads of it is its JSON."""

    def __init__(self, maximum: float) -> None:
        self.maximum = maximum

    def json(self) -> str:
        return f'{{"max_value": {self.maximum}}}'


BUILT: list[str] = []  # which rules were built (a global: a closure's contents are hashed)


def loose() -> list:
    BUILT.append("loose")
    return [Rule(100)]


def strict() -> list:
    BUILT.append("strict")
    return [Rule(1)]


def with_extra(extra):  # as families.cbs builds a family's rules: a closure
    return lambda: [Rule(0), *extra()]


def test_the_rules_text_is_kept_but_never_served_to_other_rules(tmp_path, monkeypatch):
    from orchestration.checks import RULES_CACHE_ENV, rules_description

    monkeypatch.setenv(RULES_CACHE_ENV, str(tmp_path))
    BUILT.clear()
    first = rules_description(TABLE, loose)
    assert rules_description(TABLE, loose) == first and BUILT == ["loose"]  # read back
    assert rules_description(TABLE, strict) != first  # another callable, same table: built
    assert rules_description(TABLE, with_extra(loose)) != rules_description(
        TABLE, with_extra(strict))  # closures told apart by what they hold
    assert BUILT == ["loose", "strict", "loose", "strict"]
    assert rules_description("clean_other", loose) == first and len(BUILT) == 5
