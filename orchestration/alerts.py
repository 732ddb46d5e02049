"""Alerts after a run: one per table (asset) that had a problem in that run, not one per
failed check.

A table whose suite failed, whose step crashed and whose freshness check failed in the same
run is one thing to look at, so it is one message listing all three. The messages are
composed from the run's events, so the daemon's sensors and the `build` command (which has no
daemon) send the same alerts; the notifier sends a given (run, table) alert at most once, so
a build watched by a running daemon does not alert twice.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import dagster as dg

from sources.http import redact
from sources.registry import SOURCES

HINT = ("Open the run in the web UI (transition-monitor ui); a source fault is retried by the "
        "next schedule, a validation failure needs the input fixed, a stale source needs its "
        "publication and last fetches checked.")


@dataclass
class TableProblems:
    """What went wrong with one table (or a step that belongs to no table) in one run."""
    table: str
    steps: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed_checks: list[dict[str, object]] = field(default_factory=list)


def _root_message(error) -> str:
    while error is not None and error.cause is not None:  # the source's own error
        error = error.cause
    return (error.message or "").strip() if error is not None else ""


def problems_per_table(events: Iterable[dg.DagsterEvent]) -> list[TableProblems]:
    """Step failures and failed checks of one run, grouped by the table they concern (an
    asset's step key is the asset's name; a check names its asset). Checks that passed, and
    skipped steps, are not problems."""
    found: dict[str, TableProblems] = {}
    for event in events:
        if event.event_type_value == "STEP_FAILURE":
            key = event.step_key or "(run)"
            entry = found.setdefault(key, TableProblems(key))
            entry.steps.append(key)
            entry.errors.append(_root_message(event.event_specific_data.error))
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            if check.passed:
                continue
            table = check.asset_key.to_user_string()
            entry = found.setdefault(table, TableProblems(table))
            metadata = check.metadata or {}
            entry.failed_checks.append({
                "check": check.check_name,
                "severity": check.severity.value,
                "description": check.description or "",
                **{k: getattr(v, "value", v) for k, v in metadata.items()
                   if k in ("failed", "failures", "stale_sources", "errors")},
            })
    return list(found.values())


def _secrets() -> dict[str, str]:
    return {name: "" for spec in SOURCES.values() for name in spec.secret_names}


def table_alert(job: str, run_id: str, problems: TableProblems) -> dict[str, object]:
    """The message for one table: every failed step and check of it in this run, with any
    key redacted (errors quote URLs)."""
    secrets = _secrets()
    errors = [redact(e, secrets)[:500] for e in problems.errors if e]
    checks = [{k: redact(str(v), secrets)[:500] if isinstance(v, str) else v
               for k, v in c.items()} for c in problems.failed_checks]
    return {"job": job, "run_id": run_id, "table": problems.table,
            "step": problems.steps[0] if problems.steps else problems.table,
            "error": "; ".join(errors)[:1000], "failed_checks": checks, "hint": HINT}


def alert_run(notifier, job: str, run_id: str, events: Iterable[dg.DagsterEvent],
              fallback_error: str = "") -> int:
    """Send one alert per table with a problem in the run; returns how many were sent.
    A failed run in which no step or check failed (a run-level failure) still alerts once."""
    problems = problems_per_table(events)
    if not problems and fallback_error:
        problems = [TableProblems("(run)", errors=[fallback_error])]
    sent = 0
    for entry in problems:
        message = table_alert(job, run_id, entry)
        failed = entry.errors or any(c["severity"] == "ERROR" for c in entry.failed_checks)
        subject = (f"transition-monitor: {entry.table} failed in {job}" if failed else
                   f"transition-monitor: {entry.table}: a warning check failed in {job}")
        sent += bool(notifier.notify_once(f"{run_id}:{entry.table}", subject, message))
    return sent
