from decimal import Decimal as D

from indicators.computation import (
    CriterionRule,
    band_points,
    competition_ranks,
    criterion_points,
    percent,
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


def test_proportional_and_survey_criteria_without_a_measure_score_zero():
    assert criterion_points(CriterionRule(D(2), "proportional"), entered=None) == D(0)
    assert criterion_points(CriterionRule(D(2), "proportional"), entered=None, measured=D(75)) == D(
        "1.50"
    )
    assert criterion_points(CriterionRule(D(8), "survey"), entered=None) == D(0)


def test_percent_has_two_decimals_and_survives_an_empty_denominator():
    assert percent(D("84.6449"), D(100)) == D("84.64")
    assert percent(D(1), D(0)) == D(0)
