"""The DuckDB warehouse, one class over one file, assembled from one module per concern:

- `warehouse.connection`: connections, sessions, transactions, the schema, plain reads;
- `warehouse.raw`: append-only raw payload vintages;
- `warehouse.clean`: clean-table windows;
- `warehouse.derived`: derived tables, the write log, edition history;
- `warehouse.validation_results`: stored validation outcomes;
- `warehouse.inputs`: the raw payload hashes each clean window was last written from.

Rules (DESIGN.md): raw payloads are append-only, a new vintage only when the content hash
changes; clean writes replace one window in one transaction; SQL binds values as parameters
and takes identifiers only from `warehouse.schema`; readers may open the file read-only.
"""

from __future__ import annotations

from warehouse.clean import CleanWindows
from warehouse.connection import (
    BOOKKEEPING_TABLES,
    DERIVED_TABLES,
    WarehouseBusy,
    WarehouseConnection,
)
from warehouse.derived import Changes, DerivedTables, TableChange
from warehouse.inputs import CleanInputs
from warehouse.raw import RawVintages
from warehouse.validation_results import ValidationResults

__all__ = ["BOOKKEEPING_TABLES", "DERIVED_TABLES", "Changes", "TableChange", "Warehouse",
           "WarehouseBusy"]


class Warehouse(RawVintages, CleanWindows, DerivedTables, ValidationResults, CleanInputs,
                WarehouseConnection):
    """One DuckDB file. Open a connection per unit of work; never share one across processes."""
