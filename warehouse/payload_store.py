"""Raw payload bodies, stored once per content hash beside the DuckDB file.

The vintage rows (who, what, when, which hash) stay in DuckDB; the bodies live here, one
write-once file per SHA-256, so identical content is stored once and nothing is overwritten.
Kept out of DuckDB because a table holding large blobs made every later append cost a
rewrite of the stored blobs at checkpoint (0.5 s per 130 MB of bodies, growing with history),
and every read of one body scan its neighbours.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from core.processes import owner_tag, process_alive, tagged_pid

INCOMING_PREFIX = ".incoming-"  # a body being written; named `.incoming-<pid>-...`


def _syncfs():
    """Linux's syncfs(2) (one call makes every write on a file system durable), or None."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


SYNCFS = _syncfs()


def _check_hash(content_hash: str, body: bytes) -> None:
    if hashlib.sha256(body).hexdigest() != content_hash:
        raise ValueError("body does not match its content hash")


class PayloadCorrupted(RuntimeError):
    """A stored body no longer matches its content hash."""


class PayloadStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, content_hash: str) -> Path:
        if len(content_hash) != 64 or not all(c in "0123456789abcdef" for c in content_hash):
            raise ValueError(f"not a SHA-256 hex digest: {content_hash!r}")
        return self.root / content_hash[:2] / content_hash

    def put(self, content_hash: str, body: bytes) -> Path:
        """Store `body` under its hash (atomically; an existing file is left as it is)."""
        _check_hash(content_hash, body)
        return self._store(content_hash, body)

    def put_many(self, bodies: Iterable[tuple[str, bytes]]) -> None:
        """`put` each (hash, body), made durable together: all are written, one `syncfs` makes
        them durable, they are renamed into place, and a second makes the names durable
        (300 small bodies of a national day: 0.18-0.22 s with a fsync each, 0.03 s so).
        Without syncfs (not Linux), each body is stored as `put` stores it."""
        bodies = list(bodies)
        for content_hash, body in bodies:
            _check_hash(content_hash, body)
        todo = {h: body for h, body in bodies if not self.path(h).exists()}
        if SYNCFS is None or len(todo) < 2:
            for content_hash, body in todo.items():
                self._store(content_hash, body)
            return
        written: list[tuple[str, Path]] = []
        try:
            for content_hash, body in todo.items():
                target = self.path(content_hash)
                written.append((self._incoming(target, body, durable=False), target))
            self._sync()
            for tmp, target in written:
                os.replace(tmp, target)
            self._sync()
        finally:
            for tmp, _ in written:
                Path(tmp).unlink(missing_ok=True)

    def _store(self, content_hash: str, body: bytes) -> Path:
        target = self.path(content_hash)
        if target.exists():
            return target
        tmp = self._incoming(target, body, durable=True)
        try:
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    @staticmethod
    def _incoming(target: Path, body: bytes, *, durable: bool) -> str:
        """`body` in a new temporary file beside `target` (fsynced if `durable`)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=INCOMING_PREFIX + owner_tag())
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                if durable:
                    handle.flush()
                    os.fsync(handle.fileno())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return tmp

    def _sync(self) -> None:
        fd = os.open(self.root, os.O_RDONLY)
        try:
            if SYNCFS(fd) != 0:
                raise OSError(ctypes.get_errno(), f"syncfs failed on {self.root}")
        finally:
            os.close(fd)

    def remove_leftovers(self) -> list[Path]:
        """Delete the half-written bodies of writers that no longer run (a killed run leaves
        its `.incoming-` files; a live writer's are kept). Returns what was removed."""
        removed = []
        for tmp in self.root.glob(f"*/{INCOMING_PREFIX}*") if self.root.is_dir() else ():
            pid = tagged_pid(tmp.name, INCOMING_PREFIX)
            try:
                made_at = tmp.stat().st_mtime
            except FileNotFoundError:
                continue  # its writer renamed it meanwhile
            # An untagged name (written before names carried the pid) counts as dead after a day.
            dead = (not process_alive(pid, made_at=made_at) if pid is not None
                    else made_at < time.time() - 86400)
            if dead:
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
        return removed

    def get(self, content_hash: str) -> bytes:
        path = self.path(content_hash)
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            raise PayloadCorrupted(f"payload body {content_hash} is missing from {self.root}; "
                                   "restore the payload folder from the same backup as the "
                                   "warehouse file") from None
        if hashlib.sha256(body).hexdigest() != content_hash:
            raise PayloadCorrupted(f"payload body {path} does not match its hash (changed on "
                                   "disk); restore it from backup")
        return body
