"""Asset checks: the blocking GX gate on every clean asset, and freshness checks.

A clean asset declares `gx_check_spec(...)` and yields `gx_check_result(...)`; a failed
suite fails the step, so downstream indicators and the report do not run in that run.
"""


import hashlib
import json
import os
from collections.abc import Callable, Iterable
from functools import cache, partial
from importlib import import_module, metadata
from pathlib import Path

import dagster as dg
import polars as pl

from core.tables import TableSchema
from warehouse.gate import GateResult, failure_summary
from warehouse.store import Warehouse

GX_CHECK = "great_expectations_suite"


def gx_check_spec(asset_name: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(GX_CHECK, asset=asset_name, blocking=True,
                             description="Great Expectations suite (schema + business rules); "
                                         "blocking: a failure stops downstream assets.")


def frame_metadata(frame: pl.DataFrame | None, result: GateResult) -> dict[str, object]:
    """Row count, validation flag and a small preview for the asset's materialisation (none
    for a partition written in chunks: `frame` None)."""
    preview = ("(written in chunks)" if frame is None
               else f"```\n{frame.head(5)}\n```" if frame.height else "(no rows)")
    return {"rows": result.rows_written, "validated": result.outcome.success,
            "preview": dg.MetadataValue.md(preview)}


def gx_check_result(result: GateResult) -> dg.AssetCheckResult:
    outcome = result.outcome
    return dg.AssetCheckResult(
        check_name=GX_CHECK,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "validation_id": result.validation_id,
            "rows": outcome.row_count,
            "expectations": len(outcome.expectations),
            "failed": len(outcome.failed),
            "failures": dg.MetadataValue.json(failure_summary(outcome)),
        },
        description=None if outcome.success else
        f"{len(outcome.failed)} expectation(s) failed on {outcome.table_name} "
        f"{outcome.partition_key or ''}; nothing written, previous rows kept.",
    )


@cache
def _project_version() -> str:
    try:
        return metadata.version("transition-monitor")
    except metadata.PackageNotFoundError:
        return "unknown"


def inputs_fingerprint(wh: Warehouse, table: TableSchema,
                       requests: Iterable[tuple[str, str | None, str | None]],
                       rules: Callable[[], list]) -> str:
    """The fingerprint of a clean write's inputs: its payloads' hashes, the table's schema,
    the business rules it must pass (each with its settings) and the project version (a new
    version may parse differently)."""
    return wh.inputs_fingerprint(requests, table.ddl(), _project_version(),
                                 *rules_description(table.name, rules))


# The packages a family's rules can be built from (the layering forbids the rest).
RULE_PACKAGES = ("core", "sources", "transforms", "families")
RULES_CACHE_ENV = "TRANSITION_MONITOR_RULES_CACHE"


@cache
def _rule_sources_hash() -> str:
    """SHA-256 over the source and configuration files of RULE_PACKAGES and GX's version."""
    digest = hashlib.sha256(metadata.version("great-expectations").encode())
    for package in RULE_PACKAGES:
        for root in import_module(package).__path__:
            for path in sorted(Path(root).rglob("*")):
                if path.suffix in (".py", ".yaml", ".yml", ".json") and path.is_file():
                    digest.update(f"{path.relative_to(root)}\0".encode() + path.read_bytes())
    return digest.hexdigest()


@cache
def _file_hash(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _callable_identity(fn, digest, seen: set[int]) -> None:
    """What a rules callable is: its name, its defining file and what its closure holds
    (functions followed), so another callable for the same table never finds this one's text."""
    if id(fn) in seen:
        return
    seen.add(id(fn))
    if isinstance(fn, partial):
        digest.update(repr((fn.args, fn.keywords)).encode())
        _callable_identity(fn.func, digest, seen)
        return
    digest.update(f"{getattr(fn, '__module__', '')}:{getattr(fn, '__qualname__', fn)!r}".encode())
    code = getattr(fn, "__code__", None)
    if code is not None:
        digest.update(_file_hash(code.co_filename).encode())
    for cell in getattr(fn, "__closure__", None) or ():
        value = cell.cell_contents
        if callable(value):
            _callable_identity(value, digest, seen)
        else:
            digest.update(repr(value).encode())


def _rules_key(table_name: str, rules: Callable[[], list]) -> str:
    digest = hashlib.sha256(f"{_rule_sources_hash()}\0{table_name}\0".encode())
    _callable_identity(rules, digest, set())
    return digest.hexdigest()


def _rules_cache_file() -> Path | None:
    chosen = os.environ.get(RULES_CACHE_ENV) or os.environ.get("TRANSITION_MONITOR_HOME")
    return Path(chosen) / "rules-descriptions.json" if chosen else None


def rules_description(table_name: str, rules: Callable[[], list]) -> list[str]:
    """Each rule of a table as text with its settings. Building the rules imports Great
    Expectations (seconds; a no-op rebuild would pay it only for this), so the text is kept in
    the home, keyed by a hash of every file the rules can be built from: an edited rule, or a
    new GX version, changes the key and the rules are built again."""
    key, sources = _rules_key(table_name, rules), _rule_sources_hash()
    path = _rules_cache_file()
    stored: dict = {}
    if path is not None and path.exists():
        try:
            stored = json.loads(path.read_text())
        except (OSError, ValueError):
            stored = {}
    # only the texts of the current sources are kept (an edit makes the others useless)
    known = stored.get("rules", {}) if stored.get("sources") == sources else {}
    if key in known:
        return known[key]
    described = [f"{type(rule).__name__}:{rule.json()}" for rule in rules()]
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps({"sources": sources,
                                             "rules": {**known, key: described}}))
            temporary.replace(path)
        except OSError:
            pass  # a cache that cannot be written costs the import again, nothing else
    return described


def unchanged_events(wh: Warehouse, table: str, partition_key: str,
                     fingerprint: str) -> list | None:
    """When the window's inputs are those of its latest passed validation: the events that
    say so (the stored rows stand; nothing is parsed, validated or written). Else None."""
    found = wh.unchanged_inputs(table, partition_key, fingerprint)
    if found is None:
        return None
    note = "raw payloads unchanged since this validation: not parsed, validated or written again"
    return [
        dg.MaterializeResult(metadata={"rows": found.row_count, "validated": True,
                                       "unchanged_inputs": True,
                                       "validation_id": found.validation_id}),
        dg.AssetCheckResult(check_name=GX_CHECK, passed=True,
                            severity=dg.AssetCheckSeverity.ERROR, description=note,
                            metadata={"validation_id": found.validation_id,
                                      "rows": found.row_count,
                                      "expectations": found.expectations, "failed": 0,
                                      "unchanged_inputs": True}),
    ]


def each_partition(context: dg.AssetExecutionContext,
                   events_of: Callable[[str], Iterable]) -> Iterable:
    """A clean asset's events for the partitions of its run, each gated on its own.

    One partition (schedules, sensors, the web UI): its own events, as they come. A range of
    partitions (a CLI build runs a job's partitions as one run, `orchestration.cli`): Dagster
    records the asset's materialisation for every partition of the range, and an asset check
    in such a run has no partition (`AssetCheckResult` takes none; Dagster sets it only from
    the run's single partition key), so each partition's figures go on its own
    materialisation (`add_asset_metadata(partition_key=...)`) and one check result stands for
    the range: passed only when every partition passed, its metadata holding each partition's
    verdict. A partition that fails its validation, or raises, writes nothing and keeps its
    previous rows; the others are gated and written all the same, and the failed check
    (blocking) then fails the run, naming the failed partitions.
    """
    keys = context.partition_keys
    if len(keys) == 1:
        yield from events_of(keys[0])
        return
    verdicts: dict[str, dict] = {}
    failed: dict[str, str] = {}
    for key in keys:
        try:
            for event in events_of(key):
                if isinstance(event, dg.AssetCheckResult):
                    verdicts[key] = {name: getattr(value, "value", value)
                                     for name, value in event.metadata.items()}
                    if not event.passed:
                        failed[key] = event.description or "failed"
                else:
                    context.add_asset_metadata(dict(event.metadata or {}), partition_key=key)
        except Exception as exc:  # noqa: BLE001 - the others go on; the verdict fails the run
            context.log.exception(f"partition {key} failed; its previous rows are kept")
            failed[key] = f"{type(exc).__name__}: {exc}"
            verdicts[key] = {"error": failed[key]}
            context.add_asset_metadata({"error": failed[key], "validated": False},
                                       partition_key=key)
    yield dg.MaterializeResult(metadata={"partitions": len(keys),
                                         "failed_partitions": sorted(failed)})
    yield dg.AssetCheckResult(
        check_name=GX_CHECK, passed=not failed, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"partitions": dg.MetadataValue.json(verdicts),
                  "failed_partitions": sorted(failed)},
        description=None if not failed else
        f"{len(failed)} of {len(keys)} partitions failed, nothing written for them and their "
        "previous rows kept: " + "; ".join(f"{k}: {v}" for k, v in sorted(failed.items())))
