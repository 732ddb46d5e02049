"""The one writer that puts an edition on disk, atomically (temp dir, then rename).

Layout of a site root::

    index.html, archive.html, archive-en.html    -> the latest edition / every edition
    assets/plotly-basic-<version>.min.js          -> written once, shared by every edition
    editions/<id>/index.html                      -> redirects to nl/index.html
    editions/<id>/{nl,en}/index.html, compare.html, data-quality.html, changes.html,
        archive.html, indicator/<indicator_id>.html, region/<region_id>.html
    editions/<id>/data/<indicator_id>.csv, indicator_values.csv, indicator_values.parquet
    editions/<id>/assets/style.css, print.css, charts.js, compare.js
    latest/data/<file>, latest/edition-{nl,en}.pdf -> stable addresses of the newest edition
    editions/<id>/{nl,en}/print.html              -> the council edition laid out for print
    editions/<id>/edition-<id>-{nl,en}.pdf        -> print.html printed by headless Chromium

Every link is relative, so an edition works from disk (file://) and from any web server,
without network access. Templates autoescape everything; source text is never marked safe.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path

import polars as pl

from core.processes import owner_tag, process_alive, tagged_pid
from reports import plotly_bundle
from reports.contract import EditionInputs
from reports.editions import (
    EDITION_META,
    STAGING_PREFIX,
    UNCONFIRMED,
    index_target,
    list_editions,
    staging_leftovers,
    unconfirmed_marks,
)
from reports.i18n import LANGUAGES
from reports.pages import (
    PLOTLY_JS,
    indicator_download,
    render_archive,
    render_changes,
    render_compare,
    render_data_quality,
    render_indicator,
    render_overview,
    render_redirect,
    render_region,
    render_site_archive,
)
from reports.pdf import PrintFailed, print_pdf
from reports.print_page import PRINT_PAGE, pdf_name, render_print
from reports.view import EditionView, build_view, slug

PACKAGE_DIR = Path(__file__).parent
STATIC_DIR = PACKAGE_DIR / "static"
STATIC_FILES = ("style.css", "print.css", "charts.js", "compare.js")
EDITION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def edition_pages(view: EditionView, editions: list[dict]) -> Iterator[tuple[str, Callable]]:
    """(path inside the edition, renderer) for every page of an edition, both languages."""
    for lang in LANGUAGES:
        yield f"{lang}/index.html", partial(render_overview, view, lang)
        if not view.memo.get("print_pages_written"):
            yield f"{lang}/{PRINT_PAGE}", partial(render_print, view, lang)
        yield f"{lang}/compare.html", partial(render_compare, view, lang)
        yield f"{lang}/data-quality.html", partial(render_data_quality, view, lang)
        yield f"{lang}/changes.html", partial(render_changes, view, lang)
        yield f"{lang}/archive.html", partial(render_archive, view, lang, editions)
        for indicator in view.indicators:
            yield (f"{lang}/indicator/{slug(indicator['indicator_id'])}.html",
                   partial(render_indicator, view, indicator["indicator_id"], lang))
        for region in view.regions:
            yield (f"{lang}/region/{slug(region['region_id'])}.html",
                   partial(render_region, view, region["region_id"], lang))
    yield "index.html", partial(render_redirect, "nl/index.html")


def write_edition(inputs: EditionInputs, site_root: Path, *, progress=None, pdf: bool = True,
                  chromium: str | Path | None = None,
                  record: Callable[[str, Path], None] | None = None) -> Path:
    """Write one edition under `site_root/editions/<edition_id>/` and return its Dutch
    overview page.

    All pages are rendered into a staging directory inside `site_root` and renamed into
    place in one step: a failure leaves the previous editions and index untouched and no
    staging directory behind. An existing edition with the same id is kept; the new one gets
    the next free suffix (`<id>-2`, `<id>-3`, ...).

    The edition arrives marked unconfirmed (`UNCONFIRMED`, holding the writer's pid): not
    listed, not linked. `record(edition_id, index)` (the database's record of it) runs next;
    only then is the mark removed and the site's index pointed at it. A kill at any point
    leaves a state `reconcile_editions` settles on the next start: an unconfirmed edition is
    confirmed if it was recorded and removed if not, and the index follows the newest."""
    say = progress or (lambda message: None)
    site_root = Path(site_root)
    editions_dir = site_root / "editions"
    editions_dir.mkdir(parents=True, exist_ok=True)
    edition_id = free_edition_id(editions_dir, inputs.edition_id)
    view = build_view(replace(inputs, edition_id=edition_id))
    view.memo["site_root"] = site_root
    write_plotly_js(site_root)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + owner_tag(), dir=site_root))
    try:
        # Same depth as editions/<id>/ so relative links (to assets/) resolve while printing.
        build = staging / "editions" / edition_id
        _write_edition_files(view, build, list_editions(site_root), say, pdf, chromium)
        (build / UNCONFIRMED).write_text(str(os.getpid()), encoding="utf-8")
        make_world_readable(build)
        os.rename(build, editions_dir / edition_id)  # atomic; refuses a non-empty target
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    index = editions_dir / edition_id / "nl" / "index.html"
    if record is not None:
        record(edition_id, index)
    (editions_dir / edition_id / UNCONFIRMED).unlink()
    update_site_pages(site_root, edition_id)
    say(f"report edition {edition_id} written to {editions_dir / edition_id}")
    return index


def make_world_readable(root: Path) -> None:
    """Folders 0755 and files 0644 under `root` (itself included), whatever the umask or the
    temporary-file functions chose: a web server running as another user must read them."""
    root.chmod(0o755)
    for path in root.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def free_edition_id(editions_dir: Path, wanted: str) -> str:
    """`wanted` if no edition has it yet, else the first free `<wanted>-N`."""
    if not EDITION_ID.match(wanted or ""):
        raise ValueError(f"edition id {wanted!r} is not a safe directory name "
                         "(letters, digits, '.', '_' and '-' only)")
    candidate, n = wanted, 2
    while (editions_dir / candidate).exists():
        candidate, n = f"{wanted}-{n}", n + 1
    return candidate


def write_plotly_js(site_root: Path) -> Path:
    """The plotly.js bundle (`reports.plotly_bundle`), once per site and version (shared by
    all editions)."""
    target = site_root / PLOTLY_JS
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.parent.chmod(0o755)
        _atomic_write_text(target, plotly_bundle.FILE.read_text(encoding="utf-8"))
    return target


def _write_edition_files(view: EditionView, build: Path, editions: list[dict], say,
                         pdf: bool, chromium) -> None:
    _copy_static(build / "assets")
    printed, errors = _print_editions(view, build, say, chromium) if pdf else ({}, [])
    view.memo["pdfs"] = printed  # the overview links the PDFs that exist
    this = _edition_meta(view, printed, errors)
    pages = list(edition_pages(view, [this, *editions]))
    for n, (path, renderer) in enumerate(pages, start=1):
        if n == 1 or n % 20 == 0 or n == len(pages):
            say(f"report: page {n} of {len(pages)} ({path})")
        _write_text(build / path, renderer())
    write_data_exports(view, build / "data")
    _write_text(build / EDITION_META, json.dumps(this, indent=1))


def _print_editions(view: EditionView, build: Path, say, chromium) -> tuple[dict, list[str]]:
    """The print page per language, printed to PDF; (language -> PDF name, errors)."""
    # While staged, the edition's shared plotly.js is not beside it: link it in for printing.
    staged_site = build.parent.parent
    plotly_js = staged_site / PLOTLY_JS
    if not plotly_js.exists():
        plotly_js.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(view.memo.get("site_root", staged_site)) / PLOTLY_JS, plotly_js)
    printed, errors = {}, []
    view.memo["print_pages_written"] = True
    for lang in LANGUAGES:
        _write_text(build / lang / PRINT_PAGE, render_print(view, lang))

    def print_language(lang: str) -> PrintFailed | None:
        try:
            print_pdf(build / lang / PRINT_PAGE, build / pdf_name(view.inputs.edition_id, lang),
                      chromium)
        except PrintFailed as exc:
            return exc
        return None

    # One Chromium per language at once: a print is one busy core for most of its 9-10 s
    # (drawing the charts), so on two cores both languages take about the time of one.
    with ThreadPoolExecutor(max_workers=len(LANGUAGES)) as pool:
        outcomes = list(pool.map(print_language, LANGUAGES))
    for lang, failure in zip(LANGUAGES, outcomes, strict=True):
        if failure is not None:
            errors.append(f"{lang}: {failure}")
            say(f"report: PDF ({lang}) FAILED: {failure}")
            continue
        printed[lang] = pdf_name(view.inputs.edition_id, lang)
        say(f"report: PDF ({lang}) printed")
    return printed, errors


def _edition_meta(view: EditionView, pdfs: dict | None = None,
                  pdf_errors: list[str] | None = None) -> dict:
    pdfs = pdfs or {}
    return {"edition_id": view.inputs.edition_id,
            "generated_at": view.inputs.generated_at.isoformat(),
            "demo_data": view.inputs.demo_data, "pdf": pdfs.get("nl"), "pdfs": pdfs,
            "pdf_errors": pdf_errors or []}


# A spreadsheet runs a cell that starts with one of these as a formula (`=HYPERLINK(...)`,
# `+cmd|...`, `@SUM`); names from regions.yaml and upstream titles reach the downloads.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$"


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would read as a formula, prefixed with `'` (OWASP's CSV
    injection advice); a number written as text ("-3.5") stays as it is."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.any_horizontal(*(pl.col(c).str.starts_with(s) for s in FORMULA_START))
                & ~pl.col(c).str.contains(_NUMBER))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text)


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    neutralised(frame).write_csv(path)


def write_data_exports(view: EditionView, data_dir: Path) -> None:
    """Per-indicator CSVs (the figures each page shows) and the full exports, their text cells
    neutralised for spreadsheets (`neutralised`)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for indicator in view.indicators:
        write_csv(indicator_download(view, indicator["indicator_id"]),
                  data_dir / f"{slug(indicator['indicator_id'])}.csv")
    write_csv(view.inputs.values, data_dir / "indicator_values.csv")
    view.inputs.values.write_parquet(data_dir / "indicator_values.parquet")
    write_csv(view.inputs.assessments, data_dir / "progress_assessments.csv")
    write_csv(view.inputs.validation_failures, data_dir / "validation_failures.csv")
    write_csv(view.inputs.changes, data_dir / "changes.csv")


def _copy_static(assets_dir: Path) -> None:
    assets_dir.mkdir(parents=True, exist_ok=True)
    for name in STATIC_FILES:
        shutil.copyfile(STATIC_DIR / name, assets_dir / name)


def update_site_pages(site_root: Path, latest: str) -> None:
    """Point the site's index at `latest` and rewrite the archive pages (each atomically).
    The index goes last: once it points at `latest`, everything else already does
    (`reconcile_editions` looks at the index only)."""
    editions = list_editions(site_root)
    Path(site_root).chmod(0o755)
    (Path(site_root) / "editions").chmod(0o755)
    if (Path(site_root) / PLOTLY_JS).is_file():  # an older version wrote it 0600
        (Path(site_root) / PLOTLY_JS).chmod(0o644)
    _atomic_write_text(site_root / "archive.html", render_site_archive(editions, "nl"))
    _atomic_write_text(site_root / "archive-en.html", render_site_archive(editions, "en"))
    update_latest(site_root, latest)
    _atomic_write_text(site_root / "index.html",
                       render_redirect(f"editions/{latest}/nl/index.html"))


LATEST_DIR = "latest"


def update_latest(site_root: Path, latest: str) -> Path:
    """Stable addresses for the newest edition's files, beside the archived ones:
    `latest/data/<file>` (every export), `latest/edition-{nl,en}.pdf` and `latest/edition.json`.

    Built in a staging directory and swapped in with two renames, so a reader sees the old
    or the new set, never a mix (and a failure leaves the old set)."""
    edition = site_root / "editions" / latest
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + owner_tag(), dir=site_root))
    try:
        ready = staging / "new"
        shutil.copytree(edition / "data", ready / "data")
        meta = json.loads((edition / EDITION_META).read_text(encoding="utf-8"))
        for lang, name in (meta.get("pdfs") or {}).items():
            shutil.copyfile(edition / name, ready / f"edition-{lang}.pdf")
        shutil.copyfile(edition / EDITION_META, ready / EDITION_META)
        make_world_readable(ready)
        target = site_root / LATEST_DIR
        if target.exists():
            os.rename(target, staging / "old")
        os.rename(ready, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return site_root / LATEST_DIR


def reconcile_editions(site_root: Path, recorded: set[str]) -> list[str]:
    """Settle what a killed publication left (see `write_edition`), given the edition ids the
    warehouse recorded: an unconfirmed edition whose writer is gone is confirmed when
    recorded and removed when not; staging folders and files of dead writers go; the index
    (and the archive and `latest/`) follow the newest published edition. A live writer's
    work is never touched. Returns what was done, one line each."""
    site_root = Path(site_root)
    done = []
    for mark in unconfirmed_marks(site_root):
        edition = mark.parent
        try:
            pid = int(mark.read_text(encoding="utf-8").strip() or 0)
            made_at = mark.stat().st_mtime
        except (OSError, ValueError):
            pid, made_at = 0, None
        if process_alive(pid, made_at=made_at):
            continue  # being published right now (a run of the daemon, say)
        if edition.name in recorded:
            mark.unlink()
            done.append(f"edition {edition.name}: recorded but not linked; now published")
        else:
            aside = site_root / f"{STAGING_PREFIX}{owner_tag()}{edition.name}"
            os.rename(edition, aside)  # out of sight in one step, then deleted
            shutil.rmtree(aside)
            done.append(f"edition {edition.name}: written but never recorded; removed")
    for leftover in staging_leftovers(site_root):
        pid = tagged_pid(leftover.name, STAGING_PREFIX)
        try:
            made_at = leftover.stat().st_mtime
        except FileNotFoundError:
            continue
        # An untagged name (an older version's) counts as left behind after a day.
        if (process_alive(pid, made_at=made_at) if pid is not None
                else made_at > time.time() - 86400):
            continue
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        done.append(f"removed {leftover.relative_to(site_root)}, left by a stopped run")
    latest = list_editions(site_root)
    if latest and index_target(site_root) != latest[0]["edition_id"]:
        update_site_pages(site_root, latest[0]["edition_id"])
        done.append(f"site index pointed at edition {latest[0]['edition_id']}")
    return done


def _write_text(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


def _atomic_write_text(path: Path, content: str) -> None:
    """Write next to the target, then replace it: readers see the old or the new file."""
    handle, tmp = tempfile.mkstemp(prefix=f"{STAGING_PREFIX}{owner_tag()}{path.name}.",
                                   dir=path.parent)
    try:
        os.fchmod(handle, 0o644)  # mkstemp makes it 0600: readable by a web server, like the rest
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
