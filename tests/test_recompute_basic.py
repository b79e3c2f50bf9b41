from decimal import Decimal as D

import pytest

from core.errors import DomainError
from indicators.models import Criterion, ScoringMethod
from scoring.models import Adjustment, AssessmentResult, ComponentResult, CriterionScore
from scoring.recompute import recompute_now
from scoring.services import deduction_add
from scoring.workflow import State

from .factories import UnitFactory, make_assessment
from .sheet_helpers import score_write


def test_results_are_stored_with_totals_percent_components_and_shared_ranks(
    period, framework, group, staff
):
    units = [UnitFactory(code=f"u{i}") for i in range(4)]
    assessments = [
        make_assessment(u, period, framework, group, state=State.SUBMITTED) for u in units
    ]
    c11, c12, c21 = (framework.criteria.get(code=c) for c in ("1.1", "1.2", "2.1"))
    # u0: 4 + 2 + 4 = 10; u1 and u2: 9 (tie); u3: 1.2 deducted beyond its maximum → 4 + 0 + 2.
    for a in assessments:
        score_write(assessment=a, criterion=c11, user=staff, appraised_points=D(4))
        score_write(assessment=a, criterion=c12, user=staff, appraised_points=D(2))
        score_write(assessment=a, criterion=c21, user=staff, measured_value=D(100))
    for a in assessments[1:3]:
        deduction_add(assessment=a, criterion=c11, points=D(1), user=staff, note="Trễ hạn")
    deduction_add(assessment=assessments[3], criterion=c12, points=D(3), user=staff, note="Thiếu")
    score_write(assessment=assessments[3], criterion=c21, user=staff, measured_value=D("96.5"))

    recompute_now(period)

    got = {
        r.assessment.unit.code: (r.total_points, r.percent, r.rank)
        for r in AssessmentResult.objects.select_related("assessment__unit")
    }
    assert got == {
        "u0": (D("10.00"), D("100.00"), 1),
        "u1": (D("9.00"), D("90.00"), 2),
        "u2": (D("9.00"), D("90.00"), 2),
        "u3": (D("6.00"), D("60.00"), 4),
    }
    comp = ComponentResult.objects.get(assessment=assessments[3], component__code="1")
    assert (comp.points, comp.max_points, comp.percent) == (D("4.00"), D(6), D("66.67"))


def test_not_applicable_criteria_leave_the_denominator_and_adjustments_are_capped(
    period, framework, group, staff, unit
):
    framework.max_bonus = D(1)
    framework.save()
    a = make_assessment(unit, period, framework, group, state=State.SUBMITTED)
    c12, c21 = framework.criteria.get(code="1.2"), framework.criteria.get(code="2.1")
    score_write(assessment=a, criterion=c21, user=staff, not_applicable=True)
    score_write(assessment=a, criterion=c12, user=staff, appraised_points=D(2))
    Adjustment.objects.create(assessment=a, kind="bonus", points=D(3), reason="Sáng kiến")

    recompute_now(period)

    result = AssessmentResult.objects.get(assessment=a)
    # 1.1 has no score yet (0 of 4), 1.2 = 2, 2.1 not applicable; bonus capped at 1.
    assert (result.total_points, result.max_points, result.percent) == (D(3), D(6), D("50.00"))


def test_a_unit_with_no_scores_gets_zero_not_an_error(period, framework, group, unit):
    make_assessment(unit, period, framework, group)
    recompute_now(period)
    result = AssessmentResult.objects.get()
    assert (result.total_points, result.percent, result.rank) == (D(0), D(0), 1)


def test_a_criterion_not_applicable_by_its_method_takes_no_points_and_leaves_the_maximum(
    period, framework, group, staff, unit, other_unit
):
    """1.2 is scored 2 for both units, one of them also flags it; then the framework drops it for
    every unit (method not applicable). Neither the stored 2 points nor the flag count twice:
    1.1 (3) + 2.1 (4) = 7 of 4 + 4 = 8 for both."""
    c11, c12, c21 = (framework.criteria.get(code=c) for c in ("1.1", "1.2", "2.1"))
    assessments = [
        make_assessment(u, period, framework, group, state=State.SUBMITTED)
        for u in (unit, other_unit)
    ]
    for a in assessments:
        score_write(assessment=a, criterion=c11, user=staff, appraised_points=D(3))
        score_write(assessment=a, criterion=c12, user=staff, appraised_points=D(2))
        score_write(assessment=a, criterion=c21, user=staff, measured_value=D(100))
    flagged = score_write(assessment=assessments[1], criterion=c12, user=staff, not_applicable=True)
    assert flagged.points == 0  # a flagged score stores no points, whatever was typed
    Criterion.objects.filter(pk=c12.pk).update(method=ScoringMethod.NOT_APPLICABLE)

    recompute_now(period)

    for a in assessments:
        result = AssessmentResult.objects.get(assessment=a)
        assert (result.total_points, result.max_points, result.percent) == (D(7), D(8), D("87.50"))
        comp = ComponentResult.objects.get(assessment=a, component__code="1")
        assert (comp.points, comp.max_points) == (D(3), D(4))


def test_the_sheet_refuses_points_for_a_criterion_not_applicable_by_its_method(
    period, framework, group, staff, unit
):
    a = make_assessment(unit, period, framework, group, state=State.SUBMITTED)
    c12 = framework.criteria.get(code="1.2")
    Criterion.objects.filter(pk=c12.pk).update(method=ScoringMethod.NOT_APPLICABLE)
    c12.refresh_from_db()
    with pytest.raises(DomainError, match=r"1\.2 không áp dụng"):
        score_write(assessment=a, criterion=c12, user=staff, appraised_points=D(2))
    assert not CriterionScore.objects.filter(assessment=a).exists()
