"""Reopen requests for a published or locked assessment, and their decision."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms import (
    ReopenDecisionForm,
    ReopenRequestForm,
)
from ..models import ReopenRequest
from ..services.reopen import (
    reopen_decide,
    reopen_request,
)
from .common import (
    sheet_assessment,
    sheet_url,
    submit,
)


@login_required
@require_POST
def reopen_create(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    submit(
        request,
        ReopenRequestForm(request.POST),
        lambda data: reopen_request(
            assessment=assessment, user=request.user, reason=data["reason"]
        ),
        _("Đã gửi đề nghị mở lại; người khác sẽ quyết định."),
    )
    return redirect(sheet_url(assessment))


@login_required
@require_POST
def reopen_decision(request: HttpRequest, assessment_id: int, request_id: int) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    reopen = get_object_or_404(ReopenRequest, pk=request_id, assessment=assessment)
    submit(
        request,
        ReopenDecisionForm(request.POST),
        lambda data: reopen_decide(
            request=reopen, user=request.user, grant=data["grant"], reason=data["reason"]
        ),
        _("Đã ghi quyết định."),
    )
    return redirect(sheet_url(assessment))
