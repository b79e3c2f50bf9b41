"""Writes to assessments, scores and deductions. Nothing else saves these models."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionNotAllowed
from core.roles import Role, roles_of
from indicators.computation import (
    ZERO,
    CriterionRule,
    criterion_points,
)
from indicators.models import Criterion, Framework
from units.models import Unit

from . import generation
from .models import (
    Assessment,
    CriterionScore,
    Deduction,
    DeductionReason,
    Period,
    StateChange,
)
from .workflow import APPRAISAL_EDITABLE, SELF_EDITABLE, State, may_transition


def _queue_recompute(period_id: int, unit_ids: Iterable[int] | None = None) -> None:
    """Ask for a recompute of the period once the current transaction commits.

    At most one callback per period and transaction: later calls add their units to the callback
    already registered (a rolled-back savepoint drops its callbacks, so the live list is the truth).
    Across transactions, scoring.recompute.recompute_request merges requests into the period's
    queued run. `unit_ids` limits the work to those units' assessments (and their groups' ranks).
    """
    from .recompute import merge_unit_ids, recompute_request

    conn = transaction.get_connection()
    for _sids, func, _robust in getattr(conn, "run_on_commit", []) if conn.in_atomic_block else []:
        if getattr(func, "recompute_period_id", None) == period_id:
            func.unit_ids = merge_unit_ids(func.unit_ids, unit_ids)
            return

    def callback() -> None:
        # The scores changed: cached aggregates over them go stale now, not at the recompute.
        generation.bump()
        recompute_request(period_id=period_id, unit_ids=callback.unit_ids)

    callback.recompute_period_id = period_id
    callback.unit_ids = None if unit_ids is None else sorted(set(unit_ids))
    transaction.on_commit(callback, robust=True)


def assessment_create(
    *, period: Period, unit: Unit, framework: Framework | None = None
) -> Assessment:
    if framework is None:
        framework = Framework.objects.filter(year=period.year, unit_kind=unit.kind).first()
        if framework is None:
            raise DomainError(
                _("Chưa có bộ chỉ số năm %(year)s cho loại đơn vị của %(unit)s.")
                % {"year": period.year, "unit": unit.name}
            )
    if not unit.exists_in(period.year):
        raise DomainError(
            _("Đơn vị %(unit)s không tồn tại trong năm %(year)s.")
            % {"unit": unit.name, "year": period.year}
        )
    return Assessment.objects.create(period=period, unit=unit, framework=framework)


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
    if (current, target) == (State.SELF_ASSESSED, State.SUBMITTED):
        from .sheet_services import ready_to_submit_errors  # the sheet's rule (issue 4)

        errors = ready_to_submit_errors(assessment)
        if errors:
            raise DomainError(errors)
    StateChange.objects.create(
        assessment=assessment, from_state=current, to_state=target, by=user, reason=reason
    )
    assessment.state = target
    assessment.save(update_fields=["state", "updated_at"])
    _queue_recompute(assessment.period_id, [assessment.unit_id])
    return assessment


def _rule(criterion: Criterion) -> CriterionRule:
    return CriterionRule(
        max_points=criterion.max_points, method=criterion.method, bands=tuple(criterion.bands)
    )


def _check_points(value: Decimal | None, criterion: Criterion, label: str) -> None:
    if value is None:
        return
    if value < 0 or value > criterion.max_points:
        raise DomainError(
            _("%(label)s của tiêu chí %(code)s phải từ 0 đến %(max)s (nhận được %(value)s).")
            % {"label": label, "code": criterion.code, "max": criterion.max_points, "value": value}
        )
    if criterion.step and (value / criterion.step) % 1:
        raise DomainError(
            _("%(label)s của tiêu chí %(code)s phải là bội số của %(step)s.")
            % {"label": label, "code": criterion.code, "step": criterion.step}
        )


def score_refresh_points(*, score: CriterionScore) -> CriterionScore:
    """Recompute a score's effective points from its values and deductions."""
    entered = next(
        (
            v
            for v in (score.final_points, score.appraised_points, score.self_points)
            if v is not None
        ),
        None,
    )
    deducted = score.deductions.active().aggregate(total=Sum("points"))["total"] or ZERO
    score.points = criterion_points(
        _rule(score.criterion), entered=entered, measured=score.measured_value, deducted=deducted
    )
    return score


_UNSET = object()


@transaction.atomic
def score_set(
    *,
    assessment: Assessment,
    criterion: Criterion,
    user,
    self_points=_UNSET,
    appraised_points=_UNSET,
    final_points=_UNSET,
    measured_value=_UNSET,
    not_applicable=_UNSET,
    comment=_UNSET,
    self_explanation=_UNSET,
) -> CriterionScore:
    """Set the values of one criterion score; validates bounds, the state and who may write what."""
    if criterion.framework_id != assessment.framework_id or not criterion.is_leaf:
        raise DomainError(
            _("Tiêu chí %(code)s không được chấm trong bản đánh giá này.")
            % {"code": criterion.code}
        )
    roles = roles_of(user)
    state = State(assessment.state)
    writes_self = self_points is not _UNSET or self_explanation is not _UNSET
    writes_appraisal = any(
        v is not _UNSET
        for v in (appraised_points, final_points, measured_value, not_applicable, comment)
    )
    if writes_self and not (
        state in SELF_EDITABLE and roles & {Role.UNIT_HEAD, Role.INTERIOR_STAFF, Role.ADMIN}
    ):
        raise DomainError(
            _("Không thể sửa điểm tự đánh giá ở trạng thái “%(state)s”.") % {"state": state.label}
        )
    if writes_appraisal and not (
        state in APPRAISAL_EDITABLE and roles & {Role.INTERIOR_STAFF, Role.ADMIN}
    ):
        raise DomainError(
            _("Không thể sửa điểm thẩm định ở trạng thái “%(state)s”.") % {"state": state.label}
        )
    if criterion.method == "survey" and self_points not in (_UNSET, None):
        raise DomainError(
            _("Tiêu chí %(code)s lấy điểm từ điều tra, đơn vị không tự chấm.")
            % {"code": criterion.code}
        )
    _check_points(None if self_points is _UNSET else self_points, criterion, _("Điểm tự đánh giá"))
    _check_points(
        None if appraised_points is _UNSET else appraised_points, criterion, _("Điểm thẩm định")
    )
    _check_points(None if final_points is _UNSET else final_points, criterion, _("Điểm thẩm định"))

    score, _created = CriterionScore.objects.select_for_update().get_or_create(
        assessment=assessment,
        criterion=criterion,
        defaults={"component_id": criterion.component_id, "max_points": criterion.max_points},
    )
    for field, value in (
        ("self_points", self_points),
        ("appraised_points", appraised_points),
        ("final_points", final_points),
        ("measured_value", measured_value),
        ("not_applicable", not_applicable),
        ("comment", comment),
        ("self_explanation", self_explanation),
    ):
        if value is not _UNSET:
            setattr(score, field, value)
    score_refresh_points(score=score)
    score.save()
    _queue_recompute(assessment.period_id, [assessment.unit_id])
    return score


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
    _queue_recompute(assessment.period_id, [assessment.unit_id])
    return deduction


def results_recompute(*, period: Period, unit_ids: list[int] | None = None) -> int:
    """Recompute and store the results of a period (or of `unit_ids`' assessments, with their
    groups' ranks), set-based in the database and in one transaction; see scoring.recompute.
    Returns the number of assessments recomputed."""
    from .recompute import recompute_results

    return recompute_results(period=period, unit_ids=unit_ids)


def memberships_changed(*, year: int, unit_ids: Iterable[int]) -> None:
    """Units moved between ranking groups for a year: their old and new groups are re-ranked."""
    unit_ids = list(unit_ids)
    for period_id in Period.objects.filter(year=year).values_list("pk", flat=True):
        _queue_recompute(period_id, unit_ids)


@transaction.atomic
def survey_results_apply(*, survey) -> int:
    """Survey-derived points: each result tied to a survey-derived criterion sets that unit's
    appraised points for the survey's year (maximum × share of favourable answers, clamped).
    Frozen (published, locked) assessments are left alone. Returns the number of scores written."""
    from surveys.models import SurveyResult

    written = 0
    results = SurveyResult.objects.filter(
        survey=survey, criterion__isnull=False, criterion__method="survey"
    ).select_related("criterion")
    assessments = {
        (a.unit_id, a.framework_id): a
        for a in Assessment.objects.filter(period__year=survey.year).exclude(
            state__in=[State.PUBLISHED, State.LOCKED]
        )
    }
    for result in results:
        criterion = result.criterion
        assessment = assessments.get((result.unit_id, criterion.framework_id))
        if assessment is None:
            continue
        score, _created = CriterionScore.objects.select_for_update().get_or_create(
            assessment=assessment,
            criterion=criterion,
            defaults={"component_id": criterion.component_id, "max_points": criterion.max_points},
        )
        score.appraised_points = criterion_points(
            _rule(criterion), entered=criterion.max_points * result.percent / Decimal(100)
        )
        score_refresh_points(score=score)
        score.save()
        _queue_recompute(assessment.period_id, [assessment.unit_id])
        written += 1
    return written
