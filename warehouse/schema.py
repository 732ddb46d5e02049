"""The identifier allowlist for SQL built anywhere in the project: the clean tables of the
registered families (`families.registry`), each with its shape (`core.tables`). Anything else
is refused."""

from __future__ import annotations

from core.tables import TableSchema
from families.registry import FAMILIES

CLEAN_TABLES: dict[str, TableSchema] = {f.table_name: f.table for f in FAMILIES}


def clean_table(name: str) -> TableSchema:
    """Look a table up in the allowlist; anything else is refused."""
    try:
        return CLEAN_TABLES[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r}; allowed: {sorted(CLEAN_TABLES)}") from None


SHRINK_LIMITS: dict[str, float] = {f.table_name: f.max_shrink for f in FAMILIES}
