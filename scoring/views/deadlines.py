"""Staff extend one unit's self-assessment deadline."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action, require

from ..services.deadlines import deadline_extend
from .common import error_text, sheet_assessment, sheet_url


@login_required
@require_POST
def extend(request: HttpRequest, assessment_id: int) -> HttpResponse:
    require(request.user, Action.APPRAISE)
    assessment = sheet_assessment(request, assessment_id)
    raw = request.POST.get("until", "").strip()
    until = None
    if raw:
        try:
            until = dt.datetime.strptime(raw, "%d/%m/%Y").date()
        except ValueError:
            messages.error(request, _("Ngày gia hạn không hợp lệ: nhập theo dạng dd/mm/yyyy."))
            return redirect(sheet_url(assessment))
    try:
        deadline_extend(assessment=assessment, user=request.user, until=until)
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        if until is None:
            messages.success(request, _("Đã bỏ gia hạn tự đánh giá của đơn vị."))
        else:
            messages.success(
                request,
                _("Đơn vị được tự đánh giá đến hết ngày %(date)s.")
                % {"date": date_format(until, "d/m/Y")},
            )
    return redirect(sheet_url(assessment))
