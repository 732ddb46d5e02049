"""Luchtmeetnet open API client: hourly measurements per station, station details.

The API (`https://api.luchtmeetnet.nl/open_api`, no key) pages its lists with a `pagination`
object. Without an explicit `start`/`end` it falls back to the last seven days and ignores
`page` (page 2 silently repeats page 1), so every request here carries an explicit window,
and a page whose `current_page` is not the page asked for is refused.

One request chain per station and UTC day, without a `formula` filter: the API then returns
every component the station measures (as RIVM's own client asks for it, rivm-syso/samanapir
`R/GetLMLstatdataAPI.R`), about 8 x 25 rows, one page. That is a third of the requests of one
chain per component; the parser keeps the monitored components. Requests are throttled to the
API's rate limit (about 100 per 5 minutes) by the client's `Throttle` (`sources.registry`).

Each row is stamped with `timestamp_measured`, the END of its averaging hour. The window asks
for the stamps from the day's 00:00 to the next day's 01:00 (both ends, because whether the
API's `start`/`end` are inclusive is not documented): every hour that STARTS in the day is
inside, and the one or two edge rows of the neighbouring days are dropped by the parser's
window filter (`transforms.air_quality.keep_window`). Parsing lives in
`transforms.air_quality`; this module only fetches payloads, identically in live and snapshot
mode (the `SourceHttp` transport is the only difference).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from core.errors import ContractError
from sources.http import Payload, SourceHttp, paginate

SOURCE = "luchtmeetnet"
MEASUREMENTS = "measurements"
STATIONS_DATASET = "stations"

# The UTC days the bundled snapshot holds API recordings for (one page per station and day).
SNAPSHOT_DAYS = tuple((date(2025, 1, 6) + timedelta(days=n)).isoformat() for n in range(7))


REQUEST_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"  # UTC, no suffix, a literal T (as RIVM's client)


def measurement_query(station: str, day: date) -> dict[str, str]:
    """The fixed query of one station's UTC day; `page` is added per request.

    `start`/`end` bound `timestamp_measured` (the END of each hour): from the day's 00:00 to
    the next day's 01:00, so the 24 hours starting in the day are inside whether or not the
    API includes either bound.
    """
    first = datetime(day.year, day.month, day.day)
    return {
        "station_number": station,
        "start": first.strftime(REQUEST_TIME_FORMAT),
        "end": (first + timedelta(days=1, hours=1)).strftime(REQUEST_TIME_FORMAT),
        "order_by": "timestamp_measured",
        "order_direction": "asc",
    }


def fetch_measurements(http: SourceHttp, day: date, *, stations: Iterable[str],
                       partition: str | None = None) -> list[Payload]:
    """Every `/measurements` page of one UTC day for each station (all its components).

    Raises (and so returns nothing) if any page fails after retries or breaks the contract,
    so a partition is never written from a partial day.
    """
    payloads: list[Payload] = []
    for station in stations:
        payloads += _walk_pages(http, station, day, partition)
    return payloads


def fetch_station(http: SourceHttp, station_code: str) -> Payload:
    """The `/stations/{number}` detail document (name, municipality, coordinates, operator)."""
    return http.get(STATIONS_DATASET, f"stations/{station_code}",
                    request_key=f"stations/{station_code}")


def _walk_pages(http: SourceHttp, station: str, day: date,
                partition: str | None) -> list[Payload]:
    query = measurement_query(station, day)
    key = f"{MEASUREMENTS}/{station}/{day.isoformat()}"

    def fetch(page: int) -> Payload:
        payload = http.get(MEASUREMENTS, MEASUREMENTS, {**query, "page": page},
                           request_key=f"{key}/p{page}", partition=partition)
        _require_page(payload, page, partition)
        return payload

    def next_url(payload: Payload) -> str | None:
        page = next_page_number(payload, partition)
        return None if page is None else http.url_for(MEASUREMENTS, {**query, "page": page})

    def fetch_url(url: str) -> Payload:
        return fetch(int(parse_qs(urlsplit(url).query)["page"][0]))

    return list(paginate(SOURCE, lambda: fetch(1), next_url, fetch_url, partition=partition))


def pagination_of(payload: Payload, partition: str | None = None) -> dict:
    """The `pagination` object of a list response; missing or non-integer pages break the
    contract."""
    try:
        doc = json.loads(payload.body)
    except ValueError:
        doc = None
    pagination = doc.get("pagination") if isinstance(doc, dict) else None
    pages_ok = isinstance(pagination, dict) and all(
        isinstance(pagination.get(k), int) for k in ("current_page", "last_page"))
    if not pages_ok:
        raise ContractError(SOURCE, "response lacks `pagination` with current_page/last_page",
                            url=payload.url, partition=partition)
    return pagination


def next_page_number(payload: Payload, partition: str | None = None) -> int | None:
    """The page after this one, or None on the last page.

    Reads `last_page` from every page, so a chain that grows mid-run is walked to its new end;
    a `next_page` that does not move forward would re-fetch a page and is refused.
    """
    pagination = pagination_of(payload, partition)
    current, last = int(pagination["current_page"]), int(pagination["last_page"])
    if current >= last:
        return None
    following = int(pagination.get("next_page") or current + 1)
    if following <= current:
        raise ContractError(SOURCE, f"next_page {following} does not follow page {current} "
                            f"of {last}", url=payload.url, partition=partition)
    return following


def _require_page(payload: Payload, page: int, partition: str | None) -> None:
    current = int(pagination_of(payload, partition)["current_page"])
    if current != page:
        raise ContractError(SOURCE, f"asked for page {page} but got page {current} (the API "
                            "ignores `page` without an explicit start/end window)",
                            url=payload.url, partition=partition)
