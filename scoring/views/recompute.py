"""The recompute status fragment (polled with htmx while a recompute is pending) and the staff
button that asks for a recompute. Access through core.permissions only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.permissions import Action, can, require

from ..models import Period, RecomputeRun
from ..recompute import recompute_queue
from ..selectors.recompute_status import period_recompute_status

# How often the fragment asks again while a recompute is pending.
POLL_SECONDS = 2


def _render_status(request: HttpRequest, period: Period) -> HttpResponse:
    status = period_recompute_status(period)
    return render(
        request,
        "scoring/_recompute_status.html",
        {
            "status": status,
            "period": period,
            "poll_seconds": POLL_SECONDS,
            "may_recompute": can(request.user, Action.RECOMPUTE),
        },
    )


@login_required
@require_GET
def recompute_status(request: HttpRequest, year: int) -> HttpResponse:
    """When the period's results were last computed, and whether a recompute is pending."""
    require(request.user, Action.VIEW_DASHBOARDS)
    period = get_object_or_404(Period, year=year)
    response = _render_status(request, period)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def recompute_request_view(request: HttpRequest, year: int) -> HttpResponse:
    """Staff: queue a full recompute of the period now (joins one already waiting)."""
    require(request.user, Action.RECOMPUTE)
    period = get_object_or_404(Period, year=year)
    recompute_queue(
        period_id=period.pk, unit_ids=None, trigger=RecomputeRun.Trigger.MANUAL, user=request.user
    )
    if getattr(request, "htmx", False):
        return _render_status(request, period)
    messages.success(
        request, _("Đã yêu cầu tính lại kết quả %(period)s.") % {"period": period.name}
    )
    target = request.POST.get("next") or request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    return redirect(target)
