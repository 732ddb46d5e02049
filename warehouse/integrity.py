"""Is the warehouse file whole? Read every row of every table before publishing from it.

DuckDB keeps a checksum per storage block and checks it when the block is read; a file with
damaged bytes or cut short opens and even counts rows (the counts come from metadata), and
fails only when the damaged block is read. So the check reads every column of every row
(one hash per row, no copies): about 1 s for the snapshot warehouse on the test machine
(22 MB; BENCHMARKS.md has no figure for a national one yet).
"""

from __future__ import annotations

import duckdb

from warehouse.connection import WarehouseBusy, WarehouseConnection

RESTORE_HINT = ("Restore warehouse.duckdb and the warehouse-payloads/ folder beside it from the "
                "same backup (README, \"Restore from backup\"), or move both aside and run "
                "`transition-monitor build` to rebuild from the sources.")


class WarehouseDamaged(RuntimeError):
    """The warehouse file cannot be read whole."""


def verify_readable(wh: WarehouseConnection) -> int:
    """Read every table in full; the number of tables read. WarehouseDamaged (one message,
    naming the first unreadable table and DuckDB's reason) when any cannot be read."""
    if wh.lake is not None or not wh.path.exists():
        return 0  # nothing yet (a build makes it); a lake's files are the object store's
    table = None
    try:
        with wh.connect(read_only=True) as con:
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = "
                "'BASE TABLE' AND table_catalog = current_database() ORDER BY 1").fetchall()]
            for table in tables:
                quoted = '"' + table.replace('"', '""') + '"'  # names come from the catalog
                con.execute(f"SELECT bit_xor(hash(t)) FROM {quoted} t").fetchone()  # noqa: S608
    except WarehouseBusy:
        raise
    except duckdb.Error as exc:
        where = f"table {table}" if table else "the file"
        reason = str(exc).splitlines()[0][:300]
        raise WarehouseDamaged(f"the warehouse {wh.path} is damaged ({where}: {reason}). "
                               f"{RESTORE_HINT}") from None
    return len(tables)
