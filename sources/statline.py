"""CBS StatLine (OData v4): employment, education, lifelong learning and wind statistics.

Per table issue: `Dimensions`, `MeasureCodes` and the `<Dim>Codes` of the period dimension and of
every other dimension (to find its total), then `Observations` filtered on the resolved measures,
the municipalities, each fixed or total code and the period type, paged through
`@odata.nextLink`. Where a spec names a catalogue title stem, `Datasets` (the CBS catalogue) is
asked for newer regular issues first. What is read is declared in each family's folder under
`families/`; how metadata is read lives in `transforms.statline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sources.http import Payload, SourceHttp, odata_next_link, paginate
from transforms.statline import (
    SOURCE,
    TableSpec,
    code_lists,
    dimensions,
    newer_issues,
    observations_filter,
    request_key,
    resolve,
)


def catalogue_query(spec: TableSpec) -> dict[str, str]:
    title = (spec.catalogue_title or "").replace("'", "''")
    return {"$filter": f"contains(Title,'{title}')"}


def fetch_issue(http: SourceHttp, spec: TableSpec, issue: str,
                regions: Sequence[str]) -> list[Payload]:
    """Metadata and every Observations page of one issue of a table."""
    def get(what: str) -> Payload:
        return http.get(spec.table, f"{issue}/{what}", request_key=request_key(spec, issue, what))

    meta = {"Dimensions": get("Dimensions"), "MeasureCodes": get("MeasureCodes")}
    meta |= {f"{d}Codes": get(f"{d}Codes") for d in code_lists(spec, dimensions(meta["Dimensions"]))}
    query = {"$filter": observations_filter(spec, resolve(spec, issue, meta), regions)}
    pages = paginate(SOURCE, lambda: http.get(spec.table, f"{issue}/Observations", query),
                     odata_next_link, lambda url: http.get(spec.table, "", url=url))
    keyed = [replace(p, request_key=request_key(spec, issue, f"Observations/{n:04d}"))
             for n, p in enumerate(pages)]
    return [*meta.values(), *keyed]


def fetch_table(http: SourceHttp, spec: TableSpec, regions: Sequence[str]) -> list[Payload]:
    """Every issue of a table: newer ones found in the catalogue, the current, the older; at
    the table's own region codes where it declares them (a coarser level)."""
    regions = spec.region_codes or regions
    payloads, issues = [], list(spec.issues)
    if spec.catalogue_title:
        catalogue = http.get(spec.table, "Datasets", catalogue_query(spec),
                             request_key=f"{spec.table}/Datasets")
        payloads.append(catalogue)
        issues = newer_issues(spec, catalogue) + issues
    for issue in issues:
        payloads += fetch_issue(http, spec, issue, regions)
    return payloads


def fetch_tables(http: SourceHttp, specs: Sequence[TableSpec], regions: Sequence[str]) -> list[Payload]:
    """Metadata and every Observations page of each table, for the given region codes."""
    return [p for spec in specs for p in fetch_table(http, spec, regions)]
