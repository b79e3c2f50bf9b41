"""Deadlines that count: the unit head's self-assessment closes after the period's deadline unless
staff extend it for the unit; reminders by email 7, 3 and 1 days before, and to staff once the
appraisal deadline has passed. The clock is frozen (timezone.now) or the day passed in."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from scoring.models import Assessment
from scoring.services.deadlines import deadline_extend, reminders_send
from scoring.services.sheet import editable_fields
from scoring.workflow import State

from .factories import make_assessment, make_user
from .sheet_helpers import score_write

DEADLINE = dt.date(2025, 1, 15)


def freeze(monkeypatch, day: dt.date) -> None:
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon)


@pytest.fixture
def dated(period, assessment):
    period.self_assessment_deadline = DEADLINE
    period.appraisal_deadline = dt.date(2025, 3, 15)
    period.save()
    return Assessment.objects.select_related("period").get(pk=assessment.pk)


def leaf(assessment):
    return assessment.framework.criteria.get(code="1.1")


def test_the_unit_head_self_assesses_until_the_deadline_day_and_not_after(
    monkeypatch, dated, unit_head, staff
):
    freeze(monkeypatch, DEADLINE)
    assert "self_points" in editable_fields(unit_head, dated)
    score_write(assessment=dated, criterion=leaf(dated), user=unit_head, self_points=D(3))
    freeze(monkeypatch, DEADLINE + dt.timedelta(days=1))
    assert editable_fields(unit_head, dated) == set()
    with pytest.raises(DomainError, match="không được sửa"):
        score_write(assessment=dated, criterion=leaf(dated), user=unit_head, self_points=D(2))
    # Staff still write on the unit's behalf.
    assert "self_points" in editable_fields(staff, dated)


def test_staff_extend_one_unit_and_its_head_edits_again(monkeypatch, dated, unit_head, staff):
    freeze(monkeypatch, dt.date(2025, 1, 20))
    with pytest.raises(DomainError, match="phải sau hạn tự đánh giá"):
        deadline_extend(assessment=dated, user=staff, until=DEADLINE)
    deadline_extend(assessment=dated, user=staff, until=dt.date(2025, 1, 25))
    fresh = Assessment.objects.select_related("period").get(pk=dated.pk)
    assert "self_points" in editable_fields(unit_head, fresh)
    score_write(assessment=fresh, criterion=leaf(fresh), user=unit_head, self_points=D(1))
    freeze(monkeypatch, dt.date(2025, 1, 26))
    assert editable_fields(unit_head, fresh) == set()


def test_the_extension_form_reads_dd_mm_yyyy_and_refuses_bad_input(
    client, monkeypatch, dated, staff, unit_head
):
    freeze(monkeypatch, dt.date(2025, 1, 20))
    url = reverse("scoring:deadline_extend", args=[dated.pk])
    client.force_login(staff)
    page = client.post(url, {"until": "31/13/2025"}, follow=True).content.decode()
    assert "Ngày gia hạn không hợp lệ" in page
    assert Assessment.objects.get(pk=dated.pk).self_deadline_extended_to is None
    page = client.post(url, {"until": "25/01/2025"}, follow=True).content.decode()
    assert "đến hết ngày 25/01/2025" in page
    assert "Hạn tự đánh giá (đã gia hạn): 25/01/2025 · còn 5 ngày" in page
    client.force_login(unit_head)
    assert client.post(url, {"until": "31/01/2025"}).status_code == 403
    assert Assessment.objects.get(pk=dated.pk).self_deadline_extended_to == dt.date(2025, 1, 25)


def test_home_and_sheet_show_the_days_left(client, monkeypatch, dated, unit_head, staff):
    freeze(monkeypatch, dt.date(2025, 1, 12))
    client.force_login(unit_head)
    home = client.get(reverse("home")).content.decode()
    assert "Hạn tự đánh giá: 15/01/2025 · còn 3 ngày" in home
    sheet = client.get(reverse("scoring:sheet", args=[dated.pk])).content.decode()
    assert "còn 3 ngày" in sheet
    freeze(monkeypatch, dt.date(2025, 3, 20))
    client.force_login(staff)
    home = client.get(reverse("home")).content.decode()
    assert "Hạn thẩm định: 15/03/2025 · quá hạn 5 ngày" in home


@pytest.mark.parametrize(("days_before", "sent"), [(7, 1), (5, 0), (3, 1), (1, 1), (0, 0)])
def test_unit_heads_with_a_draft_are_reminded_7_3_and_1_days_before(
    dated, unit_head, days_before, sent
):
    unit_head.email = "thutruong@example.vn"
    unit_head.save()
    report = reminders_send(today=DEADLINE - dt.timedelta(days=days_before))
    assert report.unit_heads == sent == len(mail.outbox)
    if sent:
        assert mail.outbox[0].to == ["thutruong@example.vn"]
        assert f"Còn {days_before} ngày" in mail.outbox[0].subject


def test_no_reminder_once_self_assessed_and_the_extension_counts(dated, unit_head, staff):
    unit_head.email = "thutruong@example.vn"
    unit_head.save()
    deadline_extend(assessment=dated, user=staff, until=dt.date(2025, 1, 22))
    assert reminders_send(today=DEADLINE - dt.timedelta(days=3)).unit_heads == 0
    assert reminders_send(today=dt.date(2025, 1, 21)).unit_heads == 1
    Assessment.objects.filter(pk=dated.pk).update(state=State.SELF_ASSESSED)
    assert reminders_send(today=dt.date(2025, 1, 21)).unit_heads == 0


def test_staff_are_told_of_appraisals_past_the_deadline(
    dated, period, other_unit, framework, group, staff
):
    staff.email = "canbo@example.vn"
    staff.save()
    make_user("interior_staff", username="khongthu", email="")
    make_assessment(other_unit, period, framework, group, state=State.APPRAISED)
    assert reminders_send(today=dt.date(2025, 3, 15)).staff == 0
    report = reminders_send(today=dt.date(2025, 3, 16))
    assert report.staff == 1
    message = mail.outbox[-1]
    assert message.to == ["canbo@example.vn"]
    assert "1 bản đánh giá" in message.subject
    assert "Sở Tư pháp" in message.body and "Sở Y tế" not in message.body


def test_the_daily_job_is_scheduled_and_runs(settings, dated, unit_head, monkeypatch):
    from scoring.tasks import deadline_reminders

    entry = settings.CELERY_BEAT_SCHEDULE["deadline-reminders-daily"]
    assert entry["task"] == "scoring.tasks.deadline_reminders"
    unit_head.email = "thutruong@example.vn"
    unit_head.save()
    freeze(monkeypatch, DEADLINE - dt.timedelta(days=1))
    deadline_reminders()
    assert len(mail.outbox) == 1


def test_after_the_deadline_the_unit_head_cannot_move_the_assessment_but_staff_can(
    client, monkeypatch, dated, unit_head, staff
):
    from scoring.services.assessments import assessment_transition

    freeze(monkeypatch, DEADLINE + dt.timedelta(days=1))
    with pytest.raises(DomainError, match="Đã quá hạn tự đánh giá \\(15/01/2025\\)"):
        assessment_transition(assessment=dated, to_state=State.SELF_ASSESSED, user=unit_head)
    client.force_login(unit_head)
    sheet = client.get(reverse("scoring:sheet", args=[dated.pk])).content.decode()
    assert 'name="to_state"' not in sheet and "quá hạn 1 ngày" in sheet
    assessment_transition(assessment=dated, to_state=State.SELF_ASSESSED, user=staff)
    assert Assessment.objects.get(pk=dated.pk).state == State.SELF_ASSESSED


def test_staff_find_the_extension_form_on_a_sheet_not_yet_submitted(client, dated, staff):
    url = reverse("scoring:sheet", args=[dated.pk])
    action = reverse("scoring:deadline_extend", args=[dated.pk])
    client.force_login(staff)
    for state, shown in (
        (State.DRAFT, True),
        (State.SELF_ASSESSED, True),
        (State.SUBMITTED, False),
    ):
        Assessment.objects.filter(pk=dated.pk).update(state=state)
        assert (action in client.get(url).content.decode()) is shown, state
