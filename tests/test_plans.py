"""Improvement plans: one task per deducted criterion and unit of the period before (withdrawn
deductions left out), idempotent; the daily job marks overdue tasks with a frozen clock and mails
the unit head; a unit head updates only their own unit's tasks; the XLSX keeps typed text inert."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from scoring.models import Deduction
from scoring.services import deduction_add
from targets.models import PlanTask, TaskStatus
from targets.services.plans import plan_create_from_deductions, task_update, tasks_mark_overdue
from targets.tasks import plan_tasks_mark_overdue

from .factories import PeriodFactory, make_assessment

DEADLINE = dt.date(2025, 6, 30)


def freeze(monkeypatch, day: dt.date) -> None:
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon)


@pytest.fixture
def deducted(assessment, other_unit, period, framework, group, staff):
    """2024: Sở Tư pháp lost points twice on 1.1 and once on 2.1; Sở Y tế once on 1.1, and a
    deduction on 1.2 that was withdrawn."""
    other = make_assessment(other_unit, period, framework, group)
    c = {x.code: x for x in framework.criteria.all()}
    for a in (assessment, other):
        a.state = "submitted"
        a.save()

    def deduct(a, code, points="0.5"):
        return deduction_add(
            assessment=a, criterion=c[code], points=D(points), user=staff, note="Trễ hạn"
        )

    deduct(assessment, "1.1")
    deduct(assessment, "1.1", "0.25")
    deduct(assessment, "2.1", "1")
    deduct(other, "1.1")
    withdrawn = deduct(other, "1.2", "1")
    Deduction.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    return PeriodFactory(year=2025)


def test_one_task_per_deducted_criterion_and_unit_and_running_again_adds_none(
    deducted, unit, other_unit
):
    assert plan_create_from_deductions(period=deducted, deadline=DEADLINE) == 3
    tasks = {
        (t.unit_id, t.criterion.code): t.points_lost
        for t in PlanTask.objects.select_related("criterion")
    }
    assert tasks == {
        (unit.pk, "1.1"): D("0.75"),
        (unit.pk, "2.1"): D("1.00"),
        (other_unit.pk, "1.1"): D("0.50"),
    }
    assert plan_create_from_deductions(period=deducted, deadline=DEADLINE) == 0
    assert PlanTask.objects.count() == 3


def test_overdue_tasks_are_marked_by_the_daily_job_and_the_unit_head_is_mailed(
    monkeypatch, settings, deducted, unit_head, other_unit_head
):
    entry = settings.CELERY_BEAT_SCHEDULE["plan-tasks-overdue-daily"]
    assert entry["task"] == plan_tasks_mark_overdue.name
    unit_head.email = "thutruong@example.vn"
    unit_head.save()
    plan_create_from_deductions(period=deducted, deadline=DEADLINE)
    done = PlanTask.objects.filter(unit=unit_head.unit_head.unit).first()
    done.status = TaskStatus.DONE
    done.save()
    freeze(monkeypatch, DEADLINE)
    assert tasks_mark_overdue() == 0  # the deadline day itself is not late
    freeze(monkeypatch, DEADLINE + dt.timedelta(days=1))
    plan_tasks_mark_overdue.delay()
    statuses = sorted(PlanTask.objects.values_list("status", flat=True))
    assert statuses == ["done", "overdue", "overdue"]
    assert len(mail.outbox) == 1  # Sở Y tế's head has no e-mail address
    assert mail.outbox[0].to == ["thutruong@example.vn"]
    assert "Sở Tư pháp" in mail.outbox[0].subject
    assert tasks_mark_overdue() == 0  # again: nothing new, no second mail
    assert len(mail.outbox) == 1


def test_a_unit_head_updates_their_own_task_and_not_another_units(
    client, monkeypatch, deducted, unit_head, other_unit
):
    freeze(monkeypatch, dt.date(2025, 3, 1))
    plan_create_from_deductions(period=deducted, deadline=DEADLINE)
    own = PlanTask.objects.filter(unit=unit_head.unit_head.unit).first()
    other = PlanTask.objects.get(unit=other_unit)
    client.force_login(unit_head)
    data = {"status": "in_progress", "progress_note": "Đã ban hành kế hoạch", "evidence": "12/KH"}
    response = client.post(reverse("targets:task", args=[own.pk]), data)
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.status, own.progress_note) == ("in_progress", "Đã ban hành kế hoạch")
    assert client.post(reverse("targets:task", args=[other.pk]), data).status_code == 403
    assert client.get(reverse("targets:task", args=[other.pk])).status_code == 403
    other.refresh_from_db()
    assert (other.status, other.progress_note) == ("not_started", "")
    # Only staff close a task.
    assert client.post(reverse("targets:task_close", args=[own.pk])).status_code == 403


def test_staff_close_a_task_and_it_changes_no_more(client, staff, unit_head, deducted):
    plan_create_from_deductions(period=deducted, deadline=DEADLINE)
    task = PlanTask.objects.filter(unit=unit_head.unit_head.unit).first()
    client.force_login(staff)
    assert client.post(reverse("targets:task_close", args=[task.pk])).status_code == 302
    task.refresh_from_db()
    assert task.status == "done" and task.closed_by == staff
    with pytest.raises(Exception, match="nghiệm thu"):
        task_update(task=task, user=unit_head, status="in_progress", progress_note="", evidence="")


def test_an_open_task_past_its_deadline_stays_overdue(monkeypatch, deducted, unit_head):
    plan_create_from_deductions(period=deducted, deadline=DEADLINE)
    task = PlanTask.objects.filter(unit=unit_head.unit_head.unit).first()
    freeze(monkeypatch, DEADLINE + dt.timedelta(days=3))
    task_update(task=task, user=unit_head, status="in_progress", progress_note="x", evidence="")
    assert task.status == "overdue"
    task_update(task=task, user=unit_head, status="done", progress_note="x", evidence="")
    assert task.status == "done"


def test_the_plan_export_keeps_typed_text_inert(client, staff, deducted, unit_head):
    plan_create_from_deductions(period=deducted, deadline=DEADLINE)
    task = PlanTask.objects.filter(unit=unit_head.unit_head.unit).first()
    task_update(
        task=task, user=unit_head, status="in_progress", progress_note="=1+1", evidence="@SUM(A1)"
    )
    client.force_login(staff)
    response = client.get(reverse("targets:plan_export", args=[2025]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value in ("=1+1", "@SUM(A1)")]
    assert len(cells) == 2
    assert all(c.data_type == "s" for c in cells)


def test_the_overview_lists_overdue_first_and_a_unit_head_sees_only_their_tasks(
    client, monkeypatch, deducted, unit_head, leader, other_unit
):
    plan_create_from_deductions(period=deducted, deadline=DEADLINE)
    PlanTask.objects.filter(unit=other_unit).update(status=TaskStatus.OVERDUE)
    client.force_login(leader)
    page = client.get(reverse("targets:plan", args=[2025])).content.decode()
    assert page.index("Sở Y tế") < page.index("Sở Tư pháp")
    client.force_login(unit_head)
    page = client.get(reverse("targets:plan", args=[2025])).content.decode()
    assert "Sở Tư pháp" in page and "Sở Y tế" not in page


def test_staff_create_the_plan_on_the_page(client, staff, deducted):
    client.force_login(staff)
    url = reverse("targets:plan_create", args=[2025])
    assert client.post(url, {"deadline": "30/06/2025"}).status_code == 302
    assert PlanTask.objects.count() == 3
    client.post(url, {"deadline": "không phải ngày"})
    assert PlanTask.objects.count() == 3


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def test_a_unit_head_attaches_evidence_checked_as_on_the_sheet(
    client, monkeypatch, settings, tmp_path, deducted, unit_head, leader, other_unit_head
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    freeze(monkeypatch, dt.date(2025, 3, 1))
    plan_create_from_deductions(period=deducted, deadline=DEADLINE)
    task = PlanTask.objects.filter(unit=unit_head.unit_head.unit).first()
    url = reverse("targets:task", args=[task.pk])
    client.force_login(unit_head)
    fake = SimpleUploadedFile("bao-cao.pdf", b"<html>not a pdf</html>", "application/pdf")
    page = client.post(
        url, {"status": "in_progress", "evidence_file": fake}, follow=True
    ).content.decode()
    assert "không phải là tệp PDF hợp lệ" in page
    task.refresh_from_db()
    assert not task.evidence_file and task.status == "not_started"
    good = SimpleUploadedFile("Kế hoạch 12.pdf", PDF, "application/pdf")
    assert client.post(url, {"status": "in_progress", "evidence_file": good}).status_code == 302
    task.refresh_from_db()
    assert task.evidence_file.name.startswith(f"plan-evidence/{task.unit_id}/")
    assert task.evidence_file.name.endswith(".pdf") and task.evidence_file_name == "Kế hoạch 12.pdf"
    download = reverse("targets:task_evidence", args=[task.pk])
    client.force_login(leader)
    response = client.get(download)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    client.force_login(other_unit_head)
    assert client.get(download).status_code == 403
