"""One criterion's page: its score, deductions, explanations, evidence and history."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.permissions import Action, can

from ..forms import (
    DecisionForm,
    DeductionForm,
    EvidenceForm,
    ExplanationForm,
)
from ..permissions import (
    may_answer_deductions,
    may_appraise,
)
from ..selectors.history import criterion_history
from ..services.evidence import (
    EVIDENCE_TYPES,
    may_attach,
)
from .common import (
    leaf_criterion,
    sheet_assessment,
)


@login_required
@require_GET
def criterion_detail(request: HttpRequest, assessment_id: int, criterion_id: int) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    criterion = leaf_criterion(assessment, criterion_id)
    score = assessment.scores.filter(criterion=criterion).first()
    deductions = (
        list(
            score.deductions.select_related(
                "reason", "created_by", "withdrawn_by"
            ).prefetch_related("explanations__author", "explanations__decided_by")
        )
        if score
        else []
    )
    evidence = list(score.evidence.select_related("uploaded_by")) if score else []
    return render(
        request,
        "scoring/criterion.html",
        {
            "assessment": assessment,
            "criterion": criterion,
            "score": score,
            "deductions": deductions,
            "evidence": evidence,
            "history": criterion_history(assessment, criterion),
            "may_appraise": may_appraise(request.user, assessment),
            "may_answer": may_answer_deductions(request.user, assessment),
            "may_decide": can(request.user, Action.APPRAISE),
            "may_attach": may_attach(request.user, assessment),
            "deduction_form": DeductionForm(),
            "explanation_form": ExplanationForm(),
            "decision_form": DecisionForm(),
            "evidence_form": EvidenceForm(),
            "max_mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
            "accept": ",".join(f".{e}" for e in EVIDENCE_TYPES),
        },
    )
