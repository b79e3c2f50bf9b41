"""A unit's survey index across the years, beside the province's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.permissions import Action, require
from core.roles import unit_id_of
from surveys.models import Survey
from units.models import Unit

from .. import charts, pages


@login_required
@require_GET
def survey_trend(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_DASHBOARDS)
    errors = []
    kind = request.GET.get("kind", Survey.Kind.SIPAS)
    if kind not in Survey.Kind.values:
        errors.append(_("Loại khảo sát không hợp lệ; đang hiển thị SIPAS."))
        kind = Survey.Kind.SIPAS
    raw = request.GET.get("unit", "").strip()
    unit = None
    if raw:
        unit = Unit.objects.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 10 else None
        if unit is None:
            errors.append(_("Không có đơn vị «%(value)s».") % {"value": raw[:20]})
    if unit is None and unit_id_of(request.user):
        unit = Unit.objects.filter(pk=unit_id_of(request.user)).first()
    data = pages.trend(request.user, kind=kind, unit=unit)
    shown = any(p.unit or p.province for p in data.points)
    return render(
        request,
        "surveys/trend.html",
        {
            "tab": "trend",
            "errors": errors,
            "kinds": Survey.Kind.choices,
            "kind": kind,
            "unit": unit,
            "units": pages.trend_units(request.user),
            "data": data,
            "figure": charts.trend_lines(data.points, unit.name if unit else None)
            if shown
            else None,
        },
    )
