"""Moving many assessments along the workflow at once.

`bulk_transition_plan` sorts the chosen assessments into those that will move and those refused,
with the reason: the workflow's rule for the user's roles (scoring.workflow), the submit check
(ready_to_submit_errors). `bulk_transition_apply` moves them in one transaction through
assessment_transition, one StateChange per move with its user, or moves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.roles import roles_of

from ..models import Assessment
from ..workflow import REASON_REQUIRED, TRANSITIONS, State, may_transition
from .assessments import assessment_transition
from .sheet import ready_to_submit_errors

# Publication and locking go through the publication page, which takes the period's snapshot.
BULK_TARGETS = (State.DRAFT, State.SELF_ASSESSED, State.SUBMITTED, State.APPRAISED)
TARGET_LABELS = {
    State.DRAFT: gettext_lazy("Đang soạn (mở lại để sửa tự đánh giá)"),
    State.SELF_ASSESSED: gettext_lazy("Đã tự đánh giá (hoàn thành, hoặc trả lại để giải trình)"),
    State.SUBMITTED: gettext_lazy("Đã gửi thẩm định (gửi, hoặc thẩm định lần 2)"),
    State.APPRAISED: gettext_lazy("Đã thẩm định (hoàn thành thẩm định)"),
}


@dataclass
class Refusal:
    assessment: Assessment
    reasons: list[str]


@dataclass
class BulkPlan:
    target: State
    reason: str = ""
    moves: list[Assessment] = field(default_factory=list)
    # Already in the target state: nothing to do, not an error.
    unchanged: list[Assessment] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [a.pk for a in self.moves]


def _refusal(assessment: Assessment, target: State, roles, reason: str) -> list[str]:
    current = State(assessment.state)
    if (current, target) not in TRANSITIONS:
        return [
            _("Quy trình không cho chuyển từ “%(from)s” sang “%(to)s”.")
            % {"from": current.label, "to": target.label}
        ]
    if not may_transition(current, target, roles):
        return [
            _("Vai trò của bạn không được chuyển từ “%(from)s” sang “%(to)s”.")
            % {"from": current.label, "to": target.label}
        ]
    if (current, target) in REASON_REQUIRED and not reason:
        return [_("Cần nêu lý do khi trả lại bản đánh giá.")]
    if (current, target) == (State.SELF_ASSESSED, State.SUBMITTED):
        return ready_to_submit_errors(assessment)
    return []


def bulk_transition_plan(
    *, assessments: Iterable[Assessment], to_state: str, user, reason: str = ""
) -> BulkPlan:
    """Which of `assessments` would move to `to_state` for `user`, and why the others would not.
    Writes nothing."""
    try:
        target = State(to_state)
    except ValueError:
        target = None
    if target not in BULK_TARGETS:
        return BulkPlan(
            target=State.DRAFT,
            errors=[
                _("Không chuyển hàng loạt sang “%(to)s”: chọn một trong %(all)s.")
                % {
                    "to": to_state,
                    "all": ", ".join(f"{s.value} ({s.label})" for s in BULK_TARGETS),
                }
            ],
        )
    plan = BulkPlan(target=target, reason=reason.strip())
    roles = roles_of(user)
    for a in assessments:
        if a.state == target:
            plan.unchanged.append(a)
            continue
        reasons = _refusal(a, target, roles, plan.reason)
        if reasons:
            plan.refused.append(Refusal(a, reasons))
        else:
            plan.moves.append(a)
    return plan


class BulkPlanChanged(DomainError):
    """Between the confirmation page and the confirmation, an assessment changed state."""


def bulk_transition_apply(
    *,
    assessment_ids: Iterable[int],
    to_state: str,
    user,
    reason: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> list[Assessment]:
    """Move every one of `assessment_ids` to `to_state`, all or nothing: refused (DomainError with
        every reason, nothing moved) if any of them may not move now; one already in the target state
    is left as it is. Each move is recorded in the
        state history with `user`."""
    ids = sorted(set(assessment_ids))
    if not ids:
        raise DomainError(_("Chưa chọn bản đánh giá nào."))
    with transaction.atomic():
        # Locked in id order: two bulk moves over overlapping sets wait rather than deadlock.
        locked = list(
            Assessment.objects.select_for_update()
            .filter(pk__in=ids)
            .select_related("unit", "period")
            .order_by("pk")
        )
        if len(locked) != len(ids):
            raise BulkPlanChanged(_("Một số bản đánh giá đã chọn không còn nữa."))
        plan = bulk_transition_plan(assessments=locked, to_state=to_state, user=user, reason=reason)
        if plan.errors:
            raise DomainError(plan.errors)
        if plan.refused:
            raise BulkPlanChanged(
                [f"{r.assessment.unit.name}: {' '.join(r.reasons)}" for r in plan.refused]
            )
        for done, a in enumerate(plan.moves, start=1):
            assessment_transition(assessment=a, to_state=plan.target, user=user, reason=plan.reason)
            if progress is not None:
                progress(done, len(plan.moves))
    return plan.moves
