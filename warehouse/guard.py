""""200, no data" never deletes data (RELIABILITY.md case 4).

An upstream that answers a window that held data with nothing (`data: []`, `value: []`) or with
far fewer rows is a contract error, not a delete: a feed or partition must parse to at least
its declared minimum of rows (`Feed.min_rows`, `Family.min_rows`), and a replacement may not drop
more than its family's declared share (`Family.max_shrink`) of a stored window's rows of any
one source. The previous rows stay and the run fails.

A person who knows the upstream really withdrew the data allows it for one run:
`transition-monitor build --allow-shrink TABLE` (or `all`), or the environment variable
`TRANSITION_MONITOR_ALLOW_SHRINK=TABLE[,TABLE...]` (or `all`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from core.errors import ContractError

ALLOW_SHRINK_ENV = "TRANSITION_MONITOR_ALLOW_SHRINK"
OVERRIDE_HINT = (f"The previous rows were kept. If the upstream really withdrew these data, "
                 f"allow it once: `transition-monitor build --allow-shrink {{table}}` (or "
                 f"{ALLOW_SHRINK_ENV}={{table}}).")


class ShrinkRefused(ContractError):
    """A replacement would leave a stored window with too few rows."""

    def __init__(self, table: str, message: str, *, partition: str | None = None) -> None:
        super().__init__(table, message, partition=partition,
                         hint=OVERRIDE_HINT.format(table=table))


def shrink_allowed(table: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether a person allowed `table` to shrink in this run (the override)."""
    value = (os.environ if env is None else env).get(ALLOW_SHRINK_ENV, "")
    allowed = {part.strip() for part in value.split(",") if part.strip()}
    return bool(allowed & {table, "all"})


def require_rows(table: str, what: str, rows: int, min_rows: int, *,
                 partition: str | None = None) -> None:
    """A feed or partition parsed to fewer than `min_rows` rows: refused, unless allowed."""
    if rows < min_rows and not shrink_allowed(table):
        raise ShrinkRefused(table, f"{what} parsed to {rows} row(s), fewer than the declared "
                            f"minimum of {min_rows}: an empty or cut-short answer is not "
                            "written over stored data", partition=partition)


def refuse_shrink(table: str, stored: Mapping[str, int], incoming: Mapping[str, int],
                  max_shrink: float, *, partition: str | None = None) -> None:
    """Refuse a replacement that drops more than `max_shrink` of the stored rows of any source
    in the window (`stored`, `incoming`: rows per source)."""
    if shrink_allowed(table):
        return
    for source, before in sorted(stored.items()):
        after = incoming.get(source, 0)
        if before and (before - after) > max_shrink * before:
            raise ShrinkRefused(
                table, f"the replacement would shrink the stored rows of source {source!r} "
                f"from {before} to {after} ({(before - after) / before:.0%} fewer; at most "
                f"{max_shrink:.0%} is accepted)", partition=partition)
