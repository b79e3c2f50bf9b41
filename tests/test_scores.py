from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from core.errors import DomainError
from scoring.forms import CriterionScoreForm
from scoring.models import CriterionScore
from scoring.services import deduction_add

from .sheet_helpers import score_write


def crit(assessment, code):
    return assessment.framework.criteria.get(code=code)


@pytest.mark.parametrize("value", [D("4.25"), D("-0.25"), D("100")])
def test_self_points_outside_zero_to_max_are_refused(assessment, unit_head, value):
    with pytest.raises(DomainError, match="từ 0 đến 4"):
        score_write(
            assessment=assessment,
            criterion=crit(assessment, "1.1"),
            user=unit_head,
            self_points=value,
        )
    assert not CriterionScore.objects.exists()


def test_points_off_the_criterions_step_are_refused(assessment, unit_head):
    with pytest.raises(DomainError, match="bội số của 0,25"):
        score_write(
            assessment=assessment,
            criterion=crit(assessment, "1.1"),
            user=unit_head,
            self_points=D("3.1"),
        )


def test_appraised_points_out_of_bounds_are_refused(submitted, staff):
    with pytest.raises(DomainError):
        score_write(
            assessment=submitted,
            criterion=crit(submitted, "1.2"),
            user=staff,
            appraised_points=D("2.01"),
        )


def test_a_valid_self_score_is_stored_with_its_points(assessment, unit_head):
    score = score_write(
        assessment=assessment,
        criterion=crit(assessment, "1.1"),
        user=unit_head,
        self_points=D("3.5"),
    )
    assert score.points == D("3.5") and score.max_points == D(4)
    assert score.component.code == "1"


def test_deductions_beyond_the_maximum_leave_zero_not_a_negative_score(submitted, staff):
    criterion = crit(submitted, "1.2")
    deduction_add(assessment=submitted, criterion=criterion, points=D(1), user=staff, note="Trễ")
    deduction_add(assessment=submitted, criterion=criterion, points=D(5), user=staff, note="Thiếu")
    score = CriterionScore.objects.get(assessment=submitted, criterion=criterion)
    assert score.points == D(0)


def test_appraised_score_is_the_maximum_minus_the_deductions(submitted, staff):
    criterion = crit(submitted, "1.1")
    deduction_add(assessment=submitted, criterion=criterion, points=D("0.75"), user=staff, note="x")
    assert CriterionScore.objects.get(criterion=criterion).points == D("3.25")
    score_write(assessment=submitted, criterion=criterion, user=staff, appraised_points=D(3))
    assert CriterionScore.objects.get(criterion=criterion).points == D("2.25")


def test_a_deduction_needs_a_reason(submitted, staff):
    with pytest.raises(DomainError, match="lý do"):
        deduction_add(
            assessment=submitted, criterion=crit(submitted, "1.1"), points=D(1), user=staff
        )


def test_the_database_refuses_points_above_the_maximum_even_from_raw_code(assessment):
    criterion = crit(assessment, "1.1")
    with pytest.raises(IntegrityError), transaction.atomic():
        CriterionScore.objects.create(
            assessment=assessment,
            criterion=criterion,
            component=criterion.component,
            max_points=D(4),
            points=D("4.5"),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CriterionScore.objects.create(
            assessment=assessment,
            criterion=criterion,
            component=criterion.component,
            max_points=D(4),
            points=D(0),
            self_points=D(-1),
        )


@pytest.mark.parametrize(
    ("typed", "error"),
    [("4,5", "từ 0 đến 4"), ("-1", "từ 0 đến 4"), ("3,1", "bội số"), ("abc", "số")],
)
def test_the_score_form_refuses_out_of_bounds_values_with_a_clear_message(framework, typed, error):
    form = CriterionScoreForm(
        data={"self_points": typed}, criterion=framework.criteria.get(code="1.1")
    )
    assert not form.is_valid()
    assert error in " ".join(form.errors["self_points"])


def test_the_score_form_accepts_a_vietnamese_decimal_comma(framework):
    form = CriterionScoreForm(
        data={"self_points": "3,75"}, criterion=framework.criteria.get(code="1.1")
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["self_points"] == D("3.75")


def test_the_unit_cannot_self_score_after_submitting(submitted, unit_head):
    with pytest.raises(DomainError, match="tự đánh giá"):
        score_write(
            assessment=submitted,
            criterion=crit(submitted, "1.1"),
            user=unit_head,
            self_points=D(2),
        )


def test_unit_head_cannot_write_appraisal_points(submitted, unit_head):
    with pytest.raises(DomainError, match="thẩm định"):
        score_write(
            assessment=submitted,
            criterion=crit(submitted, "1.1"),
            user=unit_head,
            appraised_points=D(4),
        )


def test_survey_criteria_are_not_self_scored(assessment, unit_head, framework):
    criterion = framework.criteria.get(code="2.1")
    criterion.method = "survey"
    criterion.save()
    with pytest.raises(DomainError, match="điều tra"):
        score_write(assessment=assessment, criterion=criterion, user=unit_head, self_points=D(1))
