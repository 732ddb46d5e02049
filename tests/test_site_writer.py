"""The site writer: atomic editions, never overwriting, shared plotly.js, relative links only,
downloads that match the pages, and page weight on a realistic edition."""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl
import pytest
from factories import make_inputs, with_many_regions
from page_reading import csv_figures, figure_tables, table_figures

from reports import writer as site
from reports.pdf import PrintFailed, print_pdf
from reports.writer import write_edition

MAX_PAGE_BYTES = 300 * 1024
LINK = re.compile(r'\b(href|src)="([^"]*)"')


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("site")
    index = write_edition(make_inputs(), root, pdf=False)
    return root, index


def test_returns_the_dutch_overview_and_writes_every_stable_url(written):
    root, index = written
    edition = root / "editions" / "2026-11-23"
    assert index == edition / "nl" / "index.html"
    for lang in ("nl", "en"):
        for page in ("index.html", "compare.html", "data-quality.html", "changes.html",
                     "archive.html", "indicator/pm10.html", "indicator/co2.html",
                     "region/ijmond.html", "region/nl.html"):
            assert (edition / lang / page).is_file(), f"{lang}/{page}"
    assert 'url=nl/index.html' in (edition / "index.html").read_text()
    assert 'url=editions/2026-11-23/nl/index.html' in (root / "index.html").read_text()
    assert (edition / "data" / "pm10.csv").is_file()


def test_full_export_holds_every_indicator_value(written):
    root, _ = written
    data = root / "editions" / "2026-11-23" / "data"
    values = make_inputs().values
    assert pl.read_parquet(data / "indicator_values.parquet").equals(values)
    assert pl.read_csv(data / "indicator_values.csv").height == values.height


def test_csv_download_equals_the_table_figures(written):
    root, _ = written
    edition = root / "editions" / "2026-11-23"
    for lang in ("nl", "en"):
        page = (edition / lang / "indicator" / "pm10.html").read_text()
        csv = pl.read_csv(edition / "data" / "pm10.csv", schema_overrides={"station_code": pl.String})
        regions, stations = figure_tables(page, codes=True)  # stations by their codes
        assert table_figures(regions, lang) == \
            csv_figures(csv.filter(pl.col("station_code").is_null()), "region_name_" + lang)
        assert table_figures(stations, lang, station=True) == \
            csv_figures(csv.filter(pl.col("station_code").is_not_null()), "station_code")


def test_links_are_relative_and_resolve_and_no_page_loads_from_a_cdn(written):
    root, _ = written
    pages = list(root.rglob("*.html"))
    assert len(pages) > 20
    outside = set()
    for page in pages:
        html = page.read_text()
        assert "cdn." not in html.lower()
        for attr, url in LINK.findall(html):
            parts = urlsplit(url)
            if parts.scheme and url != "data:,":
                assert attr == "href" and parts.scheme == "https", (page, url)
                outside.add(url)
                continue
            if url.startswith("#") or url == "data:,":  # in-page anchors; the empty icon
                continue
            assert not url.startswith("/"), (page, url)
            assert (page.parent / parts.path).resolve().is_file(), (page, url)
    # the only absolute links are the documents and sources named in the data
    assert outside <= {"https://example.org/doc", "https://example.org/source",
                       "https://api.luchtmeetnet.nl/open_api"}


def test_plotly_js_written_once_and_shared(written, monkeypatch, tmp_path):
    calls = []
    real = site.plotly_bundle.FILE
    monkeypatch.setattr(site.plotly_bundle, "FILE", _Counted(real, calls))
    write_edition(make_inputs(n_indicators=2), tmp_path, pdf=False)
    write_edition(make_inputs(n_indicators=2, edition_id="2026-11-30"), tmp_path, pdf=False)
    assert len(calls) == 1
    asset = f"plotly-basic-{site.plotly_bundle.VERSION}.min.js"
    copies = [p for p in tmp_path.rglob("*") if "plotly" in p.name]
    assert copies == [tmp_path / "assets" / asset]
    assert copies[0].read_bytes() == real.read_bytes()
    page = (tmp_path / "editions" / "2026-11-30" / "en" / "indicator" / "pm10.html").read_text()
    assert f'<script src="../../../../assets/{asset}"></script>' in page


class _Counted:
    """A path whose reads are counted."""

    def __init__(self, path, calls: list) -> None:
        self.path, self.calls = path, calls

    def read_text(self, *args, **kwargs) -> str:
        self.calls.append(1)
        return self.path.read_text(*args, **kwargs)


def test_same_edition_id_twice_keeps_both(tmp_path):
    first = write_edition(make_inputs(n_indicators=2), tmp_path, pdf=False)
    before = snapshot(first.parent.parent)
    second = write_edition(make_inputs(n_indicators=2), tmp_path, pdf=False)
    assert first.parent.parent.name == "2026-11-23"
    assert second.parent.parent.name == "2026-11-23-2"
    assert snapshot(first.parent.parent) == before
    assert "Editie 2026-11-23-2" in second.read_text()
    assert "editions/2026-11-23-2/nl/index.html" in (tmp_path / "index.html").read_text()
    archive = (tmp_path / "archive.html").read_text()
    assert "2026-11-23-2/nl/index.html" in archive and "2026-11-23/nl/index.html" in archive


def _fail_on_third_indicator(monkeypatch, error: Exception):
    real, calls = site.render_indicator, []

    def flaky(view, indicator_id, lang):
        calls.append(indicator_id)
        if len(calls) == 3:
            raise error
        return real(view, indicator_id, lang)

    monkeypatch.setattr(site, "render_indicator", flaky)
    return calls


@pytest.mark.parametrize("error", [RuntimeError("template broke"),
                                   OSError(errno.ENOSPC, "No space left on device")])
def test_failure_mid_write_leaves_previous_edition_and_index_intact(tmp_path, monkeypatch,
                                                                   error):
    write_edition(make_inputs(n_indicators=3), tmp_path, pdf=False)
    before = snapshot(tmp_path)
    calls = _fail_on_third_indicator(monkeypatch, error)
    with pytest.raises(type(error)):
        write_edition(make_inputs(n_indicators=3, edition_id="2026-11-30"), tmp_path, pdf=False)
    assert len(calls) == 3  # it failed part-way, after writing pages
    assert snapshot(tmp_path) == before
    assert not list(tmp_path.glob(".*")), "a staging directory was left behind"
    assert sorted(p.name for p in (tmp_path / "editions").iterdir()) == ["2026-11-23"]


def test_failing_export_is_also_atomic(tmp_path, monkeypatch):
    def disk_full(view, data_dir):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(site, "write_data_exports", disk_full)
    with pytest.raises(OSError):
        write_edition(make_inputs(n_indicators=2), tmp_path, pdf=False)
    assert not (tmp_path / "editions" / "2026-11-23").exists()
    assert not (tmp_path / "index.html").exists()
    assert not list(tmp_path.glob(".staging-*"))


def test_unsafe_edition_id_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a safe directory name"):
        write_edition(make_inputs(n_indicators=1, edition_id="../escape"), tmp_path, pdf=False)
    assert not (tmp_path / "escape").exists()


def test_a_print_without_chromium_is_an_error_that_names_the_cause(tmp_path):
    with pytest.raises(PrintFailed, match="no Chromium found"):
        print_pdf(tmp_path / "a.html", tmp_path / "a.pdf", chromium=tmp_path / "none")
    messages = []
    index = write_edition(make_inputs(n_indicators=1), tmp_path, pdf=True,
                          chromium=tmp_path / "none", progress=messages.append)
    edition = index.parent.parent
    assert index.is_file() and (edition / "nl" / "print.html").is_file()
    assert not list(edition.glob("*.pdf"))
    meta = json.loads((edition / "edition.json").read_text())
    assert meta["pdfs"] == {} and len(meta["pdf_errors"]) == 2
    assert all("no Chromium found" in e for e in meta["pdf_errors"])
    assert any("PDF (nl) FAILED" in m for m in messages)
    assert "type=\"application/pdf\"" not in index.read_text()  # no link to a missing file


def test_a_chromium_that_fails_is_reported_with_its_exit_status_and_message(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'crashed: out of memory' >&2\nexit 3\n")
    fake.chmod(0o755)
    page = tmp_path / "a.html"
    page.write_text("<p>x</p>")
    with pytest.raises(PrintFailed, match=r"exited with 3 .*crashed: out of memory"):
        print_pdf(page, tmp_path / "a.pdf", chromium=fake)


def test_every_page_stays_under_300_kb_on_a_realistic_edition(tmp_path):
    inputs = make_inputs(n_indicators=20, n_years=20)
    assert inputs.values.filter(pl.col("station_code").is_null()).height >= 4 * 20 * 20 * 0.9
    index = write_edition(inputs, tmp_path, pdf=False)
    pages = [p for p in index.parent.parent.rglob("*.html")]
    assert len(pages) == 2 * (6 + 20 + 4) + 1  # 6: overview, compare, quality, changes, archive, print
    sizes = {p.relative_to(tmp_path): p.stat().st_size for p in pages}
    too_big = {p: s for p, s in sizes.items() if s > MAX_PAGE_BYTES}
    assert not too_big, too_big
    assert max(sizes.values()) > 5_000  # the pages are real pages, not stubs


def test_every_page_stays_under_300_kb_with_300_regions_of_which_4_featured(tmp_path):
    inputs = with_many_regions(make_inputs(n_indicators=10, n_years=20), 300)
    index = write_edition(inputs, tmp_path, pdf=False)
    edition = index.parent.parent
    pages = list(edition.rglob("*.html"))
    assert len(pages) == 2 * (6 + 10 + 304) + 1  # every region keeps its own page
    too_big = {p.name: p.stat().st_size for p in pages if p.stat().st_size > MAX_PAGE_BYTES}
    assert not too_big, too_big
    csv = pl.read_csv(edition / "data" / "co2.csv", schema_overrides={"station_code": pl.String})
    assert csv["region_id"].n_unique() == 304  # the download the pages point to has them all


def test_first_edition_with_nothing_computed_yet_still_writes(tmp_path):
    full = make_inputs(n_indicators=2)
    empty = {name: getattr(full, name).clear() for name in (
        "targets", "values", "assessments", "sources", "validation", "validation_failures",
        "changes")}
    index = write_edition(site.EditionInputs(
        edition_id="2026-01-05", generated_at=full.generated_at, demo_data=True,
        indicators=full.indicators, regions=full.regions, **empty), tmp_path, pdf=False)
    data = index.parent.parent / "data"
    assert pl.read_parquet(data / "indicator_values.parquet").height == 0
    assert pl.read_csv(data / "pm10.csv").columns[:2] == ["indicator_id", "region_id"]


def test_chromium_prints_with_no_route_off_the_machine(tmp_path, monkeypatch):
    """Issue 20: Chromium made DNS queries for Google hosts and a public connection during a
    build. It now runs in a network namespace of its own where the machine allows it, every
    name resolves to nothing but loopback, and HTTP(S) goes to a dead (or, in a test, counting)
    proxy. A fake Chromium records the command it was given."""
    from reports import pdf

    fake = tmp_path / "chromium"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done > "$(dirname "$0")/args"\n'
                    'for a in "$@"; do case "$a" in --print-to-pdf=*) echo pdf > "${a#*=}";; '
                    'esac; done\ncat /proc/net/dev > "$(dirname "$0")/netdev"\n')
    fake.chmod(0o755)
    page = tmp_path / "a.html"
    page.write_text("<p>x</p>")
    monkeypatch.setenv(pdf.PRINT_PROXY_ENV, "127.0.0.1:4711")
    assert print_pdf(page, tmp_path / "a.pdf", chromium=fake).read_text() == "pdf\n"
    args = (tmp_path / "args").read_text().splitlines()
    assert "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" in args
    assert "--proxy-server=http://127.0.0.1:4711" in args
    assert "--disable-background-networking" in args
    monkeypatch.delenv(pdf.PRINT_PROXY_ENV)
    assert f"--proxy-server=http://{pdf.DEAD_PROXY}" in pdf.chromium_command(
        fake, "p", tmp_path / "b.pdf", page)
    if pdf.network_namespace():  # as root here: the fake saw no interface but loopback
        interfaces = {line.split(":")[0].strip() for line in
                      (tmp_path / "netdev").read_text().splitlines()[2:]}
        assert interfaces == {"lo"}


FORMULAS = ['=HYPERLINK("http://x.test","klik")', "+cmd|' /C calc'!A0", "@SUM(1+1)",
            "-2+3", "\tTab", "\rReturn"]


def test_region_names_that_read_as_formulas_are_neutralised_in_every_csv(tmp_path):
    """Issue 20: names from regions.yaml reached the CSV downloads as live spreadsheet
    formulas. Every text cell starting with = + - @ tab or CR gets a leading quote; numbers
    written as text keep their sign."""
    inputs = make_inputs(n_indicators=2, n_years=3)
    names = dict(zip(inputs.regions["region_id"], FORMULAS, strict=False))
    regions = inputs.regions.with_columns(
        name_nl=pl.col("region_id").replace_strict(names), name_en=pl.lit("=1+1"))
    from dataclasses import replace

    index = write_edition(replace(inputs, regions=regions), tmp_path, pdf=False)
    data = index.parent.parent / "data"
    cells = [cell for path in data.glob("*.csv")
             for cell in pl.read_csv(path, infer_schema=False).iter_rows()
             for cell in cell if cell is not None]
    assert any(c.startswith("'=HYPERLINK") for c in cells)  # the names did reach a CSV
    assert all(not c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)
    assert all(not c.startswith("-") or re.fullmatch(r"-[\d.,eE+-]+", c) for c in cells)
    assert site.neutralised(pl.DataFrame({"v": ["-3.5", "-x", "+12"]}))["v"].to_list() == [
        "-3.5", "'-x", "+12"]
