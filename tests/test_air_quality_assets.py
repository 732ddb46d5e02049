"""Air-quality assets through `dg.materialize` on a temporary DuckDB, against a local server
replaying the Luchtmeetnet format and injecting faults (RELIABILITY.md cases 1, 2, 4, 11, 15)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from werkzeug import Request, Response

from orchestration.assets.air_quality import clean_air_quality_hourly, raw_luchtmeetnet_measurements
from orchestration.resources import SourcesResource, WarehouseResource
from sources.snapshot import DEMO_STATIONS as STATIONS
from transforms.air_quality import COMPONENTS
from warehouse.store import Warehouse

DAY = "2025-01-06"


class FakeLuchtmeetnet:
    """Serves `/open_api/measurements` one page per station (every component, and O3, which
    the monitor does not read), stamped at the hours' ENDS with both window bounds included,
    as the API does; with faults."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.throttle_first = False
        self.always_503_for: str | None = None
        self.html_for: str | None = None
        self.outlier_for: str | None = None
        self.no_data = False  # "200, no data": every page answers `data: []`

    def __call__(self, request: Request) -> Response:
        args = dict(request.args)
        self.requests.append(args)
        station = args.get("station_number", "")
        if self.throttle_first and len(self.requests) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "0"})
        if station == self.always_503_for:
            return Response("unavailable", status=503)
        if station == self.html_for:
            return Response("<!DOCTYPE html><html>maintenance</html>", status=200,
                            content_type="text/html")
        return Response(json.dumps(self.page(args)), content_type="application/json")

    def page(self, args: dict[str, str]) -> dict:
        start = datetime.fromisoformat(args["start"]).replace(tzinfo=UTC)
        end = datetime.fromisoformat(args["end"]).replace(tzinfo=UTC)
        stamps = (end - start) // timedelta(hours=1) + 1
        rows = [{"station_number": args["station_number"],
                 "value": 1e6 if (args["station_number"] == self.outlier_for and h == 5)
                 else round(10 + h * 0.5, 2),
                 "timestamp_measured": (start + timedelta(hours=h)).isoformat(),
                 "formula": formula}
                for h in range(stamps) for formula in (*COMPONENTS, "O3")]
        return {"pagination": {"first_page": 1, "last_page": 1, "prev_page": 1, "next_page": 1,
                               "current_page": 1, "page_list": [1]},
                "data": [] if self.no_data else rows}


@pytest.fixture
def fake(httpserver) -> FakeLuchtmeetnet:
    handler = FakeLuchtmeetnet()
    httpserver.expect_request("/open_api/measurements").respond_with_handler(handler)
    return handler


@pytest.fixture
def resources(httpserver, tmp_path) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(path=str(tmp_path / "wh.duckdb"), lock_timeout_s=2),
        "sources": SourcesResource(mode="live", base_urls={"luchtmeetnet": httpserver.url_for("/open_api")},
                                   max_attempts=2, max_wait_s=0.01, timeout_s=5,
                                   run_retries=1, run_retry_wait_s=0),
    }


def run_day(resources, assets=None) -> dg.ExecuteInProcessResult:
    assets = assets or [raw_luchtmeetnet_measurements, clean_air_quality_hourly]
    return dg.materialize(assets, partition_key=DAY, resources=resources, raise_on_error=False)


def failure_messages(result) -> list[str]:
    """Each failed step's error with its causes (Dagster wraps the source's own error)."""
    out = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error, parts = event.event_specific_data.error, []
            while error is not None:
                parts.append(error.message)
                error = error.cause
            out.append(" ".join(parts))
    return out


def wh(resources) -> Warehouse:
    return resources["warehouse"].warehouse()


EXPECTED_ROWS = len(STATIONS) * len(COMPONENTS) * 24


def test_throttled_then_ok_stores_each_row_once(fake, resources):
    fake.throttle_first = True
    assert run_day(resources).success
    counts = wh(resources).query("SELECT count(*) AS n, count(DISTINCT (station_code, component, "
                                 "measured_at)) AS k FROM clean_air_quality_hourly")
    assert counts.row(0) == (EXPECTED_ROWS, EXPECTED_ROWS)
    assert all("start" in r and "end" in r for r in fake.requests)


def test_a_day_keeps_its_24_hours_keyed_by_their_start(fake, resources):
    """The pages hold the hour before and after the day too: left out, counted, not fatal."""
    result = run_day(resources)
    assert result.success
    hours = wh(resources).query(
        "SELECT min(measured_at) AS first, max(measured_at) AS last, count(*) AS n "
        "FROM clean_air_quality_hourly").row(0)
    assert hours[0] == datetime(2025, 1, 6, tzinfo=UTC)  # stamped 01:00: the first hour
    assert hours[1] == datetime(2025, 1, 6, 23, tzinfo=UTC)  # stamped 00:00 the next day
    assert hours[2] == EXPECTED_ROWS
    materialised = [e.event_specific_data.materialization for e in result.all_events
                    if e.event_type_value == "ASSET_MATERIALIZATION"
                    and e.asset_key.path == ["clean_air_quality_hourly"]]
    outside = materialised[0].metadata["rows_outside_window"].value
    assert outside == 2 * len(STATIONS) * len(COMPONENTS)


def test_rematerialising_a_day_changes_nothing(fake, resources):
    assert run_day(resources).success
    first = wh(resources).checksums()
    assert run_day(resources).success
    after = wh(resources).checksums()
    for table in ("clean_air_quality_hourly", "raw_payloads"):
        assert after[table] == first[table]


def test_persistent_503_fails_the_partition_and_writes_nothing(fake, resources):
    assert run_day(resources).success
    before = wh(resources).checksums()
    fake.always_503_for = "NL49572"
    result = run_day(resources)
    assert not result.success
    errors = failure_messages(result)
    assert any("luchtmeetnet" in m and "503" in m and DAY in m for m in errors)
    after = wh(resources).checksums()
    assert after["clean_air_quality_hourly"] == before["clean_air_quality_hourly"]
    assert after["raw_payloads"] == before["raw_payloads"]


def test_an_html_maintenance_page_is_a_contract_error(fake, resources):
    fake.html_for = "NL49551"
    result = run_day(resources)
    assert not result.success
    errors = " ".join(failure_messages(result))
    assert "HTML" in errors and "maintenance" in errors
    assert wh(resources).query("SELECT count(*) AS n FROM clean_air_quality_hourly")["n"][0] == 0


def test_failed_validation_blocks_downstream_and_keeps_previous_rows(fake, resources):
    assert run_day(resources).success
    before = wh(resources).checksums()["clean_air_quality_hourly"]
    from orchestration.assets.indicators import air_station_annual

    fake.outlier_for = "NL49553"
    result = run_day(resources, [raw_luchtmeetnet_measurements, clean_air_quality_hourly,
                                 air_station_annual])
    assert not result.success
    checks = [e.event_specific_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert [c.passed for c in checks] == [False]
    executed = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert "air_station_annual" not in executed
    assert wh(resources).checksums()["clean_air_quality_hourly"] == before
    assert wh(resources).failed_tables() == ["clean_air_quality_hourly"]


def test_a_day_answered_with_no_data_after_a_good_day_fails_and_keeps_its_rows(fake, resources,
                                                                               monkeypatch):
    """RELIABILITY.md case 4: `data: []` for a day that held data is a contract error, not a
    delete; a person's override lets it through."""
    from warehouse.guard import ALLOW_SHRINK_ENV

    assert run_day(resources).success
    before = wh(resources).checksums()["clean_air_quality_hourly"]
    fake.no_data = True
    result = run_day(resources)
    assert not result.success
    errors = " ".join(failure_messages(result))
    assert "clean_air_quality_hourly" in errors and "fewer than the declared minimum" in errors
    assert "--allow-shrink" in errors
    assert wh(resources).checksums()["clean_air_quality_hourly"] == before
    assert before[0] == EXPECTED_ROWS

    monkeypatch.setenv(ALLOW_SHRINK_ENV, "clean_air_quality_hourly")
    assert run_day(resources).success
    assert wh(resources).checksums()["clean_air_quality_hourly"][0] == 0


def test_a_range_run_gates_each_day_and_a_failed_day_loses_only_itself(fake, resources):
    """A CLI build runs a job's partitions as one run over a range (orchestration/cli.py): each
    day is validated and written on its own; a failed day writes nothing, the others are
    written, and the run's one check result fails, naming that day."""
    days = ["2025-01-06", "2025-01-07", "2025-01-08"]
    for day in days:
        fake.outlier_for = "NL49553" if day == days[1] else None
        assert dg.materialize([raw_luchtmeetnet_measurements], partition_key=day,
                              resources=resources).success
    result = dg.materialize([clean_air_quality_hourly], resources=resources,
                            raise_on_error=False,
                            tags={"dagster/asset_partition_range_start": days[0],
                                  "dagster/asset_partition_range_end": days[-1]})
    assert not result.success
    checks = [e.event_specific_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert len(checks) == 1 and not checks[0].passed
    assert days[1] in checks[0].description
    assert days[0] not in checks[0].description and days[2] not in checks[0].description
    stored = wh(resources).query(
        "SELECT CAST(measured_at AS DATE) AS day, count(*) AS n FROM clean_air_quality_hourly "
        "GROUP BY ALL ORDER BY day")
    assert [str(d) for d in stored["day"]] == [days[0], days[2]]
    assert stored["n"].to_list() == [EXPECTED_ROWS, EXPECTED_ROWS]
    materialised = {e.event_specific_data.materialization.partition:
                    e.event_specific_data.materialization.metadata
                    for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
    assert materialised[days[0]]["rows"].value == EXPECTED_ROWS
    assert materialised[days[1]]["validated"].value is False
    assert wh(resources).failed_tables() == ["clean_air_quality_hourly"]
