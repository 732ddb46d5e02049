"""The names of the tables a clean table stored per reporting year is kept in
(`warehouse.year_parts`): `<table>__<year>`. Pure and light: `status` reads them without
importing the pipeline."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

_PART = re.compile(r"(?P<table>.+)__(?P<year>\d{4})")


def part_name(table: str, year: int) -> str:
    return f"{table}__{year}"


def is_part_of(name: str, table: str) -> bool:
    found = _PART.fullmatch(name)
    return found is not None and found["table"] == table


def logical_tables(names: Iterable[str], stored_per_year: Collection[str]) -> list[str]:
    """`names` as readers know them, sorted: a year's table of a table in `stored_per_year`
    stands for that table (once), so a listing or a content comparison shows one table, as
    the lake (which keeps one) does."""
    out = set()
    for name in names:
        found = _PART.fullmatch(name)
        out.add(found["table"] if found and found["table"] in stored_per_year else name)
    return sorted(out)
