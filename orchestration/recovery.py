"""A crashed run never blocks the next: what `build` and `publish` do before they start.

- One command at a time per state directory: an exclusive lock on `command.lock` in
  $TRANSITION_MONITOR_HOME, waited for a bounded time; the kernel drops it when its holder
  dies, however it dies. The file names the holder (pid, command, start time) for the message.
- Dagster's writer pool (one slot, dagster.yaml) is released by a run's own process when a
  step ends; a killed process never does, and the next run waited for that slot for ever
  (spinning at 100% CPU). Runs whose process is gone are marked failed and their slots freed.
- Leftovers of a killed run: half-written payload bodies, staging folders, an edition
  written but not recorded (or recorded but not linked), settled by `clean_leftovers`.
"""


import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from core.processes import process_alive
from orchestration.settings import Paths

LOCK_FILE = "command.lock"
# Tags on the runs a CLI command starts: where their process runs (runs of the daemon are
# found by the pid Dagster's in-process executor logs when it starts).
PID_TAG = "transition-monitor/pid"
HOST_TAG = "transition-monitor/host"


class CommandBusy(RuntimeError):
    """Another command holds the state directory."""


@contextmanager
def command_lock(p: Paths, command: str, wait_s: float) -> Iterator[None]:
    """Hold the state directory's command lock, waiting at most `wait_s` seconds for it;
    CommandBusy (naming the holder) when it stays taken."""
    p.home.mkdir(parents=True, exist_ok=True)
    path = p.home / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CommandBusy(_busy_message(path, wait_s)) from None
                time.sleep(0.2)
        holder = {"pid": os.getpid(), "command": command,
                  "started": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def lock_holder(path: Path) -> str | None:
    """Who holds the command lock at `path`, as "`build` (pid 123, started ...)"; None when
    no command has written itself there (none runs, or the file is unreadable)."""
    try:
        holder = json.loads(path.read_text())
        return f"`{holder['command']}` (pid {holder['pid']}, started {holder['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _busy_message(path: Path, wait_s: float) -> str:
    who = lock_holder(path) or "another command"
    return (f"{who} is using {path.parent}; waited {wait_s:.0f}s. Let it finish (or stop it) "
            "and run this command again.")


def release_dead_runs(instance, *, local: bool | None = None) -> list[str]:
    """Mark failed the in-progress runs whose process is gone and free every concurrency
    slot held or queued for by a run that is over. `local`: whether every run of the
    instance ran on this machine (SQLite storage; then the pid the executor logged can be
    checked); otherwise only runs tagged with this host are judged."""
    import dagster as dg

    if local is None:
        local = type(instance.run_storage).__name__.startswith("Sqlite")
    storage = instance.event_log_storage
    holders: set[str] = set()
    for key in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(key)
        holders |= {s.run_id for s in info.claimed_slots} | {s.run_id for s in info.pending_steps}
    in_progress = {r.run_id for r in instance.get_runs(filters=dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
                  dg.DagsterRunStatus.CANCELING]))}
    done = []
    for run_id in sorted(holders | in_progress):
        record = instance.get_run_record_by_id(run_id)
        run = record.dagster_run if record else None
        if run is not None and not run.is_finished:
            pid, made_at = _run_process(instance, record, local)
            if pid is None or process_alive(pid, made_at=made_at):
                continue  # running, or nothing says where: left to the daemon's monitoring
            instance.report_run_failed(run, f"its process ({pid}) ended without finishing "
                                       "the run (killed?); marked failed at the next start")
            done.append(f"run {run_id[:8]} ({run.job_name}): its process {pid} is gone; "
                        "marked failed")
        if run_id in holders:
            storage.free_concurrency_slots_for_run(run_id)
            done.append(f"run {run_id[:8]}: freed its writer slot")
    return done


def _run_process(instance, record, local: bool) -> tuple[int | None, float | None]:
    """(pid, when the run began) of a run's process, when known and on this machine."""
    import dagster as dg

    tags = record.dagster_run.tags
    made_at = record.create_timestamp.timestamp()
    if PID_TAG in tags:
        if tags.get(HOST_TAG) != socket.gethostname():
            return None, None
        return int(tags[PID_TAG]), made_at
    if not local:
        return None, None
    for entry in instance.all_logs(record.dagster_run.run_id,
                                   of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        pid = data.metadata.get("pid") if data else None
        if pid is not None:
            return int(pid.value), entry.timestamp
    return None, None


def fail_runs_left_in_progress(instance, reason: str) -> list[str]:
    """This process's runs that are not finished, marked failed and their slots freed (a stop
    signal that interrupted Dagster outside a step leaves the run as it was)."""
    import dagster as dg

    done = []
    for run in instance.get_runs(filters=dg.RunsFilter(tags={PID_TAG: str(os.getpid())})):
        if not run.is_finished:
            instance.report_run_failed(run, reason)
            done.append(run.run_id)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return done


def cli_run_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def clean_leftovers(p: Paths) -> list[str]:
    """Half-written payload bodies of dead writers, and the site settled with the warehouse's
    edition records (reports.writer.reconcile_editions)."""
    from reports.publish import reconcile_site
    from warehouse.store import Warehouse

    wh = Warehouse(p.warehouse)
    done = [f"removed {tmp.name}, a payload body a stopped run left half-written"
            for tmp in wh.payloads.remove_leftovers()]
    if wh.exists():
        done += reconcile_site(wh, p.site)
    return done
