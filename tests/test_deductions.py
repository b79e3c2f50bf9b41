"""Deductions with reusable reasons and free text, edited and removed by the appraisal; the unit's
explanations (giải trình), accepted or rejected by the Interior Department."""

from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from scoring.models import CriterionScore, Deduction, DeductionReason, Explanation
from scoring.services import (
    deduction_add,
    deduction_delete,
    deduction_edit,
    explanation_decide,
    explanation_submit,
)
from scoring.workflow import State


@pytest.fixture(autouse=True)
def vietnamese():
    """Messages and numbers in Vietnamese whatever an earlier test left active."""
    with translation.override("vi"):
        yield


@pytest.fixture
def late(db):
    return DeductionReason.objects.create(code="tre-han", label="Nộp báo cáo trễ hạn")


def points(assessment, code):
    return CriterionScore.objects.get(assessment=assessment, criterion__code=code).points


def test_staff_record_a_deduction_with_a_reusable_reason_from_the_criterion_page(
    client, staff, submitted, late
):
    criterion = submitted.framework.criteria.get(code="1.1")
    client.force_login(staff)
    page = client.get(reverse("scoring:criterion", args=[submitted.pk, criterion.pk]))
    assert "Nộp báo cáo trễ hạn" in page.content.decode()
    url = reverse("scoring:deduction_add", args=[submitted.pk, criterion.pk])
    response = client.post(url, {"points": "0,75", "reason": late.pk, "note": "Quý III"})
    assert response.status_code == 302
    deduction = Deduction.objects.get()
    assert (deduction.points, deduction.reason, deduction.note) == (D("0.75"), late, "Quý III")
    assert points(submitted, "1.1") == D("3.25")
    # Free text alone is a reason too; nothing at all is not.
    client.post(url, {"points": "0,25", "note": "Thiếu chữ ký"})
    assert points(submitted, "1.1") == D(3)
    response = client.post(url, {"points": "1"}, follow=True)
    assert "Cần chọn lý do hoặc ghi diễn giải" in response.content.decode()
    assert Deduction.objects.count() == 2


def test_editing_and_removing_a_deduction_recomputes_the_criterion(staff, submitted, late):
    criterion = submitted.framework.criteria.get(code="1.1")
    deduction = deduction_add(
        assessment=submitted, criterion=criterion, points=D(1), user=staff, reason=late
    )
    assert points(submitted, "1.1") == D(3)
    deduction_edit(deduction=deduction, user=staff, points=D("1.5"), reason=late)
    assert points(submitted, "1.1") == D("2.5")
    with pytest.raises(DomainError, match="lớn hơn 0"):
        deduction_edit(deduction=deduction, user=staff, points=D(0), reason=late)
    with pytest.raises(DomainError, match="không được lớn hơn điểm tối đa"):
        deduction_edit(deduction=deduction, user=staff, points=D(5), reason=late)
    with pytest.raises(DomainError, match="lý do"):
        deduction_edit(deduction=deduction, user=staff, points=D(1), reason=None, note=" ")
    deduction_delete(deduction=deduction, user=staff)
    # Nothing typed and no deduction left on record: unscored again, worth 0 (README, scoring
    # rules); a withdrawn deduction would instead leave it appraised by deduction, at 4.
    assert points(submitted, "1.1") == D(0)


def test_unit_heads_cannot_edit_or_remove_deductions(client, staff, unit_head, submitted, late):
    criterion = submitted.framework.criteria.get(code="1.1")
    deduction = deduction_add(
        assessment=submitted, criterion=criterion, points=D(1), user=staff, reason=late
    )
    with pytest.raises(DomainError):
        deduction_edit(deduction=deduction, user=unit_head, points=D("0.5"), reason=late)
    client.force_login(unit_head)
    client.post(reverse("scoring:deduction_delete", args=[submitted.pk, deduction.pk]))
    assert Deduction.objects.filter(pk=deduction.pk).exists()


def test_deductions_are_refused_outside_the_appraisal(staff, assessment, late):
    assessment.state = State.SUBMITTED
    assessment.save()
    deduction = deduction_add(
        assessment=assessment,
        criterion=assessment.framework.criteria.get(code="1.1"),
        points=D(1),
        user=staff,
        reason=late,
    )
    assessment.state = State.PUBLISHED
    assessment.save()
    with pytest.raises(DomainError, match="đang thẩm định"):
        deduction_edit(deduction=deduction, user=staff, points=D(2), reason=late)


def test_the_unit_explains_a_deduction_and_staff_decide(client, staff, unit_head, submitted, late):
    criterion = submitted.framework.criteria.get(code="1.2")
    deduction = deduction_add(
        assessment=submitted, criterion=criterion, points=D(2), user=staff, reason=late
    )
    client.force_login(unit_head)
    url = reverse("scoring:explanation_add", args=[submitted.pk, deduction.pk])
    client.post(url, {"text": "Báo cáo đã gửi qua hệ thống ngày 14/12, kèm ảnh chụp."})
    explanation = Explanation.objects.get()
    assert explanation.author == unit_head and explanation.status == Explanation.Status.PENDING
    # While it waits, rewriting replaces it instead of piling up answers.
    client.post(url, {"text": "Báo cáo đã gửi ngày 14/12 (số 45/BC)."})
    assert Explanation.objects.get().text == "Báo cáo đã gửi ngày 14/12 (số 45/BC)."
    sheet = client.get(reverse("scoring:sheet", args=[submitted.pk]))
    assert "1 giải trình chờ xem xét" in sheet.content.decode()
    # A rejection needs a reason; the unit cannot decide its own explanation.
    with pytest.raises(DomainError, match="lý do"):
        explanation_decide(explanation=explanation, user=staff, accept=False)
    with pytest.raises(DomainError, match="Chỉ Sở Nội vụ"):
        explanation_decide(explanation=explanation, user=unit_head, accept=True)
    client.force_login(staff)
    decide = reverse("scoring:explanation_decide", args=[submitted.pk, explanation.pk])
    client.post(decide, {"accept": "1", "note": "Có căn cứ"})
    explanation.refresh_from_db()
    assert explanation.status == Explanation.Status.ACCEPTED
    assert explanation.decided_by == staff and explanation.decision_note == "Có căn cứ"
    with pytest.raises(DomainError, match="đã được xem xét"):
        explanation_decide(explanation=explanation, user=staff, accept=False, note="Đổi ý")


def test_other_units_cannot_explain_and_nobody_explains_after_publication(
    staff, unit_head, other_unit_head, submitted, late
):
    deduction = deduction_add(
        assessment=submitted,
        criterion=submitted.framework.criteria.get(code="1.2"),
        points=D(1),
        user=staff,
        reason=late,
    )
    with pytest.raises(DomainError):
        explanation_submit(deduction=deduction, user=other_unit_head, text="Không phải đơn vị tôi")
    with pytest.raises(DomainError, match="trống"):
        explanation_submit(deduction=deduction, user=unit_head, text="   ")
    submitted.state = State.PUBLISHED
    submitted.save()
    with pytest.raises(DomainError):
        explanation_submit(deduction=deduction, user=unit_head, text="Muộn")
    assert not Explanation.objects.exists()


def test_another_units_head_cannot_reach_a_deduction_by_url(
    client, staff, other_unit_head, submitted, late
):
    deduction = deduction_add(
        assessment=submitted,
        criterion=submitted.framework.criteria.get(code="1.2"),
        points=D(1),
        user=staff,
        reason=late,
    )
    client.force_login(other_unit_head)
    url = reverse("scoring:explanation_add", args=[submitted.pk, deduction.pk])
    assert client.post(url, {"text": "x"}).status_code == 404
    criterion = submitted.framework.criteria.get(code="1.2")
    assert (
        client.get(reverse("scoring:criterion", args=[submitted.pk, criterion.pk])).status_code
        == 404
    )


def test_an_accepted_explanation_withdraws_the_deduction_and_gives_the_points_back(
    client, staff, unit_head, submitted, late
):
    from django.db import connection

    from scoring.models import AssessmentResult
    from scoring.recompute import recompute_now

    criterion = submitted.framework.criteria.get(code="1.1")
    kept = deduction_add(
        assessment=submitted, criterion=criterion, points=D("0.25"), user=staff, note="Thiếu dấu"
    )
    deduction = deduction_add(
        assessment=submitted, criterion=criterion, points=D(1), user=staff, reason=late
    )
    recompute_now(submitted.period)
    before = points(submitted, "1.1")
    total = AssessmentResult.objects.get(assessment=submitted).total_points
    explanation = explanation_submit(
        deduction=deduction, user=unit_head, text="Đã nộp đúng hạn, công văn 12/SNV."
    )
    client.force_login(staff)
    page = client.get(reverse("scoring:criterion", args=[submitted.pk, criterion.pk]))
    assert "Chấp nhận thì gỡ điểm trừ (hoàn trả 1,00 điểm)" in page.content.decode()
    decide = reverse("scoring:explanation_decide", args=[submitted.pk, explanation.pk])
    client.post(decide, {"accept": "1", "withdraw": "on", "note": "Có căn cứ"})
    # A recompute of the unit is queued for the commit (merged into the one this test's
    # transaction queued first); run it here.
    queued = [f for _s, f, _r in connection.run_on_commit if hasattr(f, "recompute_period_id")]
    assert [(f.recompute_period_id, submitted.unit_id in f.unit_ids) for f in queued] == [
        (submitted.period_id, True)
    ]
    recompute_now(submitted.period)
    deduction.refresh_from_db()
    assert deduction.withdrawn_at is not None and deduction.withdrawn_by == staff
    # The point comes back; the other deduction still counts; the results follow.
    assert points(submitted, "1.1") == before + 1
    assert AssessmentResult.objects.get(assessment=submitted).total_points == total + 1
    # Kept on record with its explanation, struck through, and closed to changes.
    page = client.get(reverse("scoring:criterion", args=[submitted.pk, criterion.pk]))
    html = page.content.decode()
    assert '<s class="text-secondary">−1,00</s>' in html
    assert "Đã gỡ sau khi chấp nhận giải trình" in html and "Đã nộp đúng hạn" in html
    with pytest.raises(DomainError, match="đã được gỡ"):
        deduction_edit(deduction=deduction, user=staff, points=D(2), reason=late)
    with pytest.raises(DomainError, match="đã được gỡ"):
        deduction_delete(deduction=deduction, user=staff)
    with pytest.raises(DomainError, match="đã được gỡ"):
        explanation_submit(deduction=deduction, user=unit_head, text="Thêm nữa")
    assert Deduction.objects.active().get() == kept
    # The deduction analysis counts only what still counts.
    from reports.selectors import reasons_summary

    summary = reasons_summary(staff, period=submitted.period, group=None)
    assert [(r["label"], r["n"], r["points"]) for r in summary] == [(None, 1, D("0.25"))]


def test_accepting_without_withdrawing_or_rejecting_leaves_the_points_as_they_are(
    staff, unit_head, submitted, late
):
    criterion = submitted.framework.criteria.get(code="1.2")
    deducted = []
    for accept, note in ((True, ""), (False, "Không có căn cứ")):
        deduction = deduction_add(
            assessment=submitted, criterion=criterion, points=D("0.5"), user=staff, reason=late
        )
        explanation = explanation_submit(deduction=deduction, user=unit_head, text="Giải trình")
        explanation_decide(explanation=explanation, user=staff, accept=accept, note=note)
        deduction.refresh_from_db()
        assert deduction.withdrawn_at is None
        deducted.append(points(submitted, "1.2"))
    # Each deduction still counts after its decision.
    assert deducted[1] == deducted[0] - D("0.5")
    # Withdrawing is an appraisal change: not once the assessment has left the appraisal.
    deduction = deduction_add(
        assessment=submitted, criterion=criterion, points=D("0.5"), user=staff, reason=late
    )
    explanation = explanation_submit(deduction=deduction, user=unit_head, text="Giải trình")
    submitted.state = State.PUBLISHED
    submitted.save()
    with pytest.raises(DomainError, match="đang thẩm định"):
        explanation_decide(explanation=explanation, user=staff, accept=True, withdraw=True)
    explanation.refresh_from_db()
    assert explanation.status == Explanation.Status.PENDING
