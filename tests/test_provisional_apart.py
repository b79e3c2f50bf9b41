"""Provisional is not draft: before publication the units whose assessment is not appraised are kept
apart on the ranking, in the exports, the API and the PDF (their state shown, no rank, out of the
averages and of every conclusion), unless the reader asks to rank them with the others.

Khối sở, 2023 (locked): Sở Y tế 95 %, Sở Tư pháp 80 %, Sở Xây dựng 70 %. 2024, before publication:
Sở Tư pháp appraised 80 %, Sở Xây dựng appraised 70 %, Sở Y tế still drafting at 60 %. The engine
ranks all three (Sở Y tế third, down two places); the reader sees two ranked units and one apart.
"""

import csv
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from scoring.models import Assessment, CriterionScore, Period
from scoring.recompute import recompute_now
from scoring.workflow import State

from .factories import UnitFactory, make_assessment, small_framework


def _score(assessment, points: dict[str, D]) -> None:
    for code, value in points.items():
        leaf = assessment.framework.criteria.get(code=code)
        CriterionScore.objects.create(
            assessment=assessment,
            criterion=leaf,
            component=leaf.parent,
            max_points=leaf.max_points,
            appraised_points=value,
            points=value,
        )


@pytest.fixture
def two_years(db, period, framework, group, unit, other_unit):
    building = UnitFactory(code="so-xay-dung", name="Sở Xây dựng")
    before = Period.objects.create(year=2023, name="Chỉ số CCHC năm 2023")
    old_framework = small_framework(year=2023)
    figures = {
        unit: ((4, 2, 2), (4, 2, 2)),  # 80 % both years
        other_unit: ((4, 2, D("3.5")), (4, 2, 0)),  # 95 % → 60 %, still a draft
        building: ((4, 2, 1), (4, 2, 1)),  # 70 % both years
    }
    for u, (old, new) in figures.items():
        a = make_assessment(u, before, old_framework, group, state=State.LOCKED)
        _score(a, dict(zip(("1.1", "1.2", "2.1"), map(D, old), strict=True)))
        state = State.DRAFT if u == other_unit else State.APPRAISED
        a = make_assessment(u, period, framework, group, state=state)
        _score(a, dict(zip(("1.1", "1.2", "2.1"), map(D, new), strict=True)))
    recompute_now(before)
    recompute_now(period)
    stored = {
        a.unit.code: (a.result.rank, a.result.rank_change)
        for a in Assessment.objects.filter(period=period).select_related("unit", "result")
    }
    # The engine ranks everyone: the draft is third and "fell" two places.
    assert stored == {"so-tu-phap": (1, 1), "so-xay-dung": (2, 1), "so-y-te": (3, -2)}
    return period


QUERY = {"period": "2024", "group": "khoi-so"}


def test_the_ranking_keeps_the_draft_apart_without_a_rank(client, two_years, staff):
    client.force_login(staff)
    response = client.get(reverse("reports:ranking"), QUERY)
    rows = [(r.unit_code, r.rank, r.rank_change) for r in response.context["page_rows"]]
    assert rows == [("so-tu-phap", 1, 1), ("so-xay-dung", 2, 1), ("so-y-te", None, None)]
    summary = response.context["summary"]
    assert (summary.count, summary.apart, summary.average, summary.worst) == (
        3,
        1,
        D("75.00"),
        D("70.00"),
    )
    page = response.content.decode()
    assert "1 đơn vị chưa thẩm định được để riêng" in page and "Đang soạn</span>" in page


def test_the_reader_may_ask_to_rank_the_draft_with_the_others(client, two_years, staff):
    client.force_login(staff)
    response = client.get(reverse("reports:ranking"), {**QUERY, "drafts": "ranked"})
    rows = [(r.unit_code, r.rank) for r in response.context["page_rows"]]
    assert rows == [("so-tu-phap", 1), ("so-xay-dung", 2), ("so-y-te", 3)]
    assert response.context["summary"].average == D("70.00")
    assert "Để riêng các đơn vị chưa thẩm định" in response.content.decode()


def test_sorting_by_percent_still_keeps_the_draft_last(client, two_years, staff):
    client.force_login(staff)
    response = client.get(reverse("reports:ranking"), {**QUERY, "sort": "-percent"})
    assert [r.unit_code for r in response.context["page_rows"]] == [
        "so-xay-dung",
        "so-tu-phap",
        "so-y-te",
    ]


def test_the_export_shows_the_drafts_state_and_no_rank(client, two_years, staff):
    client.force_login(staff)
    response = client.get(reverse("reports:export", args=["ranking", "csv"]), QUERY)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    body = {row[1]: (row[0], row[7], row[8]) for row in rows[1:]}
    assert body == {
        "so-tu-phap": ("1", "1", "Tạm tính"),
        "so-xay-dung": ("2", "1", "Tạm tính"),
        "so-y-te": ("", "", "Đang soạn"),
    }
    assert [row[1] for row in rows[1:]][-1] == "so-y-te"


def test_the_api_says_which_units_are_kept_apart(client, two_years, staff):
    client.force_login(staff)
    data = client.get(reverse("reports:api_results"), QUERY).json()
    assert (data["count"], data["kept_apart"], data["average_percent"]) == (3, 1, "75.00")
    assert [
        (r["unit"]["code"], r["rank"], r["state"], r["kept_apart"]) for r in data["results"]
    ] == [
        ("so-tu-phap", 1, "appraised", False),
        ("so-xay-dung", 2, "appraised", False),
        ("so-y-te", None, "draft", True),
    ]
    asked = client.get(reverse("reports:api_results"), {**QUERY, "drafts": "ranked"}).json()
    assert [r["rank"] for r in asked["results"]] == [1, 2, 3] and asked["kept_apart"] == 0


def test_the_pdf_draws_no_conclusion_about_the_draft(rf, two_years, staff):
    from django.template.loader import render_to_string

    from reports import dashboards, pdf

    request = rf.get("/", QUERY)
    request.user = staff
    captured = {}

    def fake_render(template, context):
        captured["html"] = render_to_string(template, context)
        captured["context"] = context
        return b"%PDF-fake"

    original = pdf._render
    pdf._render = fake_render
    try:
        pdf.period_report(request, dashboards.parse_filters(staff, request.GET))
    finally:
        pdf._render = original
    html, context = captured["html"], captured["context"]
    # The comparison of the engine's ranks has the draft falling two places...
    assert [
        c.name
        for c in dashboards.comparison(
            staff, dashboards.parse_filters(staff, {**QUERY, "drafts": "ranked"})
        ).fell
    ] == ["Sở Y tế"]
    # ...but the report neither lists it among those that fell nor asks it for the reasons.
    assert context["fell"] == []
    assert not any("nguyên nhân" in r for r in context["recommendations"])
    assert "Sở Y tế (Đang soạn)" in html
    assert "1 đơn vị chưa thẩm định (hoặc không đánh giá) được để riêng" in html


def test_after_publication_the_left_out_unit_is_shown_as_not_assessed(client, two_years, staff):
    from scoring.snapshots import period_publish

    draft = Assessment.objects.get(period=two_years, unit__code="so-y-te")
    period_publish(period=two_years, user=staff, left_out={draft.pk: "Chưa nộp hồ sơ"})
    client.force_login(staff)
    response = client.get(reverse("reports:ranking"), QUERY)
    rows = [(r.unit_code, r.rank, r.state) for r in response.context["page_rows"]]
    assert rows == [
        ("so-tu-phap", 1, "published"),
        ("so-xay-dung", 2, "published"),
        ("so-y-te", None, "not_assessed"),
    ]
    assert response.context["summary"].average == D("75.00")
    assert "Không đánh giá</span>" in response.content.decode()
