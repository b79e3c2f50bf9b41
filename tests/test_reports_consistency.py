"""Figures that must not contradict each other on the demo's dashboards: a rank change with no rank
to compare with, the climb's share of units at full marks, a merged unit's predecessors, the
provisional count of a published period, and what an empty group says."""

from decimal import Decimal

import pytest
from django.urls import reverse

from reports import computation
from scoring.models import AssessmentResult, CriterionScore
from units.models import RankingGroup, UnitKind

from .reports_support import demo, period, unit, user

__all__ = ["demo"]
pytestmark = pytest.mark.usefixtures("demo")


def get(client, username, name, *args, **params):
    client.force_login(user(username))
    response = client.get(reverse(f"reports:{name}", args=args), params)
    assert response.status_code == 200, response.content[:500]
    return response


def test_a_merged_unit_without_a_rank_last_year_shows_no_rank_change(db, client):
    merged = unit("so-tai-chinh-2024")
    stored = AssessmentResult.objects.get(assessment__unit=merged, period__year=2024)
    # The engine ranks a merger against its best predecessor: a change is stored...
    assert stored.rank_change is not None
    rows = get(client, "lanhdao", "comparison", period="2024", group="khoi-so").context["rows"]
    row = next(r for r in rows if r.unit_id == merged.pk)
    # ...but the comparison shows no rank last year for it, so it claims no change either.
    assert row.via_predecessors and row.previous_rank is None
    assert row.rank_change is None
    others = [r for r in rows if r.unit_id != merged.pk and r.previous_rank is not None]
    assert others and any(r.rank_change for r in others)


def test_the_in_memory_comparison_claims_no_change_without_a_previous_rank():
    class Row:
        def __init__(self, unit_id, percent, rank, rank_change):
            self.unit_id, self.unit_name, self.percent = unit_id, f"Đơn vị {unit_id}", percent
            self.rank, self.rank_change, self.published = rank, rank_change, True

    current = [Row(10, Decimal("88"), 1, -5), Row(2, Decimal("80"), 2, 1)]
    previous = [Row(1, Decimal("84"), 1, None), Row(2, Decimal("82"), 3, None)]
    merged, other = computation.compare_periods(current, previous, {10: [1]})
    assert (merged.previous_rank, merged.rank_change) == (None, None)
    assert (other.previous_rank, other.rank_change) == (3, 1)


def test_the_climbs_full_marks_share_counts_the_groups_current_results(db, client):
    """2024 is open: most results are provisional. Leadership sees them on every figure of the
    page, so the share of other units at full marks counts them too."""
    me = AssessmentResult.objects.filter(period__year=2024, group__code="khoi-huyen").first()
    response = get(
        client,
        "lanhdao",
        "climb",
        period="2024",
        group="khoi-huyen",
        unit=str(me.assessment.unit_id),
    )
    losses = response.context["losses"]
    assert losses
    others = CriterionScore.objects.filter(
        assessment__period__year=2024,
        assessment__result__group__code="khoi-huyen",
        not_applicable=False,
    ).exclude(assessment_id=me.assessment_id)
    for loss in losses:
        on = others.filter(criterion__code=loss.code)
        full = sum(1 for s in on if s.points >= s.max_points)
        assert loss.peers_full_share == Decimal(full) / on.count(), loss.code
    assert any(loss.peers_full_share > 0 for loss in losses)


def test_a_merged_unit_never_reads_as_its_own_predecessor(db, client):
    merged = unit("so-tai-chinh-2024")
    response = get(client, "lanhdao", "unit", merged.pk, period="2024")
    predecessors = response.context["predecessors"]
    assert {p.code for p in predecessors} == {"so-tai-chinh", "so-ke-hoach-dau-tu"}
    assert all(p.id != merged.pk for p in predecessors)
    page = response.content.decode()
    # The old Sở Tài chính bears the same name: its code and years tell it apart.
    old = next(p for p in predecessors if p.code == "so-tai-chinh")
    assert old.last_year == 2023
    assert f"Sở Tài chính (so-tai-chinh, {old.first_year}–2023)" in page


def test_a_published_period_does_not_announce_zero_provisional_results(db, client):
    page = get(client, "lanhdao", "ranking", period="2023", group="khoi-so").content.decode()
    assert "kết quả tạm tính (chưa công bố), có thể thay đổi" not in page
    page = get(client, "lanhdao", "ranking", period="2024", group="khoi-so").content.decode()
    assert "kết quả tạm tính (chưa công bố), có thể thay đổi" in page


@pytest.mark.parametrize("name", ["ranking", "heatmap", "comparison", "deductions"])
def test_an_empty_group_says_it_is_empty_not_that_it_is_hidden(db, client, name):
    RankingGroup.objects.create(
        code="khoi-trong", name="Khối trống", unit_kind=UnitKind.DEPARTMENT, order=9
    )
    page = get(client, "lanhdao", name, period="2024", group="khoi-trong").content.decode()
    assert f"Khối “Khối trống” chưa có đơn vị nào có kết quả trong kỳ {period(2024).name}." in page
    assert "bạn được phép xem" not in page


def test_results_the_unit_head_may_not_see_keep_the_permission_wording(db, client):
    """2024 is open: the districts' results exist but are provisional, hidden from a department's
    unit head."""
    assert AssessmentResult.objects.filter(period__year=2024, group__code="khoi-huyen").exists()
    page = get(
        client, "thutruong.stp", "ranking", period="2024", group="khoi-huyen"
    ).content.decode()
    assert "Chưa có kết quả nào bạn được phép xem cho kỳ và khối này." in page
    assert "chưa có đơn vị nào có kết quả" not in page
