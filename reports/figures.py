"""Chart builders: tidy frames in, a Plotly figure (or an inline SVG sparkline) out.

Regions are told apart by colour (Okabe-Ito, safe for colour-blind readers) and also by
marker shape and line dash, so no reader depends on colour. Figures are kept small: no
template, values rounded to what the page shows, compact JSON that is safe to embed in a
`<script>` element.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field

import plotly.io.json
import polars as pl
from markupsafe import Markup, escape

from reports import plotly_bundle
from reports.formatting import PLOTLY_SEPARATORS
from reports.i18n import text

# Okabe & Ito (2008), in an order that keeps the first colours far apart; yellow last because
# it has too little contrast on white for a thin line.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
             "#F0E442")
MARKERS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "pentagon",
           "hexagon", "star")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
THRESHOLD_COLOUR = "#444444"
BAND_FILL = "rgba(90, 90, 90, 0.13)"  # light enough that every region line reads on top
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}


class Figure:
    """A Plotly figure as plain data: traces and layout as Plotly's JSON schema names them,
    which plotly.js draws. `plotly.graph_objects` builds and validates an object per property:
    8 s of a snapshot edition's 30 s went into its 168 charts, these dicts take milliseconds.
    The tests pass every kind of chart through `plotly.graph_objects.Figure`, which refuses a
    property Plotly does not know (tests/test_report_builders.py)."""

    def __init__(self) -> None:
        self.data: list[dict] = []
        self.layout: dict = {}

    def add_trace(self, kind: str, properties: dict) -> None:
        """A trace of `kind` ("scatter", "bar"); a property given as None is left unset, as
        graph_objects leaves it. A kind the shipped plotly.js bundle cannot draw is refused
        here: on the page it would be an empty chart without an error."""
        if kind not in plotly_bundle.TRACES:
            raise ValueError(f"plotly.js as shipped (reports.plotly_bundle) draws "
                             f"{', '.join(sorted(plotly_bundle.TRACES))} traces, not {kind!r}")
        self.data.append({"type": kind, **_without_none(properties)})

    def update_layout(self, **properties) -> None:
        """Merge into the layout: nested dicts key by key, anything else replaced."""
        _merge(self.layout, properties)

    def to_dict(self) -> dict:
        return {"data": self.data, "layout": self.layout}

    def to_json(self) -> str:
        return plotly.io.json.to_json_plotly(self.to_dict())


def _without_none(properties: dict) -> dict:
    return {k: _without_none(v) if isinstance(v, dict) else v
            for k, v in properties.items() if v is not None}


def _merge(into: dict, properties: dict) -> None:
    for key, value in properties.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


@dataclass(frozen=True)
class SeriesStyle:
    """How one region's line looks; the same region looks the same on every page."""

    colour: str
    marker: str
    dash: str = "solid"


def region_styles(region_ids: list[str]) -> dict[str, SeriesStyle]:
    """A distinct colour and marker per region, in the order the regions are declared."""
    return {rid: SeriesStyle(OKABE_ITO[i % len(OKABE_ITO)], MARKERS[i % len(MARKERS)])
            for i, rid in enumerate(region_ids)}


@dataclass(frozen=True)
class Trajectory:
    """The path a region's status is measured against, one point per year from the base
    year to the target year (`indicators.progress.required_path`), and the edge of "on
    track" (the same path at the pace the status calls on track), each with its label."""

    series_id: str
    label: str
    points: list[tuple[int, float]]
    edge_label: str = ""
    edge: list[tuple[int, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Band:
    """A shaded range per year (e.g. the regions a page does not chart one by one).

    `low` and `high` are per year in `years`; `label` names the band in the legend and the
    low/high labels name its edges in the hover text."""

    label: str
    low_label: str
    high_label: str
    years: list[int]
    low: list[float]
    high: list[float]


@dataclass(frozen=True)
class ChartInput:
    """What one indicator chart shows.

    `series`: one row per line and year with columns series_id, label, year, value (already
    rounded), is_provisional, low_coverage. `stations` has the same columns (hidden until the
    reader picks them in the legend). `thresholds`: (label, value) horizontal lines. `band`:
    a shaded range drawn beneath every line."""

    unit: str
    decimals: int
    series: pl.DataFrame
    styles: dict[str, SeriesStyle]
    stations: pl.DataFrame | None = None
    thresholds: list[tuple[str, float]] = field(default_factory=list)
    trajectories: list[Trajectory] = field(default_factory=list)
    band: Band | None = None
    # Inside the figure, so a copied chart still says what it is and where it comes from.
    title: str = ""
    credit: str = ""
    # Series drawn against a second axis on the right (one that dwarfs the others, such as
    # the country beside its regions), and that axis's title.
    right_axis: frozenset[str] = frozenset()
    right_axis_title: str = ""


def plotly_text(value: str) -> str:
    """Plotly renders trace names and hover text as a small HTML subset: escape source text
    so a name like `<b>` or `<a href>` shows literally and never becomes markup."""
    return html.escape(value or "", quote=False)


LEGEND_WIDTH = 38  # characters per legend line: a long entry wraps instead of widening a phone


def legend_name(value: str) -> str:
    """A legend entry, escaped, broken into lines that fit a phone-wide chart."""
    return "<br>".join(wrap(plotly_text(value), LEGEND_WIDTH))


def indicator_figure(chart: ChartInput, lang: str) -> Figure:
    """Region lines side by side, with target paths, limit values, provisional and
    low-coverage points each in their own legend entry."""
    fig = Figure()
    if chart.band is not None and chart.band.years:
        _add_band(fig, chart.band, chart)
    for part in chart.series.partition_by("series_id", maintain_order=True):
        _add_series(fig, part, chart, lang, visible=True)
    if chart.stations is not None and chart.stations.height:
        for i, part in enumerate(chart.stations.partition_by("series_id", maintain_order=True)):
            style = SeriesStyle(OKABE_ITO[(i + 4) % len(OKABE_ITO)], MARKERS[i % len(MARKERS)],
                                DASHES[1 + i % (len(DASHES) - 1)])
            _add_series(fig, part, chart, lang, visible="legendonly", style=style)
    _add_flag_points(fig, chart, "is_provisional", "provisional_legend", "circle-open", 13, lang)
    _add_flag_points(fig, chart, "low_coverage", "low_coverage_legend", "x-thin-open", 12, lang)
    years = chart.series["year"] if chart.series.height else pl.Series([], dtype=pl.Int64)
    for trajectory in chart.trajectories:
        _add_trajectory(fig, trajectory, chart, lang)
    for i, (label, value) in enumerate(chart.thresholds):
        _add_threshold(fig, label, value, _year_span(years, chart.trajectories), i, chart)
    _apply_layout(fig, chart, lang)
    return fig


def _hover(chart: ChartInput) -> str:
    unit = plotly_text(chart.unit)
    return f"%{{fullData.name}}<br>%{{x}}: %{{y:,.{chart.decimals}f}} {unit}<extra></extra>"


def _add_band(fig: Figure, band: Band, chart: ChartInput) -> None:
    """Lower edge first (an invisible line), then the upper edge filled down to it; one
    legend entry switches both."""
    d, unit = chart.decimals, plotly_text(chart.unit)
    for label, values, fill in ((band.low_label, band.low, None),
                                (band.high_label, band.high, "tonexty")):
        fig.add_trace("scatter", dict(
            x=band.years, y=[_round(v, d) for v in values], mode="lines", fill=fill,
            fillcolor=BAND_FILL if fill else None, line={"width": 0, "color": BAND_FILL},
            name=legend_name(band.label), legendgroup="band", showlegend=fill is not None,
            hovertemplate=f"{plotly_text(label)}<br>%{{x}}: %{{y:,.{d}f}} {unit}<extra></extra>"))


def _add_series(fig: Figure, part: pl.DataFrame, chart: ChartInput, lang: str, *,
                visible, style: SeriesStyle | None = None) -> None:
    series_id = part["series_id"][0]
    style = style or chart.styles.get(series_id, SeriesStyle(OKABE_ITO[6], MARKERS[0]))
    fig.add_trace("scatter", dict(
        x=part["year"].to_list(), y=part["value"].to_list(), mode="lines+markers",
        name=legend_name(part["label"][0]), legendgroup=series_id, visible=visible,
        yaxis=_axis(chart, series_id),
        line={"color": style.colour, "width": 2.5, "dash": style.dash},
        marker={"symbol": style.marker, "size": 7, "color": style.colour},
        connectgaps=False, hovertemplate=_hover(chart)))


def _add_flag_points(fig: Figure, chart: ChartInput, flag: str, legend_key: str,
                     symbol: str, size: int, lang: str) -> None:
    """One marker overlay per region for flagged years, one shared legend entry."""
    flagged = chart.series.filter(pl.col(flag).fill_null(False) & pl.col("value").is_not_null())
    for i, part in enumerate(flagged.partition_by("series_id", maintain_order=True)):
        style = chart.styles.get(part["series_id"][0], SeriesStyle(OKABE_ITO[6], MARKERS[0]))
        fig.add_trace("scatter", dict(
            x=part["year"].to_list(), y=part["value"].to_list(), mode="markers",
            name=text(legend_key, lang), legendgroup=flag, showlegend=i == 0,
            yaxis=_axis(chart, part["series_id"][0]),
            marker={"symbol": symbol, "size": size, "color": style.colour,
                    "line": {"width": 2, "color": style.colour}},
            hovertemplate=f"{plotly_text(part['label'][0])}: {text(legend_key, lang)}"
                          f"<br>{_hover(chart)}"))


def _add_trajectory(fig: Figure, trajectory: Trajectory, chart: ChartInput, lang: str) -> None:
    """The required path, dashed, from an open circle (base) to a star (target); the edge of
    "on track" dotted beside it, in the region's colour and legend group."""
    style = chart.styles.get(trajectory.series_id, SeriesStyle(OKABE_ITO[6], MARKERS[0]))
    d, axis = chart.decimals, _axis(chart, trajectory.series_id)
    years = [y for y, _ in trajectory.points]
    fig.add_trace("scatter", dict(
        x=years, y=[_round(v, d) for _, v in trajectory.points], mode="lines+markers",
        name=legend_name(trajectory.label), legendgroup=trajectory.series_id, yaxis=axis,
        line={"color": style.colour, "width": 1.5, "dash": "dash"},
        marker={"symbol": ["circle-open"] + ["circle"] * (len(years) - 2) + ["star"],
                "size": [6] + [0] * (len(years) - 2) + [12], "color": style.colour},
        hovertemplate=_hover(chart)))
    if trajectory.edge:
        fig.add_trace("scatter", dict(
            x=[y for y, _ in trajectory.edge], y=[_round(v, d) for _, v in trajectory.edge],
            mode="lines", name=legend_name(trajectory.edge_label),
            legendgroup=trajectory.series_id, yaxis=axis,
            line={"color": style.colour, "width": 1, "dash": "dot"},
            hovertemplate=_hover(chart)))


def _axis(chart: ChartInput, series_id: str) -> str:
    return "y2" if series_id in chart.right_axis else "y"


def _add_threshold(fig: Figure, label: str, value: float, span: tuple[int, int], i: int,
                   chart: ChartInput) -> None:
    fig.add_trace("scatter", dict(
        x=list(span), y=[_round(value, chart.decimals)] * 2, mode="lines",
        name=legend_name(label), legendgroup=f"threshold-{i}",
        line={"color": THRESHOLD_COLOUR, "width": 1.5, "dash": DASHES[(i + 2) % len(DASHES)]},
        hovertemplate=_hover(chart)))


def _year_span(years: pl.Series, trajectories: list[Trajectory]) -> tuple[int, int]:
    known = [y for y in years.to_list() if y is not None]
    known += [y for t in trajectories for y, _ in t.points]
    return (min(known), max(known)) if known else (0, 1)


def _apply_layout(fig: Figure, chart: ChartInput, lang: str) -> None:
    credit_lines = wrap(chart.credit, CREDIT_WIDTH)
    axis_format = f",.{chart.decimals}f" if chart.decimals else ",d"
    fig.update_layout(
        template={}, separators=PLOTLY_SEPARATORS[lang], height=440 + 14 * len(credit_lines),
        autosize=True, font={"family": FONT, "size": 13, "color": "#1a1a1a"},
        # room for the title and source lines above, the last year label on the right
        margin={"l": 60, "r": 70 if chart.right_axis else 36,
                "t": (34 if chart.title else 12) + 15 * len(credit_lines), "b": 40},
        title={"text": plotly_text(chart.title), "x": 0, "xanchor": "left", "y": 0.99,
               "yanchor": "top", "font": {"size": 15},
               "subtitle": {"text": "<br>".join(plotly_text(line) for line in credit_lines),
                            "font": {"size": 11, "color": "#595959"}}},
        paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", hovermode="closest",
        legend={"orientation": "h", "y": -0.1, "yanchor": "top", "x": 0},
        xaxis={"tickformat": "d", "gridcolor": "#e5e5e5"},  # years need no axis title
        yaxis={"tickformat": axis_format, "gridcolor": "#e5e5e5", "zerolinecolor": "#bbbbbb",
               "title": {"text": plotly_text(chart.unit)}, "rangemode": "tozero",
               "automargin": True})
    if chart.right_axis:
        fig.update_layout(yaxis2={
            "tickformat": axis_format, "overlaying": "y", "side": "right", "showgrid": False,
            "tickmode": "auto",  # its own round ticks, not the left axis's grid
            # automargin: room for six-digit ticks and the title, which overlapped them
            "automargin": True, "rangemode": "tozero",
            "title": {"text": plotly_text(chart.right_axis_title)}})


CREDIT_WIDTH = 58  # characters per source line: fits a phone-wide chart


def wrap(line: str, width: int) -> list[str]:
    """Words into lines of at most `width` characters (a longer word keeps its own line)."""
    lines: list[str] = []
    for word in (line or "").split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _round(value: float | None, decimals: int) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(value, decimals)


def figure_json(fig: Figure, config: dict | None = None) -> str:
    """Figure and config as compact JSON that cannot end the `<script>` it sits in.

    `<`, `>` and `&` become JSON unicode escapes: the browser's HTML parser then never sees
    `</script>` or `<!--` inside the data, while JSON.parse restores the exact text."""
    payload = '{"figure":' + fig.to_json() + ',"config":' + json.dumps(
        config or PLOTLY_CONFIG, separators=(",", ":")) + "}"
    return (payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def sparkline_svg(years: list[int], values: list[float | None], label: str, *,
                  width: int = 120, height: int = 30) -> Markup:
    """A tiny inline SVG line of a series (no script needed, prints sharply); gaps stay gaps.

    `label` is the accessible text alternative (escaped here)."""
    points = [(y, v) for y, v in zip(years, values, strict=True) if y is not None]
    known = [v for _, v in points if v is not None]
    if len(known) < 2:
        return Markup('<svg class="sparkline" role="img" aria-label="{}" width="{}" height="{}" '
                      'viewBox="0 0 {} {}"></svg>').format(label, width, height, width, height)
    scale = _scaler([y for y, _ in points], known, width, height, pad=3)
    lines = "".join(f'<polyline points="{_points(s)}"/>'
                    for s in _segments(points, scale) if len(s) > 1)
    last_x, last_y = scale(*next((y, v) for y, v in reversed(points) if v is not None))
    return Markup(
        f'<svg class="sparkline" role="img" aria-label="{escape(label)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><g fill="none" stroke="currentColor" '
        f'stroke-width="1.5">{lines}</g><circle cx="{last_x}" cy="{last_y}" r="2.5" '
        f'fill="currentColor"/></svg>')


def _scaler(years: list[int], values: list[float], width: int, height: int, pad: int):
    y0, y1 = min(years), max(years)
    v0, v1 = min(values), max(values)
    span_y, span_v = (y1 - y0) or 1, (v1 - v0) or 1

    def scale(year: int, value: float) -> tuple[float, float]:
        x = pad + (year - y0) / span_y * (width - 2 * pad)
        y = height - pad - (value - v0) / span_v * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    return scale


def _segments(points: list[tuple[int, float | None]], scale) -> list[list[tuple[float, float]]]:
    """Runs of consecutive known values; a missing year breaks the line."""
    segments: list[list[tuple[float, float]]] = [[]]
    for year, value in points:
        if value is None:
            segments.append([])
        else:
            segments[-1].append(scale(year, value))
    return [s for s in segments if s]


def _points(segment: list[tuple[float, float]]) -> str:
    return " ".join(f"{x},{y}" for x, y in segment)


# Pattern fills for the parts beyond the palette, so no two parts look alike in print or to a
# reader who cannot tell the colours apart.
PATTERNS = ("", "/", "\\", "x", ".", "+", "-", "|")


@dataclass(frozen=True)
class PartsInput:
    """Stacked parts per region: `columns` are the bars' labels (region and year), `parts`
    (label, values per column, provisional per column) from the bottom of the stack up."""

    title: str
    unit: str
    decimals: int
    columns: list[str]
    parts: list[tuple[str, list[float | None]]]


def parts_figure(chart: PartsInput, lang: str) -> Figure:
    """One stacked bar per region: the parts of its latest value (CO2 per sector), each as a
    percentage of the region's total, so a country and a small region read side by side; the
    hover text gives the part in the indicator's unit."""
    fig = Figure()
    unit = plotly_text(chart.unit)
    for i, (label, values) in enumerate(chart.parts):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        pattern = PATTERNS[(i // len(OKABE_ITO)) % len(PATTERNS)]
        fig.add_trace("bar", dict(
            x=[plotly_text(c) for c in chart.columns],
            y=[_round(v, chart.decimals) for v in values], name=legend_name(label),
            customdata=[_round(v, chart.decimals) for v in values],
            # bgcolor: in the default "replace" mode a pattern's background is transparent,
            # which leaves a patterned part white lines on white, invisible
            marker={"color": colour, "pattern": {"shape": pattern, "fgcolor": "#ffffff",
                                                 "bgcolor": colour}},
            hovertemplate=f"{plotly_text(label)}: %{{customdata}} {unit}<extra>%{{x}}</extra>"))
    fig.update_layout(
        template={}, barmode="stack", barnorm="percent", separators=PLOTLY_SEPARATORS[lang], height=480,
        autosize=True, font={"family": FONT, "size": 13, "color": "#1a1a1a"},
        margin={"l": 60, "r": 24, "t": 34, "b": 40},
        title={"text": plotly_text(chart.title), "x": 0, "xanchor": "left", "y": 0.99,
               "yanchor": "top", "font": {"size": 15}},
        paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", hovermode="closest",
        legend={"orientation": "h", "y": -0.1, "yanchor": "top", "x": 0, "traceorder": "normal"},
        yaxis={"ticksuffix": "%", "gridcolor": "#e5e5e5", "zerolinecolor": "#bbbbbb",
               "range": [0, 100]})
    return fig
