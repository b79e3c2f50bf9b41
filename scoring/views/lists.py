"""The list of assessments of a period and the gap report (self scores above the appraisal)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.params import positive_int
from core.permissions import Action, can, require
from units.models import RankingGroup

from ..models import Period
from ..permissions import (
    is_own_unit,
)
from ..selectors import lists as reads
from ..services.bulk import BULK_TARGETS, TARGET_LABELS
from ..workflow import State


def _period_from(request: HttpRequest) -> Period | None:
    year = positive_int(request.GET.get("period"), name="period")
    periods = Period.objects.order_by("-year")
    if year is not None:
        return periods.filter(year=year).first()
    return periods.first()


@login_required
@require_GET
def assessment_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_HOME)
    period = _period_from(request)
    group_id = request.GET.get("khoi")
    state = request.GET.get("trang_thai") or ""
    if state not in State.values:
        state = ""
    rows = reads.assessment_list(
        request.user,
        period=period,
        group_id=positive_int(group_id, name="khoi"),
        state=state,
    )
    if not can(request.user, Action.VIEW_ALL_UNITS):
        rows = [a for a in rows if is_own_unit(request.user, a)]
    return render(
        request,
        "scoring/assessment_list.html",
        {
            "period": period,
            "periods": Period.objects.order_by("-year"),
            "groups": RankingGroup.objects.all(),
            "states": State.choices,
            "selected_group": group_id or "",
            "selected_state": state,
            "assessments": rows,
            "may_import": can(request.user, Action.APPRAISE),
            "may_publish": can(request.user, Action.PUBLISH),
            "may_view_all": can(request.user, Action.VIEW_ALL_UNITS),
            "may_open_period": can(request.user, Action.OPEN_PERIOD),
            "may_bulk": can(request.user, Action.BULK_TRANSITION),
            "bulk_targets": [(s.value, TARGET_LABELS[s]) for s in BULK_TARGETS],
            "snapshots": (
                list(period.snapshots.select_related("created_by").order_by("-version"))
                if period and can(request.user, Action.VIEW_ALL_UNITS)
                else []
            ),
        },
    )


@login_required
@require_GET
def gap_report(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_ALL_UNITS)
    period = _period_from(request)
    report = reads.gap_report(request.user, period=period) if period else {}
    return render(
        request,
        "scoring/gap_report.html",
        {"period": period, "periods": Period.objects.order_by("-year"), **report},
    )
