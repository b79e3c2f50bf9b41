"""Explanations: the unit answers a deduction, staff decide."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms import (
    DecisionForm,
    ExplanationForm,
)
from ..models import Explanation
from ..services.explanations import (
    explanation_decide,
    explanation_submit,
)
from .common import (
    deduction_of,
    sheet_assessment,
    sheet_url,
    submit,
)


@login_required
@require_POST
def explanation_create(request: HttpRequest, assessment_id: int, deduction_id: int) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    deduction = deduction_of(assessment, deduction_id)
    submit(
        request,
        ExplanationForm(request.POST),
        lambda data: explanation_submit(deduction=deduction, user=request.user, text=data["text"]),
        _("Đã gửi giải trình."),
    )
    return redirect(sheet_url(assessment, deduction.score.criterion))


@login_required
@require_POST
def explanation_decision(
    request: HttpRequest, assessment_id: int, explanation_id: int
) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    explanation = get_object_or_404(
        Explanation.objects.select_related("deduction__score__criterion"),
        pk=explanation_id,
        deduction__score__assessment=assessment,
    )
    submit(
        request,
        DecisionForm(request.POST),
        lambda data: explanation_decide(
            explanation=explanation,
            user=request.user,
            accept=data["accept"],
            note=data["note"],
            withdraw=data["withdraw"],
        ),
        _("Đã ghi kết quả xem xét giải trình."),
    )
    return redirect(sheet_url(assessment, explanation.deduction.score.criterion))
