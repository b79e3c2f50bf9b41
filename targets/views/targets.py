from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action, require
from scoring.models import Period

from ..forms import ProposeForm, TargetForm, TargetImportForm
from ..permissions import may_manage
from ..selectors.targets import target_statuses
from ..services.target_import import targets_import
from ..services.targets import target_set, targets_propose
from .common import chosen_period, error_text, form_errors, period_of

UPLOAD_MAX_BYTES = 5 * 1024 * 1024


@login_required
def target_list(request: HttpRequest) -> HttpResponse:
    """The period's targets and where each stands: met, at risk, missed, with the gap."""
    require(request.user, Action.VIEW_DASHBOARDS)
    period = chosen_period(request)
    statuses = target_statuses(request.user, period) if period else []
    manage = may_manage(request.user)
    return render(
        request,
        "targets/list.html",
        {
            "period": period,
            "periods": Period.objects.order_by("-year"),
            "statuses": statuses,
            "manage": manage,
            "form": TargetForm() if manage else None,
            "import_form": TargetImportForm() if manage else None,
            "propose_form": ProposeForm() if manage else None,
        },
    )


def _back(period: Period):
    return redirect(f"{reverse('targets:list')}?period={period.year}")


def _staff_period(request: HttpRequest, year: int) -> Period:
    if not may_manage(request.user):
        raise PermissionDenied
    return period_of(year)


@login_required
@require_POST
def target_save(request: HttpRequest, year: int) -> HttpResponse:
    """Staff set (or change) one target."""
    period = _staff_period(request, year)
    form = TargetForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return _back(period)
    data = form.cleaned_data
    try:
        target_set(
            period=period,
            unit=data["unit"],
            metric=data["metric"],
            component_code=data["component_code"].strip(),
            value=data["value"],
            note=data["note"],
            user=request.user,
        )
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Đã lưu mục tiêu."))
    return _back(period)


@login_required
@require_POST
def target_import(request: HttpRequest, year: int) -> HttpResponse:
    """Staff import targets from a file: all rows or none, each error at its row and column."""
    period = _staff_period(request, year)
    form = TargetImportForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors(request, form)
        return _back(period)
    upload = form.cleaned_data["file"]
    if upload.size > UPLOAD_MAX_BYTES:
        messages.error(request, _("Tệp mục tiêu quá lớn (tối đa 5 MB)."))
        return _back(period)
    result = targets_import(
        period=period, data=upload.read(), filename=upload.name, user=request.user
    )
    if result.errors:
        messages.error(request, _("Tệp có lỗi, chưa ghi mục tiêu nào:"))
        for problem in result.errors[:20]:
            messages.error(request, str(problem))
    else:
        messages.success(request, _("Đã nhập %(n)s mục tiêu.") % {"n": result.written})
    return _back(period)


@login_required
@require_POST
def target_propose(request: HttpRequest, year: int) -> HttpResponse:
    """Staff propose targets from last year's results (+ a step, capped), to edit afterwards."""
    period = _staff_period(request, year)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return _back(period)
    try:
        n = targets_propose(
            period=period,
            metric=form.cleaned_data["metric"],
            step=form.cleaned_data["step"],
            user=request.user,
        )
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Đã đề xuất %(n)s mục tiêu mới.") % {"n": n})
    return _back(period)
