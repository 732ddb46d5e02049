"""ENTSO-E Transparency Platform client: actual offshore wind generation in the Netherlands.

Document A75 (actual generation per production type), process A16 (realised), psrType B18
(Wind Offshore), in_Domain 10YNL----------L, at `https://web-api.tp.entsoe.eu/api`. The free key
travels as the query parameter `securityToken`; `SourceHttp` adds it to the request only and
redacts it from every URL, request key and message, and snapshot recordings are stored without
it. The platform serves at most one year per request (and 400 requests a minute), so windows
are split at each Dutch new year. Parsing lives in `transforms.offshore_wind`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sources.http import Payload, SourceHttp
from transforms.offshore_wind import LOCAL_TZ, document_root

SOURCE = "entsoe"
DATASET = "actual_generation_offshore_wind"
DOCUMENT_TYPE = "A75"
PROCESS_TYPE = "A16"
NL_DOMAIN = "10YNL----------L"
PSR_WIND_OFFSHORE = "B18"
# Years the feed asks for (Dutch calendar years); the snapshot holds exactly these.
YEARS = tuple(range(2015, 2025))
_STAMP = "%Y%m%d%H%M"


def new_year_utc(year: int) -> datetime:
    """1 January 00:00 Amsterdam time of `year`, in UTC (31 December 23:00)."""
    return datetime(year, 1, 1, tzinfo=ZoneInfo(LOCAL_TZ)).astimezone(UTC)


def split_window(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at every Dutch new year: each piece lies within one year."""
    if end <= start:
        raise ValueError(f"empty window {start} .. {end}")
    bounds = [start]
    year = start.astimezone(ZoneInfo(LOCAL_TZ)).year + 1
    while (cut := new_year_utc(year)) < end:
        bounds.append(cut)
        year += 1
    bounds.append(end)
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def generation_query(start: datetime, end: datetime) -> dict[str, str]:
    """The A75 query of one window (UTC, minutes); the key is added by the client."""
    return {
        "documentType": DOCUMENT_TYPE, "processType": PROCESS_TYPE, "in_Domain": NL_DOMAIN,
        "psrType": PSR_WIND_OFFSHORE,
        "periodStart": start.astimezone(UTC).strftime(_STAMP),
        "periodEnd": end.astimezone(UTC).strftime(_STAMP),
    }


def fetch_generation(http: SourceHttp, start: datetime, end: datetime,
                     partition: str | None = None) -> list[Payload]:
    """One A75 document per window piece; an acknowledgement (no data, bad query) raises."""
    payloads = []
    for piece_start, piece_end in split_window(start, end):
        query = generation_query(piece_start, piece_end)
        payload = http.get(DATASET, "", query, expect="xml", partition=partition,
                           request_key=f"{DATASET}/{query['periodStart']}-{query['periodEnd']}")
        if b"Acknowledgement_MarketDocument" in payload.body[:1000]:
            document_root(payload)  # raises ContractError with the reason text
        payloads.append(payload)
    return payloads


def fetch_years(http: SourceHttp, years: Iterable[int] = YEARS) -> list[Payload]:
    """Whole Dutch calendar years, one request each."""
    years = sorted(years)
    return fetch_generation(http, new_year_utc(years[0]), new_year_utc(years[-1] + 1))
