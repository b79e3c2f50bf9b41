"""A dashboard over a group of 10,000 units reads the stored results in a bounded number of queries
(at most 10 per request, session and user included) and pages its table and charts."""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from scoring.models import AssessmentResult, Period

from .factories import make_user

UNITS = 10_000


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command(
            "generate_scale",
            units=UNITS,
            criteria=16,
            years=2,
            groups=1,
            prefix="qc",
            stdout=io.StringIO(),
        )
        if connection.vendor == "postgresql":
            # Fresh bulk-loaded tables have no statistics until autovacuum comes by; without them
            # the planner may pick nested loops over 80,000 rows. Production tables are analyzed.
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE scoring_assessmentresult, scoring_componentresult, "
                    "scoring_criterionscore, scoring_assessment, scoring_deduction, units_unit"
                )
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
