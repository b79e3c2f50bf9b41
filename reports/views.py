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
from units.models import Unit

from . import charts, dashboards, exports
from .selectors.home import home_summary


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
    figure = charts.ranking_bars(
        data.page_rows,
        average=data.summary.average,
        highlight=unit_id_of(request.user),
        complete=can(request.user, Action.VIEW_ALL_UNITS),
    )
    return render(
        request,
        "reports/ranking.html",
        _base(
            request,
            f,
            "ranking",
            figure=figure,
            pager_query=f.query(sort=data.sort),
            **_fields(data),
        ),
    )


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
    return render(
        request,
        "reports/unit.html",
        _base(
            request,
            f,
            "unit",
            figures=figures,
            sheet_url=_sheet_url(data.assessment),
            unit_query=f.query(unit=unit.pk),
            **_fields(data),
        ),
    )


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
    return render(
        request,
        "reports/climb.html",
        _base(
            request,
            f,
            "climb",
            figure=figure,
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
        _base(request, f, "comparison", figure=figure, **_fields(data)),
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
        return exports.ranking_table(f, dashboards.ranking(user, f, everything=True))
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
