"""A fetched payload: the unit every source client returns and the warehouse stores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Payload:
    """One fetched response body, as the source sent it, with where and when it came from."""

    source: str
    dataset: str
    request_key: str
    url: str  # redacted: never holds a key
    media_type: str
    body: bytes
    fetched_at: datetime

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    def json(self) -> object:
        return json.loads(self.body)

    def load(self) -> Payload:
        """This payload (its body is already in memory); `warehouse.raw.StoredPayload` reads
        its body only here, so code that takes payloads one at a time through `load()` holds
        one body at a time."""
        return self
