"""Typed errors raised by source clients and parsers.

Every error names the source, the (redacted) URL, the partition and what to do next, so
monitoring staff can act on a failed run without reading a traceback.
"""

from __future__ import annotations


class SourceError(Exception):
    """Base class: something went wrong fetching or reading one source."""

    default_hint = "Check the source's status page and re-run the failed partition."

    def __init__(
        self,
        source: str,
        message: str,
        *,
        url: str | None = None,
        partition: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.message = message
        self.url = url
        self.partition = partition
        self.hint = hint or self.default_hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [f"url: {self.url}" if self.url else None,
                 f"partition: {self.partition}" if self.partition else None]
        context = "; ".join(w for w in where if w)
        return f"[{self.source}] {self.message}" + (f" ({context})" if context else "") + (
            f". Next: {self.hint}"
        )


class SourceUnavailable(SourceError):
    """The source did not answer usefully after bounded retries (5xx, 429, timeouts)."""

    default_hint = "The source is down or throttling; the schedule retries later, or re-run by hand."


class ContractError(SourceError):
    """The source answered, but not in the agreed format (wrong body, schema drift)."""

    default_hint = (
        "The upstream format changed or a maintenance page was served; inspect the payload "
        "and update the parser if the change is permanent. Nothing was written."
    )


class MissingCredential(SourceError):
    """A live source needs an API key that is not set in the environment."""

    default_hint = "Set the environment variable named above, or run with --source snapshot."


class NotInSnapshot(SourceError):
    """Snapshot mode asked for a payload the bundled snapshot does not hold."""

    default_hint = "Refresh the snapshot with `transition-monitor record` where a network exists."


def first_bytes(body: bytes, limit: int = 120) -> str:
    """The start of a payload, escaped, for quoting in an error message."""
    text = body[:limit].decode("utf-8", errors="replace")
    return repr(text)
