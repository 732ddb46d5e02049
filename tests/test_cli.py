"""The command line: defaults, helpful messages, and the UI bound to loopback."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from orchestration.cli import main, parser, planned_runs
from orchestration.service import ui_command
from orchestration.settings import DAGSTER_YAML, paths, prepare_dagster_home


def test_ui_binds_to_loopback_by_default():
    args = parser().parse_args(["ui"])
    assert args.host == "127.0.0.1"
    command = ui_command(args.host, args.port, Path("workspace.yaml"))
    assert command[command.index("-h") + 1] == "127.0.0.1"
    assert Path(command[0]).name == "dg" and command[1:3] == ["dev", "-w"]


def test_dagster_home_has_telemetry_off_and_one_writer_slot(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = prepare_dagster_home(paths(tmp_path))
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["telemetry"]["enabled"] is False
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert (home / "dagster.yaml").read_text() == DAGSTER_YAML


def test_status_before_any_build_says_what_to_do(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "status", "--json"]) == 4  # nothing to trust yet
    status = json.loads(capsys.readouterr().out)
    assert "transition-monitor build" in status["problems"][0]
    assert status["health"] == "no_warehouse"


def test_snapshot_build_plans_every_year_and_day_then_statistics_then_the_edition():
    runs = planned_runs("snapshot", days=7)
    jobs = [job for job, _ in runs]
    assert jobs[-2:] == ["statistics_job", "edition_job"]
    assert ("validated_air_quality_job", "2016") in runs
    assert ("air_quality_daily_job", "2025-01-06") in runs


def test_live_build_plans_the_last_complete_utc_days():
    from datetime import date

    runs = planned_runs("live", days=3, today=date(2025, 3, 31))
    days = [key for job, key in runs if job == "air_quality_daily_job"]
    assert days == ["2025-03-28", "2025-03-29", "2025-03-30"]


def test_ui_says_it_must_stay_on_loopback_or_behind_an_authenticating_proxy(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))  # the command exports it
    monkeypatch.setattr("orchestration.service.run_until_signalled", lambda command, env: 0)
    assert main(["--home", str(tmp_path), "ui"]) == 0
    err = capsys.readouterr().err
    assert "accepts any Host header" in err and "keep it on 127.0.0.1" in err
    assert "authenticates users" in err


def test_live_build_can_end_on_a_chosen_day_and_keep_chosen_years():
    from datetime import date

    runs = planned_runs("live", days=2, until=date(2025, 1, 6), years=["2024"])
    assert [key for job, key in runs if job == "air_quality_daily_job"] == [
        "2025-01-05", "2025-01-06"]
    assert [key for job, key in runs if job == "validated_air_quality_job"] == ["2024"]
    args = parser().parse_args(["build", "--source", "live", "--until", "2025-01-06",
                                "--years", "2023,2024"])
    assert args.until == date(2025, 1, 6) and args.years == ["2023", "2024"]
    try:
        parser().parse_args(["build", "--years", "1999"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("an unknown year was accepted")


def test_a_partitioned_jobs_planned_partitions_form_one_group_and_ranges_skip_gaps():
    from orchestration.cli import PlannedRun, _partition_groups, _ranges

    runs = planned_runs("snapshot", 0)
    groups = _partition_groups([PlannedRun(n, job_name, key, None)
                                for n, (job_name, key) in enumerate(runs, 1)])
    assert [{run.job_name for run in g} for g in groups] == [
        {"validated_air_quality_job"}, {"air_quality_daily_job"}, {"statistics_job"},
        {"edition_job"}]
    assert [[run.n for run in g] for g in groups] == [
        list(range(1, 10)), list(range(10, 17)), [17], [18]]
    assert sum(len(g) for g in groups) == len(runs)
    order = {str(y): i for i, y in enumerate(range(2016, 2025))}
    planned = ["2016", "2017", "2018", "2020", "2021", "2022"]  # 2019 not planned
    # unchanged ends are trimmed, unchanged middles kept, a range never spans an unplanned key
    assert _ranges(planned, {"2017": 1, "2018": 1, "2021": 1}, order) == [
        ("2017", "2018", ["2017", "2018"]), ("2021", "2021", ["2021"])]
    assert _ranges(planned, {"2016": 1, "2018": 1}, order) == [
        ("2016", "2018", ["2016", "2017", "2018"])]
    assert _ranges(planned, {}, order) == []


def test_snapshot_build_can_stop_before_the_last_bundled_day():
    from datetime import date

    from sources.luchtmeetnet import SNAPSHOT_DAYS

    days = [k for job, k in planned_runs("snapshot", 0, until=date.fromisoformat(SNAPSHOT_DAYS[-2]))
            if job == "air_quality_daily_job"]
    assert days == list(SNAPSHOT_DAYS[:-1])


def test_a_stop_signal_inside_a_duckdb_query_is_still_a_stop():
    """DuckDB ends a query that a signal handler raised into with RuntimeError("Query
    interrupted"), the handler's exception as its cause: the build must see the stop (exit
    128+signal), and the look before a run must not take it for a failed fetch."""
    import signal

    import duckdb

    from orchestration.cli import BuildStopped, _stop_in_chain
    from orchestration.probe import interruption_in_chain

    stop = BuildStopped(signal.SIGTERM)
    try:
        try:
            raise stop
        except BuildStopped as inner:
            raise RuntimeError("Query interrupted") from inner
    except RuntimeError as wrapped:
        assert _stop_in_chain(wrapped) is stop
        assert interruption_in_chain(wrapped) is stop
    assert interruption_in_chain(duckdb.Error("a real error")) is None
    assert _stop_in_chain(RuntimeError("Query interrupted")) is None
