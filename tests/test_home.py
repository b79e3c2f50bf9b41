import pytest
from django.urls import reverse

from scoring.recompute import recompute_now

from .factories import make_assessment


@pytest.fixture
def with_results(assessment, period):
    recompute_now(period)
    return assessment


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_login_page_speaks_vietnamese(client):
    response = client.get(reverse("login"))
    assert "Đăng nhập" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("staff", "Chấm điểm và thẩm định"),
        ("admin_user", "Bộ chỉ số và đơn vị"),
        ("leader", "Kết quả và xếp hạng"),
    ],
)
def test_each_role_sees_where_to_go(request, client, with_results, who, expected):
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("home")).content.decode()
    assert expected in page
    assert "Kỳ đánh giá hiện tại: Chỉ số CCHC năm 2024" in page


def test_a_unit_head_sees_only_their_own_unit(
    client, with_results, unit_head, other_unit, period, framework, group
):
    make_assessment(other_unit, period, framework, group)
    client.force_login(unit_head)
    page = client.get(reverse("home")).content.decode()
    assert "Đơn vị của bạn: Sở Tư pháp" in page
    assert "Sở Y tế" not in page
    assert "Chấm điểm và thẩm định" not in page


def test_the_leaders_before_publication_are_the_appraised_units_only(
    client, with_results, leader, other_unit, period, framework, group
):
    """A draft scoring more than every appraised unit does not lead its group on the home page."""
    from decimal import Decimal

    from scoring.models import Assessment, CriterionScore

    draft = make_assessment(other_unit, period, framework, group)
    leaf = framework.criteria.get(code="1.1")
    CriterionScore.objects.create(
        assessment=draft, criterion=leaf, component=leaf.parent, max_points=4, points=Decimal(4)
    )
    Assessment.objects.filter(pk=with_results.pk).update(state="appraised")
    recompute_now(period)
    client.force_login(leader)
    leaders = client.get(reverse("home")).context["top_results"]
    assert [(r.assessment.unit.code, r.appraised_rank) for r in leaders] == [("so-tu-phap", 1)]


def test_a_user_without_a_role_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("khach", password="x"))
    assert client.get(reverse("home")).status_code == 403


def test_the_interface_is_vietnamese_even_for_an_english_browser(client, staff, with_results):
    # Appraised, so that it leads its group on the home page (a draft would be kept apart).
    type(with_results).objects.filter(pk=with_results.pk).update(state="appraised")
    client.force_login(staff)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi">' in page
    assert "0,00" in page  # the result of the fixture's empty assessment, Vietnamese style


def test_english_is_available_when_chosen(client, staff, with_results):
    client.force_login(staff)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in page
