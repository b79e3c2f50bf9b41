"""The dashboards with targets: the ranking's target line and who is below it, the points needed
to reach a target on the climb page, the group's average and spread across years, the unit
profile's targets and tasks beside its deductions."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from scoring.recompute import recompute_now
from scoring.services import deduction_add
from targets.computation import points_needed
from targets.models import Metric, PlanTask
from targets.services.targets import target_set

from .factories import PeriodFactory, make_assessment


@pytest.fixture
def two_units(assessment, other_unit, period, framework, group, staff):
    """Sở Tư pháp 30 % (3 of 10 points), Sở Y tế 35 % (3,5 of 10), both provisional."""
    other = make_assessment(other_unit, period, framework, group)
    leaf = framework.criteria.get(code="1.1")
    for a, lost in ((assessment, "1"), (other, "0.5")):
        a.state = "submitted"
        a.save()
        deduction_add(assessment=a, criterion=leaf, points=D(lost), user=staff, note="Trễ")
    recompute_now(period)
    return assessment, other


def test_points_needed_converts_a_percent_gap_to_points_rounded_up():
    assert points_needed(metric="percent", gap=D("-5.001"), max_points=D(100)) == D("5.01")
    assert points_needed(metric="percent", gap=D("-5"), max_points=D(10)) == D("0.50")
    assert points_needed(metric="points", gap=D("-1.5"), max_points=D(10)) == D("1.5")
    assert points_needed(metric="percent", gap=D("0"), max_points=D(10)) == D(0)
    assert points_needed(metric="rank", gap=D("-1"), max_points=D(10)) is None


def test_the_ranking_draws_the_target_line_and_names_who_is_below(
    client, leader, two_units, period, unit, other_unit
):
    target_set(period=period, unit=None, metric=Metric.PERCENT, value=D("35"))
    client.force_login(leader)
    response = client.get(reverse("reports:ranking") + "?period=2024&group=khoi-so")
    page = response.content.decode()
    below = page[page.index('id="below-target"') :]
    below = below[: below.index("</p>")]
    assert "35,00%" in below
    assert "Sở Tư pháp" in below and "Sở Y tế" not in below  # exactly at the target: met
    figure = response.context["figure"]
    assert any(
        s["x0"] == 35.0 and s["line"]["color"] == "#dc2626" for s in figure["layout"]["shapes"]
    )


def test_a_unit_target_overrides_the_provinces_on_the_ranking(
    client, leader, two_units, period, other_unit
):
    target_set(period=period, unit=None, metric=Metric.PERCENT, value=D("25"))
    target_set(period=period, unit=other_unit, metric=Metric.PERCENT, value=D("45"))
    client.force_login(leader)
    response = client.get(reverse("reports:ranking") + "?period=2024&group=khoi-so")
    assert [r.unit_name for r in response.context["below_target"]] == ["Sở Y tế"]


def test_the_climb_page_says_the_points_needed_to_reach_the_target(
    client, leader, two_units, period, unit
):
    target_set(period=period, unit=unit, metric=Metric.PERCENT, value=D("35"))
    client.force_login(leader)
    response = client.get(reverse("reports:climb") + f"?period=2024&group=khoi-so&unit={unit.pk}")
    ((_status, need),) = response.context["goals"]
    assert need == D("0.50")  # 5 points of percent of a 10-point maximum
    assert 'id="goal-needs"' in response.content.decode()


def test_the_trend_page_gives_the_average_and_spread_per_year(client, leader, two_units, period):
    target_set(period=period, unit=None, metric=Metric.PERCENT, value=D("50"))
    client.force_login(leader)
    response = client.get(reverse("targets:trends") + "?group=khoi-so")
    (year,) = response.context["years"]
    assert (year.year, year.count, year.average, year.lowest, year.highest, year.target) == (
        2024,
        2,
        D("32.50"),
        D("30.00"),
        D("35.00"),
        D("50"),
    )
    assert not year.final


def test_the_unit_profile_shows_its_target_on_the_trend_and_its_tasks(
    client, leader, two_units, period, unit, framework
):
    target_set(period=period, unit=unit, metric=Metric.PERCENT, value=D("35"))
    nxt = PeriodFactory(year=2025)
    task = PlanTask.objects.create(
        period=nxt,
        unit=unit,
        criterion=framework.criteria.get(code="1.1"),
        title="Khắc phục tiêu chí 1.1 — Kế hoạch",
        points_lost=D(1),
        deadline=dt.date(2025, 6, 30),
    )
    client.force_login(leader)
    response = client.get(reverse("reports:unit", args=[unit.pk]) + "?period=2024")
    page = response.content.decode()
    assert 'id="unit-targets"' in page and "Có nguy cơ không đạt" in page
    assert reverse("targets:task", args=[task.pk]) in page
    assert "line-task" in page  # beside the deduction of 1.1
    trace = response.context["figures"]["history"]["data"][-1]
    assert (trace["x"], trace["y"]) == (["2024"], [35.0])


def test_the_search_finds_a_unit_without_diacritics(client, leader, unit, other_unit):
    client.force_login(leader)
    response = client.get(reverse("targets:search") + "?q=so tu phap")
    assert response.status_code == 302
    assert response.url == reverse("reports:unit", args=[unit.pk])
    page = client.get(reverse("targets:search") + "?q=SO").content.decode()
    assert "Sở Tư pháp" in page and "Sở Y tế" in page
    page = client.get(reverse("targets:search") + "?q=so-y-te").content.decode()
    assert client.get(reverse("targets:search") + "?q=so-y-te").url == reverse(
        "reports:unit", args=[other_unit.pk]
    )
    page = client.get(reverse("targets:search") + "?q=khong co").content.decode()
    assert "Không tìm thấy" in page


def test_a_unit_named_exactly_so_is_opened_among_several_matches(client, leader, unit):
    from .factories import UnitFactory

    UnitFactory(code="phong-so-tu-phap", name="Phòng thuộc Sở Tư pháp")
    client.force_login(leader)
    response = client.get(reverse("targets:search") + "?q=so tu phap")
    assert response.url == reverse("reports:unit", args=[unit.pk])
    page = client.get(reverse("targets:search") + "?q=tu phap").content.decode()
    assert "Phòng thuộc Sở Tư pháp" in page and "Sở Tư pháp" in page
