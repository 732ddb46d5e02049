"""`transition-monitor status`: what monitoring staff check before trusting an edition.

Per source: last refresh, newest period, rows, staleness. Per clean table: the latest
validation. Per station and component: newest hour. Per indicator and region: newest year,
value and status. Plus where the warehouse and the latest edition are. Read-only.
"""


from orchestration.settings import Paths
from reports.inputs import source_freshness
from reports.publish import latest_published
from warehouse.schema import CLEAN_TABLES
from warehouse.store import Warehouse

STATION_SQL = """
SELECT station_code, component, max(measured_at) AS newest_hour, count(value_ugm3) AS values,
       count(*) FILTER (WHERE source = 'rivm_validated') AS validated_rows
FROM air_quality_hourly_best GROUP BY station_code, component ORDER BY station_code, component
"""

VALIDATION_SQL = """
SELECT table_name, count(*) AS partitions, count(*) FILTER (WHERE NOT success) AS failed,
       max(validated_at) AS last_validated_at, sum(row_count) AS rows_validated
FROM validation_latest GROUP BY table_name ORDER BY table_name
"""

INDICATOR_SQL = """
SELECT v.indicator_id, v.region_id, max(v.year) AS newest_year, arg_max(v.value, v.year) AS value,
       any_value(v.unit) AS unit
FROM indicator_values v WHERE v.station_code IS NULL AND v.value IS NOT NULL
GROUP BY v.indicator_id, v.region_id ORDER BY v.indicator_id, v.region_id
"""


def collect_status(p: Paths) -> dict[str, object]:
    latest = latest_published(p.site)
    out: dict[str, object] = {
        "paths": {"home": str(p.home), "warehouse": str(p.warehouse),
                  "latest_edition": str(p.site / "editions" / latest / "nl" / "index.html")
                  if latest else None},
    }
    if not p.warehouse.exists():
        out["error"] = "no warehouse yet: run `transition-monitor build`"
        return out
    wh = Warehouse(p.warehouse)
    out["sources"] = source_freshness(wh).to_dicts()
    validations = {r["table_name"]: r for r in wh.query(VALIDATION_SQL).to_dicts()}
    out["tables"] = [{"table": name, "validation": _validation_word(validations.get(name)),
                      **(validations.get(name) or {})} for name in CLEAN_TABLES]
    out["stations"] = wh.query(STATION_SQL).to_dicts()
    out["indicators"] = _indicators(wh)
    return out


def _validation_word(row: dict | None) -> str:
    if not row:
        return "never validated"
    return "failed" if row["failed"] else "passed"


def _indicators(wh: Warehouse) -> list[dict[str, object]]:
    if not wh.has_table("indicator_values"):
        return []
    values = wh.query(INDICATOR_SQL).to_dicts()
    statuses: dict[tuple[str, str], str] = {}
    if wh.has_table("progress_assessments"):
        for r in wh.query("SELECT indicator_id, region_id, status FROM progress_assessments "
                          "ORDER BY target_order").to_dicts():
            statuses.setdefault((r["indicator_id"], r["region_id"]), r["status"])
    for row in values:
        row["status"] = statuses.get((row["indicator_id"], row["region_id"]))
    return values


def format_status(status: dict[str, object]) -> str:
    lines = [f"warehouse: {status['paths']['warehouse']}",
             f"latest edition: {status['paths']['latest_edition'] or '(none yet)'}"]
    if "error" in status:
        return "\n".join([*lines, status["error"]])
    lines.append("\nsources:")
    lines += [f"  {s['source']:<18} newest {s['newest_period'] or '-':<11} rows {s['rows']:>8}  "
              f"fetched {s['last_fetched_at']:%Y-%m-%d %H:%M}{'  STALE' if s['stale'] else ''}"
              for s in status["sources"]]
    lines.append("\nvalidation:")
    lines += [f"  {t['table']:<36} {t['validation']}" for t in status["tables"]]
    lines.append("\nindicators (newest year, value, status):")
    lines += [f"  {i['indicator_id']:<34} {i['region_id']:<16} {i['newest_year']}  "
              f"{i['value']:>10.4g} {i['unit']:<10} {i['status'] or '-'}"
              for i in status["indicators"]]
    return "\n".join(lines)
