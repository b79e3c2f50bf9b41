"""What the scoring pages share: the assessment and criterion a URL names (with the sheet's
access rule), the URLs back to them, and the POST actions' common path."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse

from core.errors import DomainError
from core.permissions import Action, can
from indicators.models import Criterion

from ..models import Assessment, Deduction
from ..permissions import (
    get_assessment_for_user,
    is_own_unit,
)
from ..selectors.sheet import with_round


def sheet_assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    """The assessment if the user may open its sheet: staff, leadership and admins any; a unit head
    only their own unit's (other units' published figures are on the results pages, not here).
    Anything else answers 404, like a missing one."""
    assessment = get_assessment_for_user(
        request.user,
        assessment_id,
        queryset=with_round(Assessment.objects.select_related("unit", "period", "framework")),
    )
    if not (can(request.user, Action.VIEW_ALL_UNITS) or is_own_unit(request.user, assessment)):
        raise Http404
    return assessment


def leaf_criterion(assessment: Assessment, criterion_id: int) -> Criterion:
    return get_object_or_404(
        Criterion, pk=criterion_id, framework_id=assessment.framework_id, is_leaf=True
    )


def sheet_url(assessment: Assessment, criterion: Criterion | None = None) -> str:
    if criterion is None:
        return reverse("scoring:sheet", args=[assessment.pk])
    return reverse("scoring:criterion", args=[assessment.pk, criterion.pk])


def error_text(exc: DomainError) -> str:
    return " ".join(exc.messages)


def form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def submit(request: HttpRequest, form, action, success) -> None:
    """The POST actions' common path: validate the form, run one service with its cleaned data,
    and tell the user how it went (`success` is a message, or makes one from the service's result).
    A refusal of the domain becomes an error message; nothing else is caught."""
    if not form.is_valid():
        form_errors(request, form)
        return
    try:
        result = action(form.cleaned_data)
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success(result) if callable(success) else success)


def deduction_of(assessment: Assessment, deduction_id: int) -> Deduction:
    return get_object_or_404(
        Deduction.objects.select_related("score__criterion", "score__assessment"),
        pk=deduction_id,
        score__assessment=assessment,
    )
