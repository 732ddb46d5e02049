"""ENTSO-E Transparency Platform client: actual offshore wind generation in the Netherlands.

Document A75 (actual generation per production type), process A16 (realised), psrType B18
(Wind Offshore), in_Domain 10YNL----------L, at `https://web-api.tp.entsoe.eu/api`. The free key
travels as the query parameter `securityToken`; `SourceHttp` adds it to the request only and
redacts it from every URL, request key and message, and snapshot recordings are stored without
it. The platform serves at most one year per request (and 400 requests a minute), so windows
are split at each Dutch new year; the feed asks for every year from 2015 up to the current one
(the current year's window runs to the next new year and comes back partial: its totals are
flagged provisional by the parser).

Answers: a GL_MarketDocument is data. An Acknowledgement_MarketDocument with reason code 999
"No matching data found" (HTTP 200 since 2021; HTTP 400 before, which entsoe-py still accepts)
is a window without data: kept as a payload, it yields no rows. Any other acknowledgement (a
refused query, too much data) fails the feed with ENTSO-E's reason text, redacted. Parsing
lives in `transforms.offshore_wind`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.errors import NotInSnapshot, SourceError
from sources.http import HttpStatusError, Payload, SourceHttp
from transforms.offshore_wind import (
    LOCAL_TZ,
    NL_DOMAIN,
    acknowledgement_reasons,
    describe_reasons,
    is_no_data,
)

SOURCE = "entsoe"
DATASET = "actual_generation_offshore_wind"
DOCUMENT_TYPE = "A75"
PROCESS_TYPE = "A16"
PSR_WIND_OFFSHORE = "B18"
FIRST_YEAR = 2015  # Dutch calendar years from here up to the current one are fetched
_STAMP = "%Y%m%d%H%M"


def new_year_utc(year: int) -> datetime:
    """1 January 00:00 Amsterdam time of `year`, in UTC (31 December 23:00)."""
    return datetime(year, 1, 1, tzinfo=ZoneInfo(LOCAL_TZ)).astimezone(UTC)


def feed_years(now: datetime | None = None) -> range:
    """FIRST_YEAR up to the current Dutch calendar year (partial), inclusive."""
    now = now or datetime.now(UTC)
    return range(FIRST_YEAR, now.astimezone(ZoneInfo(LOCAL_TZ)).year + 1)


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
    """One A75 answer per window piece (a "no matching data" acknowledgement included)."""
    return [fetch_window(http, piece_start, piece_end, partition)
            for piece_start, piece_end in split_window(start, end)]


def fetch_window(http: SourceHttp, start: datetime, end: datetime,
                 partition: str | None = None) -> Payload:
    """The answer for one window of at most a year; a refusal raises with its reason."""
    query = generation_query(start, end)
    key = f"{DATASET}/{query['periodStart']}-{query['periodEnd']}"
    try:
        payload = http.get(DATASET, "", query, expect="xml", partition=partition,
                           request_key=key)
    except HttpStatusError as exc:
        answer = Payload(source=http.source, dataset=DATASET, request_key=key, url=exc.url or "",
                         media_type="application/xml", body=exc.body,
                         fetched_at=datetime.now(UTC))
        reasons = _reasons_or_none(answer)
        if reasons is None:
            raise
        if is_no_data(reasons):  # the pre-2021 way of saying "no data": keep it as an answer
            return _scrubbed(http, answer)
        raise _refusal(http, reasons, exc.url, partition, f"HTTP {exc.status}") from None
    reasons = acknowledgement_reasons(payload)
    if reasons is None:
        return payload
    if not is_no_data(reasons):
        raise _refusal(http, reasons, payload.url, partition, "HTTP 200")
    return _scrubbed(http, payload)


def _scrubbed(http: SourceHttp, answer: Payload) -> Payload:
    """An acknowledgement is stored as it came, unless it echoes the token (then redacted)."""
    text = answer.body.decode("utf-8", errors="replace")
    clean = http.redact(text)
    return answer if clean == text else replace(answer, body=clean.encode("utf-8"))


def _reasons_or_none(answer: Payload) -> list[tuple[str, str]] | None:
    try:
        return acknowledgement_reasons(answer)
    except SourceError:  # an error body that is not XML: the HTTP error stands
        return None


def _refusal(http: SourceHttp, reasons: list[tuple[str, str]], url: str | None,
             partition: str | None, status: str) -> SourceError:
    return SourceError(http.source, http.redact(f"{status}, ENTSO-E refused the request: "
                                                f"{describe_reasons(reasons)}"),
                       url=url, partition=partition,
                       hint="Read ENTSO-E's reason above: check the token, the query (domain, "
                            "psrType, window) and the platform's status; nothing was written.")


def fetch_years(http: SourceHttp, years: Iterable[int] | None = None, *,
                now: datetime | None = None) -> list[Payload]:
    """Whole Dutch calendar years, one request each (default: FIRST_YEAR to the current year).

    In snapshot mode the snapshot ends with the year it was recorded in: years after the last
    recorded one are left out. A missing year before a recorded one, or a snapshot holding none
    of the years, still raises `NotInSnapshot`.
    """
    payloads: list[Payload] = []
    missing: NotInSnapshot | None = None
    for year in sorted(feed_years(now) if years is None else years):
        try:
            got = fetch_generation(http, new_year_utc(year), new_year_utc(year + 1))
        except NotInSnapshot as exc:
            missing = missing or exc
            continue
        if missing is not None:
            raise missing
        payloads += got
    if not payloads and missing is not None:
        raise missing
    return payloads
