"""Writes to assessments, scores and deductions. Nothing else saves these models."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionNotAllowed
from core.roles import Role, roles_of
from indicators.computation import (
    ZERO,
    CriterionRule,
    competition_ranks,
    criterion_points,
    percent,
    quantize,
)
from indicators.models import Criterion, Framework
from units.models import GroupMembership, Unit

from .models import (
    Adjustment,
    Assessment,
    AssessmentResult,
    ComponentResult,
    CriterionScore,
    Deduction,
    DeductionReason,
    Period,
    StateChange,
)
from .workflow import APPRAISAL_EDITABLE, SELF_EDITABLE, State, may_transition


def _queue_recompute(period_id: int) -> None:
    from .tasks import recompute_period

    transaction.on_commit(lambda: recompute_period.delay(period_id))


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
    StateChange.objects.create(
        assessment=assessment, from_state=current, to_state=target, by=user, reason=reason
    )
    assessment.state = target
    assessment.save(update_fields=["state", "updated_at"])
    _queue_recompute(assessment.period_id)
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
    deducted = score.deductions.aggregate(total=Sum("points"))["total"] or ZERO
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
    _queue_recompute(assessment.period_id)
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
    _queue_recompute(assessment.period_id)
    return deduction


def results_recompute(*, period: Period, unit_ids: list[int] | None = None) -> int:
    """Recompute and store every assessment's results of a period, in one transaction.

    Totals come from the stored criterion points (one aggregate query); the applicable maximum is the
    framework's leaf maxima less the criteria marked not applicable; ranks are competition ranks by
    percent within each group. Returns the number of assessments written.
    """
    now = timezone.now()
    assessments = list(
        Assessment.objects.filter(period=period)
        .select_related("framework")
        .only("id", "unit_id", "framework_id", "framework__max_bonus", "framework__max_penalty")
    )
    if not assessments:
        return 0
    framework_ids = {a.framework_id for a in assessments}
    component_max: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for row in (
        Criterion.objects.filter(framework_id__in=framework_ids, is_leaf=True)
        .values("framework_id", "component_id")
        .annotate(total=Sum("max_points"))
    ):
        component_max[(row["framework_id"], row["component_id"])] = row["total"]
    components_of: dict[int, list[int]] = defaultdict(list)
    for fw, comp in component_max:
        components_of[fw].append(comp)

    sums = defaultdict(lambda: [ZERO, ZERO])  # (assessment, component) → [points, NA maxima]
    for row in (
        CriterionScore.objects.filter(assessment__period=period)
        .values("assessment_id", "component_id", "not_applicable")
        .annotate(points=Sum("points"), maxima=Sum("max_points"))
    ):
        key = (row["assessment_id"], row["component_id"])
        if row["not_applicable"]:
            sums[key][1] += row["maxima"]
        else:
            sums[key][0] += row["points"]
    adjustments = defaultdict(lambda: {"bonus": ZERO, "penalty": ZERO})
    for row in (
        Adjustment.objects.filter(assessment__period=period)
        .values("assessment_id", "kind")
        .annotate(total=Sum("points"))
    ):
        adjustments[row["assessment_id"]][row["kind"]] = row["total"]
    group_of = dict(
        GroupMembership.objects.filter(year=period.year).values_list("unit_id", "group_id")
    )
    bands = {}
    from indicators.models import RatingBand

    for band in RatingBand.objects.filter(framework_id__in=framework_ids).order_by("-min_percent"):
        bands.setdefault(band.framework_id, []).append(band)

    results, component_results = [], []
    for a in assessments:
        total, applicable = ZERO, ZERO
        for comp in components_of[a.framework_id]:
            points, na_max = sums[(a.pk, comp)]
            comp_max = component_max[(a.framework_id, comp)] - na_max
            total += points
            applicable += comp_max
            component_results.append(
                ComponentResult(
                    assessment_id=a.pk,
                    component_id=comp,
                    points=quantize(points),
                    max_points=comp_max,
                    percent=percent(points, comp_max),
                )
            )
        adj = adjustments[a.pk]
        total += min(adj["bonus"], a.framework.max_bonus) - min(
            adj["penalty"], a.framework.max_penalty
        )
        total = max(total, ZERO)
        pct = min(percent(total, applicable), Decimal("100"))
        band = next((b.label for b in bands.get(a.framework_id, []) if pct >= b.min_percent), "")
        results.append(
            AssessmentResult(
                assessment_id=a.pk,
                period=period,
                group_id=group_of.get(a.unit_id),
                total_points=quantize(total),
                max_points=applicable,
                percent=pct,
                band=band,
                computed_at=now,
            )
        )
    by_group = defaultdict(list)
    for r in results:
        by_group[r.group_id].append(r)
    for group_id, members in by_group.items():
        if group_id is None:
            continue
        for r, rank in zip(members, competition_ranks([m.percent for m in members]), strict=True):
            r.rank = rank
    previous = dict(
        AssessmentResult.objects.filter(period__year=period.year - 1).values_list(
            "assessment__unit_id", "rank"
        )
    )
    unit_of = {a.pk: a.unit_id for a in assessments}
    for r in results:
        before = previous.get(unit_of[r.assessment_id])
        r.rank_change = before - r.rank if before is not None and r.rank is not None else None
    with transaction.atomic():
        AssessmentResult.objects.filter(period=period).delete()
        ComponentResult.objects.filter(assessment__period=period).delete()
        AssessmentResult.objects.bulk_create(results, batch_size=2000)
        ComponentResult.objects.bulk_create(component_results, batch_size=5000)
    return len(results)
