"""The plotly.js the site ships (`reports.plotly_bundle`): the file the registry package holds,
the plotly.js version the figures are checked against, and only the chart kinds it draws."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import plotly
import pytest

from reports import plotly_bundle
from reports.figures import Figure

HEADER_VERSION = re.compile(r"plotly\.js(?: \([^)]*\))? v(\d+\.\d+\.\d+)")


def _version(path: Path) -> str:
    found = HEADER_VERSION.search(path.read_text(encoding="utf-8")[:300])
    assert found, path
    return found[1]


def test_the_bundle_is_the_file_the_package_shipped():
    assert hashlib.sha256(plotly_bundle.FILE.read_bytes()).hexdigest() == plotly_bundle.SHA256
    assert (plotly_bundle.FILE.parent / "plotly.js-LICENSE").read_text().startswith("MIT License")


def test_the_bundle_is_the_plotly_js_the_figures_are_checked_against():
    """The tests check every figure with the plotly package's schema: that is the schema of the
    plotly.js the package ships, so the bundle must be the same version (after an upgrade of
    the package, replace the bundle with the same version's and record its digest)."""
    package_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert _version(plotly_bundle.FILE) == plotly_bundle.VERSION == _version(package_js)
    assert plotly_bundle.VERSION in plotly_bundle.ASSET


def test_the_bundle_registers_the_trace_kinds_said():
    registered = set(re.findall(r'moduleType:"trace",name:"(\w+)"',
                                plotly_bundle.FILE.read_text(encoding="utf-8")))
    assert registered == plotly_bundle.TRACES


def test_a_chart_kind_the_bundle_cannot_draw_is_refused():
    figure = Figure()
    figure.add_trace("scatter", {"x": [1], "y": [2]})
    with pytest.raises(ValueError, match="heatmap"):
        figure.add_trace("heatmap", {"z": [[1]]})
    assert [trace["type"] for trace in figure.data] == ["scatter"]
