"""The admin cannot walk around the rules: audit records are never deleted, nothing of a published
or locked assessment changes, and what may change there leaves no result stale."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from scoring.models import (
    Adjustment,
    Assessment,
    AssessmentResult,
    CriterionScore,
    Deduction,
    StateChange,
)
from scoring.recompute import recompute_now
from scoring.services import assessment_transition, deduction_add, sheet_save
from scoring.snapshots import period_publish
from scoring.workflow import State

from .factories import PeriodFactory, make_assessment, small_framework


@pytest.fixture
def staff_admin(staff):
    staff.is_staff = True
    staff.save()
    return staff


@pytest.fixture(params=["staff", "superuser"])
def admin_client(request, client, staff_admin, admin_user):
    client.force_login(staff_admin if request.param == "staff" else admin_user)
    return client


def _appraise(assessment, user, points: dict[str, D]) -> None:
    ids = {c.code: c.pk for c in assessment.framework.criteria.all()}
    sheet_save(
        assessment=assessment,
        user=user,
        version=assessment.version,
        rows={ids[code]: {"appraised_points": value} for code, value in points.items()},
    )
    assessment.refresh_from_db()


def _walk(assessment, user, *states):
    for state in states:
        assessment_transition(assessment=assessment, to_state=state, user=user)
    assessment.refresh_from_db()
    return assessment


@pytest.fixture
def locked(staff, unit, group, django_capture_on_commit_callbacks):
    """A 2022 assessment, appraised with a deduction, published and locked."""
    with django_capture_on_commit_callbacks(execute=True):
        return _locked(staff, unit, group)


def _locked(staff, unit, group):
    period = PeriodFactory(year=2022)
    a = make_assessment(unit, period, small_framework(year=2022), group, state=State.SUBMITTED)
    _appraise(a, staff, {"1.1": D(4), "1.2": D(2)})
    deduction_add(
        assessment=a,
        criterion=a.framework.criteria.get(code="1.1"),
        points=D(1),
        user=staff,
        note="Báo cáo trễ hạn",
    )
    a = _walk(a, staff, State.APPRAISED)
    # Publication is the period's (checklist, version), which moves the assessment with it.
    period_publish(period=a.period, user=staff)
    a.refresh_from_db()
    a = _walk(a, staff, State.LOCKED)
    recompute_now(a.period)
    return a


@pytest.fixture
def appraised(staff, assessment, django_capture_on_commit_callbacks):
    """An appraised 2024 assessment. The recompute callbacks of its writes are run here, so that
    a test sees the callbacks of its own writes."""
    with django_capture_on_commit_callbacks(execute=True):
        return _appraised(staff, assessment)


def _appraised(staff, assessment):
    framework = assessment.framework
    framework.max_bonus = D(2)
    framework.save()
    a = Assessment.objects.get(pk=assessment.pk)
    a.state = State.SUBMITTED
    a.save()
    _appraise(a, staff, {"1.1": D(3)})
    a = _walk(a, staff, State.APPRAISED)
    recompute_now(a.period)
    return a


def _delete(client, model: str, pk: int):
    url = reverse(f"admin:scoring_{model}_delete", args=[pk])
    return client.get(url), client.post(url, {"post": "yes"})


def _bulk_delete(client, model: str, pks):
    return client.post(
        reverse(f"admin:scoring_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [str(pk) for pk in pks], "post": "yes"},
    )


def test_the_audit_trail_of_state_changes_cannot_be_deleted(admin_client, locked):
    changes = list(StateChange.objects.filter(assessment=locked).values_list("pk", flat=True))
    assert len(changes) == 3
    page, post = _delete(admin_client, "statechange", changes[0])
    assert (page.status_code, post.status_code) == (403, 403)
    response = _bulk_delete(admin_client, "statechange", changes)
    assert response.status_code in (200, 302, 403)
    assert StateChange.objects.filter(assessment=locked).count() == 3
    # Nor through the assessment it belongs to (the delete would cascade to them).
    page, post = _delete(admin_client, "assessment", locked.pk)
    assert (page.status_code, post.status_code) == (403, 403)
    assert Assessment.objects.filter(pk=locked.pk).exists()


def test_history_records_cannot_be_reverted_or_deleted(admin_client, appraised):
    adjustment = Adjustment.objects.create(
        assessment=appraised, kind="bonus", points=D(1), reason="Sáng kiến"
    )
    adjustment.points = D(2)
    adjustment.save()
    first = adjustment.history.earliest()
    url = reverse("admin:scoring_adjustment_simple_history", args=[adjustment.pk, first.pk])
    response = admin_client.post(
        url,
        {"assessment": appraised.pk, "kind": "bonus", "points": "1", "reason": "Sáng kiến"},
    )
    assert response.status_code == 403
    adjustment.refresh_from_db()
    assert adjustment.points == D(2)
    assert admin_client.get(url).status_code == 200  # the old version is still shown
    # An assessment's old version would move it to another unit or framework.
    version = appraised.history.earliest()
    url = reverse("admin:scoring_assessment_simple_history", args=[appraised.pk, version.pk])
    response = admin_client.post(
        url,
        {"period": appraised.period_id, "unit": appraised.unit_id, "framework": ""},
    )
    assert response.status_code == 403
    # The historical models have no admin page of their own (nothing to delete them with).
    from django.contrib import admin
    from simple_history.admin import SimpleHistoryAdmin

    from core.admin_mixins import HistoryAdmin

    assert not any(m.__name__.startswith("Historical") for m in admin.site._registry)
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert isinstance(model_admin, HistoryAdmin), model
    assert adjustment.history.count() == 2


def test_a_deduction_of_a_locked_assessment_cannot_be_deleted(admin_client, locked):
    deduction = Deduction.objects.get(score__assessment=locked)
    page, post = _delete(admin_client, "deduction", deduction.pk)
    assert (page.status_code, post.status_code) == (403, 403)
    _bulk_delete(admin_client, "deduction", [deduction.pk])
    assert Deduction.objects.filter(pk=deduction.pk).exists()
    score = CriterionScore.objects.get(assessment=locked, criterion__code="1.1")
    assert score.points == D(3)  # 4 appraised − 1 deducted, as it was


def test_deductions_and_scores_of_an_open_assessment_are_not_deleted_either(
    admin_client, appraised
):
    """They change on the scoring sheet, which keeps the points and the history in step."""
    score = CriterionScore.objects.get(assessment=appraised, criterion__code="1.1")
    page, post = _delete(admin_client, "criterionscore", score.pk)
    assert (page.status_code, post.status_code) == (403, 403)
    _bulk_delete(admin_client, "criterionscore", [score.pk])
    assert CriterionScore.objects.filter(pk=score.pk).exists()


def test_a_criterion_score_of_a_locked_assessment_cannot_be_deleted(admin_client, locked):
    score = CriterionScore.objects.get(assessment=locked, criterion__code="1.2")
    page, post = _delete(admin_client, "criterionscore", score.pk)
    assert (page.status_code, post.status_code) == (403, 403)
    assert CriterionScore.objects.filter(pk=score.pk).exists()
    result = AssessmentResult.objects.get(assessment=locked)
    assert result.total_points == D(5)


def test_a_bonus_cannot_be_added_to_a_locked_assessment(admin_client, locked):
    response = admin_client.post(
        reverse("admin:scoring_adjustment_add"),
        {"assessment": locked.pk, "kind": "bonus", "points": "1", "reason": "Sáng kiến"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["assessment"]
    assert "ở trạng thái “Đã khóa”" in errors[0] and "mở lại" in errors[0]
    assert not Adjustment.objects.exists()
    assert AssessmentResult.objects.get(assessment=locked).total_points == D(5)


def test_a_bonus_of_a_locked_assessment_cannot_be_changed_moved_or_deleted(
    admin_client, locked, appraised
):
    bonus = Adjustment.objects.create(
        assessment=locked, kind="bonus", points=D(1), reason="Sáng kiến"
    )
    url = reverse("admin:scoring_adjustment_change", args=[bonus.pk])
    response = admin_client.post(
        url, {"assessment": locked.pk, "kind": "bonus", "points": "3", "reason": "Sáng kiến"}
    )
    assert response.status_code == 403
    response = admin_client.post(
        url, {"assessment": appraised.pk, "kind": "bonus", "points": "1", "reason": "x"}
    )
    assert response.status_code == 403
    page, post = _delete(admin_client, "adjustment", bonus.pk)
    assert (page.status_code, post.status_code) == (403, 403)
    response = _bulk_delete(admin_client, "adjustment", [bonus.pk])
    bonus.refresh_from_db()
    assert (bonus.assessment_id, bonus.points) == (locked.pk, D(1))


def test_an_assessment_cannot_be_changed_in_the_admin(admin_client, appraised, other_unit):
    response = admin_client.post(
        reverse("admin:scoring_assessment_change", args=[appraised.pk]),
        {"period": appraised.period_id, "unit": other_unit.pk, "framework": appraised.framework_id},
    )
    assert response.status_code == 403
    appraised.refresh_from_db()
    assert appraised.unit_id != other_unit.pk
    page, post = _delete(admin_client, "assessment", appraised.pk)
    assert (page.status_code, post.status_code) == (403, 403)


def test_a_bonus_added_to_an_open_assessment_reaches_its_result_at_once(
    admin_client, appraised, django_capture_on_commit_callbacks
):
    before = AssessmentResult.objects.get(assessment=appraised).total_points
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:scoring_adjustment_add"),
            {"assessment": appraised.pk, "kind": "bonus", "points": "0,5", "reason": "Sáng kiến"},
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert AssessmentResult.objects.get(assessment=appraised).total_points == before + D("0.5")
    bonus = Adjustment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:scoring_adjustment_change", args=[bonus.pk]),
            {"assessment": appraised.pk, "kind": "bonus", "points": "1", "reason": "Sáng kiến"},
        )
    assert response.status_code == 302
    assert AssessmentResult.objects.get(assessment=appraised).total_points == before + D(1)
    with django_capture_on_commit_callbacks(execute=True):
        _bulk_delete(admin_client, "adjustment", [bonus.pk])
    assert not Adjustment.objects.exists()
    assert AssessmentResult.objects.get(assessment=appraised).total_points == before


def test_an_assessment_is_added_as_the_service_adds_it_and_never_deleted(
    admin_client, period, framework, group, unit, other_unit, django_capture_on_commit_callbacks
):
    from units.models import GroupMembership

    GroupMembership.objects.create(unit=other_unit, year=2024, group=group)
    wrong_year = small_framework(year=2023)
    response = admin_client.post(
        reverse("admin:scoring_assessment_add"),
        {"period": period.pk, "unit": unit.pk, "framework": wrong_year.pk},
    )
    assert response.status_code == 200
    assert "không dùng cho Sở Tư pháp trong năm 2024" in str(
        response.context["adminform"].form.non_field_errors()
    )
    assert not Assessment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:scoring_assessment_add"),
            {"period": period.pk, "unit": other_unit.pk, "framework": framework.pk},
        )
    assert response.status_code == 302
    created = Assessment.objects.get()
    assert AssessmentResult.objects.filter(assessment=created).exists()  # recomputed
    with django_capture_on_commit_callbacks(execute=True):
        page, post = _delete(admin_client, "assessment", created.pk)
    assert (page.status_code, post.status_code) == (403, 403)
    assert Assessment.objects.filter(pk=created.pk).exists()
