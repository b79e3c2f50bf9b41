"""A period's round progress: states per group, who is late, and what is each person's to do."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core.permissions import Action, can, require
from core.roles import unit_id_of

from ..models import Assessment, Period
from ..selectors.progress import round_progress
from ..services.deadlines import deadlines_of


@login_required
@require_GET
def progress(request: HttpRequest, year: int) -> HttpResponse:
    """Staff and leadership see every group; a unit head only their own unit's queue."""
    require(request.user, Action.VIEW_HOME)
    period = get_object_or_404(Period, year=year)
    found = round_progress(request.user, period)
    own = None
    if not found.sees_all:
        own = (
            Assessment.objects.filter(period=period, unit_id=unit_id_of(request.user))
            .select_related("period")
            .first()
        )
    return render(
        request,
        "scoring/progress.html",
        {
            "period": period,
            "progress": found,
            "deadlines": deadlines_of(period, assessment=own),
            "may_publish": can(request.user, Action.PUBLISH) and not period.snapshots.exists(),
        },
    )
