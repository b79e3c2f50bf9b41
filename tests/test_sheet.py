"""The scoring sheet: one page per assessment, saved whole, with bounds, roles, one recompute per
save, the query ceiling and the refusal of a stale save."""

from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from scoring.models import CriterionScore, RecomputeRun, ReopenRequest, StateChange
from scoring.services import (
    StaleSheet,
    assessment_transition,
    reopen_decide,
    reopen_request,
    sheet_save,
)
from scoring.workflow import State

from .factories import make_assessment
from .sheet_helpers import big_framework, sheet_post, sheet_url


@pytest.fixture(autouse=True)
def vietnamese():
    """Messages and numbers in Vietnamese whatever an earlier test left active."""
    with translation.override("vi"):
        yield


def crit(assessment, code):
    return assessment.framework.criteria.get(code=code)


def stored(assessment, code):
    return CriterionScore.objects.filter(assessment=assessment, criterion__code=code).first()


# --- What the page shows ---------------------------------------------------------------------------


def test_the_sheet_shows_the_tree_maxima_and_component_totals(client, unit_head, assessment):
    sheet_save(
        assessment=assessment,
        user=unit_head,
        version=1,
        rows={crit(assessment, "1.1").pk: {"self_points": D("3.5")}},
    )
    client.force_login(unit_head)
    response = client.get(sheet_url(assessment))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Chỉ đạo, điều hành", "Kế hoạch", "Báo cáo", "Hồ sơ đúng hạn"):
        assert text in page
    sheet = response.context["sheet"]
    totals = {t.component.code: t for t in sheet.components}
    assert totals["1"].max_points == D(6) and totals["2"].max_points == D(4)
    # 1.1 self-scored 3,5; 1.2 and 2.1 have no score yet and count nothing, as in the results.
    assert totals["1"].self_points == D("3.5")
    assert totals["1"].points == D("3.5") and totals["2"].points == D(0)
    assert "3,50" in page  # Vietnamese decimal comma
    # The unit head edits the self score only, never the appraisal.
    form = response.context["form"]
    assert f"self_points-{crit(assessment, '1.1').pk}" in form.fields
    assert not any(name.startswith("appraised_points") for name in form.fields)
    assert 'src="/static/js/sheet.js"' in page and 'id="sheet-data"' in page


def test_staff_appraise_but_do_not_self_score_a_submitted_assessment(client, staff, submitted):
    client.force_login(staff)
    form = client.get(sheet_url(submitted)).context["form"]
    assert any(name.startswith("appraised_points") for name in form.fields)
    assert not any(name.startswith("self_points") for name in form.fields)
    assert not any(name.startswith("final_points") for name in form.fields)


def test_the_second_round_opens_the_second_appraisal_column(client, staff, submitted):
    assessment_transition(assessment=submitted, to_state=State.APPRAISED, user=staff)
    assessment_transition(
        assessment=submitted, to_state=State.SUBMITTED, user=staff, reason="Sau giải trình"
    )
    client.force_login(staff)
    form = client.get(sheet_url(submitted)).context["form"]
    assert any(name.startswith("final_points") for name in form.fields)
    assert not any(name.startswith("appraised_points") for name in form.fields)


def test_leadership_reads_the_sheet_without_any_field(client, leader, submitted):
    client.force_login(leader)
    response = client.get(sheet_url(submitted))
    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["version"]
    assert client.post(sheet_url(submitted), {"version": "1"}).status_code == 403


def test_another_units_head_and_anonymous_users_cannot_open_the_sheet(
    client, other_unit_head, assessment
):
    assert client.get(sheet_url(assessment)).status_code == 302  # to the log-in page
    client.force_login(other_unit_head)
    assert client.get(sheet_url(assessment)).status_code == 404
    assessment.state = State.PUBLISHED
    assessment.save()
    # Published figures are on the results pages; the working sheet stays the unit's own.
    assert client.get(sheet_url(assessment)).status_code == 404


# --- Saving ---------------------------------------------------------------------------------------------


def test_saving_the_sheet_stores_every_typed_value_and_bumps_the_version(
    client, unit_head, assessment
):
    client.force_login(unit_head)
    data = sheet_post(
        assessment,
        {
            "1.1": {"self_points": "3,75", "self_explanation": "Theo kế hoạch số 12/KH"},
            "1.2": {"self_points": "2"},
        },
    )
    response = client.post(sheet_url(assessment), data)
    assert response.status_code == 302
    assert stored(assessment, "1.1").self_points == D("3.75")
    assert stored(assessment, "1.1").points == D("3.75")
    assert stored(assessment, "1.1").self_explanation == "Theo kế hoạch số 12/KH"
    assert stored(assessment, "1.2").self_points == D(2)
    assessment.refresh_from_db()
    assert assessment.version == 2


@pytest.mark.parametrize(
    ("typed", "message"),
    [("4,5", "từ 0 đến 4"), ("-1", "từ 0 đến 4"), ("3,1", "bội số của 0,25"), ("ba", "số")],
)
def test_a_value_out_of_bounds_is_refused_and_nothing_is_saved(
    client, unit_head, assessment, typed, message
):
    client.force_login(unit_head)
    data = sheet_post(assessment, {"1.1": {"self_points": typed}, "1.2": {"self_points": "2"}})
    response = client.post(sheet_url(assessment), data)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors[f"self_points-{crit(assessment, '1.1').pk}"])
    assert message in errors
    assert not CriterionScore.objects.exists()
    assessment.refresh_from_db()
    assert assessment.version == 1


def test_the_service_refuses_what_the_form_would_let_through(unit_head, staff, assessment):
    with pytest.raises(DomainError, match="từ 0 đến 4"):
        sheet_save(
            assessment=assessment,
            user=unit_head,
            version=1,
            rows={crit(assessment, "1.1").pk: {"self_points": D(5)}},
        )
    with pytest.raises(DomainError, match="không được sửa"):
        sheet_save(
            assessment=assessment,
            user=unit_head,
            version=1,
            rows={crit(assessment, "1.1").pk: {"appraised_points": D(1)}},
        )
    assert not CriterionScore.objects.exists()


def test_saving_a_full_sheet_queues_exactly_one_recompute(
    client, staff, period, group, unit, django_capture_on_commit_callbacks, monkeypatch
):
    fw = big_framework()
    assessment = make_assessment(unit, period, fw, group, state=State.SUBMITTED)
    codes = [c.code for c in fw.criteria.filter(is_leaf=True)]
    assert len(codes) == 100
    client.force_login(staff)
    data = sheet_post(assessment, {code: {"appraised_points": "0,75"} for code in codes})
    queued = []
    monkeypatch.setattr(
        "scoring.services.sheet.recompute_on_commit",
        lambda period_id, unit_ids=None: queued.append(period_id),
    )
    response = client.post(sheet_url(assessment), data)
    assert response.status_code == 302
    assert queued == [period.pk]
    assert CriterionScore.objects.filter(assessment=assessment, points=D("0.75")).count() == 100


def test_one_save_registers_one_on_commit_recompute(
    staff, submitted, django_capture_on_commit_callbacks
):
    rows = {crit(submitted, code).pk: {"appraised_points": D(1)} for code in ("1.1", "1.2")}
    rows[crit(submitted, "2.1").pk] = {"measured_value": D("96")}
    with django_capture_on_commit_callbacks() as callbacks:
        sheet_save(assessment=submitted, user=staff, version=1, rows=rows)
    # One queued run, written in the save's own transaction; at the commit, its one send and the
    # trigger's marker of the transaction's units.
    assert RecomputeRun.objects.filter(status="queued").count() == 1
    assert len([c for c in callbacks if hasattr(c, "recompute_period_id")]) == 1
    assert len(callbacks) == 2
    assert stored(submitted, "2.1").points == D(2)  # the 95% band


def test_a_sheet_of_100_criteria_renders_and_saves_in_at_most_15_queries(
    client, staff, period, group, unit, django_assert_max_num_queries
):
    fw = big_framework()
    assessment = make_assessment(unit, period, fw, group, state=State.SUBMITTED)
    codes = [c.code for c in fw.criteria.filter(is_leaf=True)]
    client.force_login(staff)
    client.get(sheet_url(assessment))  # warm the session
    with django_assert_max_num_queries(15):
        response = client.get(sheet_url(assessment))
    assert response.status_code == 200
    assert len(response.context["sheet"].leaves) == 100
    data = sheet_post(assessment, {code: {"appraised_points": "0,5"} for code in codes})
    with django_assert_max_num_queries(15):
        response = client.post(sheet_url(assessment), data)
    assert response.status_code == 302
    assert (
        CriterionScore.objects.filter(assessment=assessment, appraised_points=D("0.5")).count()
        == 100
    )
    # Changing every stored value, and reading the scored page, stay within the ceiling too.
    assessment.refresh_from_db()
    data = sheet_post(assessment, {code: {"appraised_points": "0,75"} for code in codes})
    with django_assert_max_num_queries(15):
        assert client.post(sheet_url(assessment), data).status_code == 302
    assert CriterionScore.objects.filter(assessment=assessment, points=D("0.75")).count() == 100
    with django_assert_max_num_queries(15):
        assert client.get(sheet_url(assessment)).status_code == 200


def test_saving_unchanged_values_writes_nothing(client, unit_head, assessment):
    client.force_login(unit_head)
    client.post(sheet_url(assessment), sheet_post(assessment, {"1.1": {"self_points": "3"}}))
    assessment.refresh_from_db()
    response = client.post(
        sheet_url(assessment), sheet_post(assessment, {"1.1": {"self_points": "3,00"}})
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.version == 2
    assert CriterionScore.history.count() == 1


# --- Two people at once -----------------------------------------------------------------------------


def test_a_stale_save_is_refused_with_the_other_persons_values(client, staff, submitted):
    other = type(staff).objects.create(username="canbo2", first_name="Lan")
    other.groups.set(staff.groups.all())
    # Both open the sheet at version 1; the colleague saves first.
    sheet_save(
        assessment=submitted,
        user=other,
        version=1,
        rows={crit(submitted, "1.1").pk: {"appraised_points": D(2)}},
    )
    client.force_login(staff)
    response = client.post(
        sheet_url(submitted), sheet_post(submitted, {"1.1": {"appraised_points": "3"}}, version=1)
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Lan" in page and "sau khi bạn mở trang" in page
    conflicts = response.context["conflicts"]
    assert [(c["code"], c["theirs"], c["mine"]) for c in conflicts] == [("1.1", D(2), D(3))]
    assert stored(submitted, "1.1").appraised_points == D(2)  # not overwritten
    # The page now carries the current version: saving again is a deliberate overwrite.
    assert response.context["form"]["version"].value() == "2"


def test_the_service_refuses_a_stale_version(staff, submitted):
    row = {crit(submitted, "1.1").pk: {"appraised_points": D(2)}}
    sheet_save(assessment=submitted, user=staff, version=1, rows=row)
    with pytest.raises(StaleSheet) as caught:
        sheet_save(
            assessment=submitted,
            user=staff,
            version=1,
            rows={crit(submitted, "1.1").pk: {"appraised_points": D(1)}},
        )
    assert caught.value.current_version == 2
    assert stored(submitted, "1.1").appraised_points == D(2)


# --- Workflow from the sheet ------------------------------------------------------------------------


def test_a_criterion_scored_without_evidence_needs_an_explanation_before_submitting(
    client, unit_head, assessment
):
    sheet_save(
        assessment=assessment,
        user=unit_head,
        version=1,
        rows={crit(assessment, "1.1").pk: {"self_points": D(4)}},
    )
    assessment_transition(assessment=assessment, to_state=State.SELF_ASSESSED, user=unit_head)
    client.force_login(unit_head)
    url = reverse("scoring:transition", args=[assessment.pk])
    response = client.post(url, {"to_state": State.SUBMITTED}, follow=True)
    assert "1.1" in response.content.decode()
    assert "giải thích cách tự chấm" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.state == State.SELF_ASSESSED
    # Back to draft, explain, and the submission goes through.
    assessment_transition(assessment=assessment, to_state=State.DRAFT, user=unit_head)
    assessment.refresh_from_db()
    sheet_save(
        assessment=assessment,
        user=unit_head,
        version=assessment.version,
        rows={crit(assessment, "1.1").pk: {"self_explanation": "Kế hoạch ban hành ngày 05/01"}},
    )
    assessment_transition(assessment=assessment, to_state=State.SELF_ASSESSED, user=unit_head)
    client.post(url, {"to_state": State.SUBMITTED})
    assessment.refresh_from_db()
    assert assessment.state == State.SUBMITTED


def test_returning_for_explanation_needs_a_reason(client, staff, submitted):
    client.force_login(staff)
    url = reverse("scoring:transition", args=[submitted.pk])
    client.post(url, {"to_state": State.SELF_ASSESSED})
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED
    client.post(url, {"to_state": State.SELF_ASSESSED, "reason": "Bổ sung tài liệu tiêu chí 1.1"})
    submitted.refresh_from_db()
    assert submitted.state == State.SELF_ASSESSED
    change = StateChange.objects.get(assessment=submitted)
    assert change.reason == "Bổ sung tài liệu tiêu chí 1.1" and change.by == staff


def test_a_unit_head_cannot_publish_from_the_sheet(client, unit_head, assessment):
    assessment.state = State.APPRAISED
    assessment.save()
    client.force_login(unit_head)
    client.post(reverse("scoring:transition", args=[assessment.pk]), {"to_state": "published"})
    assessment.refresh_from_db()
    assert assessment.state == State.APPRAISED


def test_a_first_publication_is_the_periods_not_one_sheets(client, staff, assessment):
    from scoring.snapshots import period_publish

    assessment.state = State.APPRAISED
    assessment.save()
    client.force_login(staff)
    assert 'value="published"' not in client.get(sheet_url(assessment)).content.decode()
    with pytest.raises(DomainError, match="Công bố kết quả của kỳ"):
        assessment_transition(assessment=assessment, to_state=State.PUBLISHED, user=staff)
    period_publish(period=assessment.period, user=staff)
    # Once the period is published, a reopened and re-appraised sheet goes back on its own.
    assessment.state = State.APPRAISED
    assessment.save()
    assert 'value="published"' in client.get(sheet_url(assessment)).content.decode()
    assessment_transition(assessment=assessment, to_state=State.PUBLISHED, user=staff)
    assessment.refresh_from_db()
    assert assessment.state == State.PUBLISHED


def test_a_published_sheet_is_read_only(client, staff, assessment):
    assessment.state = State.PUBLISHED
    assessment.save()
    client.force_login(staff)
    response = client.get(sheet_url(assessment))
    assert list(response.context["form"].fields) == ["version"]
    with pytest.raises(DomainError):
        sheet_save(
            assessment=assessment,
            user=staff,
            version=1,
            rows={crit(assessment, "1.1").pk: {"appraised_points": D(1)}},
        )


def test_reopening_needs_a_reason_and_another_persons_decision(
    staff, admin_user, unit_head, assessment
):
    assessment.state = State.PUBLISHED
    assessment.save()
    StateChange.objects.create(
        assessment=assessment, from_state=State.APPRAISED, to_state=State.PUBLISHED, by=staff
    )
    with pytest.raises(DomainError, match="lý do"):
        reopen_request(assessment=assessment, user=unit_head, reason="  ")
    request = reopen_request(assessment=assessment, user=unit_head, reason="Sai điểm tiêu chí 1.2")
    with pytest.raises(DomainError, match="Đã có"):
        reopen_request(assessment=assessment, user=staff, reason="Lần nữa")
    with pytest.raises(DomainError, match="Chỉ Sở Nội vụ"):
        reopen_decide(request=request, user=unit_head, grant=True, reason="Tự đồng ý")
    staff_request = request
    reopen_decide(request=staff_request, user=staff, grant=True, reason="Có căn cứ")
    assessment.refresh_from_db()
    assert assessment.state == State.APPRAISED
    staff_request.refresh_from_db()
    assert staff_request.status == ReopenRequest.Status.GRANTED
    assert staff_request.decided_by == staff


def test_nobody_decides_their_own_reopen_request(staff, admin_user, assessment):
    assessment.state = State.LOCKED
    assessment.save()
    request = reopen_request(assessment=assessment, user=staff, reason="Nhập nhầm")
    with pytest.raises(DomainError, match="không tự quyết định"):
        reopen_decide(request=request, user=staff, grant=True, reason="Đồng ý")
    reopen_decide(request=request, user=admin_user, grant=False, reason="Không có căn cứ")
    assessment.refresh_from_db()
    assert assessment.state == State.LOCKED


def test_the_sheet_counts_values_changed_since_publication(client, staff, admin_user, assessment):
    assessment.state = State.SUBMITTED
    assessment.save()
    sheet_save(
        assessment=assessment,
        user=staff,
        version=1,
        rows={crit(assessment, "1.1").pk: {"appraised_points": D(3)}},
    )
    assessment_transition(assessment=assessment, to_state=State.APPRAISED, user=staff)
    from scoring.snapshots import period_publish

    period_publish(period=assessment.period, user=staff)
    request = reopen_request(assessment=assessment, user=staff, reason="Sửa 1.1 và 1.2")
    reopen_decide(request=request, user=admin_user, grant=True, reason="Đồng ý")
    assessment.refresh_from_db()
    sheet_save(
        assessment=assessment,
        user=staff,
        version=assessment.version,
        rows={
            crit(assessment, "1.1").pk: {"appraised_points": D(4)},
            crit(assessment, "1.2").pk: {"appraised_points": D(0)},
        },
    )
    client.force_login(staff)
    response = client.get(sheet_url(assessment))
    assert response.context["sheet"].changed_since_approval == 2
    assert "2 tiêu chí đã thay đổi kể từ lần công bố" in response.content.decode()


# --- Lists ------------------------------------------------------------------------------------------


def test_the_assessment_list_filters_by_period_group_and_state(
    client, staff, assessment, other_unit, period, framework, group
):
    make_assessment(other_unit, period, framework, group, state=State.SUBMITTED)
    client.force_login(staff)
    url = reverse("scoring:assessment_list")
    names = lambda r: [a.unit.name for a in r.context["assessments"]]  # noqa: E731
    assert names(client.get(url, {"period": 2024})) == ["Sở Tư pháp", "Sở Y tế"]
    assert names(client.get(url, {"period": 2024, "trang_thai": "submitted"})) == ["Sở Y tế"]
    assert names(client.get(url, {"period": 2024, "khoi": group.pk})) == ["Sở Tư pháp", "Sở Y tế"]
    assert names(client.get(url, {"period": 2024, "khoi": group.pk + 99})) == []


def test_the_assessment_list_is_paged_and_keeps_its_filters_in_the_page_links(
    client, staff, assessment, other_unit, period, framework, group, monkeypatch
):
    from scoring.views import lists

    make_assessment(other_unit, period, framework, group, state=State.SUBMITTED)
    monkeypatch.setattr(lists, "LIST_PAGE_SIZE", 1)
    client.force_login(staff)
    url = reverse("scoring:assessment_list")
    first = client.get(url, {"period": 2024, "khoi": group.pk})
    second = client.get(url, {"period": 2024, "khoi": group.pk, "page": 2})
    assert [a.unit.name for a in first.context["assessments"]] == ["Sở Tư pháp"]
    assert [a.unit.name for a in second.context["assessments"]] == ["Sở Y tế"]
    assert first.context["total"] == 2
    assert f"?period=2024&amp;khoi={group.pk}&amp;page=2" in first.content.decode()
    # Past the last page: the last page, not an error.
    assert client.get(url, {"period": 2024, "page": 9}).context["page"] == 2


def test_a_unit_head_lists_only_their_own_assessments(
    client, unit_head, assessment, other_unit, period, framework, group
):
    make_assessment(other_unit, period, framework, group, state=State.PUBLISHED)
    client.force_login(unit_head)
    response = client.get(reverse("scoring:assessment_list"))
    assert [a.unit.name for a in response.context["assessments"]] == ["Sở Tư pháp"]


def test_the_gap_report_ranks_criteria_and_units_by_self_minus_appraisal(
    client, staff, period, framework, group, unit, other_unit
):
    first = make_assessment(unit, period, framework, group)
    second = make_assessment(other_unit, period, framework, group)
    for a, self_11, appr_11 in ((first, D(4), D(1)), (second, D(4), D(3))):
        c11, c12 = crit(a, "1.1"), crit(a, "1.2")
        sheet_save(
            assessment=a,
            user=staff,
            version=1,
            rows={c11.pk: {"self_points": self_11}, c12.pk: {"self_points": D(2)}},
        )
        a.state = State.SUBMITTED
        a.save()
        a.refresh_from_db()
        sheet_save(
            assessment=a,
            user=staff,
            version=a.version,
            rows={c11.pk: {"appraised_points": appr_11}, c12.pk: {"appraised_points": D(2)}},
        )
        a.state = State.APPRAISED
        a.save()
    client.force_login(staff)
    response = client.get(reverse("scoring:gap_report"), {"period": 2024})
    assert response.status_code == 200
    by_criterion = response.context["by_criterion"]
    assert [(r["criterion__code"], r["gap"], r["units"]) for r in by_criterion] == [
        ("1.1", D(4), 2)
    ]
    assert [(r["assessment__unit__name"], r["gap"]) for r in response.context["by_unit"]] == [
        ("Sở Tư pháp", D(3)),
        ("Sở Y tế", D(1)),
    ]


def test_unit_heads_cannot_open_the_gap_report(client, unit_head):
    client.force_login(unit_head)
    assert client.get(reverse("scoring:gap_report")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_one_waits_then_is_refused(staff, period, framework, group, unit):
    """Two real transactions: the first holds the row while it writes; the second, started from
    the same version, waits for it and is then refused instead of overwriting."""
    import threading

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL's row locks")
    assessment = make_assessment(unit, period, framework, group, state=State.SUBMITTED)
    c11 = crit(assessment, "1.1")
    first_inside, release_first = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                sheet_save(
                    assessment=assessment,
                    user=staff,
                    version=1,
                    rows={c11.pk: {"appraised_points": D(2)}},
                )
                first_inside.set()
                release_first.wait(10)
            outcome["first"] = "saved"
        finally:
            connection.close()

    def second():
        try:
            first_inside.wait(10)
            sheet_save(
                assessment=assessment,
                user=staff,
                version=1,
                rows={c11.pk: {"appraised_points": D(3)}},
            )
            outcome["second"] = "saved"
        except StaleSheet as exc:
            outcome["second"] = exc.current_version
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_inside.wait(10)
    release_first.set()
    for t in threads:
        t.join(20)
    assert outcome == {"first": "saved", "second": 2}
    assert stored(assessment, "1.1").appraised_points == D(2)
