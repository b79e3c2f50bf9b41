"""Deductions: recorded, changed and removed from the criterion page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError

from ..forms import (
    DeductionForm,
)
from ..services.deductions import (
    deduction_add,
    deduction_delete,
    deduction_edit,
)
from .common import (
    deduction_of,
    error_text,
    leaf_criterion,
    sheet_assessment,
    sheet_url,
    submit,
)


@login_required
@require_POST
def deduction_create(request: HttpRequest, assessment_id: int, criterion_id: int) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    criterion = leaf_criterion(assessment, criterion_id)
    submit(
        request,
        DeductionForm(request.POST),
        lambda data: deduction_add(
            assessment=assessment,
            criterion=criterion,
            points=data["points"],
            reason=data["reason"],
            note=data["note"],
            user=request.user,
        ),
        _("Đã ghi điểm bị trừ."),
    )
    return redirect(sheet_url(assessment, criterion))


@login_required
@require_POST
def deduction_update(request: HttpRequest, assessment_id: int, deduction_id: int) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    deduction = deduction_of(assessment, deduction_id)
    submit(
        request,
        DeductionForm(request.POST),
        lambda data: deduction_edit(
            deduction=deduction,
            user=request.user,
            points=data["points"],
            reason=data["reason"],
            note=data["note"],
        ),
        _("Đã sửa điểm bị trừ."),
    )
    return redirect(sheet_url(assessment, deduction.score.criterion))


@login_required
@require_POST
def deduction_remove(request: HttpRequest, assessment_id: int, deduction_id: int) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    deduction = deduction_of(assessment, deduction_id)
    criterion = deduction.score.criterion
    try:
        deduction_delete(deduction=deduction, user=request.user)
        messages.success(request, _("Đã xóa điểm bị trừ."))
    except DomainError as exc:
        messages.error(request, error_text(exc))
    return redirect(sheet_url(assessment, criterion))
