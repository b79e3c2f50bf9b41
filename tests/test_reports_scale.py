"""A dashboard over a group of 10,000 units reads the stored results in a bounded number of queries
(at most 10 per request, session and user included) and pages its table and charts."""

import itertools
import random
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse

from indicators.models import Framework, RatingBand
from indicators.services import criterion_create
from scoring.models import (
    Assessment,
    AssessmentResult,
    CriterionScore,
    Deduction,
    DeductionReason,
    Period,
)
from scoring.recompute import recompute_now
from scoring.workflow import State
from units.models import GroupMembership, RankingGroup, Unit

from .factories import make_user

UNITS = 10_000


def build_national(units: int) -> None:
    """10,000 communes in one group, 8 criteria, two years of appraised scores, then recompute.

    Built here rather than with generate_scale, whose database-wide ANALYZE would hold locks on
    the shared catalogs for the whole test transaction and stall every other test run's ANALYZE.
    """
    rng = random.Random(5)
    group = RankingGroup.objects.create(
        code="qc-khoi", name="Khối xã (tổng hợp)", unit_kind="commune"
    )
    made = Unit.objects.bulk_create(
        [
            Unit(
                code=f"qc-{i:05d}",
                name=f"Xã tổng hợp {i:05d}",
                kind="commune",
                active_from_year=2015,
            )
            for i in range(units)
        ],
        batch_size=5000,
    )
    for year in (2023, 2024):
        GroupMembership.objects.bulk_create(
            [GroupMembership(unit=u, group=group, year=year) for u in made], batch_size=5000
        )
        framework = Framework.objects.create(
            year=year, unit_kind="commune", name=f"Bộ chỉ số xã {year}", max_points=Decimal(48)
        )
        RatingBand.objects.bulk_create(
            RatingBand(framework=framework, label=label, min_percent=m)
            for label, m in (("A", 90), ("B", 80), ("C", 70), ("D", 0))
        )
        leaves = []
        for c in range(1, 9):
            comp = criterion_create(
                framework=framework, code=str(c), name=f"Lĩnh vực {c}", max_points=Decimal(6)
            )
            for j in (1,):
                leaves.append(
                    criterion_create(
                        framework=framework,
                        code=f"{c}.{j}",
                        name=f"Tiêu chí {c}.{j}",
                        max_points=Decimal(6),
                        parent=comp,
                    )
                )
        period = Period.objects.create(year=year, name=f"Chỉ số CCHC năm {year} (tổng hợp)")
        assessments = Assessment.objects.bulk_create(
            [
                Assessment(period=period, unit=u, framework=framework, state=State.LOCKED)
                for u in made
            ],
            batch_size=5000,
        )
        scores = []
        for a in assessments:
            for leaf in leaves:
                lost = Decimal(rng.choice([0, 0, 0, 0, 1, 2])) / 2
                scores.append(
                    CriterionScore(
                        assessment=a,
                        criterion=leaf,
                        component_id=leaf.component_id,
                        max_points=leaf.max_points,
                        points=leaf.max_points - lost,
                    )
                )
        CriterionScore.objects.bulk_create(scores, batch_size=10000)
        reason = DeductionReason.objects.get_or_create(code="qc", defaults={"label": "Trễ hạn"})[0]
        Deduction.objects.bulk_create(
            [
                Deduction(score=s, points=s.max_points - s.points, reason=reason, note="Trễ hạn")
                for s in scores[::7]
                if s.points < s.max_points
            ],
            batch_size=10000,
        )
        recompute_now(period)


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        build_national(UNITS)
        if connection.vendor == "postgresql":
            # Statistics for the bulk-loaded tables (rows of this transaction count as live):
            # without them the planner may nested-loop the component aggregate.
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE scoring_assessmentresult, scoring_componentresult, "
                    "scoring_criterionscore, scoring_assessment, scoring_deduction, units_unit"
                )
                # Check the deferred foreign keys of the bulk load once, here, rather than at the
                # end of every test (Django checks pending constraints at each test's teardown).
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("national")


@pytest.fixture
def leader(db):
    return make_user("leadership", username="lanhdao-qc")


def params() -> dict:
    period = Period.objects.order_by("-year").first()
    group = AssessmentResult.objects.filter(period=period).values_list("group__code", flat=True)[0]
    return {"period": str(period.year), "group": group}


@pytest.mark.parametrize(
    "name", ["ranking", "heatmap", "deductions", "climb", "comparison", "api_results"]
)
def test_a_dashboard_of_ten_thousand_units_takes_at_most_ten_queries(
    client, leader, name, django_assert_max_num_queries
):
    query = params()
    assert AssessmentResult.objects.filter(period__year=query["period"]).count() == UNITS
    client.force_login(leader)
    if name == "climb":
        query["unit"] = str(
            AssessmentResult.objects.filter(period__year=query["period"], rank__gt=100)
            .values_list("assessment__unit_id", flat=True)
            .first()
        )
    with django_assert_max_num_queries(10):
        response = client.get(reverse(f"reports:{name}"), query)
    assert response.status_code == 200


def test_the_big_ranking_is_paged_and_the_chart_draws_one_page(client, leader):
    client.force_login(leader)
    response = client.get(reverse("reports:ranking"), {**params(), "page": "2"})
    assert response.context["summary"].count == UNITS
    assert response.context["pages"] == -(-UNITS // 60)
    rows = response.context["page_rows"]
    assert len(rows) == 60 and rows[0].rank is not None and rows[0].rank >= 61 - 60
    bars = sum(len(t["x"]) for t in response.context["figure"]["data"] if t["type"] == "bar")
    assert bars == 60
    assert "Trang 2 / 167" in response.content.decode()


def test_the_big_heatmap_fetches_components_for_one_page_only(client, leader):
    client.force_login(leader)
    response = client.get(reverse("reports:heatmap"), params())
    assert len(response.context["units"]) == 60
    assert len(response.context["averages"]) == 8


def test_the_climb_read_from_the_database_agrees_with_the_whole_ranking_in_memory(client, leader):
    """The climb page reads three units above and counts the rest in SQL; the arithmetic over the
    whole group in memory must give the same targets, new ranks and a picker around the unit."""
    from reports import computation, dashboards
    from reports.dashboards.climbing import standing
    from reports.selectors.results import group_rows

    client.force_login(leader)
    query = params()
    period = Period.objects.get(year=query["period"])
    group = RankingGroup.objects.get(code=query["group"])
    rows = group_rows(leader, period=period, group=group)
    # Most units keep full marks (rank 1); among the others: one in the middle, one tied with
    # the next unit, and the last one.
    ranked = [r for r in rows if r.rank is not None and r.rank > 500]
    middle = ranked[len(ranked) // 2]
    tied = next(r for a, r in itertools.pairwise(ranked) if a.percent == r.percent)
    for row in (middle, tied, rows[-1]):
        response = client.get(reverse("reports:climb"), {**query, "unit": str(row.unit_id)})
        got = response.context["targets"]
        standings = [standing(r) for r in rows]
        me = next(s for s in standings if s.unit_id == row.unit_id)
        expected = computation.climb(me, standings, [])
        assert [(t.target.unit_id, t.points_needed, t.new_rank) for t in got] == [
            (t.target.unit_id, t.points_needed, t.new_rank) for t in expected
        ]
        assert len(got) == 3
        assert all(t.new_rank < row.rank for t in got)
        assert response.context["hidden_above"] == 0
        choices = response.context["choices"]
        assert len(choices) == dashboards.PICKER_CAP
        assert row.unit_id in {c.unit_id for c in choices}
        at = next(i for i, r in enumerate(rows) if r.unit_id == choices[0].unit_id)
        assert [c.unit_id for c in choices] == [r.unit_id for r in rows[at : at + len(choices)]]
