"""Klimaatmonitor Open Data Service client (Rijkswaterstaat): CO2 per municipality and for NL.

OData v4 JSON at `https://klimaatmonitor.databank.nl/jiveservices/odata`, a free key in the
HTTP header `apikey` (spec 'klimaatmonitor' in `sources.registry`; never in a URL, so never in a
stored payload). First the catalogue, `Variables?$select=ExternalCode,Name` (every page, kept as
payloads): a configured variable id that is not in it stops the feed with an error naming it,
before any value is fetched. Then one request chain per variable and geographic level:
`Variables('{var}')/GeoLevels('{level}')/PeriodLevels('year')/Periods('all')/Values`, pages
chained through `@odata.nextLink`. The levels are `gemeente` (every municipality) and
`nederland` (the country; there is no `land`). An HTTP 404 there means the service has no such
variable or does not publish it at that level, and is reported as `NotPublished`, naming both.

The service's terms ask users to store the data themselves rather than query it live from an
application, which is what the raw-payload store does. The format is read in
`transforms.odata_ods` (one module, for the announced v2), the measures in
`transforms.emissions.parse_klimaatmonitor`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from core.errors import ContractError, SourceError
from sources.http import HttpStatusError, Payload, SourceHttp, odata_next_link, paginate
from transforms.emissions import KLIMAATMONITOR_VARIABLES
from transforms.odata_ods import MUNICIPAL_LEVEL, NATIONAL_LEVEL, catalogue

SOURCE = "klimaatmonitor"
DATASET = "values"
CATALOGUE_DATASET = "variables"
CATALOGUE_PATH = "Variables"
CATALOGUE_QUERY = {"$select": "ExternalCode,Name"}
GEO_LEVELS = (MUNICIPAL_LEVEL, NATIONAL_LEVEL)


class NotPublished(SourceError):
    """The service answered 404 for a variable at a geo level: no such variable, or not
    published at that level."""

    default_hint = ("Look the variable up in the catalogue (/Variables) and the levels it is "
                    "published at; correct the id in transforms.emissions.KLIMAATMONITOR_VARIABLES.")

    def __init__(self, variable: str, geo_level: str, *, url: str | None = None,
                 partition: str | None = None) -> None:
        self.variable, self.geo_level = variable, geo_level
        super().__init__(SOURCE, f"variable '{variable}' is not published at GeoLevel "
                         f"'{geo_level}' (HTTP 404: no such variable, or not at that level)",
                         url=url, partition=partition)


class UnknownVariable(ContractError):
    """A configured variable id is not in the service's catalogue (`/Variables`)."""

    default_hint = ("The id may have been renamed or withdrawn: look it up in the catalogue "
                    "payload (dataset 'variables') and correct "
                    "transforms.emissions.KLIMAATMONITOR_VARIABLES.")


def values_path(variable: str, geo_level: str) -> str:
    """Path (below the base URL) of all yearly values of one variable at one level."""
    return (f"Variables('{variable}')/GeoLevels('{geo_level}')/PeriodLevels('year')"
            "/Periods('all')/Values")


def fetch_catalogue(http: SourceHttp, partition: str | None = None) -> list[Payload]:
    """Every page of the variable catalogue (id and name per variable)."""
    return _walk(http, CATALOGUE_DATASET, CATALOGUE_PATH, CATALOGUE_QUERY, "variables",
                 partition)


def require_variables(catalogue_pages: list[Payload], variables: Iterable[str]) -> None:
    """Every variable id is in the catalogue, else `UnknownVariable` naming the missing ones."""
    known = catalogue(catalogue_pages)
    missing = [v for v in variables if v not in known]
    if missing:
        raise UnknownVariable(SOURCE, f"variable(s) {missing} not in the Klimaatmonitor "
                              f"catalogue (/Variables holds {len(known)} variables)",
                              url=catalogue_pages[0].url if catalogue_pages else None)


def fetch_values(http: SourceHttp, variable: str, geo_level: str,
                 partition: str | None = None) -> list[Payload]:
    """Every page of one variable at one level; any failing page fails the whole chain."""
    try:
        return _walk(http, DATASET, values_path(variable, geo_level), None,
                     f"{variable}/{geo_level}", partition)
    except HttpStatusError as exc:
        if exc.status == 404:
            raise NotPublished(variable, geo_level, url=exc.url, partition=partition) from None
        raise


def _walk(http: SourceHttp, dataset: str, path: str, query: dict[str, str] | None, key: str,
          partition: str | None) -> list[Payload]:
    pages = itertools.count(2)

    def first() -> Payload:
        return http.get(dataset, path, query, request_key=f"{key}/p1", partition=partition)

    def fetch_url(url: str) -> Payload:
        return http.get(dataset, "", url=url, request_key=f"{key}/p{next(pages)}",
                        partition=partition)

    return list(paginate(SOURCE, first, lambda p: next_link(http, p, partition), fetch_url,
                         partition=partition))


def next_link(http: SourceHttp, payload: Payload, partition: str | None = None) -> str | None:
    """The absolute nextLink of a page (on the configured base URL, when the service writes its
    own host into a mirror's pages); a link to another host is refused, since following it
    would send the `apikey` header there."""
    link = odata_next_link(payload)
    if link is None:
        return None
    absolute = http.on_base(urljoin(payload.url, link))
    here, there = urlsplit(http.base_url), urlsplit(absolute)
    if (here.scheme, here.netloc) != (there.scheme, there.netloc):
        raise ContractError(SOURCE, f"nextLink leaves {here.netloc} for {there.netloc}",
                            url=payload.url, partition=partition)
    return absolute


def fetch_all(http: SourceHttp, variables: Iterable[str] = tuple(KLIMAATMONITOR_VARIABLES),
              geo_levels: Iterable[str] = GEO_LEVELS) -> list[Payload]:
    """The catalogue pages, then all pages of every configured variable at every level
    (municipalities and NL); an id missing from the catalogue stops before any value."""
    variables = list(variables)
    pages = fetch_catalogue(http)
    require_variables(pages, variables)
    return pages + [page for variable in variables for level in geo_levels
                    for page in fetch_values(http, variable, level)]
