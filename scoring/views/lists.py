"""The list of assessments of a period and the gap report (self scores above the appraisal)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.params import positive_int
from core.permissions import Action, can, require
from core.roles import unit_id_of
from units.models import RankingGroup

from ..models import Period
from ..selectors import lists as reads
from ..services.bulk import BULK_TARGETS, TARGET_LABELS
from ..workflow import State

LIST_PAGE_SIZE = 100


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
    listed = reads.assessments_listed(
        request.user,
        period=period,
        group_id=positive_int(group_id, name="khoi"),
        state=state,
    )
    if not can(request.user, Action.VIEW_ALL_UNITS):
        listed = listed.filter(unit_id=unit_id_of(request.user))
    # A page at a time: a national list (10,000 units) rendered whole took over ten seconds.
    page = Paginator(listed, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = reads.with_list_figures(list(page.object_list), period=period)
    filters = {"period": period.year if period else "", "khoi": group_id or "", "trang_thai": state}
    pager_query = urlencode({k: v for k, v in filters.items() if v})
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
            "page": page.number,
            "pages": page.paginator.num_pages,
            "total": page.paginator.count,
            "pager_query": pager_query,
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
