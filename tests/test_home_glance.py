"""The first page answers each role's question: leadership where the province stands against its
targets, who pulls the average down, overdue tasks; staff their queue; a unit head their targets,
the deductions to answer and their tasks due. The top bar's search box."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from scoring.recompute import recompute_now
from scoring.services import deduction_add
from targets.models import Metric, PlanTask, TaskStatus
from targets.services.targets import target_set

from .factories import make_assessment


@pytest.fixture
def world(assessment, other_unit, period, framework, group, staff):
    """Sở Tư pháp 30 %, Sở Y tế 35 % (provisional); a province target of 32,5 %; an overdue task
    of Sở Y tế and an open one of Sở Tư pháp."""
    other = make_assessment(other_unit, period, framework, group)
    leaf = framework.criteria.get(code="1.1")
    for a, lost in ((assessment, "1"), (other, "0.5")):
        a.state = "submitted"
        a.save()
        deduction_add(assessment=a, criterion=leaf, points=D(lost), user=staff, note="Trễ")
    recompute_now(period)
    target_set(period=period, unit=None, metric=Metric.PERCENT, value=D("32.5"))
    target_set(period=period, unit=assessment.unit, metric=Metric.PERCENT, value=D("31"))
    for unit, status in (
        (other_unit, TaskStatus.OVERDUE),
        (assessment.unit, TaskStatus.IN_PROGRESS),
    ):
        PlanTask.objects.create(
            period=period,
            unit=unit,
            criterion=leaf,
            title=f"Khắc phục 1.1 ({unit.name})",
            points_lost=D(1),
            deadline=dt.date(2024, 6, 30),
            status=status,
        )
    return assessment


def between(page: str, marker: str) -> str:
    start = page.index(marker)
    return page[start : page.index("</ul>", start)]


def test_leadership_sees_the_targets_who_pulls_down_and_overdue_tasks(client, leader, world):
    client.force_login(leader)
    page = client.get(reverse("home")).content.decode()
    targets = between(page, 'id="province-targets"')
    assert "32,50*" in targets and "32,50" in targets and "Đạt" in targets  # average 32,5: met
    assert "Sở Tư pháp" in between(page, 'id="pull-down"')
    assert "Sở Y tế" not in between(page, 'id="pull-down"')
    overdue = between(page, 'id="overdue-tasks"')
    assert "Khắc phục 1.1 (Sở Y tế)" in overdue and "Sở Tư pháp)" not in overdue
    assert 'id="staff-queue"' not in page


def test_staff_see_their_queue(client, staff, world):
    client.force_login(staff)
    page = client.get(reverse("home")).content.decode()
    assert "2 bản đánh giá chờ thẩm định" in between(page, 'id="staff-queue"')


def test_a_unit_head_sees_their_targets_deductions_to_answer_and_tasks(client, unit_head, world):
    client.force_login(unit_head)
    page = client.get(reverse("home")).content.decode()
    assert "1 nội dung bị trừ điểm chưa giải trình" in page
    assert "Khắc phục 1.1 (Sở Tư pháp)" in between(page, 'id="tasks-due"')
    assert "Sở Y tế" not in page
    assert "Có nguy cơ không đạt" in page  # 30 % against 31 %, provisional


def test_the_top_bar_has_the_unit_search(client, leader, world):
    client.force_login(leader)
    page = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("targets:search")}"' in page
