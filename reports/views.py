from dataclasses import fields

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from core.http import private_no_store
from core.params import positive_int
from core.permissions import Action, can, require
from core.roles import primary_role, unit_id_of
from scoring.workflow import State
from targets.charts import add_target_line
from targets.computation import points_needed
from targets.selectors.plans import unit_tasks
from targets.selectors.targets import percent_targets, percent_targets_by_year, unit_targets
from units.models import Unit

from . import charts, dashboards, exports
from .selectors.home import home_summary
from .selectors.sipas import sipas_history, sipas_of, sipas_survey_code


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's starting point: where to go next, in Vietnamese."""
    require(request.user, Action.VIEW_HOME)
    summary = home_summary(request.user)
    state_labels = dict(State.choices)
    for row in summary.state_counts:
        row["label"] = state_labels.get(row["state"], row["state"])
    return render(
        request, "reports/home.html", {"role": primary_role(request.user), **_fields(summary)}
    )


DRILL_CAP = 200


def _page(request: HttpRequest) -> int:
    return positive_int(request.GET.get("page"), name="page") or 1


def _fields(data) -> dict:
    """A dashboard's dataclass as template variables (its fields, not copied)."""
    return {field.name: getattr(data, field.name) for field in fields(data)}


def _base(request: HttpRequest, f: dashboards.Filters, tab: str, **extra) -> dict:
    return {"f": f, "tab": tab, "own_unit_id": unit_id_of(request.user), **extra}


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    """Ranked PAR percent of a group in a period, with band, rank change and publication state."""
    require(request.user, Action.VIEW_DASHBOARDS)
    f = dashboards.parse_filters(request.user, request.GET)
    data = dashboards.ranking(
        request.user, f, sort=request.GET.get("sort", "rank"), page=_page(request)
    )
    # Percent targets (targets app): the province's as a line, and who is below their own target
    # (or the province's when the unit has none).
    goals = percent_targets(f.period) if f.period else {}
    below = [
        r
        for r in data.page_rows
        if goals.get(r.unit_id, goals.get(None)) is not None
        and r.percent < goals.get(r.unit_id, goals.get(None))
    ]
    figure = charts.ranking_bars(
        data.page_rows,
        average=data.summary.average,
        highlight=unit_id_of(request.user),
        complete=can(request.user, Action.VIEW_ALL_UNITS),
        target=goals.get(None),
    )
    return render(
        request,
        "reports/ranking.html",
        _base(
            request,
            f,
            "ranking",
            figure=figure,
            province_target=goals.get(None),
            below_target=below,
            pager_query=f.query(sort=data.sort),
            ranked=_with_sipas(f, data.page_rows),
            **_fields(data),
        ),
    )


def _sipas_pairs(f: dashboards.Filters, rows):
    return ((r.unit_id, s) for r, s in _with_sipas(f, rows))


def _with_sipas(f: dashboards.Filters, rows) -> list[tuple]:
    """Each shown row with its unit's SIPAS of the period's year (None: no survey result)."""
    if f.period is None:
        return [(r, None) for r in rows]
    sipas = sipas_of(f.period.year, [r.unit_id for r in rows])
    return [(r, sipas.get(r.unit_id)) for r in rows]


@login_required
def heatmap(request: HttpRequest) -> HttpResponse:
    """Units × the eight components, percent of the maximum: weak components stand out."""
    require(request.user, Action.VIEW_DASHBOARDS)
    f = dashboards.parse_filters(request.user, request.GET)
    data = dashboards.heatmap(request.user, f, page=_page(request))
    figure = charts.component_heatmap(
        [
            (u.row.unit_name, {c: (cell.percent if cell else None) for c, cell in u.cells.items()})
            for u in data.units
        ],
        data.components,
    )
    return render(
        request,
        "reports/heatmap.html",
        _base(request, f, "heatmap", figure=figure, **_fields(data)),
    )


def _sheet_url(assessment) -> str | None:
    # The scoring sheet shows evidence and history; its own view checks access again.
    if assessment is None:
        return None
    try:
        return reverse("scoring:sheet", args=[assessment.pk])
    except NoReverseMatch:
        return None


def _link_criteria(assessment, lines) -> None:
    """Each criterion line links to its page on the scoring sheet (evidence, history)."""
    if assessment is None:
        return
    for line in lines:
        try:
            line.detail_url = reverse("scoring:criterion", args=[assessment.pk, line.criterion_id])
        except NoReverseMatch:
            line.detail_url = None


@login_required
def unit_profile(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A unit's total and rank over the years, its components against the group, every deduction."""
    require(request.user, Action.VIEW_DASHBOARDS)
    f = dashboards.parse_filters(request.user, request.GET, need_group=False)
    unit = get_object_or_404(Unit, pk=unit_id)
    data = dashboards.unit_profile(request.user, f, unit)
    _link_criteria(data.assessment, data.lines)
    figures = {
        "history": charts.history_lines(data.series) if data.series else None,
        "components": charts.components_vs_average(
            [
                (c.code, c.name, c.cell.percent if c.cell else None, c.average)
                for c in data.components
            ],
            unit.name,
        )
        if data.components
        else None,
    }
    # Targets and the improvement plan (targets app): the trend with its targets, the tasks that
    # fix this period's deductions (next period's plan) beside them.
    goals = unit_targets(request.user, f.period, unit.pk) if f.period else []
    if figures["history"]:
        add_target_line(figures["history"], percent_targets_by_year(unit.pk))
    tasks = []
    if f.period is not None:
        tasks = unit_tasks(request.user, unit.pk, years=(f.period.year, f.period.year + 1))
        fixing = {t.criterion.code: t for t in tasks if t.period.year == f.period.year + 1}
        for line in data.lines:
            line.task = fixing.get(line.code)
    return render(
        request,
        "reports/unit.html",
        _base(
            request,
            f,
            "unit",
            figures=figures,
            goals=goals,
            tasks=tasks,
            sheet_url=_sheet_url(data.assessment),
            unit_query=f.query(unit=unit.pk),
            history_sipas=_history_sipas(data.history),
            sipas=sipas_of(f.period.year, [unit.pk]).get(unit.pk) if f.period else None,
            sipas_code=sipas_survey_code(f.period.year) if f.period else None,
            **_fields(data),
        ),
    )


def _compared(f: dashboards.Filters, data) -> list[tuple]:
    """Each compared row with its unit's SIPAS of the previous year and of this one."""
    if f.period is None:
        return [(r, None, None) for r in data.page_rows]
    ids = [r.unit_id for r in data.page_rows]
    before, now = sipas_of(f.period.year - 1, ids), sipas_of(f.period.year, ids)
    return [(r, before.get(r.unit_id), now.get(r.unit_id)) for r in data.page_rows]


def _history_sipas(history) -> list[tuple]:
    """The profile's rows across the years, each with its SIPAS of that year."""
    sipas = sipas_history(list({r.unit_id for r in history}))
    return [(r, sipas.get((r.year, r.unit_id))) for r in history]


@login_required
def deductions(request: HttpRequest) -> HttpResponse:
    """Which criteria lost the most points (Pareto), by component and group, down to the units."""
    require(request.user, Action.VIEW_DASHBOARDS)
    f = dashboards.parse_filters(request.user, request.GET)
    criterion = request.GET.get("criterion", "").strip()[:20] or None
    # Thousands of communes can lose points on one criterion: the page shows the units that lost
    # the most (one more is read to know there are others); the export has them all.
    data = dashboards.deduction_analysis(
        request.user, f, criterion=criterion, drill_limit=DRILL_CAP
    )
    figure = charts.pareto_chart(data.criteria) if data.criteria else None
    if data.drill and len(data.drill.units) > DRILL_CAP:
        data.drill.more = True
        data.drill.units = data.drill.units[:DRILL_CAP]
    return render(
        request,
        "reports/deductions.html",
        _base(
            request,
            f,
            "deductions",
            figure=figure,
            criterion=criterion,
            all_components=data.components,
            export_query=f.query(criterion=criterion),
            **_fields(data),
        ),
    )


@login_required
def climb(request: HttpRequest) -> HttpResponse:
    """For a unit: the points to pass the next 1, 2, 3 units above and the cheapest recoveries."""
    require(request.user, Action.VIEW_DASHBOARDS)
    f = dashboards.parse_filters(request.user, request.GET)
    unit_id = dashboards.parse_int(request.GET, "unit", f.errors, _("đơn vị"))
    if unit_id is None:
        unit_id = unit_id_of(request.user)
    data = dashboards.climb(request.user, f, unit_id=unit_id)
    if unit_id and data.row is None and request.GET.get("unit"):
        f.errors.append(_("Không có kết quả của đơn vị này trong khối và kỳ đã chọn."))
    figure = charts.climb_chart(data.unit, data.targets) if data.unit else None
    # The unit's own targets (targets app) and the points still needed to reach each.
    goals = (
        [
            (s, points_needed(metric=s.target.metric, gap=s.gap, max_points=data.row.max_points))
            for s in unit_targets(request.user, f.period, data.row.unit_id)
        ]
        if data.row is not None and f.period is not None
        else []
    )
    return render(
        request,
        "reports/climb.html",
        _base(
            request,
            f,
            "climb",
            figure=figure,
            goals=goals,
            unit_id=unit_id,
            export_query=f.query(unit=unit_id),
            **_fields(data),
        ),
    )


@login_required
def comparison(request: HttpRequest) -> HttpResponse:
    """This period against the last for every unit of the group: who rose and who fell."""
    require(request.user, Action.VIEW_DASHBOARDS)
    f = dashboards.parse_filters(request.user, request.GET)
    data = dashboards.comparison(request.user, f, page=_page(request))
    figure = charts.comparison_bars(data.chart_rows) if data.chart_rows else None
    return render(
        request,
        "reports/comparison.html",
        _base(
            request, f, "comparison", figure=figure, compared=_compared(f, data), **_fields(data)
        ),
    )


# --- exports -------------------------------------------------------------------------------------


def _export_table(request: HttpRequest, table: str) -> exports.Table:
    user = request.user
    if table == "unit":
        f = dashboards.parse_filters(user, request.GET, need_group=False)
        unit_id = dashboards.parse_int(request.GET, "unit", f.errors, _("đơn vị"))
        unit = get_object_or_404(Unit, pk=unit_id) if unit_id else None
        if unit is None:
            raise Http404
        return exports.unit_table(f, dashboards.unit_profile(user, f, unit))
    f = dashboards.parse_filters(user, request.GET)
    if table == "ranking":
        data = dashboards.ranking(user, f, everything=True)
        return exports.ranking_table(f, data, sipas=dict(_sipas_pairs(f, data.rows)))
    if table == "heatmap":
        return exports.heatmap_table(f, dashboards.heatmap(user, f, everything=True))
    if table == "deductions":
        criterion = request.GET.get("criterion", "").strip()[:20] or None
        return exports.deductions_table(
            f, dashboards.deduction_analysis(user, f, criterion=criterion)
        )
    if table == "comparison":
        return exports.comparison_table(f, dashboards.comparison(user, f, everything=True))
    if table == "climb":
        unit_id = dashboards.parse_int(request.GET, "unit", f.errors, _("đơn vị"))
        return exports.climb_table(
            f, dashboards.climb(user, f, unit_id=unit_id or unit_id_of(user))
        )
    raise Http404


@private_no_store
@login_required
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """Any dashboard table as XLSX or CSV, with the same filters as the page."""
    require(request.user, Action.VIEW_DASHBOARDS)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    data = _export_table(request, table)
    if fmt == "xlsx":
        body = exports.to_xlsx(data)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.to_csv(data)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{data.filename}.{fmt}"'
    return response


@private_no_store
@login_required
def period_pdf(request: HttpRequest) -> HttpResponse:
    """The analysis report of a period and group, as a printable PDF."""
    require(request.user, Action.VIEW_DASHBOARDS)
    from . import pdf

    f = dashboards.parse_filters(request.user, request.GET)
    body, filename = pdf.period_report(request, f)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@private_no_store
@login_required
def unit_pdf(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The analysis report of one unit in a period, as a printable PDF."""
    require(request.user, Action.VIEW_DASHBOARDS)
    from . import pdf

    f = dashboards.parse_filters(request.user, request.GET, need_group=False)
    unit = get_object_or_404(Unit, pk=unit_id)
    body, filename = pdf.unit_report(request, f, unit)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
