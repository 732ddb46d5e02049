"""`build`'s look before each run: fetch first, start a Dagster run only where something changed.

A planned run of a data job fetches its raw payloads, then finds each clean window's inputs
unchanged or not (`orchestration.checks.inputs_fingerprint`). A no-op rebuild used to start all
18 runs only to record that: Dagster's run creation and event log were most of its time
(BENCHMARKS.md). So `build` first does the run's raw work itself, with the assets' own
functions and resources, and reports each fetch to the instance as the raw asset's
materialisation (the web UI, the fetch-age freshness policy and the failed-fetch banner see it
as before). Then:

- every clean window unchanged: no run; when it was the job's last planned run, the job's
  data-freshness checks are evaluated here and reported (staleness grows while nothing is new);
- some changed: a run of the job's changed clean assets only (the fetch is done);
- a fetch fails, or the job holds assets this look does not know (the edition): the run goes
  ahead as before, fetching itself with Dagster's retries and recording the failure. The look
  fetches with one attempt, so a failing source costs one extra attempt, not its retries.

Schedules, sensors and the web UI run the jobs as defined; this is the CLI build's path only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import dagster as dg

from orchestration.freshness import CLEAN_TABLE_SOURCES, freshness_result
from reports.inputs import source_freshness


@dataclass(frozen=True)
class Look:
    """What the look found before a run: the fetches done (raw asset -> the metadata its
    materialisation carries) and the clean assets whose inputs changed."""
    fetched: dict[str, dict] = field(default_factory=dict)
    changed: frozenset[str] = frozenset()


def _probes() -> tuple[dict, dict]:
    from orchestration.assets.air_quality import CLEAN_INPUTS, RAW_FETCHES
    from orchestration.assets.statistics import statistics_probes

    raw, clean = statistics_probes()
    return {**RAW_FETCHES, **raw}, {**CLEAN_INPUTS, **clean}


def asset_names(job: dg.JobDefinition) -> set[str]:
    return {k.to_user_string() for k in job.asset_layer.asset_graph.executable_asset_keys}


def look(job: dg.JobDefinition, partition: str | None, resources) -> Look | None:
    """Fetch and record the job's raw payloads, then compare each clean window's inputs with
    its latest passed validation. None: run the job as it is (see the module's docstring)."""
    raw_fetches, clean_inputs = _probes()
    names = asset_names(job)
    raws, cleans = names & raw_fetches.keys(), names & clean_inputs.keys()
    if not raws or names - raws - cleans:
        return None
    sources, warehouse = resources.sources, resources.warehouse

    def once(source: str, fetch):
        return fetch(sources.client(source, attempts=1))

    wh = warehouse.warehouse()
    with wh.session():  # one connection for all of it (each open and checkpoint costs)
        try:
            fetched = {name: raw_fetches[name](sources, warehouse, partition, once)
                       for name in sorted(raws)}
        except Exception as exc:  # noqa: BLE001 - the run fetches again and reports the failure
            if (stop := interruption_in_chain(exc)) is not None:
                raise stop from None  # a stop signal that DuckDB turned into its own error
            return None
        changed = frozenset(
            name for name in cleans if wh.unchanged_inputs(
                name, partition or "", clean_inputs[name](wh, partition)) is None)
    return Look(fetched, changed)


def interruption_in_chain(exc: BaseException) -> BaseException | None:
    """The stop signal (KeyboardInterrupt, the build's BuildStopped: not an Exception) that
    caused `exc`, if any: DuckDB ends a query a signal handler raised into with its own
    RuntimeError ("Query interrupted"), the handler's exception as its cause."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if not isinstance(exc, Exception):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def report_fetches(instance: dg.DagsterInstance, found: Look, partition: str | None) -> None:
    for name, metadata in sorted(found.fetched.items()):
        instance.report_runless_asset_event(dg.AssetMaterialization(
            asset_key=name, partition=partition,
            metadata={**metadata, "fetched_by": "transition-monitor build, before its runs"}))


def report_freshness(instance: dg.DagsterInstance, tables: set[str], resources) -> None:
    """Evaluate the data-freshness checks of these clean tables and record the verdicts."""
    judged = sorted(tables & CLEAN_TABLE_SOURCES.keys())
    if not judged:
        return
    freshness = source_freshness(resources.warehouse.warehouse())  # one read for every table
    verdicts = [(table, freshness_result(resources.warehouse, table, freshness))
                for table in judged]
    for table, result in verdicts:
        if not result.passed:  # no run, so no run-level alert: one per stale table here,
            # once a day (a daily no-op build would otherwise repeat it every day unchanged)
            stale = ",".join(sorted(result.metadata["stale_sources"].value))
            resources.notifier.notify_once(
                f"stale:{date.today().isoformat()}:{table}:{stale}",
                f"transition-monitor: stale data in {table}",
                {"table": table, "stale_sources": result.metadata["stale_sources"].value,
                 "hint": "check the source's publication and the last fetch runs"})
        instance.report_runless_asset_event(dg.AssetCheckEvaluation(
            asset_key=dg.AssetKey(table), check_name=result.check_name, passed=result.passed,
            metadata=result.metadata, severity=result.severity,
            description=result.description))
