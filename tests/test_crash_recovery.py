"""A crash never wedges the next run: the command lock, dead runs' writer slots, leftovers of
killed writers, the site and the edition records after a kill at any point, a damaged
warehouse, and the stop signals. The kills of real `build`/`publish` commands are in
test_build_end_to_end.py (they share its undisturbed build)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.events import EngineEventData  # what the in-process executor logs
from factories import make_inputs

from orchestration.cli import EXIT_BUSY, EXIT_DAMAGED, BuildStopped, main, stop_on_signals
from orchestration.recovery import (
    HOST_TAG,
    PID_TAG,
    CommandBusy,
    cli_run_tags,
    command_lock,
    fail_runs_left_in_progress,
    release_dead_runs,
)
from orchestration.settings import HOME_ENV, SOURCE_MODE_ENV, paths
from reports import writer as site
from reports.editions import needs_reconciling
from reports.pages import PLOTLY_JS
from reports.writer import UNCONFIRMED, index_target, list_editions, reconcile_editions
from warehouse.integrity import WarehouseDamaged, verify_readable
from warehouse.payload_store import PayloadStore
from warehouse.store import Warehouse


@pytest.fixture(autouse=True)
def own_environment(monkeypatch):
    """The commands these tests run export their state directory and DAGSTER_HOME: undone
    after each test."""
    for name in ("DAGSTER_HOME", HOME_ENV, SOURCE_MODE_ENV):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# -- the command lock ---------------------------------------------------------------------


def test_a_held_lock_makes_publish_wait_then_refuse_naming_the_holder(tmp_path, capsys):
    p = paths(tmp_path)
    with command_lock(p, "build", wait_s=0):
        code = main(["--home", str(tmp_path), "publish", "--lock-wait", "0.5"])
    err = capsys.readouterr().err
    assert code == EXIT_BUSY
    assert f"pid {os.getpid()}" in err and "`build`" in err and "started 20" in err
    assert "Traceback" not in err
    with command_lock(p, "publish", wait_s=0):  # free again once its holder let go
        pass


def test_the_lock_of_a_killed_holder_is_free_at_once(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from orchestration.recovery import "
         "command_lock; from orchestration.settings import paths; "
         "lock = command_lock(paths(sys.argv[1]), 'build', 0); lock.__enter__(); "
         "print('held', flush=True); time.sleep(600)", str(tmp_path)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(CommandBusy, match=f"pid {holder.pid}"):
        with command_lock(paths(tmp_path), "publish", wait_s=0.3):
            pass
    holder.kill()
    holder.wait()
    with command_lock(paths(tmp_path), "publish", wait_s=0):
        pass


# -- Dagster's writer slot held by a dead run ---------------------------------------------


def _run_holding_the_slot(instance, tags: dict[str, str]) -> str:
    run = instance.add_run(dg.DagsterRun(job_name="air_quality_daily_job",
                                         status=dg.DagsterRunStatus.STARTED, tags=tags))
    storage = instance.event_log_storage
    storage.set_concurrency_slots("warehouse", 1)
    assert storage.claim_concurrency_slot("warehouse", run.run_id, "clean_step").is_claimed
    return run.run_id


def test_a_dead_runs_slot_is_freed_and_the_run_marked_failed_a_live_ones_kept():
    host = socket.gethostname()
    with dg.instance_for_test() as instance:
        dead = _run_holding_the_slot(instance, {PID_TAG: str(dead_pid()), HOST_TAG: host})
        done = release_dead_runs(instance)
        assert any("marked failed" in line for line in done)
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.FAILURE
        info = instance.event_log_storage.get_concurrency_info("warehouse")
        assert not info.claimed_slots
        # the next run gets the slot (it waited for ever before)
        assert instance.event_log_storage.claim_concurrency_slot(
            "warehouse", "next-run", "step").is_claimed
        instance.event_log_storage.free_concurrency_slots_for_run("next-run")

        live = _run_holding_the_slot(instance, {PID_TAG: str(os.getpid()), HOST_TAG: host})
        assert release_dead_runs(instance) == []
        assert instance.get_run_by_id(live).status == dg.DagsterRunStatus.STARTED
        assert instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots


def test_a_run_a_stop_signal_cut_short_in_this_process_is_failed_and_its_slot_freed():
    with dg.instance_for_test() as instance:
        run_id = _run_holding_the_slot(instance, cli_run_tags())
        assert fail_runs_left_in_progress(instance, "stopped") == [run_id]
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        assert not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots


def test_a_daemon_run_is_judged_by_the_pid_its_executor_logged():
    with dg.instance_for_test() as instance:
        run_id = _run_holding_the_slot(instance, {})  # no CLI tags: launched by the daemon
        run = instance.get_run_by_id(run_id)
        instance.report_engine_event("Executing steps in process", run,
                                     EngineEventData.in_process(dead_pid()))
        assert release_dead_runs(instance, local=False) == []  # another machine's, maybe
        assert release_dead_runs(instance, local=True)
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        assert not instance.event_log_storage.get_concurrency_info("warehouse").claimed_slots


# -- leftovers of killed writers ------------------------------------------------------------


def test_half_written_payloads_of_dead_writers_go_a_live_writers_stay(tmp_path):
    store = PayloadStore(tmp_path)
    (tmp_path / "ab").mkdir()
    dead = tmp_path / "ab" / f".incoming-{dead_pid()}-x1"
    live = tmp_path / "ab" / f".incoming-{os.getpid()}-x2"
    for f in (dead, live):
        f.write_bytes(b"half")
    assert store.remove_leftovers() == [dead]
    assert live.exists() and not dead.exists()


# -- the site and the edition records after a kill at any point ---------------------------

NEW = "2026-11-30"


def _publish_and_die(site_root: str, recorded_file: str, point: str) -> None:
    """In a child process: publish edition NEW and die (os._exit, as a SIGKILL: no `finally`
    runs) at `point`."""
    def die(*_args, **_kwargs):
        os._exit(137)

    def record(edition_id, _index):
        if point == "before_record":
            die()
        with open(recorded_file, "a") as fh:
            fh.write(edition_id + "\n")
        if point == "after_record":
            die()

    if point == "rendering":
        site.render_indicator = die
    if point == "before_linking":
        site.update_site_pages = die
    if point == "before_latest":
        site.update_latest = die
    if point == "before_index":
        real = site._atomic_write_text
        site._atomic_write_text = lambda path, text: die() if path.name == "index.html" \
            else real(path, text)
    site.write_edition(make_inputs(n_indicators=2, edition_id=NEW), Path(site_root), pdf=False,
                       record=record)
    os._exit(0)


KILL_POINTS = ["rendering", "before_record", "after_record", "before_linking", "before_latest",
               "before_index"]


@pytest.fixture(scope="module")
def killed_sites(tmp_path_factory) -> dict[str, tuple[Path, set[str]]]:
    """One site per kill point: a published edition, then a publication killed there (in
    processes forked by a fork server that imported this module once, all at once; forking
    this process could deadlock polars' threads)."""
    first = tmp_path_factory.mktemp("first")
    site.write_edition(make_inputs(n_indicators=2), first, pdf=False)
    spawn = multiprocessing.get_context("forkserver")
    spawn.set_forkserver_preload([__name__])
    started = {}
    for point in KILL_POINTS:
        root = tmp_path_factory.mktemp(point) / "site"
        shutil.copytree(first, root)
        recorded = root.parent / "recorded"
        recorded.write_text("2026-11-23\n")
        child = spawn.Process(target=_publish_and_die, args=(str(root), str(recorded), point))
        child.start()
        started[point] = (child, root, recorded)
    out = {}
    for point, (child, root, recorded) in started.items():
        child.join(300)
        assert child.exitcode == 137, f"{point}: the child did not reach its kill point"
        out[point] = (root, set(recorded.read_text().split()))
    return out


@pytest.mark.parametrize("point", KILL_POINTS)
def test_after_a_kill_the_site_and_the_records_agree_once_reconciled(killed_sites, point):
    root, recorded = killed_sites[point]
    # Even before anything is settled, no edition the warehouse did not record is listed.
    assert {e["edition_id"] for e in list_editions(root)} <= recorded
    needed = needs_reconciling(root)  # the check that spares a no-op build the writer
    done = reconcile_editions(root, recorded)
    assert needed or not done, f"reconciled {done} where the check saw nothing to do"
    assert not needs_reconciling(root)
    newest_recorded = NEW if NEW in recorded else "2026-11-23"
    assert index_target(root) == newest_recorded  # what `status` calls the latest edition
    assert [e["edition_id"] for e in list_editions(root)] == sorted(recorded, reverse=True)
    assert (root / "editions" / NEW).exists() == (NEW in recorded)
    assert (f"editions/{NEW}/" in (root / "archive.html").read_text()) == (NEW in recorded)
    assert (root / "latest" / "edition.json").read_text().count(newest_recorded) >= 1
    assert not list(root.rglob(UNCONFIRMED))
    assert not [p for p in root.rglob(".staging-*")], "a killed writer's leftovers stayed"


def test_an_edition_being_written_by_a_live_process_is_left_alone(tmp_path):
    site.write_edition(make_inputs(n_indicators=2), tmp_path, pdf=False)
    mark = tmp_path / "editions" / "2026-11-23" / UNCONFIRMED
    mark.write_text(str(os.getpid()))  # a publication in progress, not recorded yet
    staging = tmp_path / f".staging-{os.getpid()}-abc"
    staging.mkdir()
    assert reconcile_editions(tmp_path, set()) == []
    assert mark.exists() and staging.exists()


def test_site_files_are_world_readable(tmp_path):
    old = os.umask(0o077)  # a strict umask, as a service may run with
    try:
        site.write_edition(make_inputs(n_indicators=2), tmp_path, pdf=False)
    finally:
        os.umask(old)
    for path in [tmp_path, tmp_path / "index.html", tmp_path / "archive.html",
                 tmp_path / "archive-en.html", tmp_path / PLOTLY_JS,
                 *(tmp_path / "editions").rglob("*"), *(tmp_path / "latest").rglob("*")]:
        want = 0o755 if path.is_dir() else 0o644
        assert path.stat().st_mode & 0o777 == want, path


# -- a damaged warehouse --------------------------------------------------------------------


@pytest.fixture
def filled_warehouse(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    Warehouse(path).initialise()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO validation_runs SELECT 'v' || i, 'clean_' || (i % 7), '', now(), "
                "i % 3 = 0, i, 10, 0 FROM range(400000) r(i)")
    con.execute("CHECKPOINT")
    con.close()
    return path


@pytest.mark.parametrize("damage", ["random bytes", "truncated"])
def test_publish_refuses_a_damaged_warehouse_with_one_message(filled_warehouse, damage, capsys):
    assert verify_readable(Warehouse(filled_warehouse)) > 0  # whole, it reads
    size = filled_warehouse.stat().st_size
    if damage == "truncated":
        os.truncate(filled_warehouse, size // 2)
    else:
        with filled_warehouse.open("r+b") as fh:
            fh.seek(size // 2)
            fh.write(os.urandom(256 * 1024))
    with pytest.raises(WarehouseDamaged, match="Restore warehouse.duckdb and the warehouse-"):
        verify_readable(Warehouse(filled_warehouse))
    code = main(["--home", str(filled_warehouse.parent), "publish", "--lock-wait", "0"])
    err = capsys.readouterr().err
    assert code == EXIT_DAMAGED
    assert "publish refused: the warehouse" in err and "is damaged" in err
    assert "Traceback" not in err and err.count("refused") == 1
    assert not (filled_warehouse.parent / "site").exists()  # nothing published


# -- stop signals ---------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_between_runs_stops_the_build(sig):
    with pytest.raises(BuildStopped) as stopped, stop_on_signals():
        os.kill(os.getpid(), sig)
    assert stopped.value.signum == sig


def test_a_stop_signal_taken_by_another_handler_is_still_seen_after_the_run():
    with stop_on_signals() as stop_requested:
        # Dagster's handler during a run: it takes the signal and fails the run, no raise here
        ours = signal.signal(signal.SIGTERM, lambda *_: None)
        os.kill(os.getpid(), signal.SIGTERM)
        signal.signal(signal.SIGTERM, ours)
        with pytest.raises(BuildStopped) as stopped:
            stop_requested()
    assert stopped.value.signum == signal.SIGTERM


def test_a_stop_signal_swallowed_by_a_garbage_collection_callback_prints_no_traceback(
        monkeypatch):
    """A signal can land while Python runs a weakref callback, where the handler's exception
    cannot propagate and is printed as "Exception ignored": the build must not print that,
    and must still pass on every other unraisable exception."""
    import sys

    from orchestration.cli import BuildStopped, stop_on_signals

    passed_on = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: passed_on.append(u.exc_value))

    def unraisable(exc):
        return type("Unraisable", (), {"exc_type": type(exc), "exc_value": exc,
                                       "exc_traceback": None, "object": None,
                                       "err_msg": "Exception ignored in"})()

    real = ValueError("real")
    with stop_on_signals():
        sys.unraisablehook(unraisable(BuildStopped(15)))
        sys.unraisablehook(unraisable(real))
    assert passed_on == [real]
    sys.unraisablehook(unraisable(BuildStopped(15)))  # the hook is put back afterwards
    assert len(passed_on) == 2
