"""The survey overview (every unit ranked with its interval, per element, sample progress), a
unit's detail (elements and questions, weakest first) and the overview's table as XLSX/CSV."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.http import private_no_store
from core.permissions import Action, require
from core.roles import unit_id_of
from surveys.models import Survey
from units.models import Unit

from ... import exports
from .. import charts, pages


def _survey(code: str) -> Survey:
    return get_object_or_404(Survey, code=code)


@login_required
@require_GET
def survey_overview(request: HttpRequest) -> HttpResponse:
    """SIPAS (or a sociological survey) per unit, ranked, with intervals; per element; samples."""
    require(request.user, Action.VIEW_DASHBOARDS)
    code = request.GET.get("survey", "").strip()[:40]
    survey, surveys = pages.choose_survey(code)
    errors = []
    if code and (survey is None or survey.code != code):
        errors.append(
            _("Không có cuộc điều tra «%(code)s»; đang hiển thị cuộc điều tra gần nhất.")
            % {"code": code}
        )
    context = {
        "surveys": surveys,
        "survey": survey,
        "errors": errors,
        "data": None,
        "tab": "overview",
        "own_unit_id": unit_id_of(request.user),
    }
    if survey is not None:
        data = pages.overview(request.user, survey)
        series = []
        if data.province is not None:
            series.append((_("Toàn tỉnh"), data.province.elements))
        own = next((f for f in data.figures if f.unit.pk == unit_id_of(request.user)), None)
        if own is not None:
            series.insert(0, (own.unit.name, own.elements))
        context.update(
            data=data,
            small=pages.SMALL_SAMPLE,
            figures={
                "units": charts.units_ranked(data.figures, highlight=unit_id_of(request.user))
                if any(f.index is not None for f in data.figures)
                else None,
                "elements": charts.elements_bars(series) if series else None,
            },
        )
    return render(request, "surveys/overview.html", context)


@login_required
@require_GET
def survey_unit(request: HttpRequest, code: str, unit_id: int) -> HttpResponse:
    """A unit's elements and questions, weakest first, beside the province."""
    require(request.user, Action.VIEW_DASHBOARDS)
    survey = _survey(code)
    unit = get_object_or_404(Unit, pk=unit_id)
    if not pages.may_see_unit(request.user, survey, unit.pk):
        raise Http404  # the same answer as a unit that does not exist
    data = pages.unit_detail(request.user, survey, unit)
    series = []
    if data.figure is not None:
        series.append((unit.name, data.figure.elements))
    if data.province is not None:
        series.append((_("Toàn tỉnh"), data.province.elements))
    return render(
        request,
        "surveys/unit.html",
        {
            "survey": survey,
            "data": data,
            "tab": "overview",
            "small": pages.SMALL_SAMPLE,
            "figure": charts.elements_bars(series) if data.figure is not None else None,
        },
    )


def _inert(value):
    """Text a spreadsheet would run as a formula (=, +, -, @ first) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _round(value: float | None):
    return None if value is None else Decimal(str(round(value, 2)))


def overview_table(data: pages.Overview) -> exports.Table:
    survey = data.survey
    elements = data.elements
    headers = [
        _("Hạng"),
        _("Mã đơn vị"),
        _("Đơn vị"),
        _("Chỉ số hài lòng (%)"),
        _("Cận dưới 95% (%)"),
        _("Cận trên 95% (%)"),
        _("Số phiếu"),
        _("Số phiếu cần (cỡ mẫu)"),
        _("Còn thiếu"),
        *[f"{e.code}. {e.name} (%)" for e in elements],
    ]
    rows = []
    figures = list(data.figures)
    if data.province is not None:
        figures.append(data.province)
    for f in figures:
        rows.append(
            [
                f.rank,
                f.unit.code if f.unit else "",
                f.unit.name if f.unit else _("Toàn tỉnh"),
                _round(f.index),
                _round(f.low),
                _round(f.high),
                f.respondents,
                f.planned,
                f.missing if f.planned is not None else None,
                *[_round(e.share.score) for e in f.elements],
            ]
        )
    return exports.Table(
        title=_("Kết quả khảo sát"),
        subtitle=str(survey),
        filename=f"khao-sat-{survey.code}",
        headers=headers,
        rows=[[_inert(v) for v in row] for row in rows],
        widths=[7, 22, 44, 12, 12, 12, 10, 12, 10, *[14] * len(elements)],
    )


@private_no_store
@login_required
@require_GET
def survey_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The overview's table with the same visibility as the page."""
    require(request.user, Action.VIEW_DASHBOARDS)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    table = overview_table(pages.overview(request.user, _survey(code)))
    if fmt == "xlsx":
        body = exports.to_xlsx(table)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.to_csv(table)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{table.filename}.{fmt}"'
    return response
