import pytest
from django.urls import reverse

from scoring.models import Period, ResultSnapshot
from scoring.recompute import recompute_now

from .factories import make_assessment


@pytest.fixture
def computed(assessment, period, other_unit, framework, group):
    make_assessment(other_unit, period, framework, group)
    recompute_now(period)
    return period


def publish(client, year=2024):
    """Publish through the pages: every assessment appraised, confirmed at once."""
    from scoring.models import Assessment

    Assessment.objects.filter(period__year=year).update(state="appraised")
    url = reverse("scoring:period_publish", args=[year])
    return client.post(url, {"step": "confirm"}, follow=True)


def test_staff_publish_a_period_once_and_the_list_says_which_version(client, staff, computed):
    client.force_login(staff)
    page = publish(client).content.decode()
    assert "Đã công bố kết quả Chỉ số CCHC năm 2024 (phiên bản 1)" in page
    assert "Đã công bố · phiên bản 1" in page
    assert Period.objects.get(year=2024).status == Period.Status.PUBLISHED
    again = publish(client).content.decode()
    assert "đã được công bố" in again
    assert ResultSnapshot.objects.count() == 1


def test_a_correction_needs_a_reason_and_makes_a_new_version(client, staff, computed):
    client.force_login(staff)
    publish(client)
    url = reverse("scoring:snapshot_correct", args=[2024])
    refused = client.post(url, {"reason": "  "}, follow=True).content.decode()
    assert "Cần nêu lý do" in refused
    assert ResultSnapshot.objects.count() == 1
    page = client.post(url, {"reason": "Sửa điểm tiêu chí 3.2.1 theo giải trình"}, follow=True)
    assert "phiên bản 2" in page.content.decode()
    latest = ResultSnapshot.objects.order_by("-version").first()
    assert (latest.version, latest.reason) == (2, "Sửa điểm tiêu chí 3.2.1 theo giải trình")


@pytest.mark.parametrize("who", ["leader", "unit_head"])
def test_only_staff_publish(client, request, computed, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(reverse("scoring:period_publish", args=[2024])).status_code == 403
    assert not ResultSnapshot.objects.exists()
