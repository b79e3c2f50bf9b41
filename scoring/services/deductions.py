"""Deductions (điểm bị trừ): added, changed or removed by the appraiser; the criterion's points and
the results follow."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.numbers import fmt_number
from core.roles import Role, roles_of
from indicators.models import Criterion

from ..models import Assessment, CriterionScore, Deduction, DeductionReason
from ..permissions import may_appraise
from ..recompute import recompute_on_commit
from ..workflow import APPRAISAL_EDITABLE, State
from .scores import score_refresh_points


@transaction.atomic
def deduction_add(
    *,
    assessment: Assessment,
    criterion: Criterion,
    points: Decimal,
    user,
    reason: DeductionReason | None = None,
    note: str = "",
) -> Deduction:
    if not roles_of(user) & {Role.INTERIOR_STAFF, Role.ADMIN}:
        raise DomainError(_("Chỉ Sở Nội vụ được ghi điểm bị trừ."))
    if State(assessment.state) not in APPRAISAL_EDITABLE:
        raise DomainError(_("Chỉ ghi điểm bị trừ khi bản đánh giá đang thẩm định."))
    if points is None or points <= 0:
        raise DomainError(_("Điểm bị trừ phải lớn hơn 0."))
    if not reason and not note.strip():
        raise DomainError(_("Cần nêu lý do trừ điểm."))
    score, _created = CriterionScore.objects.select_for_update().get_or_create(
        assessment=assessment,
        criterion=criterion,
        defaults={"component_id": criterion.component_id, "max_points": criterion.max_points},
    )
    deduction = Deduction.objects.create(
        score=score, points=points, reason=reason, note=note, created_by=user
    )
    score_refresh_points(score=score)
    score.save()
    recompute_on_commit(assessment.period_id, [assessment.unit_id])
    return deduction


def require_appraiser(user, assessment: Assessment) -> None:
    if not may_appraise(user, assessment):
        raise DomainError(_("Chỉ Sở Nội vụ ghi, sửa điểm bị trừ khi bản đánh giá đang thẩm định."))


def require_active(deduction: Deduction) -> None:
    if deduction.withdrawn_at is not None:
        raise DomainError(
            _("Điểm bị trừ này đã được gỡ sau khi chấp nhận giải trình; không sửa hay xóa được.")
        )


def refresh_and_queue(score: CriterionScore) -> None:
    score_refresh_points(score=score)
    score.save(update_fields=["points", "updated_at"])
    recompute_on_commit(score.assessment.period_id, [score.assessment.unit_id])


@transaction.atomic
def deduction_edit(
    *,
    deduction: Deduction,
    user,
    points: Decimal,
    reason: DeductionReason | None = None,
    note: str = "",
) -> Deduction:
    """Change a deduction's points or reason; the criterion's points and results follow."""
    deduction = (
        Deduction.objects.select_for_update()
        .select_related("score__assessment", "score__criterion")
        .get(pk=deduction.pk)
    )
    require_appraiser(user, deduction.score.assessment)
    require_active(deduction)
    if points is None or points <= 0:
        raise DomainError(_("Điểm bị trừ phải lớn hơn 0."))
    if points > deduction.score.max_points:
        raise DomainError(
            _("Điểm bị trừ không được lớn hơn điểm tối đa của tiêu chí (%(max)s).")
            % {"max": fmt_number(deduction.score.max_points)}
        )
    if not reason and not (note or "").strip():
        raise DomainError(_("Cần nêu lý do trừ điểm."))
    deduction.points, deduction.reason, deduction.note = points, reason, (note or "").strip()
    deduction._history_user = user  # who changed it, also outside a request
    deduction.save()
    refresh_and_queue(deduction.score)
    return deduction


@transaction.atomic
def deduction_delete(*, deduction: Deduction, user) -> None:
    deduction = (
        Deduction.objects.select_for_update()
        .select_related("score__assessment", "score__criterion")
        .get(pk=deduction.pk)
    )
    require_appraiser(user, deduction.score.assessment)
    require_active(deduction)
    score = deduction.score
    deduction._history_user = user
    deduction.delete()
    refresh_and_queue(score)
