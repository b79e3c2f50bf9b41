"""Round progress: one page per period with, per group, the units in each state, the late ones first,
the explanations and reopen requests waiting; staff see their queue, a unit head theirs only."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from scoring.models import (
    Assessment,
    CriterionScore,
    Deduction,
    Explanation,
    ReopenRequest,
)
from scoring.selectors.progress import round_progress
from scoring.workflow import State
from units.models import RankingGroup, UnitKind

from .factories import UnitFactory, make_assessment

TODAY = dt.date(2025, 1, 20)


@pytest.fixture
def round_(period, assessment, other_unit, framework, group, unit_head):
    """Khối sở: Sở Tư pháp (draft, one criterion self-scored, a deduction not answered) and Sở Y tế
    (submitted, an explanation pending); Khối huyện: Huyện A (draft, late) and Huyện B (appraised,
    a reopen request open). Self-assessment deadline 15/01/2025, appraisal 31/01/2025."""
    period.self_assessment_deadline = dt.date(2025, 1, 15)
    period.appraisal_deadline = dt.date(2025, 1, 31)
    period.save()
    Assessment.objects.filter(pk=assessment.pk).update(
        self_deadline_extended_to=dt.date(2025, 1, 25)
    )
    districts = RankingGroup.objects.create(
        code="khoi-huyen", name="Khối huyện", unit_kind=UnitKind.DISTRICT, order=2
    )
    health = make_assessment(other_unit, period, framework, group, state=State.SUBMITTED)
    late = make_assessment(
        UnitFactory(code="huyen-a", name="Huyện A", kind=UnitKind.DISTRICT),
        period,
        framework,
        districts,
    )
    done = make_assessment(
        UnitFactory(code="huyen-b", name="Huyện B", kind=UnitKind.DISTRICT),
        period,
        framework,
        districts,
        state=State.APPRAISED,
    )
    leaf = framework.criteria.get(code="1.1")
    own = CriterionScore.objects.create(
        assessment=assessment, criterion=leaf, component=leaf.parent, max_points=4, self_points=3
    )
    Deduction.objects.create(score=own, points=D(1), note="Báo cáo trễ")
    theirs = CriterionScore.objects.create(
        assessment=health, criterion=leaf, component=leaf.parent, max_points=4, self_points=4
    )
    explained = Deduction.objects.create(score=theirs, points=D(1), note="Thiếu hồ sơ")
    Explanation.objects.create(deduction=explained, text="Đã nộp bổ sung")
    ReopenRequest.objects.create(
        assessment=done, reason="Nhầm số liệu", requested_by=unit_head, from_state=State.APPRAISED
    )
    return {"own": assessment, "health": health, "late": late, "done": done}


def test_groups_count_each_state_and_the_late_group_comes_first(round_, staff):
    progress = round_progress(staff, round_["own"].period, today=TODAY)
    assert [g.name for g in progress.groups] == ["Khối huyện", "Khối sở"]
    districts, departments = progress.groups
    assert dict(districts.counts)[State.DRAFT] == 1 and dict(districts.counts)[State.APPRAISED] == 1
    assert (districts.total, districts.late, districts.reopen_open) == (2, 1, 1)
    assert dict(departments.counts)[State.SUBMITTED] == 1
    # Sở Tư pháp's extension runs to 25/01: not late on the 20th.
    assert (departments.late, departments.explanations_pending) == (0, 1)
    assert [(item.unit_name, item.days_late) for item in progress.late] == [("Huyện A", 5)]
    assert (progress.explanations_pending, progress.reopen_open) == (1, 1)


def test_after_the_appraisal_deadline_every_unit_not_appraised_is_late(round_, staff):
    progress = round_progress(staff, round_["own"].period, today=dt.date(2025, 2, 3))
    assert [(i.unit_name, i.appraisal, i.days_late) for i in progress.late] == [
        ("Huyện A", True, 3),
        ("Sở Tư pháp", True, 3),
        ("Sở Y tế", True, 3),
    ]


def test_staff_queue_puts_decisions_first_then_appraisals_then_late_units(round_, staff):
    queue = round_progress(staff, round_["own"].period, today=TODAY).queue
    assert [(t.kind, t.unit_name) for t in queue] == [
        ("reopen", "Huyện B"),
        ("explanations", "Sở Y tế"),
        ("appraise", "Sở Y tế"),
        ("late", "Huyện A"),
    ]


def test_a_unit_heads_queue_is_their_own_sheet_only(round_, unit_head):
    progress = round_progress(unit_head, round_["own"].period, today=TODAY)
    assert not progress.sees_all and progress.groups[0].total == 1
    assert [(t.kind, t.count) for t in progress.queue] == [
        ("unscored", 2),  # 1.2 and 2.1 of the three leaves
        ("self_assess", 0),
        ("deductions", 1),
    ]
    assert {t.unit_name for t in progress.queue} == {"Sở Tư pháp"}


def test_the_page_shows_staff_every_group_and_a_unit_head_nothing_of_the_others(
    client, round_, staff, unit_head, leader, monkeypatch
):
    from django.utils import timezone

    noon = dt.datetime(2025, 1, 20, 12, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    url = reverse("scoring:round_progress", args=[2024])
    client.force_login(staff)
    page = client.get(url).content.decode()
    assert "Khối huyện" in page and "Huyện A" in page and "quá hạn 5 ngày" in page
    assert "quyết định 1 giải trình" in page and "Hạn tự đánh giá: 15/01/2025" in page
    client.force_login(leader)
    page = client.get(url).content.decode()
    assert "Khối huyện" in page and "Không có việc nào đang chờ bạn" in page
    client.force_login(unit_head)
    page = client.get(url).content.decode()
    assert "2 tiêu chí chưa tự chấm" in page and "1 nội dung bị trừ điểm chưa giải trình" in page
    assert "Hạn tự đánh giá (đã gia hạn): 25/01/2025 · còn 5 ngày" in page
    for other in ("Huyện A", "Huyện B", "Sở Y tế", "Khối huyện"):
        assert other not in page
    assert client.get(reverse("scoring:round_progress", args=[1999])).status_code == 404
