"""Python's cyclic garbage collector in the process of a `transition-monitor` command.

Measured on a no-op rebuild of the snapshot (BENCHMARKS.md, "Bytecode at install, and the
collector"): the imports (Dagster with its SQLite storage, Polars, DuckDB, the definitions) make
about 270,000 objects that live as long as the process, and the collector traversed them again
in every full collection, 0.73-0.99 s of a 5-6 s command; after the command had returned,
the interpreter's shutdown spent another 0.9-1.0 s collecting the same heap. So the console
command (`orchestration.cli.entry`):

- pauses the collector while `build` and `publish` start: imports make long-lived objects and
  hardly any garbage cycles;
- `settle()`, once the definitions are loaded: what exists is frozen (`gc.freeze`: kept, never
  traversed again) and the collector runs again for the data work, where cycles do come and go;
- when the command has returned, freezes everything, so the shutdown does not collect it. By
  then every warehouse connection and Dagster instance has been closed by its context
  manager; only memory is left, which the process gives back when it ends.

Tests call `main()` in their own process: none of this happens there.
"""

from __future__ import annotations

import gc

_paused = False


def pause_for_start_up() -> None:
    global _paused
    gc.disable()
    _paused = True


def settle() -> None:
    """After start-up: freeze what the imports made and run the collector again (no-op
    unless `pause_for_start_up` paused it)."""
    global _paused
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False


def skip_exit_collection() -> None:
    """The command has returned: the shutdown need not traverse the heap."""
    gc.freeze()
