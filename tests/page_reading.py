"""Reading report pages back as a reader would: figure tables, chart data, CSV figures."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import polars as pl

from reports.formatting import parse_number


class TableReader(HTMLParser):
    """Collects the cell texts of every <table class="figures"> on a page (the `.value`
    span only, so footnote marks are left out). With `codes`, a header cell that carries a
    code in its tooltip (a station's, under its name) reads as that code."""

    def __init__(self, codes: bool = False) -> None:
        super().__init__()
        self.codes = codes
        self.tables: list[list[list[str]]] = []
        self._in_table = self._in_value = self._in_cell = False
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "figures" in (attrs.get("class") or ""):
            self._in_table = True
            self.tables.append([])
        elif self._in_table and tag == "tr":
            self.tables[-1].append([])
        elif self._in_table and tag in ("td", "th"):
            self._in_cell, self._text = True, ""
            self._code = attrs.get("title") if self.codes and tag == "th" else None
        elif self._in_cell and tag == "span" and attrs.get("class") == "value":
            self._in_value, self._text = True, ""
        elif self._in_cell and tag == "sup":
            self._in_cell = False  # skip marks; the cell is flushed at </td>
            self.tables[-1][-1].append(self._text.strip())

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag == "span":
            self._in_value = False
        elif tag in ("td", "th") and self._in_cell:
            self._in_cell = False
            self.tables[-1][-1].append(self._code or self._text.strip())

    def handle_data(self, data):
        if self._in_cell:
            self._text += data


def figure_tables(page: str, *, codes: bool = False) -> list[list[list[str]]]:
    reader = TableReader(codes)
    reader.feed(page)
    return reader.tables


def table_figures(table: list[list[str]], lang: str, *, station: bool = False) -> set:
    """(series label, year, value) for every figure a page table shows."""
    header, *rows = table
    labels = [h.split(" (")[0] if station else h for h in header[1:]]
    return {(label, int(row[0]), parse_number(cell, lang))
            for row in rows for label, cell in zip(labels, row[1:], strict=True)
            if parse_number(cell, lang) is not None}


def csv_figures(csv: pl.DataFrame, column: str) -> set:
    """(series label, year, value) for every figure in a CSV download."""
    return {(r[column], r["year"], r["value"]) for r in csv.iter_rows(named=True)
            if r["value"] is not None}


def chart_payload(page: str) -> dict:
    block = re.search(r'<script type="application/json" class="chart-data"[^>]*>(.*?)</script>',
                      page, re.S)
    assert block, "no chart data block on the page"
    return json.loads(block.group(1))


