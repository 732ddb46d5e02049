"""Raw payload bodies, stored once per content hash: a folder beside the DuckDB file (the
default), or S3-compatible object storage (`TM_PAYLOAD_PATH=s3://bucket/prefix/`, for workers
on several machines, which share no folder).

The vintage rows (who, what, when, which hash) stay in the warehouse; the bodies live here, one
write-once file (or object) per SHA-256, so identical content is stored once and nothing is
overwritten; every body read back is checked against its hash. Kept out of DuckDB because a
table holding large blobs made every later append cost a rewrite of the stored blobs at
checkpoint (0.5 s per 130 MB of bodies, growing with history), and every read of one body scan
its neighbours. Both stores have one interface: `put`, `put_many`, `get`, `remove_leftovers`.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import hashlib
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.processes import owner_tag, process_alive, tagged_pid
from warehouse.s3 import S3Access, split_s3_url

INCOMING_PREFIX = ".incoming-"  # a body being written; named `.incoming-<pid>-...`


def _syncfs():
    """Linux's syncfs(2) (one call makes every write on a file system durable), or None.
    The process's own symbols come first: `find_library` runs `ldconfig`, 40 ms of every
    command's start-up (`status` included)."""
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        pass
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).syncfs
    except (OSError, AttributeError, TypeError):
        return None


SYNCFS = _syncfs()


def _check_hash(content_hash: str, body: bytes) -> None:
    if hashlib.sha256(body).hexdigest() != content_hash:
        raise ValueError("body does not match its content hash")


def _check_digest(content_hash: str) -> None:
    if len(content_hash) != 64 or not all(c in "0123456789abcdef" for c in content_hash):
        raise ValueError(f"not a SHA-256 hex digest: {content_hash!r}")


class PayloadCorrupted(RuntimeError):
    """A stored body no longer matches its content hash."""


class PayloadStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, content_hash: str) -> Path:
        _check_digest(content_hash)
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


class S3PayloadStore:
    """The same store in an S3-compatible bucket: one object per SHA-256 under
    `<prefix><first two hex digits>/<hash>` (the folder store's layout).

    Write-once: each body is put with `If-None-Match: *`, so an object already under its key is
    never replaced (412 Precondition Failed: it is there; 409 ConditionalRequestConflict: a
    concurrent put of the same key, retried). An endpoint that does not implement conditional
    puts (501 NotImplemented) gets check-then-put instead, which is safe for content-addressed
    keys: every writer of a key writes the same bytes (each body is checked against its hash
    before it is sent), so losing the race between the check and the put rewrites identical
    content and never changes what a reader gets. The SHA-256 is also sent with each put
    (`x-amz-checksum-sha256`), so a store that checks it (AWS S3) refuses a body damaged on the
    way; every body read back is checked against its hash here. A PUT is atomic: there are no
    half-written objects to clean up."""

    def __init__(self, url: str, access: S3Access | None = None, *, threads: int = 8) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self.bucket, self.prefix = split_s3_url(self.url)
        self.access = access or S3Access()
        self.threads = threads
        self.conditional_puts = True  # False once the endpoint answered NotImplemented
        self._client = None
        self._client_pid: int | None = None

    @property
    def client(self):
        if self._client is None or self._client_pid != os.getpid():  # one per process
            self._client = self.access.client(max_connections=self.threads)
            self._client_pid = os.getpid()
        return self._client

    def key(self, content_hash: str) -> str:
        _check_digest(content_hash)
        return f"{self.prefix}{content_hash[:2]}/{content_hash}"

    def put(self, content_hash: str, body: bytes) -> str:
        """Store `body` under its hash (an existing object is left as it is); its key."""
        _check_hash(content_hash, body)
        return self._store(content_hash, body)

    def put_many(self, bodies: Iterable[tuple[str, bytes]]) -> None:
        """`put` each (hash, body), several requests at once. Every hash is checked before
        anything is sent, so a wrong one stores none; returns when all are stored (a PUT that
        returned is durable)."""
        todo = dict(bodies)
        for content_hash, body in todo.items():
            _check_hash(content_hash, body)
        if len(todo) < 2:
            for content_hash, body in todo.items():
                self._store(content_hash, body)
            return
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            for _ in pool.map(lambda item: self._store(*item), todo.items()):
                pass  # re-raises the first failure

    def _store(self, content_hash: str, body: bytes) -> str:
        from botocore.exceptions import ClientError

        key = self.key(content_hash)
        checksum = base64.b64encode(hashlib.sha256(body).digest()).decode()
        for attempt in range(5):
            if not self.conditional_puts:
                if not self._exists(key):
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=body,
                                           ChecksumSHA256=checksum)
                return key
            try:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=body,
                                       ChecksumSHA256=checksum, IfNoneMatch="*")
                return key
            except ClientError as exc:
                code, status = _error(exc)
                if status == 412 or code == "PreconditionFailed":
                    return key  # stored already (by us or another writer): left as it is
                if status == 501 or code == "NotImplemented":
                    self.conditional_puts = False
                    continue
                if (status == 409 or code == "ConditionalRequestConflict") and attempt < 4:
                    time.sleep(0.1 * (attempt + 1))
                    continue
                raise
        raise RuntimeError(f"could not store payload body {key} in {self.bucket}")

    def _exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as exc:
            if _error(exc)[1] == 404:
                return False
            raise

    def get(self, content_hash: str) -> bytes:
        from botocore.exceptions import ClientError

        key = self.key(content_hash)
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if _error(exc)[0] == "NoSuchKey" or _error(exc)[1] == 404:
                raise PayloadCorrupted(f"payload body {content_hash} is missing from "
                                       f"s3://{self.bucket}/{self.prefix}; restore the bucket "
                                       "from the same backup as the warehouse") from None
            raise
        if hashlib.sha256(body).hexdigest() != content_hash:
            raise PayloadCorrupted(f"payload body s3://{self.bucket}/{key} does not match its "
                                   "hash (changed in the bucket); restore it from backup")
        return body

    def remove_leftovers(self) -> list[Path]:
        """Nothing: a PUT stores the whole object or none of it."""
        return []


def _error(exc) -> tuple[str, int]:
    """A botocore ClientError's code and HTTP status."""
    response = getattr(exc, "response", None) or {}
    return (str(response.get("Error", {}).get("Code", "")),
            int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0))


def open_payload_store(default_root: Path, environ: Mapping[str, str] | None = None
                       ) -> PayloadStore | S3PayloadStore:
    """The payload store the environment names: `TM_PAYLOAD_PATH` = `s3://bucket/prefix/`
    (S3-compatible storage, reached with the lake's endpoint and credentials, `S3Access`) or a
    folder; unset, `default_root` (the folder beside the warehouse file)."""
    env = os.environ if environ is None else environ
    where = env.get("TM_PAYLOAD_PATH") or ""
    lake_data = env.get("TM_LAKE_DATA_PATH") or ""
    if where and lake_data and (where.rstrip("/") + "/").startswith(lake_data.rstrip("/") + "/"):
        # DuckLake owns its data path: its file clean-up deletes what its catalogue lacks.
        raise RuntimeError(f"TM_PAYLOAD_PATH ({where}) lies inside the lake's TM_LAKE_DATA_PATH "
                           f"({lake_data}); give the payload bodies a prefix of their own")
    if where.startswith("s3://"):
        return S3PayloadStore(where, S3Access.from_env(env))
    return PayloadStore(Path(where) if where else default_root)
