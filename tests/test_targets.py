"""Targets: status against the results on the boundaries (equal is met), the proposal from last
year capped at the maximum, the import all or nothing, and the pages."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from scoring.models import AssessmentResult, Period
from scoring.recompute import recompute_now
from scoring.services import deduction_add
from targets.computation import Status, proposed_value, target_status
from targets.models import Metric, Target
from targets.selectors.targets import target_statuses
from targets.services.target_import import targets_import
from targets.services.targets import target_set, targets_propose

from .factories import PeriodFactory


@pytest.mark.parametrize(
    ("actual", "final", "expected", "gap"),
    [
        (D("92.55"), True, Status.MET, D("0")),
        (D("92.56"), True, Status.MET, D("0.01")),
        (D("92.54"), True, Status.MISSED, D("-0.01")),
        (D("92.54"), False, Status.AT_RISK, D("-0.01")),
        (D("92.55"), False, Status.MET, D("0")),
        (None, False, Status.NO_DATA, None),
    ],
)
def test_a_percent_target_is_met_at_exactly_the_target(actual, final, expected, gap):
    assert target_status(metric="percent", target=D("92.55"), actual=actual, final=final) == (
        expected,
        gap,
    )


@pytest.mark.parametrize(
    ("place", "expected", "gap"),
    [(3, Status.MET, 0), (2, Status.MET, 1), (4, Status.MISSED, -1)],
)
def test_a_rank_target_is_met_at_that_place_or_better(place, expected, gap):
    assert target_status(metric="rank", target=D(3), actual=D(place), final=True) == (
        expected,
        D(gap),
    )


def test_the_proposal_adds_the_step_and_is_capped_at_the_maximum():
    assert proposed_value(metric="percent", last=D("85.10"), step=D(2), maximum=D(100)) == D(
        "87.10"
    )
    assert proposed_value(metric="percent", last=D("99.20"), step=D(2), maximum=D(100)) == D(
        "100.00"
    )
    assert proposed_value(metric="points", last=D("9.5"), step=D(2), maximum=D(10)) == D("10.00")
    assert proposed_value(metric="rank", last=D(2), step=D(2), maximum=None) == D(1)
    assert proposed_value(metric="rank", last=D(5), step=D(2), maximum=None) == D(3)


@pytest.fixture
def scored(assessment, period, staff):
    """Sở Tư pháp appraised at 3 of 10 points (30 %): 1.1 from its 4 points less one deducted;
    1.2 and 2.1 have no value."""
    assessment.state = "submitted"
    assessment.save()
    deduction_add(
        assessment=assessment,
        criterion=assessment.framework.criteria.get(code="1.1"),
        points=D(1),
        user=staff,
        note="Báo cáo trễ hạn",
    )
    recompute_now(period)
    result = AssessmentResult.objects.get(assessment=assessment)
    assert result.percent == D("30.00")
    return assessment


@pytest.mark.parametrize(
    ("value", "expected"),
    [("30.00", Status.MET), ("29.99", Status.MET), ("30.01", Status.AT_RISK)],
)
def test_a_unit_target_against_its_provisional_result(scored, period, unit, staff, value, expected):
    target_set(period=period, unit=unit, metric=Metric.PERCENT, value=D(value))
    (status,) = target_statuses(staff, period)
    assert status.status == expected
    assert status.actual == D("30.00")
    assert status.gap == D("30.00") - D(value)


def test_a_published_result_below_the_target_is_missed(scored, period, unit, staff):
    scored.state = "published"
    scored.save()
    target_set(period=period, unit=unit, metric=Metric.PERCENT, value=D("30.01"))
    target_set(period=period, unit=None, metric=Metric.PERCENT, value=D("30"))
    statuses = {s.target.unit_id: s for s in target_statuses(staff, period)}
    assert statuses[unit.pk].status == Status.MISSED
    assert statuses[None].status == Status.MET  # the province's average: one unit, 30 %


def test_a_unit_head_sees_no_province_average_of_provisional_figures(
    scored, period, unit, unit_head, other_unit, staff
):
    target_set(period=period, unit=None, metric=Metric.PERCENT, value=D("20"))
    target_set(period=period, unit=other_unit, metric=Metric.PERCENT, value=D("20"))
    target_set(period=period, unit=unit, metric=Metric.PERCENT, value=D("20"))
    seen = {s.target.unit_id: s for s in target_statuses(unit_head, period)}
    assert set(seen) == {None, unit.pk}
    assert seen[None].status == Status.NO_DATA
    assert seen[unit.pk].status == Status.MET


def test_a_rank_target_needs_a_unit(period):
    with pytest.raises(Exception, match="thứ hạng"):
        target_set(period=period, unit=None, metric=Metric.RANK, value=D(3))


def test_targets_are_proposed_from_last_year_capped_and_kept_when_set(
    scored, unit, other_unit, framework, group, staff
):
    last = Period.objects.get(year=2024)
    new = PeriodFactory(year=2025)
    target_set(period=new, unit=other_unit, metric=Metric.PERCENT, value=D(95))
    n = targets_propose(period=new, metric=Metric.PERCENT, step=D(2), user=staff)
    assert n == 2  # Sở Tư pháp and the province; Sở Y tế has no result in 2024
    found = dict(Target.objects.filter(period=new).values_list("unit_id", "value"))
    assert found == {unit.pk: D("32.00"), None: D("32.00"), other_unit.pk: D(95)}
    assert targets_propose(period=new, metric=Metric.PERCENT, step=D(2), user=staff) == 0
    Target.objects.filter(period=new).delete()
    targets_propose(period=new, metric=Metric.PERCENT, step=D(80), user=staff)
    assert Target.objects.get(period=new, unit=unit).value == D(100)  # capped
    targets_propose(period=new, metric=Metric.POINTS, step=D(8), user=staff)
    assert Target.objects.get(period=new, unit=unit, metric="points").value == D(10)  # 3 + 8 → 10
    assert last.year == 2024


def test_the_import_writes_every_row_or_none(period, unit):
    good = 'Mã đơn vị,Chỉ tiêu,Mục tiêu\n,Chỉ số CCHC (%),"92,55"\nso-tu-phap,thu hang,3\n'
    result = targets_import(period=period, data=good.encode(), filename="muc-tieu.csv")
    assert (result.written, result.errors) == (2, [])
    assert Target.objects.get(period=period, unit=None).value == D("92.55")
    bad = "Mã đơn vị,Chỉ tiêu,Mục tiêu\nso-tu-phap,chi so,95\nkhong-co,chi so,90\n,thu hang,2\n"
    result = targets_import(period=period, data=bad.encode(), filename="muc-tieu.csv")
    assert result.written == 0
    assert [(p.row, p.column) for p in result.errors] == [(3, "Mã đơn vị"), (4, "Mục tiêu")]
    assert Target.objects.get(period=period, unit=unit, metric="rank").value == D(3)
    assert not Target.objects.filter(period=period, unit=unit, metric="percent").exists()


def test_staff_set_a_target_on_the_page_and_see_its_status(client, staff, scored, period, unit):
    client.force_login(staff)
    response = client.post(
        reverse("targets:save", args=[2024]),
        {"unit": unit.pk, "metric": "percent", "value": "30,00", "component_code": "", "note": ""},
    )
    assert response.status_code == 302
    page = client.get(reverse("targets:list") + "?period=2024").content.decode()
    assert "Sở Tư pháp" in page and "30,00" in page and "Đạt" in page


def test_a_bad_value_on_the_page_is_a_message_and_writes_nothing(client, staff, period, unit):
    client.force_login(staff)
    response = client.post(
        reverse("targets:save", args=[2024]),
        {"unit": unit.pk, "metric": "percent", "value": "120", "component_code": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "100%" in response.content.decode()
    assert not Target.objects.exists()


def test_unit_heads_cannot_set_targets(client, unit_head, period, unit):
    client.force_login(unit_head)
    response = client.post(
        reverse("targets:save", args=[2024]), {"unit": unit.pk, "metric": "percent", "value": "1"}
    )
    assert response.status_code == 403
    assert not Target.objects.exists()


def test_components_are_measured_by_code(scored, period, unit, staff, framework, group):
    target_set(period=period, unit=unit, metric=Metric.COMPONENT, component_code="1", value=D(50))
    (status,) = target_statuses(staff, period)
    # Component 1: 3 of 6 points.
    assert status.actual == D("50.00")
    assert status.status == Status.MET


def test_sipas_targets_read_the_units_satisfaction_and_the_provinces_average(
    scored, period, unit, other_unit, staff
):
    from surveys.models import Survey, SurveyResult

    survey = Survey.objects.create(year=2024, kind="sipas", name="SIPAS 2024")
    SurveyResult.objects.create(survey=survey, unit=unit, percent=D("88.00"))
    SurveyResult.objects.create(survey=survey, unit=other_unit, percent=D("87.00"))
    target_set(period=period, unit=unit, metric=Metric.SIPAS, value=D("88"))
    target_set(period=period, unit=None, metric=Metric.SIPAS, value=D("88"))
    found = {s.target.unit_id: s for s in target_statuses(staff, period)}
    assert (found[unit.pk].actual, found[unit.pk].status) == (D("88.00"), Status.MET)
    # The province: (88 + 87) / 2 = 87,50, below 88 while the round is open.
    assert (found[None].actual, found[None].status) == (D("87.50"), Status.AT_RISK)
    assert found[None].gap == D("-0.50")


def test_a_unit_head_sees_the_province_average_only_from_a_publication(
    scored, period, unit, unit_head, staff
):
    from scoring.snapshots import period_publish

    target_set(period=period, unit=None, metric=Metric.PERCENT, value=D("20"))
    scored.state = "appraised"
    scored.save()
    (before,) = target_statuses(unit_head, period)
    assert before.status == Status.NO_DATA  # its own figure alone is not the province's average
    period_publish(period=period, user=staff)
    (after,) = target_statuses(unit_head, period)
    assert (after.actual, after.status) == (D("30.00"), Status.MET)
