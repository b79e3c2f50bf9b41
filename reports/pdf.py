"""The printable analysis report ("Báo cáo phân tích kết quả Chỉ số CCHC") of a period and group, and
of one unit, rendered by WeasyPrint.

Charts are drawn here as plain SVG (bars, a Pareto line): WeasyPrint renders SVG natively, so the PDF
needs neither a browser (kaleido downloads one) nor matplotlib, and the charts use the same DejaVu
font as the text, diacritics included. Long tables are capped (top and bottom of the ranking) because
WeasyPrint is slow on long tables; the XLSX export carries the full table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.numbers import fmt_fixed
from targets.selectors.plans import open_tasks
from units.models import Unit

from . import charts, computation, dashboards
from .selectors.results import RANKED_STATES
from .selectors.sipas import sipas_summary

PDF_TABLE_CAP = 100  # ranking rows printed; above it, the top and the bottom halves
PDF_BARS_CAP = 40
FONT = "DejaVu Sans"
WIDTH = 640


def _vn(value, places: int = 2) -> str:
    return fmt_fixed(value, places)


def _short(text: str, limit: int) -> str:
    return charts._short(text, limit)


# --- SVG -----------------------------------------------------------------------------------------


def svg_hbars(
    items: list[tuple[str, Decimal, str]],
    *,
    low: float = 0,
    high: float = 100,
    marker: Decimal | None = None,
    marker_label: str = "",
    label_width: int = 250,
) -> SafeString:
    """Horizontal bars: (label, value, colour); an optional dashed line (the group average)."""
    row_h, top, bottom = 16, (18 if marker is not None else 8), 22
    height = top + bottom + row_h * len(items)
    area = WIDTH - label_width - 50

    def x(value: float) -> float:
        return label_width + max(0.0, (value - low) / (high - low)) * area

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="9">'
    ]
    for tick in range(int(low), int(high) + 1, 10 if high - low > 30 else 5):
        tx = x(tick)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{height - bottom}" '
            f'stroke="#e5e7eb" stroke-width="0.6"/>'
            f'<text x="{tx:.1f}" y="{height - bottom + 11}" text-anchor="middle" '
            f'fill="#6b7280">{tick}%</text>'
        )
    if marker is not None:
        # Under the bars; the values stand in a column right of the scale, where it never runs.
        mx = x(float(marker))
        parts.append(
            f'<line x1="{mx:.1f}" y1="{top}" x2="{mx:.1f}" y2="{height - bottom}" '
            f'stroke="#374151" stroke-dasharray="3,2" stroke-width="1"/>'
            f'<text x="{mx:.1f}" y="{top - 5}" text-anchor="middle" fill="#374151">'
            f"{escape(marker_label)}</text>"
        )
    values_x = x(high) + 4
    for i, (label, value, colour) in enumerate(items):
        y = top + i * row_h
        end = x(float(value))
        parts.append(
            f'<text x="{label_width - 4}" y="{y + 11}" text-anchor="end">{escape(_short(label, 44))}</text>'
            f'<rect x="{label_width}" y="{y + 2}" width="{max(end - label_width, 0.5):.1f}" '
            f'height="{row_h - 4}" fill="{colour}"/>'
            f'<text x="{values_x:.1f}" y="{y + 11}">{_vn(value)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def svg_grouped_bars(
    labels: list[str], series: list[tuple[str, list[Decimal | None], str]], *, high: float = 100
) -> SafeString:
    """Vertical grouped bars (percent), with a legend: the unit beside the group average."""
    height, top, bottom, left = 230, 24, 40, 34
    area_h = height - top - bottom
    slot = (WIDTH - left - 10) / max(len(labels), 1)
    bar_w = min(22, (slot - 8) / max(len(series), 1))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="9">'
    ]
    for tick in range(0, int(high) + 1, 20):
        ty = top + area_h - tick / high * area_h
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{WIDTH - 10}" y2="{ty:.1f}" stroke="#e5e7eb" '
            f'stroke-width="0.6"/><text x="{left - 3}" y="{ty + 3:.1f}" text-anchor="end" '
            f'fill="#6b7280">{tick}%</text>'
        )
    for s, (name, values, colour) in enumerate(series):
        lx = left + s * 200
        parts.append(
            f'<rect x="{lx}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="13">{escape(_short(name, 30))}</text>'
        )
        for i, value in enumerate(values):
            if value is None:
                continue
            h = float(value) / high * area_h
            bx = left + i * slot + 4 + s * bar_w
            parts.append(
                f'<rect x="{bx:.1f}" y="{top + area_h - h:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{h:.1f}" fill="{colour}"/>'
                f'<text x="{bx + bar_w / 2:.1f}" y="{top + area_h - h - 2:.1f}" '
                f'text-anchor="middle" font-size="7">{_vn(value, 1)}</text>'
            )
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - bottom + 12}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


def svg_pareto(rows: list[dict]) -> SafeString:
    """Lost points per criterion (bars) and the cumulative share (line, right axis)."""
    height, top, bottom, left, right = 240, 14, 34, 40, 40
    area_h = height - top - bottom
    high = float(max((r["lost"] for r in rows), default=1)) or 1.0
    slot = (WIDTH - left - right) / max(len(rows), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="8">'
    ]
    for tick in (0, 25, 50, 75, 100):
        ty = top + area_h - tick / 100 * area_h
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{WIDTH - right}" y2="{ty:.1f}" stroke="#e5e7eb" '
            f'stroke-width="0.6"/><text x="{WIDTH - right + 3}" y="{ty + 3:.1f}" '
            f'fill="#6b7280">{tick}%</text><text x="{left - 3}" y="{ty + 3:.1f}" '
            f'text-anchor="end" fill="#6b7280">{_vn(high * tick / 100, 0)}</text>'
        )
    points = []
    for i, r in enumerate(rows):
        h = float(r["lost"]) / high * area_h
        bx = left + i * slot + 2
        parts.append(
            f'<rect x="{bx:.1f}" y="{top + area_h - h:.1f}" width="{slot - 4:.1f}" '
            f'height="{h:.1f}" fill="#c2410c"/>'
            f'<text x="{bx + (slot - 4) / 2:.1f}" y="{height - bottom + 11}" '
            f'text-anchor="middle">{escape(r["code"])}</text>'
        )
        cy = top + area_h - float(r["cumulative"]) / 100 * area_h
        points.append(f"{bx + (slot - 4) / 2:.1f},{cy:.1f}")
    if points:
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="#1f2937" '
            f'stroke-width="1.2"/>'
        )
    caption = _("Cột: điểm bị mất (trục trái). Đường: tỷ trọng lũy kế (trục phải).")
    parts.append(f'<text x="{left}" y="{height - 4}" fill="#374151">{escape(caption)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text above is escaped


# --- the reports ---------------------------------------------------------------------------------


@dataclass
class Capped:
    head: list
    tail: list
    hidden: int


def cap(rows: list, limit: int) -> Capped:
    if len(rows) <= limit:
        return Capped(rows, [], 0)
    half = limit // 2
    return Capped(rows[:half], rows[-half:], len(rows) - 2 * half)


def _band_colour(rows) -> dict[str, str]:
    return charts.band_colour_map([r.band for r in rows])


def letterhead() -> dict[str, str]:
    """The province as the letterhead and the place line write it, from settings.PROVINCE_NAME
    ("Tỉnh Hải Dương": "UBND TỈNH HẢI DƯƠNG" and "Hải Dương, ngày …")."""
    province = settings.PROVINCE_NAME
    place = province
    for prefix in ("tỉnh ", "thành phố "):
        if place.lower().startswith(prefix):
            place = place[len(prefix) :]
            break
    return {"province": province, "province_upper": province.upper(), "place": place}


def _render(template: str, context: dict) -> bytes:
    from weasyprint import CSS, HTML

    html = render_to_string(template, context)
    css = render_to_string("reports/pdf/report.css")
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[CSS(string=css)]
    )


def period_report(request, f: dashboards.Filters) -> tuple[bytes, str]:
    user = request.user
    ranking = dashboards.ranking(user, f, everything=True)
    rows = ranking.rows
    summary = ranking.summary
    colours = _band_colour(rows)
    bars = cap(rows, PDF_BARS_CAP)
    bar_rows = bars.head + bars.tail
    ranking_svg = (
        svg_hbars(
            [
                (f"{r.rank or '—'}. {r.unit_name}", r.percent, colours.get(r.band, "#6b7280"))
                for r in bar_rows
            ],
            low=max(0, float(summary.worst or 0) // 10 * 10 - 10),
            high=100,
            marker=summary.average,
            marker_label=_("Trung bình khối %(avg)s%%") % {"avg": _vn(summary.average)},
        )
        if rows
        else ""
    )
    component_data = dashboards.heatmap(user, f, page=1) if rows else dashboards.Heatmap([], [], {})
    components = [
        (code, name, component_data.averages.get(code)) for code, name in component_data.components
    ]
    components_svg = (
        svg_grouped_bars(
            [code for code, _n, _a in components],
            [(_("Trung bình khối"), [a for _c, _n, a in components], "#2f6fb3")],
        )
        if components
        else ""
    )
    deductions = dashboards.deduction_analysis(user, f)
    pareto_rows = deductions.criteria[:15]
    comparison = dashboards.comparison(user, f)
    # No conclusion about a unit whose figures are not the appraisal's (still drafting,
    # submitted, or left out of the publication): only ranked units are named below.
    ranked = [r for r in rows if not r.apart]
    lowest = _lowest_bands(ranked)
    low_band = [r.unit_name for r in ranked if r.band in lowest]
    fell = [c for c in comparison.fell if c.state in RANKED_STATES]
    recommendations = computation.recommendations(
        summary=summary,
        components=components,
        criteria=deductions.criteria,
        reasons=deductions.reasons,
        fell=fell,
        low_band_units=low_band,
    )
    context = {
        "f": f,
        "letterhead": letterhead(),
        "today": timezone.localdate(),
        "summary": summary,
        "ranking": cap(rows, PDF_TABLE_CAP),
        "ranking_svg": ranking_svg,
        "bars_hidden": bars.hidden,
        "components": components,
        "components_svg": components_svg,
        "weakest": component_data.weakest,
        "weakest_all": computation.lowest_components(components),
        "deductions": deductions,
        "pareto_rows": deductions.criteria[:20],
        "pareto_svg": svg_pareto(pareto_rows) if pareto_rows else "",
        "comparison": comparison,
        "fell": fell,
        "recommendations": recommendations,
        "sipas": sipas_summary(f.period.year, rows) if f.period else None,
        # The improvement plan's open tasks of the period (targets app), overdue first.
        "open_tasks": open_tasks(user, f.period, unit_ids=[r.unit_id for r in rows])
        if f.period
        else [],
    }
    filename = f"bao-cao-phan-tich-{f.period.year if f.period else ''}-{f.group.code if f.group else ''}.pdf"
    return _render("reports/pdf/period.html", context), filename


def _lowest_bands(rows) -> set[str]:
    """The bands below the second-best one present (C and D when A-D are used)."""
    bands = sorted({r.band for r in rows if r.band})
    return set(bands[2:])


def unit_report(request, f: dashboards.Filters, unit: Unit) -> tuple[bytes, str]:
    user = request.user
    profile = dashboards.unit_profile(user, f, unit)
    current = profile.current
    context: dict = {
        "f": f,
        "letterhead": letterhead(),
        "today": timezone.localdate(),
        "profile": profile,
        "unit": unit,
    }
    if current is not None:
        f.group = profile.group
        climb = dashboards.climb(user, f, unit_id=unit.pk)
        context["climb"] = climb
        context["history_svg"] = svg_hbars(
            [
                (
                    f"{r.year} · {r.unit_name}",
                    r.percent,
                    "#2f6fb3" if r.unit_id == unit.pk else "#94a3b8",
                )
                for r in profile.history
            ],
            low=max(0, float(min(r.percent for r in profile.history)) // 10 * 10 - 10),
            label_width=220,
        )
        comps = profile.components
        context["components_svg"] = svg_grouped_bars(
            [c.code for c in comps],
            [
                (unit.name, [c.cell.percent if c.cell else None for c in comps], "#2f6fb3"),
                (_("Trung bình khối"), [c.average for c in comps], "#cbd5e1"),
            ],
        )
        weak = sorted((c for c in comps if c.gap is not None and c.gap < 0), key=lambda c: c.gap)
        context["recommendations"] = _unit_recommendations(weak, climb)
    filename = f"bao-cao-{unit.code}-{f.period.year if f.period else ''}.pdf"
    return _render("reports/pdf/unit.html", context), filename


def _unit_recommendations(
    weak: list[dashboards.ComponentVsGroup], climb: dashboards.ClimbAnalysis
) -> list[str]:
    out = []
    for c in weak[:3]:
        out.append(
            _(
                "Chỉ số thành phần %(code)s «%(name)s» thấp hơn trung bình khối %(gap)s điểm phần "
                "trăm: rà soát các tiêu chí bị trừ điểm của lĩnh vực này."
            )
            % {"code": c.code, "name": c.name, "gap": _vn(-c.gap)}
        )
    losses = climb.losses[:5]
    if losses:
        out.append(
            _("Ưu tiên khắc phục các tiêu chí: %(list)s.")
            % {"list": "; ".join(f"{x.code} (+{_vn(x.lost)})" for x in losses)}
        )
    for t in climb.targets[:1]:
        if t.points_needed is not None:
            out.append(
                _(
                    "Để vượt %(name)s cần thêm %(points)s điểm; khắc phục %(n)s tiêu chí "
                    "(%(codes)s) là đủ."
                )
                % {
                    "name": t.target.name,
                    "points": _vn(t.points_needed),
                    "n": len(t.plan),
                    "codes": ", ".join(x.code for x in t.plan),
                }
                if t.reachable_by_recovery
                else _("Để vượt %(name)s cần thêm %(points)s điểm.")
                % {"name": t.target.name, "points": _vn(t.points_needed)}
            )
    return out
