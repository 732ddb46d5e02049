"""Klimaatmonitor Open Data Service client (Rijkswaterstaat): CO2 per municipality and for NL.

OData v4 JSON at `https://klimaatmonitor.databank.nl/jiveservices/odata`, a free key in the
HTTP header `apikey` (spec 'klimaatmonitor' in `sources.registry`; never in a URL, so never in a
stored payload). One request chain per variable and geographic level:
`Variables('{var}')/GeoLevels('{level}')/PeriodLevels('year')/Periods('all')/Values`, pages
chained through `@odata.nextLink`. The catalogue is at `/Variables`.

The variable ids in `transforms.emissions.KLIMAATMONITOR_VARIABLES` are plausible names, not
confirmed ones: check them against `/Variables` where a network exists. The service's terms ask
users to store the data themselves rather than query it live from an application, which is
what the raw-payload store does. Parsing lives in `transforms.emissions.parse_klimaatmonitor`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from core.errors import ContractError
from sources.http import Payload, SourceHttp, odata_next_link, paginate
from transforms.emissions import KLIMAATMONITOR_VARIABLES

SOURCE = "klimaatmonitor"
DATASET = "values"
# 'gemeente' holds every municipality; 'land' holds the national figure (-> NL01).
GEO_LEVELS = ("gemeente", "land")


def values_path(variable: str, geo_level: str) -> str:
    """Path (below the base URL) of all yearly values of one variable at one level."""
    return (f"Variables('{variable}')/GeoLevels('{geo_level}')/PeriodLevels('year')"
            "/Periods('all')/Values")


def fetch_values(http: SourceHttp, variable: str, geo_level: str,
                 partition: str | None = None) -> list[Payload]:
    """Every page of one variable at one level; any failing page fails the whole chain."""
    key = f"{variable}/{geo_level}"
    pages = itertools.count(2)

    def first() -> Payload:
        return http.get(DATASET, values_path(variable, geo_level), request_key=f"{key}/p1",
                        partition=partition)

    def fetch_url(url: str) -> Payload:
        return http.get(DATASET, "", url=url, request_key=f"{key}/p{next(pages)}",
                        partition=partition)

    return list(paginate(SOURCE, first, lambda p: next_link(http, p, partition), fetch_url,
                         partition=partition))


def next_link(http: SourceHttp, payload: Payload, partition: str | None = None) -> str | None:
    """The absolute nextLink of a page; a link to another host is refused, since following it
    would send the `apikey` header there."""
    link = odata_next_link(payload)
    if link is None:
        return None
    absolute = urljoin(payload.url, link)
    here, there = urlsplit(http.base_url), urlsplit(absolute)
    if (here.scheme, here.netloc) != (there.scheme, there.netloc):
        raise ContractError(SOURCE, f"nextLink leaves {here.netloc} for {there.netloc}",
                            url=payload.url, partition=partition)
    return absolute


def fetch_all(http: SourceHttp, variables: Iterable[str] = tuple(KLIMAATMONITOR_VARIABLES),
              geo_levels: Iterable[str] = GEO_LEVELS) -> list[Payload]:
    """All pages of every configured variable at every level (municipalities and NL)."""
    return [page for variable in variables for level in geo_levels
            for page in fetch_values(http, variable, level)]
