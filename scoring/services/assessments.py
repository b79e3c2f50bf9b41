"""Creating assessments and moving them along the workflow."""

from __future__ import annotations

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionNotAllowed
from core.permissions import Action, can
from core.roles import roles_of
from indicators.models import Framework
from units.models import Unit

from ..models import Assessment, Period, StateChange
from ..permissions import self_deadline, self_deadline_passed
from ..recompute import recompute_on_commit
from ..workflow import State, may_transition
from .sheet import ready_to_submit_errors


def assessment_check(
    *, period: Period, unit: Unit, framework: Framework | None = None
) -> Framework:
    """The framework a new assessment of `unit` in `period` uses, or a DomainError saying why there
    can be none: no framework of the year for the unit's kind, a framework of another year or kind,
    or a unit that does not exist that year."""
    if framework is None:
        framework = Framework.objects.filter(year=period.year, unit_kind=unit.kind).first()
        if framework is None:
            raise DomainError(
                _("Chưa có bộ chỉ số năm %(year)s cho loại đơn vị của %(unit)s.")
                % {"year": period.year, "unit": unit.name}
            )
    elif (framework.year, framework.unit_kind) != (period.year, unit.kind):
        raise DomainError(
            _("Bộ chỉ số “%(framework)s” không dùng cho %(unit)s trong năm %(year)s.")
            % {"framework": framework.name, "unit": unit.name, "year": period.year}
        )
    if not unit.exists_in(period.year):
        raise DomainError(
            _("Đơn vị %(unit)s không tồn tại trong năm %(year)s.")
            % {"unit": unit.name, "year": period.year}
        )
    return framework


def assessment_create(
    *, period: Period, unit: Unit, framework: Framework | None = None
) -> Assessment:
    framework = assessment_check(period=period, unit=unit, framework=framework)
    assessment = Assessment.objects.create(period=period, unit=unit, framework=framework)
    recompute_on_commit(period.id, [unit.id])
    return assessment


def unit_closed_by_deadline(user, assessment: Assessment) -> bool:
    """A unit head's own moves (finishing, reopening, submitting the self-assessment) close with
    the self-assessment deadline, as their edits do; staff still move it on the unit's behalf."""
    return (
        not can(user, Action.APPRAISE)
        and State(assessment.state) in (State.DRAFT, State.SELF_ASSESSED)
        and self_deadline_passed(assessment)
    )


def published_before(assessment: Assessment) -> bool:
    """Whether the assessment's period has been published: only then may one assessment (reopened
    and appraised again) be published on its own; a first publication is the period's."""
    return assessment.period.snapshots.exists()


@transaction.atomic
def assessment_transition(
    *, assessment: Assessment, to_state: State, user, reason: str = ""
) -> Assessment:
    """Move an assessment along the workflow; refused unless the (from, to) move is allowed for the
    user's roles (scoring.workflow.TRANSITIONS)."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    current = State(assessment.state)
    target = State(to_state)
    if not may_transition(current, target, roles_of(user)):
        raise TransitionNotAllowed(
            _("Không thể chuyển bản đánh giá từ “%(from)s” sang “%(to)s”.")
            % {"from": current.label, "to": target.label}
        )
    if target == State.PUBLISHED and not published_before(assessment):
        raise DomainError(
            _(
                "Kết quả của kỳ được công bố một lần cho mọi đơn vị, qua trang “Công bố kết quả "
                "của kỳ” (danh sách kiểm tra, rồi xác nhận phiên bản)."
            )
        )
    if unit_closed_by_deadline(user, assessment):
        raise DomainError(
            _(
                "Đã quá hạn tự đánh giá (%(date)s): đơn vị không chuyển được bản đánh giá nữa; "
                "cần cán bộ Sở Nội vụ gia hạn."
            )
            % {"date": date_format(self_deadline(assessment), "d/m/Y")}
        )
    if (current, target) == (State.SELF_ASSESSED, State.SUBMITTED):
        errors = ready_to_submit_errors(assessment)
        if errors:
            raise DomainError(errors)
    StateChange.objects.create(
        assessment=assessment, from_state=current, to_state=target, by=user, reason=reason
    )
    assessment.state = target
    assessment.save(update_fields=["state", "updated_at"])
    recompute_on_commit(assessment.period_id, [assessment.unit_id])
    return assessment
