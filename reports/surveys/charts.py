"""Plotly figures of the survey pages, as reports/charts.py builds them: plain dicts of lists and
strings, drawn by static/js/charts.js with the vendored plotly bundle, numbers as text in the page's
language. Every share is drawn with its 95 % Wilson interval (error bars)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from core.numbers import decimal_mark, fmt_fixed

FONT = {"family": "DejaVu Sans, Segoe UI, Arial, sans-serif", "size": 12}
BLUE, GREY, PALE = "#2f6fb3", "#6b7280", "#9db7d5"


def _layout(**extra) -> dict:
    mark = decimal_mark()
    layout = {
        "separators": mark + ("." if mark == "," else ","),
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 10, "r": 20, "t": 30, "b": 40},
        "hoverlabel": {"font": FONT},
    }
    layout.update(extra)
    return layout


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _errors(values, lows, highs) -> dict:
    """Plotly's asymmetric error bars from a value and its interval."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [
            round(h - v, 2) if v is not None else None for v, h in zip(values, highs, strict=True)
        ],
        "arrayminus": [
            round(v - lo, 2) if v is not None else None for v, lo in zip(values, lows, strict=True)
        ],
        "color": "#111827",
        "thickness": 1.2,
        "width": 3,
    }


def units_ranked(figures: Sequence, *, highlight: int | None = None) -> dict:
    """Each unit's index, best at the top, with its interval; small samples paler."""
    rows = [f for f in figures if f.index is not None]
    ordered = list(reversed(rows))
    labels = [f"{f.rank or '—'}. {_short(f.unit.name)}" for f in ordered]
    values = [round(f.index, 2) for f in ordered]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": _("Chỉ số hài lòng"),
            "y": labels,
            "x": values,
            "error_x": _errors(values, [f.low for f in ordered], [f.high for f in ordered]),
            "customdata": [
                [f.unit.name, fmt_fixed(f.low), fmt_fixed(f.high), f.respondents] for f in ordered
            ],
            "hovertemplate": "%{customdata[0]}<br>%{x:.2f}% ("
            + _("khoảng tin cậy 95%%: %(low)s–%(high)s")
            % {"low": "%{customdata[1]}", "high": "%{customdata[2]}"}
            + ") · %{customdata[3]} "
            + _("phiếu")
            + "<extra></extra>",
            "marker": {
                "color": [PALE if f.short else BLUE for f in ordered],
                "line": {
                    "color": ["#111827" if f.unit.pk == highlight else BLUE for f in ordered],
                    "width": [3 if f.unit.pk == highlight else 0 for f in ordered],
                },
            },
        }
    ]
    low = min((f.low for f in rows if f.low is not None), default=0)
    return {
        "data": data,
        "layout": _layout(
            height=max(260, 24 * len(rows) + 90),
            xaxis={
                "range": [max(0, low - 5), 100.5],
                "ticksuffix": "%",
                "title": {"text": _("Tỷ lệ hài lòng (%)")},
                "gridcolor": "#e5e7eb",
            },
            yaxis={"categoryorder": "array", "categoryarray": labels, "automargin": True},
            showlegend=False,
        ),
    }


def elements_bars(series: Sequence[tuple[str, Sequence]]) -> dict:
    """The elements' shares with their intervals, one bar group per element and one colour per
    series (a unit, the province)."""
    colours = [BLUE, GREY, PALE]
    data = []
    for i, (name, elements) in enumerate(series):
        x = [f"{e.element.code}. {_short(e.element.name, 22)}" for e in elements]
        values = [round(e.share.score, 2) if e.share.score is not None else None for e in elements]
        data.append(
            {
                "type": "bar",
                "name": _short(name, 40),
                "x": x,
                "y": values,
                "error_y": _errors(
                    values, [e.share.low for e in elements], [e.share.high for e in elements]
                ),
                "marker": {"color": colours[i % len(colours)]},
                "hovertemplate": "%{x}: %{y:.2f}%<extra>%{fullData.name}</extra>",
            }
        )
    return {
        "data": data,
        "layout": _layout(
            barmode="group",
            height=340,
            yaxis={"range": [0, 105], "ticksuffix": "%", "gridcolor": "#e5e7eb"},
            xaxis={"tickangle": -20, "automargin": True},
            legend={"orientation": "h", "y": 1.08},
        ),
    }


def trend_lines(points: Sequence, unit_name: str | None) -> dict:
    """The unit's index and the province's over the years, each with its interval."""
    years = [str(p.survey.year) for p in points]
    data = []
    for name, pick, colour in (
        (unit_name, lambda p: p.unit, BLUE),
        (_("Toàn tỉnh"), lambda p: p.province, GREY),
    ):
        if name is None:
            continue
        found = [pick(p) for p in points]
        values = [round(f.index, 2) if f and f.index is not None else None for f in found]
        if not any(v is not None for v in values):
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers+text",
                "name": _short(name, 48),
                "x": years,
                "y": values,
                "error_y": _errors(
                    values,
                    [f.low if f else None for f in found],
                    [f.high if f else None for f in found],
                ),
                "text": [fmt_fixed(v) if v is not None else "" for v in values],
                "textposition": "top center",
                "cliponaxis": False,
                "line": {"color": colour},
                "marker": {"color": colour},
                "hovertemplate": "%{x}: %{y:.2f}%<extra>%{fullData.name}</extra>",
            }
        )
    return {
        "data": data,
        "layout": _layout(
            height=320,
            xaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": years,
                "range": [-0.5, len(years) - 0.5],
            },
            yaxis={"ticksuffix": "%", "gridcolor": "#e5e7eb", "range": [50, 102]},
            legend={"orientation": "h", "y": -0.15, "yanchor": "top"},
            margin={"l": 50, "r": 50, "t": 30, "b": 20},
        ),
    }
