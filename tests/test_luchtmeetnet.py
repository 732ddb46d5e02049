"""Luchtmeetnet client against a local server replaying the API's paged JSON: explicit
windows, one chain per station, every page once, retries, repeated rows, a growing chain,
failures (RELIABILITY.md case 3), the request-rate throttle, station details, and live mode
matching snapshot mode."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import polars as pl
import pytest
from werkzeug import Request, Response

from core.errors import ContractError, SourceUnavailable
from sources.http import RetryPolicy, SnapshotTransport, Throttle
from sources.luchtmeetnet import fetch_measurements, fetch_station
from sources.registry import SOURCES, make_http, shared_throttle, snapshot_roots
from sources.snapshot import DEMO_STATIONS as STATIONS
from transforms.air_quality import (
    COMPONENTS,
    keep_window,
    parse_luchtmeetnet_measurements,
    parse_station_detail,
)

PAYLOADS = Path(__file__).parent / "payloads" / "luchtmeetnet"
DAY = date(2024, 1, 1)
# The stamps of the day's hours are their ENDS: 01:00 .. 00:00 the next day; the window asks
# one more either side, whatever the API's bounds include.
WINDOW = {"start": "2024-01-01T00:00:00", "end": "2024-01-02T01:00:00",
          "order_by": "timestamp_measured", "order_direction": "asc"}
DAY_START = datetime(2024, 1, 1, tzinfo=UTC)


class PagedApi:
    """`/measurements` of one station in 8-row pages (one formula, stamps at the hours' ENDS,
    both window bounds included: 26 rows), with injectable faults.

    `log` holds (station, formula, page, status) per request, so tests can see what was asked.
    """

    def __init__(self, rows_per_page: int = 8) -> None:
        self.rows_per_page = rows_per_page
        self.log: list[tuple[str, str, int, int]] = []
        self.args: list[dict[str, str]] = []
        self.fail_once: set[int] = set()
        self.always_fail: set[int] = set()
        self.last_page_seen: dict[int, int] = {}  # page -> last_page it reports
        self.repeat_previous_row = False
        self.ignore_page = False
        self.next_page_override: int | None = None

    def __call__(self, request: Request) -> Response:
        args = dict(request.args)
        self.args.append(args)
        page = 1 if self.ignore_page else int(args.get("page", 1))
        status = self.status_for(page)
        self.log.append((args["station_number"], args.get("formula", ""), page, status))
        if status != 200:
            return Response("upstream timeout", status=status)
        return Response(json.dumps(self.page(args, page)), content_type="application/json")

    def status_for(self, page: int) -> int:
        if page in self.always_fail:
            return 503
        if page in self.fail_once and not any(p == page for _, _, p, _ in self.log):
            return 504
        return 200

    def page(self, args: dict[str, str], page: int) -> dict:
        start = datetime.fromisoformat(args["start"]).replace(tzinfo=UTC)
        overlap = 1 if self.repeat_previous_row and page > 1 else 0
        first = (page - 1) * self.rows_per_page - overlap
        stamps = range(max(first, 0), min(page * self.rows_per_page, 26))
        rows = [{"station_number": args["station_number"], "value": round(10 + h + page / 10, 2),
                 "timestamp_measured": (start + timedelta(hours=h)).isoformat(),
                 "formula": "NO2"} for h in stamps]
        last = self.last_page_seen.get(page, 4)
        following = self.next_page_override or min(page + 1, last)
        return {"pagination": {"first_page": 1, "last_page": last, "prev_page": max(page - 1, 1),
                               "next_page": following, "current_page": page,
                               "page_list": list(range(1, last + 1))}, "data": rows}

    def served_pages(self) -> list[int]:
        return [page for _, _, page, status in self.log if status == 200]


@pytest.fixture
def api(httpserver) -> PagedApi:
    fake = PagedApi()
    httpserver.expect_request("/open_api/measurements").respond_with_handler(fake)
    return fake


@pytest.fixture
def http(httpserver):
    return make_http("luchtmeetnet", mode="live", base_url=httpserver.url_for("/open_api"),
                     retry=RetryPolicy(max_attempts=3, initial_wait_s=0.0, max_wait_s=0.0),
                     sleep=lambda _s: None, timeout_s=5)


def fetch_one(http, **kwargs):
    return fetch_measurements(http, DAY, stations=["NL49551"], **kwargs)


def the_day(payloads) -> pl.DataFrame:
    frame, _ = keep_window(parse_luchtmeetnet_measurements(payloads), DAY_START,
                           DAY_START + timedelta(days=1))
    return frame


def test_every_page_fetched_once_with_an_explicit_window(api, http):
    payloads = fetch_one(http, partition="2024-01-01")
    assert api.served_pages() == [1, 2, 3, 4]
    assert all(args.items() >= WINDOW.items() for args in api.args)
    assert [p.request_key for p in payloads] == [
        f"measurements/NL49551/2024-01-01/p{n}" for n in (1, 2, 3, 4)]
    frame = parse_luchtmeetnet_measurements(payloads)
    assert frame.height == 26  # the day's 24 hours and the hour either side
    day, outside = keep_window(frame, DAY_START, DAY_START + timedelta(days=1))
    assert (day.height, outside) == (24, 2)
    # the hour ending 01:00 is the day's first hour, the one ending at midnight its last
    assert day["measured_at"].min() == DAY_START
    assert day["measured_at"].max() == datetime(2024, 1, 1, 23, tzinfo=UTC)


def test_one_chain_per_station_without_a_formula_filter(api, http):
    fetch_measurements(http, DAY, stations=["NL49551", "NL10404"])
    assert [s for s, _, page, _ in api.log if page == 1] == ["NL49551", "NL10404"]
    assert len(api.log) == 2 * 4
    assert not any("formula" in args for args in api.args)
    assert all(args.items() >= WINDOW.items() and "page" in args for args in api.args)


def test_a_page_failing_once_is_retried_and_kept_once(api, http):
    api.fail_once = {2}
    payloads = fetch_one(http)
    assert [status for *_, status in api.log] == [200, 504, 200, 200, 200]
    assert api.served_pages() == [1, 2, 3, 4]
    assert the_day(payloads).height == 24


def test_rows_repeated_across_pages_are_kept_once_from_the_later_page(api, http):
    api.repeat_previous_row = True  # each page starts with the previous page's last hour, revised
    payloads = fetch_one(http)
    raw_rows = sum(len(p.json()["data"]) for p in payloads)
    frame = the_day(payloads)
    assert raw_rows == 29 and frame.height == 24
    assert not frame.select("station_code", "component", "measured_at").is_duplicated().any()
    # stamp 07:00 (page 1's last row, repeated first on page 2) is the hour starting 06:00
    hour_6 = frame.filter(pl.col("measured_at") == datetime(2024, 1, 1, 6, tzinfo=UTC))
    assert hour_6["value_ugm3"].to_list() == [17.2]  # page 2's value, not page 1's 17.1


def test_a_chain_that_grows_mid_run_is_walked_to_its_new_end(api, http):
    api.last_page_seen = {1: 2, 2: 3, 3: 4, 4: 4}  # more data arrived while walking
    fetch_one(http)
    assert api.served_pages() == [1, 2, 3, 4]


def test_a_permanently_failing_page_fails_the_whole_day(api, http):
    api.always_fail = {2}
    with pytest.raises(SourceUnavailable, match="503"):
        fetch_one(http, partition="2024-01-01")
    assert 3 not in [page for _, _, page, _ in api.log]  # nothing fetched past the failure


def test_an_api_ignoring_page_is_refused(api, http):
    api.ignore_page = True  # what the API does without an explicit window
    with pytest.raises(ContractError, match="asked for page 2 but got page 1"):
        fetch_one(http)


def test_a_next_page_that_does_not_advance_is_refused(api, http):
    api.next_page_override = 1
    with pytest.raises(ContractError, match="does not follow"):
        fetch_one(http)
    assert api.served_pages() == [1]


def test_station_detail_is_fetched_and_parsed(httpserver, http):
    httpserver.expect_request("/open_api/stations/NL49551").respond_with_data(
        (PAYLOADS / "station_NL49551.json").read_bytes(), content_type="application/json")
    detail = parse_station_detail(fetch_station(http, "NL49551"))
    assert detail["station_code"] == "NL49551"
    assert detail["name"] == "IJmuiden-Kanaalstraat" and detail["municipality"] == "Velsen"
    assert (detail["longitude"], detail["latitude"]) == (4.6012, 52.4634)
    assert detail["organisation"] == "GGD Amsterdam"


def test_station_detail_without_location_breaks_the_contract(httpserver, http):
    doc = json.loads((PAYLOADS / "station_NL49551.json").read_bytes())
    del doc["data"]["location"]
    httpserver.expect_request("/open_api/stations/NL49551").respond_with_json(doc)
    with pytest.raises(ContractError, match="location"):
        parse_station_detail(fetch_station(http, "NL49551"))


def test_live_mode_reads_the_same_as_snapshot_mode(httpserver, http):
    """A local server replays the bundled recordings: live and snapshot parse identically."""
    recorded = SnapshotTransport(snapshot_roots())
    real_base = "https://api.luchtmeetnet.nl"

    def replay(request: Request) -> Response:
        answer = recorded.handle_request(httpx.Request("GET", real_base + request.full_path))
        return Response(answer.content, status=answer.status_code,
                        content_type="application/json")

    httpserver.expect_request("/open_api/measurements").respond_with_handler(replay)
    day = date(2025, 1, 8)
    live = parse_luchtmeetnet_measurements(fetch_measurements(http, day, stations=STATIONS))
    snapshot = parse_luchtmeetnet_measurements(
        fetch_measurements(make_http("luchtmeetnet", mode="snapshot"), day, stations=STATIONS))
    assert live.height == len(STATIONS) * len(COMPONENTS) * 26  # the day and an hour each side
    assert live.equals(snapshot)


# -- the request-rate throttle ---------------------------------------------------------------

class FakeClock:
    """A clock that only moves when the throttle sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_throttle_holds_a_request_until_the_window_has_room():
    clock = FakeClock()
    throttle = Throttle(3, 300.0, clock=clock, sleep=clock.sleep)
    assert [throttle.wait() for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 100
    assert throttle.wait() == pytest.approx(200.0)  # the first request's slot frees at 1300
    assert clock.now == pytest.approx(1300.0)
    clock.now += 300  # a quiet spell empties the window
    assert [throttle.wait() for _ in range(3)] == [0.0, 0.0, 0.0]


def test_the_throttle_never_lets_more_than_its_limit_into_any_window():
    clock = FakeClock()
    throttle = Throttle(5, 60.0, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(23):
        throttle.wait()
        sent.append(clock.now)
        clock.now += 1.5
    assert max(sum(1 for t in sent if start <= t < start + 60.0) for start in sent) == 5
    assert sent[-1] - sent[0] >= 4 * 60.0  # 23 requests need at least five windows


def test_the_throttle_refuses_a_nonsense_limit():
    with pytest.raises(ValueError, match="max_calls"):
        Throttle(0, 300.0)


def test_live_luchtmeetnet_requests_go_through_the_throttle(api, httpserver):
    clock = FakeClock()
    http = make_http("luchtmeetnet", mode="live", base_url=httpserver.url_for("/open_api"),
                     throttle=Throttle(3, 300.0, clock=clock, sleep=clock.sleep))
    fetch_measurements(http, DAY, stations=["NL49551", "NL10404"])
    assert len(api.log) == 8
    # 3 requests at once, then a full window's wait before the 4th and the 7th
    assert clock.slept == [300.0, 300.0] and clock.now == 1600.0


def test_live_clients_of_a_source_share_its_declared_throttle(httpserver):
    assert SOURCES["luchtmeetnet"].rate_limit == (90, 300.0)  # under about 100 per 5 minutes
    one = make_http("luchtmeetnet", mode="live", base_url=httpserver.url_for("/a"))
    other = make_http("luchtmeetnet", mode="live")
    assert one.throttle is other.throttle is shared_throttle("luchtmeetnet")
    assert (one.throttle.max_calls, one.throttle.period_s) == (90, 300.0)
    assert make_http("luchtmeetnet", mode="snapshot").throttle is None
    assert make_http("cbs_statline", mode="live").throttle is None
