"""CBS StatLine (OData v4): employment, education, lifelong learning and wind statistics.

For each table: `MeasureCodes` and `PeriodenCodes` (metadata), then `Observations` filtered on
the resolved measure codes and the municipalities of every configured region, paged through
`@odata.nextLink`. Table ids and measure titles are declared here; codes come from metadata.
Table ids and titles must be checked against the live catalogue where a network exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from sources.feeds import Feed
from sources.http import Payload, SourceHttp, odata_next_link, paginate
from transforms.statline import SOURCE, MeasureSpec, TableSpec, parse_observations, resolve_measures

TABLES: tuple[TableSpec, ...] = (
    TableSpec("85969NED", "employment", (
        MeasureSpec("net_labour_participation_pct", "Nettoarbeidsparticipatie", "%"),
        MeasureSpec("unemployment_pct", "Werkloosheidspercentage", "%"))),
    TableSpec("70072NED", "employment", (
        MeasureSpec("population_count", "Totale bevolking", "inwoners"),
        MeasureSpec("benefit_dependency_pct", "Uitkeringsafhankelijkheid", "%"))),
    TableSpec("85525NED", "training", (
        MeasureSpec("low_education_share_pct", "Laag onderwijsniveau", "%"),)),
    TableSpec("85315NED", "training", (
        MeasureSpec("lifelong_learning_pct", "Deelname aan onderwijs of cursus", "%"),),
        regional=False),
    TableSpec("82610NED", "offshore_wind", (
        MeasureSpec("offshore_wind_capacity_mw", "Opgesteld vermogen eind van het jaar", "MW"),
        MeasureSpec("offshore_wind_production_gwh", "Elektriciteitsproductie netto", "GWh")),
        filters={"BronTechniek": "E006638"}, regional=False),
    TableSpec("84575NED", "offshore_wind", (
        MeasureSpec("electricity_consumption_gwh", "Nettoverbruik berekend", "GWh"),),
        regional=False),
)


def region_codes() -> list[str]:
    """Every municipality (and NL01) of the configured regions: the region file decides what
    is fetched, so a partner's new region is fetched without a code change."""
    from indicators.catalogue import load_regions

    return sorted({code for r in load_regions().regions for code in r.municipalities})


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


def fetch_family(family: str, http: SourceHttp) -> list[Payload]:
    regions = region_codes()
    return [p for spec in TABLES if spec.family == family for p in fetch_table(http, spec, regions)]


def parse_family(family: str, payloads: Sequence[Payload]):
    import polars as pl

    frames = []
    for spec in (s for s in TABLES if s.family == family):
        mine = {p.request_key: p for p in payloads if p.request_key.startswith(f"{spec.table}/")}
        pages = [mine[k] for k in sorted(mine) if k.startswith(f"{spec.table}/Observations/")]
        frames.append(parse_observations(spec, pages, mine[f"{spec.table}/MeasureCodes"],
                                         mine[f"{spec.table}/PeriodenCodes"]))
    return pl.concat(frames)


FEEDS = [
    Feed(name=f"cbs_{family}", source="cbs_statline", family=family,
         description=f"CBS StatLine tables for {family.replace('_', ' ')}: "
                     + ", ".join(s.table for s in TABLES if s.family == family),
         fetch=partial(fetch_family, family), parse=partial(parse_family, family))
    for family in ("employment", "training", "offshore_wind")
]
