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
    evidence_delete,
    explanation_decide,
    explanation_submit,
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


def test_the_criterion_page_tells_each_event_as_what_it_was(
    client, staff, unit_head, assessment, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    criterion = assessment.framework.criteria.get(code="1.1")
    sheet_save(
        assessment=assessment,
        user=unit_head,
        version=1,
        rows={criterion.pk: {"self_points": D(4), "self_explanation": "Theo kế hoạch số 12"}},
    )
    evidence = evidence_add(
        assessment=assessment,
        criterion=criterion,
        upload=SimpleUploadedFile("kh.pdf", b"%PDF-1.4\n%%EOF\n"),
        user=unit_head,
    )
    evidence_delete(evidence=evidence, user=unit_head)
    assessment_transition(assessment=assessment, to_state=State.SELF_ASSESSED, user=unit_head)
    assessment = assessment_transition(
        assessment=assessment, to_state=State.SUBMITTED, user=unit_head
    )
    deduction = deduction_add(
        assessment=assessment, criterion=criterion, points=D(1), user=staff, note="Trễ hạn"
    )
    deduction_edit(deduction=deduction, user=staff, points=D("0.5"), note="Trễ hạn 3 ngày")
    explanation = explanation_submit(deduction=deduction, user=unit_head, text="Đã nộp đúng hạn")
    explanation_decide(explanation=explanation, user=staff, accept=True, withdraw=True)
    client.force_login(staff)
    response = client.get(reverse("scoring:criterion", args=[assessment.pk, criterion.pk]))
    assert response.status_code == 200
    entries = list(reversed(response.context["history"]))  # oldest first
    told = [(e.what, e.user) for e in entries]
    assert told == [
        ("Tự chấm điểm", unit_head),
        ("Giải thích cách tự chấm", unit_head),
        ("Tải lên tài liệu kiểm chứng", unit_head),
        ("Xóa tài liệu kiểm chứng", unit_head),
        ("Chuyển trạng thái", unit_head),
        ("Chuyển trạng thái", unit_head),
        ("Ghi điểm bị trừ", staff),
        ("Sửa điểm bị trừ", staff),
        ("Sửa điểm bị trừ", staff),
        ("Gửi giải trình", unit_head),
        ("Gỡ điểm bị trừ", staff),
        ("Chấp nhận giải trình", staff),
    ]
    by_what = {e.what: e for e in entries}
    assert (by_what["Tự chấm điểm"].old, by_what["Tự chấm điểm"].new) == (None, D(4))
    assert by_what["Ghi điểm bị trừ"].new == D(1)
    assert by_what["Tải lên tài liệu kiểm chứng"].field == "kh.pdf"
    assert by_what["Gửi giải trình"].new == "Đã nộp đúng hạn"
    assert (by_what["Gỡ điểm bị trừ"].old, by_what["Gỡ điểm bị trừ"].new) == (D("0.5"), None)
    edits = [(e.field, e.old, e.new) for e in entries if e.what == "Sửa điểm bị trừ"]
    assert edits == [("điểm bị trừ", D(1), D("0.5")), ("diễn giải", "Trễ hạn", "Trễ hạn 3 ngày")]
    assert all(e.at is not None for e in entries)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    page = response.content.decode()
    assert "Chưa có thay đổi nào" not in page
    assert "Gửi giải trình" in page and "Trễ hạn 3 ngày" in page


def test_a_deduction_on_a_score_loaded_without_history_is_not_told_as_a_typed_score(
    staff, assessment
):
    """The demo's and old bulk loads' scores had no history: the first change of one must not
    read as "điểm tự đánh giá — → 1,75", and its deductions must still be listed."""
    criterion = assessment.framework.criteria.get(code="1.1")
    CriterionScore.objects.bulk_create(
        [
            CriterionScore(
                assessment=assessment,
                criterion=criterion,
                component_id=criterion.component_id,
                max_points=criterion.max_points,
                self_points=D("1.75"),
                points=D("1.75"),
            )
        ]
    )
    assessment.state = State.SUBMITTED
    assessment.save()
    deduction_add(
        assessment=assessment, criterion=criterion, points=D("0.5"), user=staff, note="Thiếu"
    )
    entries = criterion_history(assessment, criterion)
    assert [(e.what, e.user, e.new, e.reason) for e in entries] == [
        ("Ghi điểm bị trừ", staff, D("0.5"), "Thiếu")
    ]


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
