"""Clean tables: one window replaced in one transaction, reads by window, and the
air-quality station-year sums the derived table is built from."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial

import polars as pl

from families.air_quality.sql import (
    AIR_HOURLY_TABLES,
    STATION_ANNUAL_SELECT,
    STATION_ANNUAL_SQL,
    STATION_ANNUAL_YEARS_SQL,
)
from transforms.air_quality import reporting_year_window
from warehouse import year_parts
from warehouse.connection import DERIVED_TABLES
from warehouse.derived import log_write
from warehouse.guard import refuse_shrink
from warehouse.schema import SHRINK_LIMITS, TableSchema, clean_table


def _window_sql(schema: TableSchema, window: Mapping[str, object]) -> tuple[str, list[object]]:
    clauses, params = [], []
    for column, bound in window.items():
        if column not in schema.column_names:
            raise ValueError(f"{schema.name}: {column!r} is not a column")
        if isinstance(bound, tuple):
            clauses.append(f"{column} >= ? AND {column} < ?")
            params.extend(bound)
        else:
            clauses.append(f"{column} = ?")
            params.append(bound)
    return (" AND ".join(clauses) or "TRUE"), params


def _check_inside_window(schema: TableSchema, frame: pl.DataFrame,
                         window: Mapping[str, object]) -> None:
    for column, bound in window.items():
        series = frame[column]
        if isinstance(bound, tuple):
            outside = series.filter((series < bound[0]) | (series >= bound[1]))
        else:
            outside = series.filter(series != bound)
        if outside.len():
            raise ValueError(f"{schema.name}: {outside.len()} row(s) fall outside the write "
                             f"window on {column} (first: {outside[0]!r})")



def _time_bounds(window: Mapping[str, object]) -> tuple[datetime | None, datetime | None]:
    return next(((b[0], b[1]) for b in window.values() if isinstance(b, tuple)
                 and isinstance(b[0], datetime)), (None, None))


class WindowWriter:
    """The frames going into one window inside its write transaction (`window_writer`)."""

    def __init__(self, con, schema: TableSchema, window: Mapping[str, object], where: str,
                 params: list[object], target: str | None = None,
                 route: Callable[[pl.DataFrame], list[tuple[str, pl.DataFrame]]] | None = None
                 ) -> None:
        self.con, self.schema, self.window = con, schema, window
        self._where, self._params = where, params
        # Where the rows go: the clean table; or, for a table stored per reporting year
        # (`warehouse.year_parts`), the table that takes its year's place (`target`), or
        # each year's table (`route`, the view then reads them back).
        self.target = target or schema.name
        self._route = route or (lambda frame: [(self.target, frame)])
        # Whether the window's stored rows were deleted (their delete information is held in
        # memory until the commit), or leave with their year's table (`target`).
        self.deleted = target is None
        self.rows = 0
        self.incoming: dict[str, int] = {}  # rows per source, for the shrink guard

    def append(self, frame: pl.DataFrame) -> None:
        frame = self.schema.conform(frame)
        _check_inside_window(self.schema, frame, self.window)
        if not frame.height:
            return
        for source, rows in frame.group_by("source").len().iter_rows():
            self.incoming[source] = self.incoming.get(source, 0) + rows
        # Not `register` + INSERT: a registered Arrow table stays in memory until the
        # connection closes, unregistered or not (duckdb 1.5.5), so a partition written in
        # chunks over one connection held every chunk (measured: 0.5 GB for 8 million rows).
        for table, rows in self._route(frame):
            self.con.from_arrow(rows.to_arrow()).insert_into(table)
        self.rows += frame.height

    def repeated_keys(self, columns: Sequence[str], slice_rows: int,
                      examples: int = 20) -> tuple[int, list[dict[str, object]]]:
        """Rows of the window whose `columns` occur more than once (as GX counts a compound
        key's unexpected rows), and up to `examples` of them, from the rows written so far.
        Read in slices of the window's time range, each about `slice_rows` rows (when a
        time-bounded window column is part of the key, repeated keys share a slice), so the
        aggregation's memory follows the slice, not the partition."""
        names = ", ".join(columns)
        slices = [("", [])]
        bounded = [(c, b) for c, b in self.window.items() if isinstance(b, tuple)
                   and isinstance(b[0], datetime) and c in columns]
        if bounded and self.rows > slice_rows:
            column, (low, high) = bounded[0]
            count = -(-self.rows // max(1, slice_rows))
            edges = [low + (high - low) * n / count for n in range(count)] + [high]
            slices = [(f" AND {column} >= ? AND {column} < ?", [a, b])
                      for a, b in itertools.pairwise(edges)]
        repeated, found = 0, []
        for clause, bounds in slices:
            groups = self.con.execute(
                f"SELECT {names}, count(*) FROM {self.target} "  # noqa: S608
                f"WHERE {self._where}{clause} GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL",
                [*self._params, *bounds]).fetchall()
            for *key, times in groups:
                repeated += times
                found += [dict(zip(columns, key, strict=True))] * min(times, examples - len(found))
        return repeated, found


class CleanWindows:
    """Clean-table windows (a mixin of `Warehouse`)."""

    def replace_window(self, table: str, frame: pl.DataFrame,
                       window: Mapping[str, object | tuple[object, object]], *,
                       partition: str | None = None) -> int:
        """Delete the rows in `window` and insert `frame`, in one transaction.

        `window` maps column -> value (equality) or (low, high) (half-open range). Every row of
        `frame` must fall inside the window, so a re-run replaces exactly what it wrote before.
        A frame that would drop more than the family's `max_shrink` of the window's stored rows
        of any source is refused (`warehouse.guard`), and the stored rows stay.
        """
        with self.window_writer(table, window, partition=partition) as writer:
            writer.append(frame)
        return writer.rows

    @contextmanager
    def window_writer(self, table: str, window: Mapping[str, object | tuple[object, object]],
                      *, partition: str | None = None) -> Iterator[WindowWriter]:
        """`replace_window` a frame at a time: the window's rows deleted, then each appended
        frame inserted, all in one transaction that commits when the block ends without an
        error (the shrink guard and the write log then see every frame's rows); an error
        anywhere rolls all of it back, and the stored rows stay (issue 18: a large partition
        written in chunks). A table stored per reporting year (`warehouse.year_parts`) has a
        whole year replaced by a new table instead of deleted row by row."""
        schema = clean_table(table)
        where, params = _window_sql(schema, window)
        with self.transaction() as con:
            bounds = _time_bounds(window)
            # A table stored per reporting year (`warehouse.year_parts`): the years' tables
            # the window touches; a year's table is replaced whole when the window is it.
            years = ({y: year_parts.ensure_part(con, schema, y)
                      for y in year_parts.years_of(schema, bounds)}
                     if self.lake is None and schema.name in year_parts.YEARLY_STORED else {})
            replacing = None
            if len(years) == 1:
                ((year, table),) = years.items()
                if year_parts.is_whole_year(con, table, year, bounds, where, params):
                    replacing = table
            # (a table stored per year is read through its view, over every year's table)
            stored = dict(con.execute(
                f"SELECT source, count(*) FROM {schema.name} WHERE {where} GROUP BY source",  # noqa: S608
                params).fetchall())
            if replacing is not None:  # a new table, the old dropped: no per-row delete held
                writer = WindowWriter(con, schema, window, where, params,
                                      year_parts.begin_replacement(con, schema, replacing))
            else:
                for table in years.values() or [schema.name]:
                    con.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
                route = partial(year_parts.routed, tables=years) if years else None
                writer = WindowWriter(con, schema, window, where, params, route=route)
            yield writer
            refuse_shrink(schema.name, stored, writer.incoming, SHRINK_LIMITS[schema.name],
                          partition=partition)
            if replacing is not None:
                year_parts.finish_replacement(con, schema, replacing)
            start, end = bounds
            log_write(con, schema.name, writer.rows, start, end,
                      write_id_sql=self.write_id_sql)

    def read_table(self, table: str, where: Mapping[str, object | tuple[object, object]] | None = None,
                   *, read_only: bool = True) -> pl.DataFrame:
        schema = clean_table(table)
        sql = f"SELECT * FROM {schema.name}"  # noqa: S608
        params: list[object] = []
        if where:
            clause, params = _window_sql(schema, where)
            sql += f" WHERE {clause}"
        with self.connect(read_only=read_only and self.exists()) as con:
            return con.execute(sql, params).pl()

    def read_tables(self, tables: Sequence[str], *, read_only: bool = True) -> dict[str, pl.DataFrame]:
        """Whole clean or derived tables, read over one connection; a missing derived table
        reads as None."""
        for name in tables:
            if name not in DERIVED_TABLES:
                clean_table(name)  # the allowlist: raises for an unknown name
        out: dict[str, pl.DataFrame] = {}
        with self.connect(read_only=read_only and self.exists()) as con:
            present = {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = current_database()").fetchall()}
            for name in tables:
                out[name] = con.execute(f"SELECT * FROM {name}").pl() if name in present else None  # noqa: S608
        return out

    def station_annual_sums(self, years: Iterable[int] | None = None) -> pl.DataFrame:
        """Mean and hours with a value per station, component and reporting year (UTC+1),
        aggregated inside DuckDB over the best hourly view: only the small result leaves the
        database (pulling every hour into a frame took 15x longer and 7 GB nationally).
        `years` limits the work to those reporting years (a range filter on the timestamp, so
        DuckDB skips the row groups of other years); None means every year. When only one of
        the two hourly tables has rows in those years, the best-of rule has nothing to decide
        and that table is aggregated alone (the year to date, before RIVM's validated file
        exists; BENCHMARKS.md)."""
        with self.connect(read_only=self.exists()) as con:
            con.execute("SET TimeZone = 'UTC'")
            try:
                return con.execute(*self._station_annual_query(con, years)).pl()
            finally:  # a session's connection goes on with its own setting
                con.execute("RESET TimeZone")

    def _station_annual_query(self, con, years: Iterable[int] | None) -> tuple[str, list]:
        if years is None:
            return STATION_ANNUAL_SQL, []
        ranges = [reporting_year_window(year) for year in sorted(set(years))]
        if not ranges:
            return f"{STATION_ANNUAL_SELECT} FROM clean_air_quality_hourly WHERE false " \
                   "GROUP BY ALL", []
        where = " OR ".join(["(measured_at >= ? AND measured_at < ?)"] * len(ranges))
        params = [bound for pair in ranges for bound in pair]
        holding = [table for table in AIR_HOURLY_TABLES if con.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {where})", params).fetchone()[0]]  # noqa: S608
        if len(holding) == 1:
            return f"{STATION_ANNUAL_SELECT} FROM {holding[0]} WHERE {where} GROUP BY ALL", params  # noqa: S608
        return STATION_ANNUAL_YEARS_SQL.format(where=where), params * 2  # once per table

