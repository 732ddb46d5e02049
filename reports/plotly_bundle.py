"""The plotly.js that draws the charts: the basic bundle (scatter, bar and pie traces) of the
plotly.js version that the plotly package ships, kept in `reports/static/vendor` with its MIT
licence (from the registry package `plotly.js-basic-dist-min`).

Why not the package's own `plotly.min.js`: it holds every trace type plotly.js has (4.8 MB),
and the charts here draw two. Every page a reader opens parses it, and so does Chromium for
each printed edition: 2.0 s of the print page's 4.8 s load on this machine, against 0.6 s for
the basic bundle (1.2 MB; BENCHMARKS.md, "The basic plotly.js bundle").

The figures are checked against the plotly package's schema (tests/test_report_builders.py), so
the bundle must be that package's plotly.js version: a test compares the two, and one more
that a chart kind outside the bundle is refused when the figure is built (`reports.figures`).
"""

from __future__ import annotations

from pathlib import Path

VERSION = "4.1.1"
FILE = Path(__file__).parent / "static" / "vendor" / "plotly-basic.min.js"
SHA256 = "99784e3abfb07b142a15e521a439e6d9addceadb3f79553fd24c72774f0649ba"
TRACES = frozenset({"scatter", "bar", "pie"})
# Named by version: a newer bundle is a new file, and archived editions keep the one they load.
ASSET = f"assets/plotly-basic-{VERSION}.min.js"
