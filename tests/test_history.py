"""History ("lịch sử thay đổi"): every change to a score, deduction, evidence or state is kept with
who, when, the old and the new value, and shown per criterion."""

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from scoring.models import Assessment, CriterionScore, Deduction
from scoring.selectors import criterion_history
from scoring.services import (
    assessment_transition,
    deduction_add,
    deduction_edit,
    evidence_add,
    sheet_save,
)
from scoring.workflow import State

from .sheet_helpers import sheet_post, sheet_url


@pytest.fixture(autouse=True)
def vietnamese():
    """Messages and numbers in Vietnamese whatever an earlier test left active."""
    with translation.override("vi"):
        yield


def test_each_sheet_save_is_recorded_with_who_old_and_new(client, unit_head, assessment):
    client.force_login(unit_head)
    client.post(sheet_url(assessment), sheet_post(assessment, {"1.1": {"self_points": "3"}}))
    assessment.refresh_from_db()
    client.post(sheet_url(assessment), sheet_post(assessment, {"1.1": {"self_points": "3,5"}}))
    score = CriterionScore.objects.get(criterion__code="1.1")
    records = list(score.history.order_by("history_date"))
    assert [(r.self_points, r.history_user) for r in records] == [
        (D(3), unit_head),
        (D("3.5"), unit_head),
    ]
    assert records[0].history_type == "+" and records[1].history_type == "~"
    entries = criterion_history(assessment, score.criterion)
    self_changes = [(e.old, e.new) for e in entries if e.field == "điểm tự đánh giá"]
    assert self_changes == [(D(3), D("3.5")), (None, D(3))]  # newest first
    assert all(e.user == unit_head for e in entries)


def test_the_criterion_page_shows_the_history_of_scores_deductions_and_evidence(
    client, staff, unit_head, assessment, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    criterion = assessment.framework.criteria.get(code="1.1")
    sheet_save(
        assessment=assessment, user=unit_head, version=1, rows={criterion.pk: {"self_points": D(4)}}
    )
    evidence_add(
        assessment=assessment,
        criterion=criterion,
        upload=SimpleUploadedFile("kh.pdf", b"%PDF-1.4\n%%EOF\n"),
        user=unit_head,
    )
    assessment.state = State.SUBMITTED
    assessment.save()
    deduction = deduction_add(
        assessment=assessment, criterion=criterion, points=D(1), user=staff, note="Trễ hạn"
    )
    deduction_edit(deduction=deduction, user=staff, points=D("0.5"), note="Trễ hạn 3 ngày")
    client.force_login(staff)
    response = client.get(reverse("scoring:criterion", args=[assessment.pk, criterion.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Lịch sử thay đổi" in page
    entries = response.context["history"]
    kinds = {(e.what, e.field) for e in entries}
    assert ("điểm tiêu chí", "điểm tự đánh giá") in kinds
    assert ("tài liệu kiểm chứng", "tên tệp gốc") in kinds
    deduction_points = [
        (e.old, e.new) for e in entries if (e.what, e.field) == ("điểm bị trừ", "điểm bị trừ")
    ]
    assert deduction_points == [(D(1), D("0.5")), (None, D(1))]
    assert "Trễ hạn 3 ngày" in page


def test_workflow_moves_and_deductions_are_kept_with_their_author(staff, assessment):
    assessment.state = State.SUBMITTED
    assessment.save()
    criterion = assessment.framework.criteria.get(code="1.2")
    deduction = deduction_add(
        assessment=assessment, criterion=criterion, points=D(1), user=staff, note="Thiếu"
    )
    assert Deduction.history.get(id=deduction.pk).history_type == "+"
    assessment_transition(assessment=assessment, to_state=State.APPRAISED, user=staff)
    states = list(
        Assessment.history.filter(id=assessment.pk)
        .order_by("history_date")
        .values_list("state", flat=True)
    )
    assert states[-1] == State.APPRAISED and State.SUBMITTED in states
    change = assessment.state_changes.get()
    assert (change.from_state, change.to_state, change.by) == ("submitted", "appraised", staff)


def test_framework_changes_are_kept(framework):
    criterion = framework.criteria.get(code="1.1")
    criterion.name = "Kế hoạch CCHC năm"
    criterion.save()
    records = list(criterion.history.order_by("history_date"))
    assert [r.name for r in records] == ["Kế hoạch", "Kế hoạch CCHC năm"]
