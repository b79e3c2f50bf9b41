"""Bonus and penalty points (điểm thưởng, điểm trừ) of an assessment, entered by staff in the admin.

Like every other figure of an assessment, they are frozen once it is published or locked: a change
then goes through a reopen request, never around it. Every write queues the recompute of the
assessments it touched, so that no result is left stale.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import DomainError

from ..models import Adjustment, Assessment
from ..recompute import recompute_on_commit
from ..workflow import FROZEN, State


def adjustment_problem(assessment: Assessment) -> str:
    """Why the assessment's bonus and penalty points cannot change now ("" when they can)."""
    if State(assessment.state) in FROZEN:
        return _(
            "Bản đánh giá của %(unit)s ở trạng thái “%(state)s”: không thể thêm, sửa hay xóa "
            "điểm thưởng, điểm trừ. Hãy đề nghị mở lại bản đánh giá trước."
        ) % {"unit": assessment.unit.name, "state": State(assessment.state).label}
    return ""


def _require_open(assessment_id: int) -> Assessment:
    assessment = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("unit")
        .get(pk=assessment_id)
    )
    problem = adjustment_problem(assessment)
    if problem:
        raise DomainError(problem)
    return assessment


@transaction.atomic
def adjustment_save(*, adjustment: Adjustment) -> Adjustment:
    """Add or change a bonus or penalty; refused when its assessment (or, for a change, the one it
    belonged to) is published or locked."""
    touched = []
    if adjustment.pk is not None:
        before = Adjustment.objects.filter(pk=adjustment.pk).values_list("assessment_id", flat=True)
        touched.extend(_require_open(a) for a in before)
    touched.append(_require_open(adjustment.assessment_id))
    adjustment.save()
    for assessment in touched:
        recompute_on_commit(assessment.period_id, [assessment.unit_id])
    return adjustment


@transaction.atomic
def adjustments_delete(*, adjustments: QuerySet[Adjustment]) -> int:
    """Delete bonuses or penalties; refused whole if any belongs to a published or locked
    assessment."""
    ids = list(adjustments.values_list("pk", flat=True))
    touched = [
        _require_open(a)
        for a in sorted(
            set(Adjustment.objects.filter(pk__in=ids).values_list("assessment_id", flat=True))
        )
    ]
    deleted = 0
    for adjustment in Adjustment.objects.filter(pk__in=ids):
        adjustment.delete()  # one by one: each leaves its history record
        deleted += 1
    for assessment in touched:
        recompute_on_commit(assessment.period_id, [assessment.unit_id])
    return deleted
