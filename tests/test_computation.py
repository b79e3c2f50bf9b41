from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from core.errors import DomainError
from indicators.computation import (
    CriterionRule,
    applicable_maximum,
    band_points,
    check_points,
    competition_ranks,
    criterion_points,
    entered_points,
    percent,
    points_problem,
)

BANDS = ({"min": 100, "points": 4}, {"min": 95, "points": 2})


def test_equal_values_share_a_rank_and_the_next_rank_skips():
    assert competition_ranks([D("90"), D("85"), D("85"), D("80")]) == [1, 2, 2, 4]
    assert competition_ranks([D("70"), D("95"), D("70")]) == [2, 1, 2]
    assert competition_ranks([]) == []


def test_bands_pick_the_highest_band_reached():
    assert band_points(BANDS, D("100")) == D(4)
    assert band_points(BANDS, D("97.5")) == D(2)
    assert band_points(BANDS, D("94.99")) == D(0)


def test_points_never_exceed_the_maximum_nor_fall_below_zero():
    rule = CriterionRule(max_points=D(2), method="entered")
    assert criterion_points(rule, entered=D(5)) == D(2)
    assert criterion_points(rule, entered=D(1), deducted=D(3)) == D(0)
    assert criterion_points(rule, entered=None, deducted=D("0.5")) == D("1.50")


def test_an_unscored_criterion_is_worth_zero_until_a_deduction_is_recorded():
    rule = CriterionRule(max_points=D(2), method="yes_no")
    assert criterion_points(rule, entered=None) == D(0)
    # Every deduction withdrawn since: appraised by deduction, nothing left to take off.
    assert criterion_points(rule, entered=None, deduction_recorded=True) == D(2)
    assert criterion_points(rule, entered=D(0), deduction_recorded=True) == D(0)


def test_proportional_and_survey_criteria_without_a_measure_score_zero():
    assert criterion_points(CriterionRule(D(2), "proportional"), entered=None) == D(0)
    assert criterion_points(CriterionRule(D(2), "proportional"), entered=None, measured=D(75)) == D(
        "1.50"
    )
    assert criterion_points(CriterionRule(D(8), "survey"), entered=None) == D(0)


def test_a_criterion_not_applicable_takes_no_points_and_leaves_the_maximum():
    entered = CriterionRule(D(4), "entered")
    dropped = CriterionRule(D(4), "not_applicable")
    assert criterion_points(entered, entered=D(3), not_applicable=True) == D(0)
    assert criterion_points(entered, entered=None, deducted=D(1), not_applicable=True) == D(0)
    assert criterion_points(dropped, entered=D(3)) == D(0)
    assert criterion_points(dropped, entered=None, deducted=D(1)) == D(0)
    assert applicable_maximum(entered) == D(4)
    assert applicable_maximum(entered, not_applicable=True) == D(0)
    assert applicable_maximum(dropped) == D(0)


def test_percent_has_two_decimals_and_survives_an_empty_denominator():
    assert percent(D("84.6449"), D(100)) == D("84.64")
    assert percent(D(1), D(0)) == D(0)


def test_the_rule_of_a_criterion_is_read_from_any_object_with_its_fields():
    criterion = SimpleNamespace(max_points=D(4), method="bands", bands=list(BANDS))
    assert CriterionRule.of(criterion) == CriterionRule(D(4), "bands", BANDS)


def test_the_second_appraisal_counts_over_the_first_and_the_first_over_the_self_score():
    def score(self_points=None, appraised=None, final=None):
        return SimpleNamespace(
            self_points=self_points, appraised_points=appraised, final_points=final
        )

    assert entered_points(score(D(1), D(2), D(3))) == D(3)
    assert entered_points(score(D(1), D(2))) == D(2)
    assert entered_points(score(D(1))) == D(1)
    assert entered_points(score(D(1), None, D(0))) == D(0)  # a typed zero counts
    assert entered_points(score()) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, ""),
        (D(0), ""),
        (D(4), ""),
        (D("3.75"), ""),
        (D("-0.25"), "range"),
        (D("4.25"), "range"),
        (D("3.1"), "step"),
    ],
)
def test_points_must_lie_between_zero_and_the_maximum_on_the_step(value, problem):
    assert points_problem(value, max_points=D(4), step=D("0.25")) == problem


def test_the_bounds_check_names_the_field_and_the_criterion():
    criterion = SimpleNamespace(code="1.1", max_points=D("4.00"), step=D("0.25"))
    with pytest.raises(DomainError, match=r"của tiêu chí 1\.1 phải từ 0 đến 4 "):
        check_points(D(5), criterion, "Điểm")
    with pytest.raises(DomainError, match="bội số của 0,25"):
        check_points(D("3.1"), criterion, "Điểm")
    check_points(D("3.75"), criterion, "Điểm")
