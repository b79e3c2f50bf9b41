import importlib
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from core.errors import DomainError
from indicators.computation import CriterionRule, criterion_points, entered_points
from indicators.models import Criterion, ScoringMethod
from scoring.models import Adjustment, AssessmentResult, ComponentResult, CriterionScore
from scoring.recompute import recompute_now
from scoring.services import deduction_add, explanation_decide, explanation_submit
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


def test_an_unscored_criterion_is_worth_the_same_whether_its_row_is_missing_or_empty(
    period, framework, group, staff, unit, other_unit
):
    """Both units: 2.1 measured at 100 % (4 points); 1.1 and 1.2 unscored. Sở Tư pháp has no row
    for them; Sở Y tế has a row for 1.1 with only a comment, and one for 1.2 whose appraised value
    was typed and then erased. Each unscored criterion is worth 0 and keeps its maximum: 4 of 10."""
    c11, c12, c21 = (framework.criteria.get(code=c) for c in ("1.1", "1.2", "2.1"))
    missing, empty = (
        make_assessment(u, period, framework, group, state=State.SUBMITTED)
        for u in (unit, other_unit)
    )
    for a in (missing, empty):
        score_write(assessment=a, criterion=c21, user=staff, measured_value=D(100))
    noted = score_write(assessment=empty, criterion=c11, user=staff, comment="Chờ tài liệu")
    score_write(assessment=empty, criterion=c12, user=staff, appraised_points=D(2))
    cleared = score_write(assessment=empty, criterion=c12, user=staff, appraised_points=None)
    assert (noted.points, cleared.points) == (D(0), D(0))
    assert not CriterionScore.objects.filter(assessment=missing, criterion__in=[c11, c12]).exists()

    recompute_now(period)

    got = {
        r.assessment_id: (r.total_points, r.max_points, r.percent, r.rank)
        for r in AssessmentResult.objects.all()
    }
    assert got == {
        missing.pk: (D(4), D(10), D("40.00"), 1),
        empty.pk: (D(4), D(10), D("40.00"), 1),
    }
    for a in (missing, empty):
        comp = ComponentResult.objects.get(assessment=a, component__code="1")
        assert (comp.points, comp.max_points) == (D(0), D(6))


@pytest.mark.parametrize("method", ["entered", "yes_no", "bands", "proportional", "survey"])
def test_the_python_rule_gives_a_missing_and_an_empty_row_the_same_zero(method):
    rule = CriterionRule(D(4), method)
    empty_row = SimpleNamespace(
        self_points=None, appraised_points=None, final_points=None, measured_value=None
    )
    as_missing = criterion_points(rule, entered=None)
    as_empty = criterion_points(
        rule, entered=entered_points(empty_row), measured=empty_row.measured_value
    )
    assert as_missing == as_empty == D(0)


def test_a_deduction_recorded_on_an_untyped_criterion_appraises_it_from_the_maximum(
    period, framework, group, staff, unit, unit_head
):
    """Nothing typed for 1.1 (4 points): a 1-point deduction makes it 4 − 1 = 3; once the unit's
    explanation is accepted and the deduction withdrawn, the criterion is worth its maximum, not
    the 0 of an unscored one."""
    a = make_assessment(unit, period, framework, group, state=State.SUBMITTED)
    c11 = framework.criteria.get(code="1.1")
    deduction = deduction_add(assessment=a, criterion=c11, points=D(1), user=staff, note="Trễ")
    score = CriterionScore.objects.get(assessment=a, criterion=c11)
    assert score.points == D(3)
    explanation = explanation_submit(deduction=deduction, user=unit_head, text="Đã nộp đúng hạn")
    explanation_decide(explanation=explanation, user=staff, accept=True, withdraw=True)
    score.refresh_from_db()
    assert score.points == D(4)


def test_the_migration_brings_stored_points_under_the_rules(period, framework, group, staff, unit):
    """Points stored under the old rules (an empty row at its maximum, a flagged one with points)
    are set to 0; a row appraised by deduction and a typed one keep theirs."""
    from django.apps import apps

    migration = importlib.import_module("scoring.migrations.0008_points_unscored_not_applicable")
    a = make_assessment(unit, period, framework, group, state=State.SUBMITTED)
    c11, c12, c21 = (framework.criteria.get(code=c) for c in ("1.1", "1.2", "2.1"))
    empty = score_write(assessment=a, criterion=c11, user=staff, comment="Chờ tài liệu")
    flagged = score_write(assessment=a, criterion=c21, user=staff, not_applicable=True)
    deduction_add(assessment=a, criterion=c12, points=D(1), user=staff, note="Trễ")
    CriterionScore.objects.filter(pk__in=[empty.pk, flagged.pk]).update(points=D(4))

    migration.forwards(apps, None)
    migration.forwards(apps, None)  # rerunnable

    stored = dict(CriterionScore.objects.values_list("criterion__code", "points"))
    assert stored == {"1.1": D(0), "1.2": D(1), "2.1": D(0)}
