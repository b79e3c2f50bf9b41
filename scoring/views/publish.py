"""Publishing a period's results (a frozen snapshot) and correcting them (a new dated version)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action, require

from ..models import Period
from ..snapshots import period_publish, snapshot_correct


def _back(period: Period) -> HttpResponse:
    return redirect(f"{reverse('scoring:assessment_list')}?period={period.year}")


@login_required
@require_POST
def publish(request: HttpRequest, year: int) -> HttpResponse:
    require(request.user, Action.PUBLISH)
    period = get_object_or_404(Period, year=year)
    try:
        snapshot = period_publish(period=period, user=request.user)
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Đã công bố kết quả %(period)s (phiên bản %(version)s).")
            % {"period": period.name, "version": snapshot.version},
        )
    return _back(period)


@login_required
@require_POST
def correct(request: HttpRequest, year: int) -> HttpResponse:
    require(request.user, Action.PUBLISH)
    period = get_object_or_404(Period, year=year)
    try:
        snapshot = snapshot_correct(
            period=period, user=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Đã lập bản đính chính phiên bản %(version)s cho %(period)s.")
            % {"period": period.name, "version": snapshot.version},
        )
    return _back(period)
