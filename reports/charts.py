"""Plotly figures of the dashboards, built on the server from selector output.

Each function returns a plain figure dict ({"data": [...], "layout": {...}}) of lists and strings:
no numpy arrays, so the JSON is the same whatever plotly.py version is installed, and the page's
json_script hands it to static/js/charts.js, which draws it with the plotly.min.js served from
static/vendor/plotly. Numbers are floats only here, at the very edge, for drawing; every figure a
person reads as text is formatted in the page's language: a decimal comma in Vietnamese (84,64),
a decimal point in English (84.64), labels and Plotly's own ticks (layout.separators) alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext as _

from core.numbers import decimal_mark, fmt_fixed

FONT = {"family": "DejaVu Sans, Segoe UI, Arial, sans-serif", "size": 12}
BAND_COLOURS = ["#1a7f37", "#2f6fb3", "#d6a100", "#c2410c", "#8b1e3f", "#6b7280"]


def _separators() -> str:
    """Plotly's layout.separators: the decimal mark, then the thousands mark."""
    mark = decimal_mark()
    return mark + ("." if mark == "," else ",")


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _layout(**extra) -> dict:
    layout = {
        "separators": _separators(),
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 10, "r": 20, "t": 30, "b": 40},
        "hoverlabel": {"font": FONT},
    }
    layout.update(extra)
    return layout


# The usual band names keep their colour whichever bands a group happens to have.
KNOWN_BANDS = {
    "A": "#1a7f37",
    "B": "#2f6fb3",
    "C": "#d6a100",
    "D": "#c2410c",
    "Xuất sắc": "#14532d",
    "Tốt": "#1a7f37",
    "Khá": "#2f6fb3",
    "Trung bình": "#d6a100",
    "Yếu": "#c2410c",
}


def band_colour_map(bands: Sequence[str]) -> dict[str, str]:
    ordered = sorted({b for b in bands if b})
    return {
        band: KNOWN_BANDS.get(band, BAND_COLOURS[i % len(BAND_COLOURS)])
        for i, band in enumerate(ordered)
    }


def _state_of(row) -> str:
    if getattr(row, "apart", False) and row.rank is None:
        return row.state_label
    return _("đã công bố") if row.published else _("tạm tính")


def ranking_bars(
    rows: Sequence,
    *,
    average: Decimal | None,
    highlight: int | None = None,
    complete: bool = True,
    target: Decimal | None = None,
) -> dict:
    """Horizontal bars of PAR percent, best at the top; colour by band, hatched when provisional;
    the province's percent target (targets app) as a red line when one is set."""
    colours = band_colour_map([r.band for r in rows])
    traces = []
    ordered = list(reversed(rows))  # Plotly draws the first category at the bottom
    labels = [f"{r.rank or '—'}. {_short(r.unit_name)}" for r in ordered]
    for band, colour in [*colours.items(), ("", BAND_COLOURS[-1])]:
        idx = [i for i, r in enumerate(ordered) if (r.band or "") == band]
        if not idx:
            continue
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": _("Xếp loại %(band)s") % {"band": band} if band else _("Chưa xếp loại"),
                "y": [labels[i] for i in idx],
                "x": [float(ordered[i].percent) for i in idx],
                "customdata": [
                    [
                        ordered[i].unit_name,
                        ordered[i].rank or "—",
                        _state_of(ordered[i]),
                    ]
                    for i in idx
                ],
                "hovertemplate": "%{customdata[0]}<br>"
                + _("Hạng")
                + " %{customdata[1]} · %{x:.2f}% · %{customdata[2]}<extra></extra>",
                "marker": {
                    "color": colour,
                    "line": {
                        "color": [
                            "#111827" if ordered[i].unit_id == highlight else colour for i in idx
                        ],
                        "width": [3 if ordered[i].unit_id == highlight else 0 for i in idx],
                    },
                    # Provisional results are paler (plotly's hatch patterns need inline styles,
                    # which the CSP refuses) and their labels carry an asterisk.
                    "opacity": [1 if ordered[i].published else 0.5 for i in idx],
                },
            }
        )
    # The values as a column right of 100 %, where neither the bars nor the average line reach:
    # at the bars' ends, the line crossed the labels of the units near the average.
    traces.append(
        {
            "type": "scatter",
            "mode": "text",
            "x": [100.5] * len(ordered),
            "y": labels,
            "text": [fmt_fixed(r.percent) + ("" if r.published else "*") for r in ordered],
            "textposition": "middle right",
            "cliponaxis": False,
            "showlegend": False,
            "hoverinfo": "skip",
        }
    )
    low = min((float(r.percent) for r in rows), default=0)
    layout = _layout(
        barmode="overlay",
        height=max(260, 24 * len(rows) + 90),
        margin={"l": 10, "r": 60, "t": 30, "b": 40},
        xaxis={
            "range": [max(0, low - 10), 100.5],
            "ticksuffix": "%",
            "title": {"text": _("Chỉ số CCHC (%)")},
            "gridcolor": "#e5e7eb",
        },
        yaxis={"categoryorder": "array", "categoryarray": labels, "automargin": True},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        showlegend=True,
    )
    if average is not None:
        # Behind the bars and their labels; the legend entry comes from an empty line trace.
        layout["shapes"] = [
            {
                "type": "line",
                "layer": "below",
                "x0": float(average),
                "x1": float(average),
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#4b5563", "dash": "dash", "width": 1.5},
            }
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [None],
                "y": [None],
                "name": (
                    _("Trung bình khối %(avg)s%%")
                    if complete
                    else _("Trung bình các kết quả được xem %(avg)s%%")
                )
                % {"avg": fmt_fixed(average)},
                "line": {"color": "#4b5563", "dash": "dash", "width": 1.5},
                "hoverinfo": "skip",
            }
        )
    if target is not None:
        line = {"color": "#dc2626", "dash": "dot", "width": 2}
        layout.setdefault("shapes", []).append(
            {
                "type": "line",
                "layer": "below",
                "x0": float(target),
                "x1": float(target),
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": line,
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [None],
                "y": [None],
                "name": _("Mục tiêu %(target)s%%") % {"target": fmt_fixed(target)},
                "line": line,
                "hoverinfo": "skip",
            }
        )
    return {"data": traces, "layout": layout}


def component_heatmap(
    units: Sequence[tuple[str, dict[str, Decimal | None]]],
    components: Sequence[tuple[str, str]],
) -> dict:
    """Units × components, percent of maximum, red (weak) to green (strong)."""
    codes = [code for code, _name in components]
    x = [f"{code}. {_short(name, 18)}" for code, name in components]
    y = [_short(name, 32) for name, _cells in units]
    z = [
        [float(cells[c]) if cells.get(c) is not None else None for c in codes]
        for _n, cells in units
    ]
    text = [
        [fmt_fixed(cells.get(c), 1) if cells.get(c) is not None else "" for c in codes]
        for _n, cells in units
    ]
    full = [[f"{code}. {name}" for code, name in components] for _u in units]
    return {
        "data": [
            {
                "type": "heatmap",
                "x": x,
                "y": y,
                "z": z,
                "text": text,
                "texttemplate": "%{text}",
                "customdata": full,
                "zmin": 40,
                "zmax": 100,
                "colorscale": [
                    [0, "#b91c1c"],
                    [0.5, "#f59e0b"],
                    [0.75, "#fde68a"],
                    [1, "#15803d"],
                ],
                "colorbar": {"ticksuffix": "%", "thickness": 12},
                "hovertemplate": "%{y}<br>%{customdata}<br>%{z:.2f}%<extra></extra>",
                "xgap": 1,
                "ygap": 1,
            }
        ],
        "layout": _layout(
            height=max(280, 26 * len(units) + 140),
            xaxis={"side": "top", "tickangle": -30, "automargin": True},
            yaxis={"autorange": "reversed", "automargin": True},
        ),
    }


def history_lines(series: dict[str, list[tuple[int, Decimal, int | None]]]) -> dict:
    """Percent over the years, one line per unit of the lineage (a merged unit and its forebears)."""
    years = sorted({str(year) for points in series.values() for year, _p, _r in points})
    values = [float(p) for points in series.values() for _y, p, _r in points]
    data = []
    for name, points in series.items():
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers+text",
                "name": _short(name, 48),
                "x": [str(year) for year, _p, _r in points],
                "y": [float(p) for _y, p, _r in points],
                "text": [f"{fmt_fixed(p)} (#{r})" if r else fmt_fixed(p) for _y, p, r in points],
                "textposition": "top center",
                "cliponaxis": False,
                "hovertemplate": "%{x}: %{y:.2f}%<extra>%{fullData.name}</extra>",
            }
        )
    low = min(values, default=0)
    high = max(values, default=100)
    return {
        "data": data,
        "layout": _layout(
            height=320,
            xaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": years,
                "range": [-0.5, len(years) - 0.5],  # room for the first and last labels
            },
            yaxis={
                "ticksuffix": "%",
                "gridcolor": "#e5e7eb",
                "range": [max(0, low - 5), min(105, high + 5)],
            },
            legend={"orientation": "h", "y": -0.15, "yanchor": "top"},
            margin={"l": 50, "r": 50, "t": 30, "b": 20},
        ),
    }


def components_vs_average(
    components: Sequence[tuple[str, str, Decimal | None, Decimal | None]], unit_name: str
) -> dict:
    """The unit's percent of each component's maximum beside the group average."""
    x = [f"{code}. {_short(name, 16)}" for code, name, _u, _a in components]
    return {
        "data": [
            {
                "type": "bar",
                "name": _short(unit_name, 40),
                "x": x,
                "y": [float(u) if u is not None else None for _c, _n, u, _a in components],
                "text": [fmt_fixed(u, 1) for _c, _n, u, _a in components],
                "textposition": "outside",
                "marker": {"color": "#2f6fb3"},
                "hovertemplate": "%{x}: %{y:.2f}%<extra></extra>",
            },
            {
                "type": "bar",
                "name": _("Trung bình khối"),
                "x": x,
                "y": [float(a) if a is not None else None for _c, _n, _u, a in components],
                "text": [fmt_fixed(a, 1) for _c, _n, _u, a in components],
                "textposition": "outside",
                "marker": {"color": "#cbd5e1"},
                "hovertemplate": "%{x}: %{y:.2f}%<extra></extra>",
            },
        ],
        "layout": _layout(
            barmode="group",
            height=340,
            yaxis={"range": [0, 112], "ticksuffix": "%", "gridcolor": "#e5e7eb"},
            xaxis={"tickangle": -25, "automargin": True},
            legend={"orientation": "h", "y": 1.08},
        ),
    }


def pareto_chart(rows: Sequence[dict], *, limit: int = 20) -> dict:
    """Points lost per criterion, most first, with the cumulative share on the right axis."""
    rows = list(rows[:limit])
    x = [r["code"] for r in rows]
    top = max((float(r["lost"]) for r in rows), default=1.0)
    return {
        "data": [
            {
                "type": "bar",
                "name": _("Điểm bị mất"),
                "x": x,
                "y": [float(r["lost"]) for r in rows],
                "text": [fmt_fixed(r["lost"]) for r in rows],
                "textposition": "outside",
                "constraintext": "none",  # the same size over every bar, the tallest included
                # Small enough that twenty labels side by side do not touch; with a halo.
                "textfont": {"shadow": "auto", "size": 10},
                "cliponaxis": False,
                "customdata": [[_short(r["name"], 70), r["units"]] for r in rows],
                "hovertemplate": "%{x} %{customdata[0]}<br>"
                + _("Điểm bị mất")
                + ": %{y:.2f} · %{customdata[1]} "
                + _("đơn vị")
                + "<extra></extra>",
                "marker": {"color": "#c2410c"},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Lũy kế (%)"),
                "x": x,
                "y": [float(r["cumulative"]) for r in rows],
                "yaxis": "y2",
                "hovertemplate": "%{x}: %{y:.2f}%<extra></extra>",
                "marker": {"color": "#1f2937"},
            },
        ],
        "layout": _layout(
            height=380,
            xaxis={"type": "category", "title": {"text": _("Tiêu chí")}},
            yaxis={
                "title": {"text": _("Điểm bị mất")},
                "gridcolor": "#e5e7eb",
                "range": [0, top * 1.15],  # room for the tallest bar's label
                "automargin": True,  # the ticks and the title were cut at the left edge
            },
            yaxis2={
                "overlaying": "y",
                "side": "right",
                "range": [0, 105],
                "ticksuffix": "%",
                "showgrid": False,
            },
            legend={"orientation": "h", "y": 1.1},
            margin={"l": 10, "r": 50, "t": 40, "b": 50},
        ),
    }


COMPARISON_EACH_SIDE = 25


def comparison_bars(rows: Sequence) -> dict:
    """Change in percent points since last year, one bar per unit, climbers green, fallers red."""
    rows = sorted((r for r in rows if r.delta is not None), key=lambda r: r.delta)
    if len(rows) > 2 * COMPARISON_EACH_SIDE:
        # A big group: the units that fell and rose the most, not thousands of bars.
        rows = rows[:COMPARISON_EACH_SIDE] + rows[-COMPARISON_EACH_SIDE:]
    lo = min([float(r.delta) for r in rows] + [0.0])
    hi = max([float(r.delta) for r in rows] + [0.0])
    pad = max((hi - lo) * 0.3, 1.5)
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [_short(r.name, 34) for r in rows],
                "x": [float(r.delta) for r in rows],
                "text": [("+" if r.delta > 0 else "") + fmt_fixed(r.delta) for r in rows],
                "textposition": "outside",
                # A halo in the background colour: a grid or average line never cuts a label.
                "textfont": {"shadow": "auto"},
                "cliponaxis": False,
                "marker": {"color": ["#15803d" if r.delta >= 0 else "#b91c1c" for r in rows]},
                "hovertemplate": "%{y}: %{x:+.2f}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=max(260, 22 * len(rows) + 80),
            xaxis={
                # Room on both sides for the labels outside the bars.
                "range": [lo - pad, hi + pad],
                "title": {"text": _("Thay đổi chỉ số (điểm %)")},
                "zeroline": True,
                "gridcolor": "#e5e7eb",
            },
            yaxis={
                "automargin": True,
                "categoryorder": "array",
                "categoryarray": [_short(r.name, 34) for r in rows],
            },
            showlegend=False,
        ),
    }


def climb_chart(unit, targets: Sequence) -> dict:
    """The unit and the units above it, with the gap to each."""
    bars = [unit, *[t.target for t in targets]]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [_short(s.name, 34) for s in bars],
                "x": [float(s.percent) for s in bars],
                "text": [fmt_fixed(s.percent) for s in bars],
                "textposition": "outside",
                # A halo in the background colour: a grid or average line never cuts a label.
                "textfont": {"shadow": "auto"},
                "cliponaxis": False,
                "marker": {"color": ["#2f6fb3", *["#94a3b8"] * len(targets)]},
                "hovertemplate": "%{y}: %{x:.2f}%<extra></extra>",
            }
        ],
        "layout": _layout(
            height=max(200, 40 * len(bars) + 80),
            xaxis={
                "range": [max(0, min((float(s.percent) for s in bars), default=0) - 3), 101],
                "ticksuffix": "%",
                "gridcolor": "#e5e7eb",
            },
            yaxis={"automargin": True, "autorange": "reversed"},
            showlegend=False,
        ),
    }
