"""Published periods: the dashboards, exports and API read the published snapshot, never
the live results that changed since, say which version they show, and show an earlier version on
request; unpublished periods keep saying their results are provisional."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.roles import unit_id_of
from scoring.models import Assessment, AssessmentResult, CriterionScore
from scoring.permissions import PUBLISHED_STATES
from scoring.recompute import recompute_now
from scoring.snapshots import period_publish, snapshot_correct

from .reports_support import demo, period, stored, user, vn

__all__ = ["demo"]
pytestmark = pytest.mark.usefixtures("demo")

GROUP = "khoi-so"
REASON = "Chấm lại tiêu chí 2.1 theo giải trình của đơn vị"


def get(client, username, name, *args, **params):
    client.force_login(user(username))
    response = client.get(reverse(f"reports:{name}", args=args), params)
    assert response.status_code == 200, response.content[:500]
    return response


def day(snapshot) -> str:
    return timezone.localtime(snapshot.created_at).strftime("%d/%m/%Y")


@pytest.fixture
def published(db):
    """2024 published (version 1), then the best unit of the group loses every point and the live
    results are recomputed: the published figures and the live ones now differ."""
    year = period(2024)
    # Publication needs every assessment appraised.
    Assessment.objects.filter(period=year).update(state="appraised")
    snapshot = period_publish(period=year, user=user("canbo.snv"))
    before = stored(2024, GROUP)
    best = before[0]
    CriterionScore.objects.filter(assessment=best.assessment).update(points=0)
    recompute_now(year)
    live = AssessmentResult.objects.get(pk=best.pk)
    assert live.percent < best.percent and live.rank != best.rank
    return {"period": year, "snapshot": snapshot, "best": best, "live": live, "before": before}


def test_the_ranking_shows_the_published_figures_and_says_which_version(db, client, published):
    best = published["best"]
    response = get(client, "lanhdao", "ranking", period="2024", group=GROUP)
    rows = {r.unit_id: r for r in response.context["rows"]}
    mine = rows[best.assessment.unit_id]
    assert (mine.percent, mine.rank) == (best.percent, best.rank)
    assert response.context["rows"][0].unit_id == best.assessment.unit_id
    assert all(r.published for r in rows.values())
    page = response.content.decode()
    assert f"Kết quả công bố · phiên bản 1 ({day(published['snapshot'])})" in page
    assert "lý do đính chính" not in page
    assert vn(best.percent) in page


def test_a_correction_shows_version_2_its_reason_and_version_1_on_request(db, client, published):
    best, live = published["best"], published["live"]
    correction = snapshot_correct(period=published["period"], user=user("canbo.snv"), reason=REASON)
    assert correction.version == 2
    response = get(client, "lanhdao", "ranking", period="2024", group=GROUP)
    mine = next(r for r in response.context["rows"] if r.unit_id == best.assessment.unit_id)
    assert (mine.percent, mine.rank) == (live.percent, live.rank)
    page = response.content.decode()
    assert f"Kết quả công bố · phiên bản 2 ({day(correction)}) — lý do đính chính: {REASON}" in page
    assert "version=1" in page  # the link to the earlier version

    old = get(client, "lanhdao", "ranking", period="2024", group=GROUP, version="1")
    mine = next(r for r in old.context["rows"] if r.unit_id == best.assessment.unit_id)
    assert (mine.percent, mine.rank) == (best.percent, best.rank)
    page = old.content.decode()
    assert "Kết quả công bố · phiên bản 1" in page
    assert "đã có phiên bản mới hơn (phiên bản 2)" in page
    # The tabs keep the version: the heatmap of version 1 shows version 1 too.
    assert "version=1" in page
    heat = get(client, "lanhdao", "heatmap", period="2024", group=GROUP, version="1")
    row = next(u.row for u in heat.context["units"] if u.row.unit_id == best.assessment.unit_id)
    assert row.percent == best.percent


def test_an_unknown_version_is_a_clear_error_and_shows_the_latest(db, client, published):
    response = get(client, "lanhdao", "ranking", period="2024", group=GROUP, version="7")
    page = response.content.decode()
    assert "Không có phiên bản «7» của kết quả công bố" in page
    assert "Kết quả công bố · phiên bản 1" in page
    junk = get(client, "lanhdao", "ranking", period="2024", group=GROUP, version="abc")
    assert "Không có phiên bản «abc»" in junk.content.decode()


def test_a_version_of_an_unpublished_period_is_a_clear_error(db, client):
    page = get(client, "lanhdao", "ranking", period="2024", group=GROUP, version="1")
    assert "chưa được công bố nên không có phiên bản «1»" in page.content.decode()
    data = get(client, "lanhdao", "api_results", period="2024", group=GROUP)
    assert data.status_code == 200


def test_an_unpublished_period_still_says_its_results_are_provisional(db, client):
    page = get(client, "lanhdao", "ranking", period="2024", group=GROUP).content.decode()
    assert "Kết quả tạm tính (chưa công bố)" in page
    assert "Kết quả công bố · phiên bản" not in page
    client.force_login(user("lanhdao"))
    data = client.get(reverse("reports:api_results"), {"period": "2024", "group": GROUP}).json()
    assert data["publication"] is None and data["provisional"] > 0


def test_the_exports_hold_the_published_figures_and_the_version(db, client, published):
    best = published["best"]
    client.force_login(user("lanhdao"))
    url = reverse("reports:export", args=["ranking", "csv"])
    response = client.get(url, {"period": "2024", "group": GROUP})
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    line = next(x for x in lines[1:] if x[1] == best.assessment.unit.code)
    assert line[5] == vn(best.percent) and line[0] == str(best.rank)
    assert lines[0][9] == "Phiên bản công bố" and line[8:10] == ["Đã công bố", "1"]
    xlsx = client.get(
        reverse("reports:export", args=["ranking", "xlsx"]), {"period": "2024", "group": GROUP}
    )
    assert xlsx.status_code == 200
    sheet = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert f"Kết quả công bố · phiên bản 1 ({day(published['snapshot'])})" in sheet[1][0]
    row = next(r for r in sheet[3:] if r[1] == best.assessment.unit.code)
    assert row[5] == float(best.percent) or str(row[5]) == str(best.percent)


def test_the_api_answers_with_the_published_version(db, client, published):
    best = published["best"]
    client.force_login(user("lanhdao"))
    data = client.get(reverse("reports:api_results"), {"period": "2024", "group": GROUP}).json()
    assert data["publication"]["version"] == 1 and data["publication"]["latest_version"] == 1
    mine = next(r for r in data["results"] if r["unit"]["id"] == best.assessment.unit_id)
    assert mine["percent"] == f"{best.percent:.2f}" and mine["status"] == "published"
    snapshot_correct(period=published["period"], user=user("canbo.snv"), reason=REASON)
    data = client.get(reverse("reports:api_results"), {"period": "2024", "group": GROUP}).json()
    assert (data["publication"]["version"], data["publication"]["correction_reason"]) == (2, REASON)
    mine = next(r for r in data["results"] if r["unit"]["id"] == best.assessment.unit_id)
    assert mine["percent"] == f"{published['live'].percent:.2f}"
    old = client.get(
        reverse("reports:api_results"), {"period": "2024", "group": GROUP, "version": "1"}
    ).json()
    mine = next(r for r in old["results"] if r["unit"]["id"] == best.assessment.unit_id)
    assert mine["percent"] == f"{best.percent:.2f}" and old["publication"]["version"] == 1


def test_a_unit_head_sees_every_units_published_figures(db, client, published):
    rows = get(client, "thutruong.stp", "ranking", period="2024", group=GROUP).context["rows"]
    assert len(rows) == len(stored(2024, GROUP))


def test_the_unit_profile_reads_the_snapshot_and_labels_the_live_drill_down(db, client, published):
    best = published["best"]
    response = get(client, "lanhdao", "unit", best.assessment.unit_id, period="2024")
    current = response.context["current"]
    assert (current.percent, current.rank) == (best.percent, best.rank)
    page = response.content.decode()
    assert "Kết quả công bố · phiên bản 1" in page
    assert "số liệu chấm điểm hiện tại" in page


def test_the_comparison_and_climb_read_the_snapshot(db, client, published):
    best = published["best"]
    rows = get(client, "lanhdao", "comparison", period="2024", group=GROUP).context["rows"]
    mine = next(r for r in rows if r.unit_id == best.assessment.unit_id)
    assert mine.percent == best.percent
    second = published["before"][1]
    climb = get(
        client, "lanhdao", "climb", period="2024", group=GROUP, unit=str(second.assessment.unit_id)
    ).context
    assert climb["unit"].percent == second.percent
    assert climb["targets"][0].target.unit_id == best.assessment.unit_id


def _queries(client, name: str, **params) -> int:
    """The page's own queries (not the session's bookkeeping), caches cleared."""
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(reverse(f"reports:{name}"), params)
    assert response.status_code == 200
    return sum(
        1
        for q in context.captured_queries
        if "django_session" not in q["sql"] and "SAVEPOINT" not in q["sql"]
    )


def test_publication_adds_no_query_to_any_dashboard(db, client):
    client.force_login(user("lanhdao"))
    names = ("ranking", "heatmap", "deductions", "climb", "comparison")
    params = {
        "period": "2024",
        "group": GROUP,
        "unit": str(stored(2024, GROUP)[3].assessment.unit_id),
    }
    live = {name: _queries(client, name, **params) for name in names}
    # Publication needs every assessment appraised.
    Assessment.objects.filter(period=period(2024)).update(state="appraised")
    period_publish(period=period(2024), user=user("canbo.snv"))
    published = {name: _queries(client, name, **params) for name in names}
    # Live, the comparison reads the appraised units' ranks among themselves (one query more: the
    # units not appraised are kept apart); every other page costs the same either way.
    assert published == {**live, "comparison": live["comparison"] - 1}
    # The climb reads the unit's and the province's targets too (targets app): three queries more.
    assert max(published.values()) <= 13
    # An earlier version costs one query to find it.
    assert _queries(client, "ranking", **params, version="1") == published["ranking"] + 1


def test_the_home_page_leaders_are_the_published_ones(db, client, published):
    best = published["best"]
    client.force_login(user("lanhdao"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    leaders = [r for r in response.context["top_results"] if r.group.code == GROUP]
    assert (leaders[0].unit_id, leaders[0].percent) == (best.assessment.unit_id, best.percent)
    page = response.content.decode()
    assert "Kết quả công bố · phiên bản 1" in page and vn(best.percent) in page


def test_a_unit_head_climbing_another_unit_sees_no_unpublished_scores(db, client, published):
    own = user("thutruong.stp")
    other = next(r for r in published["before"][1:] if r.assessment.unit_id != unit_id_of(own))
    # Publication moved it to published; reopened since, its live scores are not public.
    Assessment.objects.filter(pk=other.assessment_id).update(state="appraised")
    other.assessment.refresh_from_db()
    assert other.assessment.state not in PUBLISHED_STATES
    context = get(
        client,
        "thutruong.stp",
        "climb",
        period="2024",
        group=GROUP,
        unit=str(other.assessment.unit_id),
    ).context
    assert context["unit"].percent == other.percent  # the published figure, public
    assert context["targets"] and context["losses"] == []  # the scores behind it, not
    leader = get(
        client, "lanhdao", "climb", period="2024", group=GROUP, unit=str(other.assessment.unit_id)
    ).context
    assert leader["losses"]
