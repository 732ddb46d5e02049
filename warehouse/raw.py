"""Raw payload vintages: append-only, a new vintage only when the content hash changes;
bodies live in the content-addressed payload store beside the file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from core.errors import ContractError
from core.payload import Payload
from core.secrets import holds_secret


@dataclass(frozen=True)
class StoredPayload:
    """A current vintage as the warehouse lists it, its body still in the payload store:
    `load()` reads and checks it. A yearly partition's files are then held one at a time
    while they are parsed (issue 18: memory follows the chunk, not the partition)."""

    source: str
    dataset: str
    request_key: str
    url: str
    media_type: str
    content_hash: str
    fetched_at: datetime
    store: object = field(repr=False, compare=False)

    def load(self) -> Payload:
        return Payload(source=self.source, dataset=self.dataset, request_key=self.request_key,
                       url=self.url, media_type=self.media_type,
                       body=self.store.get(self.content_hash), fetched_at=self.fetched_at)


class RawVintages:
    """Append-only payload vintages (a mixin of `Warehouse`)."""

    def record_payloads(self, payloads: Sequence[Payload], partition_key: str = "") -> int:
        """Append payloads whose content differs from the current vintage; return how many.

        One lookup for the whole batch and one insert (a query per payload was far slower for a
        national day of pages; BENCHMARKS.md)."""
        if not payloads:
            return 0
        keys = pa.table({"source": [p.source for p in payloads],
                         "dataset": [p.dataset for p in payloads],
                         "request_key": [p.request_key for p in payloads]})
        with self.transaction() as con:
            con.register("batch_keys", keys)
            current = dict(((r[0], r[1], r[2]), r[3]) for r in con.execute(
                "SELECT r.source, r.dataset, r.request_key, arg_max(r.content_hash, r.fetched_at) "
                "FROM raw_payloads r SEMI JOIN (SELECT DISTINCT * FROM batch_keys) k "
                "USING (source, dataset, request_key) GROUP BY ALL").fetchall())
            con.unregister("batch_keys")
            new = []
            for p in payloads:
                key = (p.source, p.dataset, p.request_key)
                if current.get(key) != p.content_hash:
                    current[key] = p.content_hash
                    new.append(p)
            for p in new:  # the last line of defence: a body holding a key is never stored
                if holds_secret(p.body) or holds_secret(p.url):
                    raise ContractError(p.source, "a payload holds an API key; refused, not "
                                        "stored", partition=partition_key or None,
                                        hint="The upstream echoes the request; nothing was "
                                             "written. Report it to the publisher.")
            # bodies first: a row never points at a body not yet stored
            self.payloads.put_many((p.content_hash, p.body) for p in new)
            if new:
                rows = pa.table({
                    "source": [p.source for p in new], "dataset": [p.dataset for p in new],
                    "request_key": [p.request_key for p in new],
                    "partition_key": [partition_key] * len(new), "url": [p.url for p in new],
                    "media_type": [p.media_type for p in new],
                    "content_hash": [p.content_hash for p in new],
                    "fetched_at": pa.array([p.fetched_at for p in new], pa.timestamp("us", "UTC")),
                    "body_bytes": [len(p.body) for p in new]})
                con.register("new_payloads", rows)
                con.execute("INSERT INTO raw_payloads BY NAME SELECT * FROM new_payloads")
                con.unregister("new_payloads")
        return len(new)

    def current_payloads(self, source: str, dataset: str | None = None,
                         partition_key: str | None = None) -> list[Payload]:
        """The newest vintage of each request of a source (optionally one dataset/partition)."""
        return [p.load() for p in self.stored_payloads(source, dataset, partition_key)]

    def stored_payloads(self, source: str, dataset: str | None = None,
                        partition_key: str | None = None) -> list[StoredPayload]:
        """`current_payloads` without their bodies: each is read by its `load()`."""
        sql = ("SELECT source, dataset, request_key, url, media_type, content_hash, fetched_at "
               "FROM raw_payloads_current WHERE source = ?")
        params: list[object] = [source]
        if dataset is not None:
            sql += " AND dataset = ?"
            params.append(dataset)
        if partition_key is not None:
            sql += " AND partition_key = ?"
            params.append(partition_key)
        with self.connect(read_only=False) as con:
            rows = con.execute(sql + " ORDER BY request_key", params).fetchall()
        return [StoredPayload(source=r[0], dataset=r[1], request_key=r[2], url=r[3],
                              media_type=r[4], content_hash=r[5], fetched_at=r[6],
                              store=self.payloads) for r in rows]

