"""The read-only JSON API: ranked results per period and group, and a unit's history."""

from decimal import Decimal

import pytest
from django.urls import reverse

from .reports_support import demo, stored, unit, user

__all__ = ["demo"]
pytestmark = pytest.mark.usefixtures("demo")


def api(client, username, name, *args, **params):
    if username:
        client.force_login(user(username))
    return client.get(reverse(f"reports:{name}", args=args), params)


def test_results_are_ranked_with_exact_decimal_strings(db, client):
    response = api(client, "lanhdao", "api_results", period="2023", group="khoi-so")
    assert response.status_code == 200
    data = response.json()
    assert data["period"] == {"year": 2023, "name": "Chỉ số CCHC năm 2023"}
    assert data["group"]["code"] == "khoi-so"
    results = stored(2023, "khoi-so")
    assert data["count"] == len(results) == len(data["results"])
    for item, r in zip(data["results"], results, strict=True):
        assert item["unit"]["code"] == r.assessment.unit.code
        assert item["rank"] == r.rank and item["rank_change"] == r.rank_change
        assert item["percent"] == f"{r.percent:.2f}"
        assert item["status"] == "published"
    average = sum(r.percent for r in results) / len(results)
    assert Decimal(data["average_percent"]) == average.quantize(Decimal("0.01"))


def test_results_come_a_page_at_a_time_with_links_to_the_next_and_previous(db, client):
    results = stored(2023, "khoi-so")
    first = api(client, "lanhdao", "api_results", period="2023", group="khoi-so", page_size="7")
    data = first.json()
    pages = -(-len(results) // 7)
    assert (data["count"], data["page"], data["pages"], data["page_size"]) == (
        len(results),
        1,
        pages,
        7,
    )
    assert data["previous"] is None and "page=2" in data["next"]
    seen = list(data["results"])
    while data["next"]:
        data = client.get(data["next"]).json()
        assert data["count"] == len(results) and len(data["results"]) <= 7
        seen += data["results"]
    assert data["page"] == pages and f"page={pages - 1}" in data["previous"]
    # The pages together are the whole ranking, in order, each unit once.
    assert [(r["rank"], r["unit"]["code"]) for r in seen] == [
        (r.rank, r.assessment.unit.code) for r in results
    ]
    # The totals are the group's, whichever page.
    average = sum(r.percent for r in results) / len(results)
    assert Decimal(data["average_percent"]) == average.quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    "params", [{"page": "0"}, {"page": "x"}, {"page_size": "0"}, {"page_size": "2001"}]
)
def test_a_bad_page_or_page_size_gets_a_400(db, client, params):
    response = api(client, "lanhdao", "api_results", period="2023", group="khoi-so", **params)
    assert response.status_code == 400
    assert "«page» phải là số nguyên" in response.json()["error"]


def test_a_page_past_the_last_gets_a_404(db, client):
    response = api(client, "lanhdao", "api_results", period="2023", group="khoi-so", page="99")
    assert response.status_code == 404
    assert "Không có trang 99" in response.json()["error"]


def test_a_unit_head_gets_only_their_unit_of_the_open_round(db, client):
    data = api(client, "thutruong.stp", "api_results", period="2024", group="khoi-so").json()
    assert [r["unit"]["code"] for r in data["results"]] == ["so-tu-phap"]
    assert data["results"][0]["status"] == "provisional"
    # Sở Tư pháp is still drafting: kept apart, not counted as a provisional result.
    assert data["results"][0]["state"] == "draft" and data["results"][0]["kept_apart"]
    assert data["results"][0]["rank"] is None
    assert (data["provisional"], data["kept_apart"], data["published"]) == (0, 1, 0)


def test_bad_parameters_get_a_400_with_a_vietnamese_message(db, client):
    response = api(client, "lanhdao", "api_results", period="x", group="khoi-so")
    assert response.status_code == 400
    assert "Không có kỳ đánh giá năm «x»" in response.json()["error"]


def test_anonymous_and_roleless_callers_are_refused(db, client, django_user_model):
    assert api(client, None, "api_results").status_code == 401
    client.force_login(django_user_model.objects.create_user("khach", password="x"))
    assert client.get(reverse("reports:api_results")).status_code == 403


def test_periods_and_groups_list_what_the_filters_accept(db, client):
    data = api(client, "lanhdao", "api_periods").json()
    assert [p["year"] for p in data["periods"]] == [2024, 2023, 2022]
    assert {"khoi-so", "khoi-huyen"} <= {g["code"] for g in data["groups"]}


def test_a_merged_units_history_includes_its_predecessors(db, client):
    merged = unit("so-tai-chinh-2024")
    data = api(client, "lanhdao", "api_unit_history", merged.pk).json()
    codes = {(r["year"], r["unit"]["code"]) for r in data["results"]}
    assert (2023, "so-ke-hoach-dau-tu") in codes and (2024, "so-tai-chinh-2024") in codes
    assert set(data["predecessors"]) == {unit("so-tai-chinh").pk, unit("so-ke-hoach-dau-tu").pk}


def test_the_api_is_read_only(db, client):
    client.force_login(user("canbo.snv"))
    assert client.post(reverse("reports:api_results")).status_code == 405
