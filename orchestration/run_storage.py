"""Dagster's run history at a fraction of its cost during a CLI build.

Dagster's SQLite storage opens a connection and commits once per event; at SQLite's default
`synchronous` level every commit (and the WAL checkpoint when the connection closes) waits for
the disk: 20-30 ms an event on this machine under load, against about 2 ms without the waits
(BENCHMARKS.md), and a snapshot build logs about 700 events. Inside `deferred_sync`, SQLite
connections this process opens to files under DAGSTER_HOME skip those waits
(`PRAGMA synchronous=OFF`); when the block ends, one `syncfs` makes all of it durable at once.

What this trades: a crash of this process loses nothing (SQLite still writes every commit to
the file); an operating-system crash or power cut in the middle of a build may leave the run
history of that build damaged (Dagster's bookkeeping, shown in the web UI; never the
warehouse, whose writes keep their own durability). `dagster dev` and schedules are not
affected: the setting is per connection, and only this process's connections get it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse.payload_store import SYNCFS


def _under(path: str, root: str) -> bool:
    return bool(path) and os.path.commonpath([os.path.abspath(path), root]) == root


@contextmanager
def deferred_sync(dagster_home: Path) -> Iterator[None]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    root = os.path.abspath(dagster_home)

    def no_wait(dbapi_connection, _record) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        files = [row[2] for row in dbapi_connection.execute("PRAGMA database_list")]
        if any(_under(f, root) for f in files):
            dbapi_connection.execute("PRAGMA synchronous=OFF")

    event.listen(Engine, "connect", no_wait)
    try:
        yield
    finally:
        event.remove(Engine, "connect", no_wait)
        sync_tree(dagster_home)


def sync_tree(root: Path) -> None:
    """Make every write under `root`'s file system durable (syncfs; os.sync elsewhere)."""
    if SYNCFS is None:
        os.sync()
        return
    fd = os.open(root, os.O_RDONLY)
    try:
        if SYNCFS(fd) != 0:
            os.sync()
    finally:
        os.close(fd)
