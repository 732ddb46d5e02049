"""`transition-monitor status`: a health check for monitoring staff and service managers.

Per source: the newest data period and its age against the allowed age, the last fetch and its
age against the allowed age, rows. Per clean table: the latest validation, and for a failure the
failed expectations (rule, column, unexpected count, examples). Per station and component: the
newest hour. Per indicator and region: newest year, value and status. The latest edition.

Fast: DuckDB read-only and the source declarations only (no Dagster, Polars or GX import).

Exit codes (also in `EXIT_CODES`): 0 healthy; 1 a validation or a source's last fetch failed
(recorded by `build` from Dagster's event log: warehouse.fetch_failures); 3 data or a fetch older
than its source allows (nothing failed); 4 no warehouse yet, or it cannot be read (a build
holds its write lock). Demo data (a snapshot build) is old by design: its ages are shown with
the state `demo` and do not count as stale; a failed validation still does.
"""


import json
from datetime import UTC, datetime

import duckdb

from core.freshness import data_age_days
from orchestration.settings import Paths
from sources.registry import SOURCES
from warehouse.health_sql import (
    FETCH_FAILURES_SQL,
    FETCH_FAILURES_TABLE,
    INDICATOR_SQL,
    STAT_TABLES_SQL,
    STATION_SQL,
    STATUS_FAILURES_SQL,
    VALIDATION_SQL,
    source_freshness_sql,
)
from warehouse.part_names import logical_tables

EXIT_CODES = {"ok": 0, "failed": 1, "stale": 3, "no_warehouse": 4, "unreadable": 4}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def _relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables")
            .fetchall()}


def collect_status(p: Paths, now: datetime | None = None,
                   source_mode: str | None = None) -> dict[str, object]:
    """The health of the warehouse at `p` as plain JSON types (see the README for the schema)."""
    now = now or datetime.now(UTC)
    out: dict[str, object] = {"checked_at": _iso(now), "health": "no_warehouse",
                              "paths": {"home": str(p.home), "warehouse": str(p.warehouse)}}
    if not p.warehouse.exists():
        out["problems"] = ["no warehouse yet: run `transition-monitor build`"]
        return _finish(out)
    try:
        con = duckdb.connect(str(p.warehouse), read_only=True)
    except duckdb.Error as exc:
        from orchestration.recovery import LOCK_FILE, lock_holder

        holder = lock_holder(p.home / LOCK_FILE)
        out["health"] = "unreadable"
        out["problems"] = [
            f"{holder} is writing the warehouse (it holds the file for each of its runs): "
            "try again when it has finished" if holder else
            f"the warehouse cannot be read now ({str(exc).splitlines()[0]}); a build may hold "
            "it: try again when it has finished"]
        return _finish(out)
    with con:
        relations = _relations(con)
        edition = _latest_edition(con, relations)
        mode = source_mode or (edition or {}).get("source_mode") or "snapshot"
        out.update(data="demo" if mode == "snapshot" else "live", edition=edition,
                   sources=_sources(con, relations, now, demo=mode == "snapshot"),
                   tables=_tables(con, relations),
                   stations=_stations(con, relations), indicators=_indicators(con, relations))
    out["paths"]["latest_edition"] = (edition or {}).get("path")
    out["problems"] = _problems(out)
    out["health"] = ("failed" if any(t["validation"] == "failed" for t in out["tables"])
                     or any(s["last_failure"] for s in out["sources"])
                     else "stale" if any(s["state"] in ("stale", "never fetched")
                                         for s in out["sources"]) else "ok")
    return _finish(out)


def _finish(out: dict[str, object]) -> dict[str, object]:
    out["exit_code"] = EXIT_CODES[out["health"]]
    return out


def _latest_edition(con, relations: set[str]) -> dict | None:
    if "editions" not in relations:
        return None
    rows = _rows(con, "SELECT edition_id, built_at, source_mode, path FROM editions "
                      "ORDER BY built_at DESC LIMIT 1")
    return {**rows[0], "built_at": _iso(rows[0]["built_at"])} if rows else None


def _sources(con, relations: set[str], now: datetime, demo: bool) -> list[dict]:
    if "raw_payloads" not in relations:
        return []
    stat_tables = [r["table_name"] for r in _rows(con, STAT_TABLES_SQL)]
    fetched = {r["source"]: r for r in _rows(con, source_freshness_sql(stat_tables))}
    failed: dict[str, dict] = {}
    if FETCH_FAILURES_TABLE in relations:  # the newest failure per source (its latest build)
        for r in _rows(con, FETCH_FAILURES_SQL):
            failed.setdefault(r["source"], {"asset": r["asset"], "failed_at": _iso(r["failed_at"]),
                                            "error": r["error"]})
    rows = [_source_row(name, fetched.get(name), now, demo) for name in sorted(
        set(SOURCES) | set(fetched))]
    for row in rows:
        row["last_failure"] = failed.get(row["source"])
        if row["last_failure"]:
            row["state"] = "fetch failed"
    return rows


def _source_row(name: str, row: dict | None, now: datetime, demo: bool) -> dict:
    spec = SOURCES.get(name)
    max_data, max_fetch = (spec.max_data_age_days, spec.max_fetch_age_days) if spec else (400, 35)
    last = row["last_fetched_at"] if row else None
    fetch_age = round((now - last).total_seconds() / 86400, 1) if last else None
    period = row["newest_period"] if row else None
    data_age = data_age_days(period, now)
    data_age = max(data_age, 0) if data_age is not None else None  # planned (future) periods
    data_stale = data_age is None or data_age > max_data
    fetch_overdue = fetch_age is None or fetch_age > max_fetch
    if last is None:
        state = "never fetched"
    elif data_stale or fetch_overdue:
        state = "demo" if demo else "stale"
    else:
        state = "ok"
    return {"source": name, "title": spec.title if spec else name, "state": state,
            "newest_period": period, "data_age_days": data_age, "max_data_age_days": max_data,
            "data_stale": data_stale, "last_fetched_at": _iso(last),
            "fetch_age_days": fetch_age, "max_fetch_age_days": max_fetch,
            "fetch_overdue": fetch_overdue, "rows": int(row["rows"]) if row else 0}


def _tables(con, relations: set[str]) -> list[dict]:
    # a table stored per reporting year is a view over its years' tables: listed once
    clean = logical_tables((r for r in relations if r.startswith("clean_")), relations)
    if "validation_runs" not in relations:
        return [_table_row(t, None, []) for t in clean]
    runs = {r["table_name"]: r for r in _rows(con, VALIDATION_SQL)}
    failures: dict[str, list[dict]] = {}
    for f in _rows(con, STATUS_FAILURES_SQL):
        failures.setdefault(f["table_name"], []).append(
            {"partition": f["partition_key"], "rule": f["expectation"], "column": f["column_name"],
             "parameters": _json(f["parameters"]), "unexpected_count": f["unexpected_count"],
             "examples": _json(f["unexpected_examples"])})
    return [_table_row(t, runs.get(t), failures.get(t, [])) for t in sorted(set(clean) | set(runs))]


def _table_row(table: str, run: dict | None, failures: list[dict]) -> dict:
    if run is None:
        return {"table": table, "validation": "never validated", "partitions": 0,
                "failed_partitions": 0, "last_validated_at": None, "rows_validated": 0,
                "failures": []}
    return {"table": table, "validation": "failed" if run["failed"] else "passed",
            "partitions": int(run["partitions"]), "failed_partitions": int(run["failed"]),
            "last_validated_at": _iso(run["last_validated_at"]),
            "rows_validated": int(run["rows_validated"] or 0), "failures": failures}


def _json(text: str | None):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def _stations(con, relations: set[str]) -> list[dict]:
    if "air_quality_hourly_best" not in relations:
        return []
    return [{**r, "newest_hour": _iso(r["newest_hour"]), "values": int(r["values"]),
             "validated_rows": int(r["validated_rows"])} for r in _rows(con, STATION_SQL)]


def _indicators(con, relations: set[str]) -> list[dict]:
    if "indicator_values" not in relations:
        return []
    statuses: dict[tuple[str, str], str] = {}
    if "progress_assessments" in relations:
        for r in _rows(con, "SELECT indicator_id, region_id, status FROM progress_assessments "
                            "ORDER BY target_order"):
            statuses.setdefault((r["indicator_id"], r["region_id"]), r["status"])
    return [{**r, "newest_year": int(r["newest_year"]), "value": float(r["value"]),
             "status": statuses.get((r["indicator_id"], r["region_id"]))}
            for r in _rows(con, INDICATOR_SQL)]


def _problems(status: dict) -> list[str]:
    """What makes the health check fail, in words."""
    problems = []
    for t in status["tables"]:
        if t["validation"] == "failed":
            problems.append(f"{t['table']}: validation failed in {t['failed_partitions']} of "
                            f"{t['partitions']} partition(s); the table keeps its previous rows "
                            "and no edition is published until the input is fixed")
    for s in status["sources"]:
        if s.get("last_failure"):
            f = s["last_failure"]
            problems.append(f"{s['source']}: the last fetch failed at {f['failed_at']} "
                            f"({f['asset']}): {f['error']}")
        if s["state"] == "never fetched":
            problems.append(f"{s['source']}: never fetched")
        elif s["state"] == "stale":
            if s["data_stale"]:
                problems.append(f"{s['source']}: newest data {s['newest_period'] or '-'} is "
                                f"{_days(s['data_age_days'])} old (allowed "
                                f"{s['max_data_age_days']} d)")
            if s["fetch_overdue"]:
                problems.append(f"{s['source']}: last fetch {_days(s['fetch_age_days'])} ago "
                                f"(allowed {s['max_fetch_age_days']} d)")
    return problems


def human(value: float | int | None) -> str:
    """A number for people: thousands separated, a sensible number of decimals, never
    scientific notation."""
    if value is None:
        return "-"
    size = abs(value)
    if isinstance(value, int) or size >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if size >= 1:
        return f"{value:,.1f}"
    if size == 0:
        return "0"
    return f"{value:.4f}".rstrip("0").rstrip(".") if size >= 0.0001 else "< 0.0001"


def _days(value: float | int | None) -> str:
    return "-" if value is None else f"{human(value)} d"


def _rule(f: dict) -> str:
    """`expect_column_values_to_be_between` on value_ugm3 (min_value 0): 3 unexpected, e.g. -5"""
    params = f["parameters"] if isinstance(f["parameters"], dict) else {}
    shown = ", ".join(f"{k} {v}" for k, v in params.items()
                      if k not in ("column", "result_format", "batch_id") and v is not None)
    examples = f["examples"] if isinstance(f["examples"], list) else []
    words = f["rule"].removeprefix("expect_").replace("_", " ")
    return (f"{words}" + (f" on {f['column']}" if f["column"] else "")
            + (f" ({shown})" if shown else "")
            + f": {human(f['unexpected_count'])} unexpected"
            + (f", e.g. {', '.join(str(e) for e in examples[:5])}" if examples else "")
            + (f" [partition {f['partition']}]" if f["partition"] not in (None, "", "-") else ""))


def format_status(status: dict[str, object]) -> str:
    health = status["health"]
    lines = [f"health: {health.upper()} (exit {status['exit_code']})"]
    lines += [f"  - {p}" for p in status.get("problems", [])]
    lines.append(f"warehouse: {status['paths']['warehouse']}")
    if health in ("no_warehouse", "unreadable"):
        return "\n".join(lines)
    edition = status["edition"]
    lines.append("latest edition: " + (f"{edition['edition_id']} ({edition['source_mode']}, "
                                       f"{edition['built_at']}) {edition['path']}"
                                       if edition else "(none yet)"))
    if status["data"] == "demo":
        lines.append("data: demo (a snapshot build): its periods are old by design, shown with "
                     "their ages as 'demo' and not counted as stale")
    lines += _format_sources(status["sources"]) + _format_tables(status["tables"])
    lines += _format_stations(status["stations"]) + _format_indicators(status["indicators"])
    return "\n".join(lines)


def _format_sources(sources: list[dict]) -> list[str]:
    lines = ["", "sources (age / allowed):",
             f"  {'source':<19}{'newest':<12}{'data age':<18}{'last fetch (UTC)':<18}"
             f"{'fetch age':<16}{'rows':>10}  state"]
    for s in sources:
        fetched = (s["last_fetched_at"] or "-")[:16].replace("T", " ")
        lines.append(
            f"  {s['source']:<19}{s['newest_period'] or '-':<12}"
            f"{_days(s['data_age_days']) + ' / ' + str(s['max_data_age_days']) + ' d':<18}"
            f"{fetched:<18}"
            f"{_days(s['fetch_age_days']) + ' / ' + str(s['max_fetch_age_days']) + ' d':<16}"
            f"{human(s['rows']):>10}  {s['state']}")
    return lines


def _format_tables(tables: list[dict]) -> list[str]:
    lines = ["", "validation (latest per partition):"]
    for t in tables:
        detail = "" if t["validation"] == "never validated" else (
            f"  {t['partitions']} partition(s), {human(t['rows_validated'])} rows, "
            f"{(t['last_validated_at'] or '')[:16].replace('T', ' ')}")
        word = "FAILED" if t["validation"] == "failed" else t["validation"]
        lines.append(f"  {t['table']:<38}{word}{detail}")
        lines += [f"      {_rule(f)}" for f in t["failures"]]
    return lines


def _format_stations(stations: list[dict]) -> list[str]:
    if not stations:
        return []
    newest = sorted(s["newest_hour"] for s in stations if s["newest_hour"])
    codes = sorted({s["station_code"] for s in stations})
    components = sorted({s["component"] for s in stations})
    return ["", f"air-quality stations: {len(codes)} ({', '.join(components)}); newest hour "
                f"{newest[-1][:16].replace('T', ' ')} UTC, the station furthest behind "
                f"{newest[0][:16].replace('T', ' ')} UTC (per station: --json)"] if newest else []


def _format_indicators(indicators: list[dict]) -> list[str]:
    lines = ["", "indicators (newest year, value, status):"]
    lines += [f"  {i['indicator_id']:<34} {i['region_id']:<16} {i['newest_year']}  "
              f"{human(i['value']):>10} {i['unit']:<10} {i['status'] or '-'}"
              for i in indicators]
    return lines
