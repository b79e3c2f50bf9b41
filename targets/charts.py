"""Plotly figures of the targets pages (drawn by static/js/charts.js, like the dashboards')."""

from __future__ import annotations

from django.utils.translation import gettext as _


def trend_figure(years) -> dict:
    """The group's average across the years, its lowest-highest spread and the target."""
    xs = [str(y.year) for y in years]
    # The spread as two thin lines: a filled band (fill "toself") makes plotly write an inline
    # style, which the content security policy refuses.
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": name,
            "x": xs,
            "y": [float(v) if v is not None else None for v in values],
            "line": {"color": "#93c5fd", "width": 1},
        }
        for name, values in (
            (_("Cao nhất"), [y.highest for y in years]),
            (_("Thấp nhất"), [y.lowest for y in years]),
        )
    ] + [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Bình quân"),
            "x": xs,
            "y": [float(y.average) if y.average is not None else None for y in years],
            "line": {"color": "#1d4ed8"},
        },
    ]
    if any(y.target is not None for y in years):
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Mục tiêu"),
                "x": xs,
                "y": [float(y.target) if y.target is not None else None for y in years],
                "line": {"color": "#dc2626", "dash": "dash"},
            }
        )
    return {
        "data": traces,
        "layout": {
            "height": 360,
            "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
            "yaxis": {"title": {"text": _("Chỉ số (%)")}},
            "xaxis": {"type": "category"},
            "legend": {"orientation": "h"},
        },
    }


def add_target_line(figure: dict, targets: dict) -> None:
    """The unit's percent targets (year → value) over its trend (reports.charts.history_lines)."""
    if not targets:
        return
    years = sorted(targets)
    figure["data"].append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Mục tiêu"),
            "x": [str(y) for y in years],
            "y": [float(targets[y]) for y in years],
            "line": {"color": "#dc2626", "dash": "dot"},
            "marker": {"symbol": "diamond"},
        }
    )
    xaxis = figure.get("layout", {}).get("xaxis", {})
    if "categoryarray" in xaxis:
        merged = sorted(set(xaxis["categoryarray"]) | {str(y) for y in years})
        xaxis["categoryarray"] = merged
        xaxis["range"] = [-0.5, len(merged) - 0.5]
