"""Changes made outside the scoring sheet (group membership, survey results) reach the results."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from scoring.models import AssessmentResult, CriterionScore
from scoring.recompute import recompute_now
from surveys.models import Survey, SurveyResult
from units.models import GroupMembership, UnitKind

from .factories import RankingGroupFactory, UnitFactory, make_assessment


def test_moving_a_unit_to_another_group_in_the_admin_re_ranks_it(
    client, admin_user, period, framework, group, django_capture_on_commit_callbacks
):
    units = [UnitFactory(code=f"u{i}") for i in range(3)]
    for u in units:
        make_assessment(u, period, framework, group)
    recompute_now(period)
    other = RankingGroupFactory(code="khoi-khac", name="Khối khác", unit_kind=UnitKind.DEPARTMENT)
    membership = GroupMembership.objects.get(unit=units[0], year=2024)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:units_groupmembership_change", args=[membership.pk]),
            {"unit": units[0].pk, "group": other.pk, "year": 2024},
        )
    assert response.status_code == 302
    moved = AssessmentResult.objects.get(assessment__unit=units[0])
    assert (moved.group, moved.rank) == (other, 1)


def test_survey_results_set_survey_derived_points(
    client, admin_user, period, framework, group, unit, django_capture_on_commit_callbacks
):
    criterion = framework.criteria.get(code="2.1")
    criterion.method = "survey"
    criterion.save()
    assessment = make_assessment(unit, period, framework, group)
    survey = Survey.objects.create(year=2024, kind="sipas", name="SIPAS 2024")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:surveys_surveyresult_add"),
            {
                "survey": survey.pk,
                "unit": unit.pk,
                "criterion": criterion.pk,
                "percent": "87.5",
                "respondents": 300,
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert SurveyResult.objects.count() == 1
    score = CriterionScore.objects.get(assessment=assessment, criterion=criterion)
    assert (score.appraised_points, score.points) == (D("3.50"), D("3.50"))  # 4 × 87.5%
    assert AssessmentResult.objects.get(assessment=assessment).total_points == D("3.50")


@pytest.mark.django_db(transaction=True)
def test_a_bonus_entered_in_the_admin_with_a_decimal_comma_reaches_the_results(
    client, admin_user, period, framework, group, unit
):
    """Decimals in the admin read the Vietnamese way ("1,5"; "87.5" above still reads too), and
    an adjustment saved or deleted there recomputes the assessment when its request commits."""
    framework.max_bonus = D(2)
    framework.save()
    assessment = make_assessment(unit, period, framework, group)
    recompute_now(period)
    before = AssessmentResult.objects.get(assessment=assessment).total_points
    client.force_login(admin_user)
    page = client.get(reverse("admin:indicators_framework_change", args=[framework.pk]))
    assert 'name="max_bonus" value="2,00"' in page.content.decode()
    response = client.post(
        reverse("admin:scoring_adjustment_add"),
        {"assessment": assessment.pk, "kind": "bonus", "points": "1,5", "reason": "Sáng kiến"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    adjustment = assessment.adjustments.get()
    assert adjustment.points == D("1.5")
    assert AssessmentResult.objects.get(assessment=assessment).total_points == before + D("1.5")
    client.post(reverse("admin:scoring_adjustment_delete", args=[adjustment.pk]), {"post": "yes"})
    assert not assessment.adjustments.exists()
    assert AssessmentResult.objects.get(assessment=assessment).total_points == before
