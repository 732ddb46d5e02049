"""CBS StatLine (OData v4): employment, education, lifelong learning and wind statistics.

For each table: `MeasureCodes` and `PeriodenCodes` (metadata), then `Observations` filtered on
the resolved measure codes and the given municipalities, paged through `@odata.nextLink`.
Which tables and measures a family reads is declared in its folder under `families/`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sources.http import Payload, SourceHttp, odata_next_link, paginate
from transforms.statline import SOURCE, TableSpec, resolve_measures


def observations_filter(spec: TableSpec, measure_codes: Sequence[str],
                        regions: Sequence[str]) -> str:
    """OData $filter on measures, regions and fixed dimensions (values quoted, sorted)."""
    clauses = ["(" + " or ".join(f"Measure eq '{c}'" for c in sorted(measure_codes)) + ")"]
    if spec.regional:
        clauses.append("(" + " or ".join(f"RegioS eq '{r}'" for r in sorted(regions)) + ")")
    clauses += [f"{dim} eq '{value}'" for dim, value in sorted(spec.filters.items())]
    return " and ".join(clauses)


def fetch_table(http: SourceHttp, spec: TableSpec, regions: Sequence[str]) -> list[Payload]:
    measures = http.get(spec.table, f"{spec.table}/MeasureCodes",
                        request_key=f"{spec.table}/MeasureCodes")
    periods = http.get(spec.table, f"{spec.table}/PeriodenCodes",
                       request_key=f"{spec.table}/PeriodenCodes")
    query = {"$filter": observations_filter(spec, resolve_measures(spec, measures), regions)}
    pages = paginate(SOURCE, lambda: http.get(spec.table, f"{spec.table}/Observations", query),
                     odata_next_link, lambda url: http.get(spec.table, "", url=url))
    keyed = [_with_key(p, f"{spec.table}/Observations/{n:04d}") for n, p in enumerate(pages)]
    return [measures, periods, *keyed]


def _with_key(payload: Payload, key: str) -> Payload:
    from dataclasses import replace

    return replace(payload, request_key=key)


def fetch_tables(http: SourceHttp, specs: Sequence[TableSpec], regions: Sequence[str]) -> list[Payload]:
    """Metadata and every Observations page of each table, for the given region codes."""
    return [p for spec in specs for p in fetch_table(http, spec, regions)]
