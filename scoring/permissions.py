"""Who may see and change which assessment. Every view, export, API endpoint and file download that
touches assessments, scores, deductions, evidence or results fetches them through these helpers.

A unit head reads their own unit's assessments in every state, and other units' only once published
(and then only the published figures). Staff, leadership and admins read everything. Something that
exists but is not visible answers exactly like something that does not exist (404), so IDs in URLs
cannot be used to probe other units' data.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.permissions import Action, can
from core.roles import Role, roles_of, unit_id_of

from .models import Assessment, AssessmentResult
from .workflow import APPRAISAL_EDITABLE, FROZEN, SELF_EDITABLE, State

PUBLISHED_STATES = tuple(FROZEN)


def assessments_visible_to(user, queryset: QuerySet[Assessment] | None = None) -> QuerySet:
    qs = Assessment.objects.all() if queryset is None else queryset
    if can(user, Action.VIEW_ALL_UNITS):
        return qs
    if Role.UNIT_HEAD in roles_of(user):
        return qs.filter(Q(unit_id=unit_id_of(user)) | Q(state__in=PUBLISHED_STATES))
    return qs.none()


def results_visible_to(user, queryset: QuerySet[AssessmentResult] | None = None) -> QuerySet:
    """Stored results a user may read: unpublished figures of other units are filtered out."""
    qs = AssessmentResult.objects.all() if queryset is None else queryset
    if can(user, Action.VIEW_ALL_UNITS):
        return qs
    if Role.UNIT_HEAD in roles_of(user):
        return qs.filter(
            Q(assessment__unit_id=unit_id_of(user)) | Q(assessment__state__in=PUBLISHED_STATES)
        )
    return qs.none()


def get_assessment_for_user(user, assessment_id: int, *, queryset=None) -> Assessment:
    """The assessment if the user may see it; 404 otherwise (the same as a missing one)."""
    try:
        return assessments_visible_to(user, queryset).get(pk=assessment_id)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_own_unit(user, assessment: Assessment) -> bool:
    return unit_id_of(user) == assessment.unit_id


def self_deadline(assessment: Assessment) -> dt.date | None:
    """The last day the unit may self-assess: the period's deadline, or the unit's extension when
    staff granted a later one. None: no deadline."""
    deadline = assessment.period.self_assessment_deadline
    extension = assessment.self_deadline_extended_to
    if deadline is not None and extension is not None and extension > deadline:
        return extension
    return deadline


def self_deadline_passed(assessment: Assessment, *, today: dt.date | None = None) -> bool:
    deadline = self_deadline(assessment)
    return deadline is not None and (today or timezone.localdate()) > deadline


def may_self_assess(user, assessment: Assessment) -> bool:
    """The unit's head (or staff on its behalf) while the self-assessment is open: for the unit
    head, until the self-assessment deadline (or the unit's extension) has passed."""
    if State(assessment.state) not in SELF_EDITABLE:
        return False
    if can(user, Action.APPRAISE):
        return True
    return (
        can(user, Action.SELF_ASSESS)
        and is_own_unit(user, assessment)
        and not self_deadline_passed(assessment)
    )


def may_appraise(user, assessment: Assessment) -> bool:
    return can(user, Action.APPRAISE) and State(assessment.state) in APPRAISAL_EDITABLE


def may_answer_deductions(user, assessment: Assessment) -> bool:
    """A unit head answers (giải trình) their own unit's deductions until results are published."""
    return (
        can(user, Action.ANSWER_DEDUCTION)
        and is_own_unit(user, assessment)
        and State(assessment.state) not in FROZEN
    )
