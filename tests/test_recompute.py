"""The recompute engine against hand-computed cases, its partial mode, its job bookkeeping, the
published snapshots, the status fragment and the operators' commands (PostgreSQL)."""

from __future__ import annotations

import io
import random
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from core.errors import DomainError
from indicators.models import Criterion, RatingBand
from scoring.models import (
    Adjustment,
    Assessment,
    AssessmentResult,
    ComponentResult,
    CriterionScore,
    Period,
    RecomputeRun,
    ResultSnapshot,
)
from scoring.recompute import (
    RecomputeBusy,
    engine,
    jobs,
    recompute_now,
    recompute_on_commit,
    recompute_queue,
)
from scoring.recompute.locks import LOCK_NAMESPACE
from scoring.selectors import period_published_results, period_recompute_status
from scoring.services import deduction_add
from scoring.snapshots import period_publish, snapshot_correct
from scoring.workflow import State
from units.models import GroupMembership, Unit

from .factories import (
    PeriodFactory,
    RankingGroupFactory,
    UnitFactory,
    make_assessment,
    small_framework,
)
from .results_state import database_state
from .sheet_helpers import score_write


def stored(period) -> dict[str, tuple]:
    return {
        r.assessment.unit.code: (
            r.total_points,
            r.percent,
            r.rank,
            r.group.code if r.group else None,
        )
        for r in AssessmentResult.objects.filter(period=period).select_related(
            "assessment__unit", "group"
        )
    }


@pytest.fixture
def criteria(framework):
    return {c.code: c for c in Criterion.objects.filter(framework=framework)}


@pytest.fixture
def second_group(db):
    return RankingGroupFactory(code="khoi-huyen", name="Khối huyện")


@pytest.fixture
def province(period, framework, group, second_group, staff, criteria):
    """Group khoi-so: a1 10/10, a2 and a3 9.5 (tie), a4 no scores at all.
    Group khoi-huyen: b1 loses 6 points on a 4-point criterion (clamped at 0) → 4/10, b2 1/10."""
    units = {code: UnitFactory(code=code) for code in ("a1", "a2", "a3", "a4", "b1", "b2")}
    sheets = {}
    for code, unit in units.items():
        g = group if code.startswith("a") else second_group
        sheets[code] = make_assessment(unit, period, framework, g, state=State.SUBMITTED)
    c11, c12, c21 = criteria["1.1"], criteria["1.2"], criteria["2.1"]
    for code, p11 in (("a1", D(4)), ("a2", D("3.5")), ("a3", D("3.5"))):
        score_write(assessment=sheets[code], criterion=c11, user=staff, appraised_points=p11)
        score_write(assessment=sheets[code], criterion=c12, user=staff, appraised_points=D(2))
        score_write(assessment=sheets[code], criterion=c21, user=staff, measured_value=D(100))
    score_write(assessment=sheets["b1"], criterion=c11, user=staff, appraised_points=D(4))
    deduction_add(assessment=sheets["b1"], criterion=c11, points=D(6), user=staff, note="Sai")
    score_write(assessment=sheets["b1"], criterion=c12, user=staff, appraised_points=D(2))
    score_write(assessment=sheets["b1"], criterion=c21, user=staff, measured_value=D(96))
    score_write(assessment=sheets["b2"], criterion=c11, user=staff, appraised_points=D(1))
    # The writes queued their recompute inside the test's transaction, as a save does: the tests
    # start from a province with no run.
    RecomputeRun.objects.all().delete()
    return sheets


def test_totals_percents_and_competition_ranks_per_group(period, province):
    recompute_now(period)

    assert stored(period) == {
        "a1": (D("10.00"), D("100.00"), 1, "khoi-so"),
        "a2": (D("9.50"), D("95.00"), 2, "khoi-so"),
        "a3": (D("9.50"), D("95.00"), 2, "khoi-so"),
        "a4": (D("0.00"), D("0.00"), 4, "khoi-so"),
        "b1": (D("4.00"), D("40.00"), 1, "khoi-huyen"),
        "b2": (D("1.00"), D("10.00"), 2, "khoi-huyen"),
    }


def test_deductions_beyond_the_maximum_leave_zero_not_a_negative(period, province, criteria):
    recompute_now(period)

    score = CriterionScore.objects.get(assessment=province["b1"], criterion=criteria["1.1"])
    assert score.points == D(0)
    comp = ComponentResult.objects.get(assessment=province["b1"], component=criteria["1"])
    assert (comp.points, comp.max_points, comp.percent) == (D(2), D(6), D("33.33"))


def test_a_unit_with_no_scores_has_every_component_at_zero(period, province):
    recompute_now(period)

    rows = ComponentResult.objects.filter(assessment=province["a4"]).order_by("component__code")
    assert [(c.component.code, c.points, c.max_points) for c in rows] == [
        ("1", D(0), D(6)),
        ("2", D(0), D(4)),
    ]


def test_a_change_of_group_moves_the_unit_into_the_other_groups_ranking(
    period, province, second_group
):
    recompute_now(period)
    a2 = province["a2"]
    GroupMembership.objects.filter(unit=a2.unit, year=period.year).update(group=second_group)

    recompute_now(period, unit_ids=[a2.unit_id])

    got = stored(period)
    assert got["a2"] == (D("9.50"), D("95.00"), 1, "khoi-huyen")
    assert (got["b1"][2], got["b2"][2]) == (2, 3)
    # The old group closes ranks behind it: a3 is now alone in second place.
    assert (got["a1"][2], got["a3"][2], got["a4"][2]) == (1, 2, 3)
    partial = database_state(period)
    recompute_now(period)
    assert database_state(period) == partial


def test_a_unit_in_no_group_gets_no_rank(period, province):
    GroupMembership.objects.filter(unit=province["b2"].unit).delete()

    recompute_now(period)

    assert stored(period)["b2"] == (D("1.00"), D("10.00"), None, None)
    assert stored(period)["b1"][2] == 1


def test_rank_change_follows_the_unit_and_a_merged_units_best_predecessor(
    framework, group, staff, criteria
):
    fw2023 = small_framework(year=2023)
    c2023 = {c.code: c for c in Criterion.objects.filter(framework=fw2023)}
    p2023 = PeriodFactory(year=2023)
    p2024 = PeriodFactory(year=2024)
    old_a, old_b, stays = (UnitFactory(code=c) for c in ("xa-a", "xa-b", "xa-c"))
    merged = UnitFactory(code="xa-ab", active_from_year=2024)
    merged.predecessors.set([old_a, old_b])
    # 2023: xa-b 8 (1st), xa-c 6 (2nd), xa-a 4 (3rd).
    for unit, measured in ((old_a, None), (old_b, D(100)), (stays, D(96))):
        a = make_assessment(unit, p2023, fw2023, group, state=State.SUBMITTED)
        score_write(assessment=a, criterion=c2023["1.1"], user=staff, appraised_points=D(4))
        if measured is not None:
            score_write(assessment=a, criterion=c2023["2.1"], user=staff, measured_value=measured)
    recompute_now(p2023)
    assert {k: v[2] for k, v in stored(p2023).items()} == {"xa-b": 1, "xa-c": 2, "xa-a": 3}
    # 2024: xa-c 10 (1st), xa-ab 4 (2nd).
    c = make_assessment(stays, p2024, framework, group, state=State.SUBMITTED)
    m = make_assessment(merged, p2024, framework, group, state=State.SUBMITTED)
    for criterion, kw in (
        ("1.1", {"appraised_points": D(4)}),
        ("1.2", {"appraised_points": D(2)}),
        ("2.1", {"measured_value": D(100)}),
    ):
        score_write(assessment=c, criterion=criteria[criterion], user=staff, **kw)
    score_write(assessment=m, criterion=criteria["1.1"], user=staff, appraised_points=D(4))

    recompute_now(p2024)

    changes = dict(
        AssessmentResult.objects.filter(period=p2024).values_list(
            "assessment__unit__code", "rank_change"
        )
    )
    # xa-c: 2nd → 1st = +1; xa-ab: the best of its predecessors was 1st, now 2nd = −1.
    assert changes == {"xa-c": 1, "xa-ab": -1}

    # Recomputing the earlier year refreshes the later year's rank changes.
    CriterionScore.objects.filter(assessment__unit=old_a, criterion=c2023["2.1"]).delete()
    AssessmentResult.objects.filter(period=p2024).update(rank_change=None)
    recompute_now(p2023)
    assert AssessmentResult.objects.get(period=p2024, assessment=c).rank_change == 1


def test_rank_changes_are_measured_against_the_published_ranks_of_last_year(
    framework, group, staff, criteria
):
    """Last year published: this year's rank change counts from the announced rank, even after
    last year's live results move (a correction in progress), and follows a published
    correction as soon as it is published."""
    fw2023 = small_framework(year=2023)
    c2023 = {c.code: c for c in Criterion.objects.filter(framework=fw2023)}
    p2023, p2024 = PeriodFactory(year=2023), PeriodFactory(year=2024)
    first, second = UnitFactory(code="xa-1"), UnitFactory(code="xa-2")
    # 2023: xa-1 4 points (1st), xa-2 2 points (2nd); published as version 1.
    last_year = {}
    for unit, points in ((first, D(4)), (second, D(2))):
        last_year[unit.code] = a = make_assessment(
            unit, p2023, fw2023, group, state=State.SUBMITTED
        )
        score_write(assessment=a, criterion=c2023["1.1"], user=staff, appraised_points=points)
    # Publication needs every assessment appraised.
    Assessment.objects.filter(period=p2023).update(state="appraised")
    period_publish(period=p2023, user=staff)
    # 2024: xa-2 first, xa-1 second.
    for unit, points in ((first, D(1)), (second, D(3))):
        a = make_assessment(unit, p2024, framework, group, state=State.SUBMITTED)
        score_write(assessment=a, criterion=criteria["1.1"], user=staff, appraised_points=points)
    recompute_now(p2024)

    def changes():
        return dict(
            AssessmentResult.objects.filter(period=p2024).values_list(
                "assessment__unit__code", "rank_change"
            )
        )

    assert changes() == {"xa-1": -1, "xa-2": 1}
    # A correction of 2023 in progress: the live 2023 ranks swap, the published ones do not.
    # (Publishing moved 2023 to published: reopened for the correction.)
    Assessment.objects.filter(period=p2023).update(state=State.SUBMITTED)
    score_write(
        assessment=last_year["xa-2"], criterion=c2023["1.1"], user=staff, appraised_points=D(4)
    )
    score_write(
        assessment=last_year["xa-1"], criterion=c2023["1.1"], user=staff, appraised_points=D(1)
    )
    recompute_now(p2023)
    recompute_now(p2024)
    assert {k: v[2] for k, v in stored(p2023).items()} == {"xa-2": 1, "xa-1": 2}
    assert changes() == {"xa-1": -1, "xa-2": 1}
    # Published as version 2: 2024 is now measured against it (xa-2 was 1st, still is).
    snapshot_correct(period=p2023, user=staff, reason="Sửa điểm tiêu chí 1.1")
    assert changes() == {"xa-1": 0, "xa-2": 0}


def test_not_applicable_criteria_and_capped_adjustments_never_below_zero(
    period, framework, group, staff, criteria, unit
):
    framework.max_bonus, framework.max_penalty = D(1), D(3)
    framework.save()
    a = make_assessment(unit, period, framework, group, state=State.SUBMITTED)
    score_write(assessment=a, criterion=criteria["2.1"], user=staff, not_applicable=True)
    score_write(assessment=a, criterion=criteria["1.2"], user=staff, appraised_points=D(2))
    Adjustment.objects.create(assessment=a, kind="penalty", points=D(5), reason="Vi phạm")

    recompute_now(period)

    result = AssessmentResult.objects.get(assessment=a)
    # 2 points − penalty capped at 3 → below zero → 0; maximum 6 (2.1 not applicable).
    assert (result.total_points, result.max_points, result.percent) == (D(0), D(6), D(0))
    Adjustment.objects.create(assessment=a, kind="bonus", points=D(4), reason="Sáng kiến")
    recompute_now(period)
    result.refresh_from_db()
    assert result.total_points == D(0)  # 2 + 1 (capped) − 3 (capped)


def test_bands_come_from_the_frameworks_thresholds(period, province, framework):
    for label, minimum in (("Tốt", 90), ("Khá", 80), ("Trung bình", 50), ("Yếu", 0)):
        RatingBand.objects.create(framework=framework, label=label, min_percent=minimum)

    recompute_now(period)

    bands = dict(
        AssessmentResult.objects.filter(period=period).values_list("assessment__unit__code", "band")
    )
    assert bands == {"a1": "Tốt", "a2": "Tốt", "a3": "Tốt", "a4": "Yếu", "b1": "Yếu", "b2": "Yếu"}


def test_components_of_a_framework_no_longer_used_are_removed(period, province, group):
    recompute_now(period)
    other = small_framework(year=2025)
    Assessment.objects.filter(pk=province["a4"].pk).update(framework=other)

    recompute_now(period)

    assert set(
        ComponentResult.objects.filter(assessment=province["a4"]).values_list(
            "component__framework_id", flat=True
        )
    ) == {other.pk}


def test_a_partial_recompute_gives_what_a_full_one_gives(period, province, staff, criteria):
    recompute_now(period)
    rng = random.Random(3)
    for _ in range(6):
        sheet = rng.choice(list(province.values()))
        criterion = criteria[rng.choice(["1.1", "1.2"])]
        value = D(rng.choice(["0", "0.5", "1", "2"]))
        score_write(assessment=sheet, criterion=criterion, user=staff, appraised_points=value)
        recompute_now(period, unit_ids=[sheet.unit_id])
        partial = database_state(period)
        recompute_now(period)
        assert database_state(period) == partial


def test_recompute_twice_changes_nothing_the_second_time(period, province):
    recompute_now(period)
    first = database_state(period)
    stats = recompute_now(period)
    assert database_state(period) == first
    assert (stats.results_changed, stats.components_changed, stats.ranks_changed) == (0, 0, 0)
    run = RecomputeRun.objects.latest("pk")
    assert (run.status, run.assessments, run.results_changed) == (RecomputeRun.Status.DONE, 6, 0)


def test_a_recompute_waits_for_nobody_when_told_not_to_and_the_period_is_busy(period, province):
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, period.pk])
        with pytest.raises(RecomputeBusy):
            engine.compute(period=period, wait=False)
    assert not AssessmentResult.objects.exists()


# --- Queueing and coalescing -----------------------------------------------------------------------


def registered(period_id: int) -> list:
    """Our on-commit callbacks for a period waiting in the current transaction."""
    return [
        func
        for _sids, func, _robust in connection.run_on_commit
        if getattr(func, "recompute_period_id", None) == period_id
    ]


def test_many_edits_in_one_transaction_register_one_callback(period, province, staff, criteria):
    with transaction.atomic():
        for sheet in province.values():
            score_write(
                assessment=sheet, criterion=criteria["1.2"], user=staff, appraised_points=D(1)
            )
        recompute_on_commit(period.pk, unit_ids=[province["a1"].unit_id])
        callbacks = registered(period.pk)
    assert len(callbacks) == 1
    # Each save asks for its own unit only: the callback gathers the units of the transaction.
    assert callbacks[0].unit_ids == sorted(a.unit_id for a in province.values())


def test_units_of_one_transaction_add_up_and_a_rolled_back_savepoint_loses_nothing(db):
    period = PeriodFactory(year=2031)
    with transaction.atomic():
        try:
            with transaction.atomic():
                recompute_on_commit(period.pk, unit_ids=[1])
                raise RuntimeError
        except RuntimeError:
            pass
        assert registered(period.pk) == []
        recompute_on_commit(period.pk, unit_ids=[3])
        recompute_on_commit(period.pk, unit_ids=[2, 3])
        assert [c.unit_ids for c in registered(period.pk)] == [[2, 3]]


def test_requests_join_the_run_already_queued(period, province, staff, monkeypatch):
    sent = []
    monkeypatch.setattr(jobs, "_send", sent.append)
    a1, a2 = province["a1"].unit_id, province["a2"].unit_id

    first = recompute_queue(period.pk, unit_ids=[a1])
    second = recompute_queue(period.pk, unit_ids=[a2, a1])

    assert first.pk == second.pk
    run = RecomputeRun.objects.get(status=RecomputeRun.Status.QUEUED)
    assert run.unit_ids == sorted([a1, a2])
    recompute_queue(period.pk, unit_ids=None, user=staff)
    run.refresh_from_db()
    assert run.unit_ids is None
    assert RecomputeRun.objects.count() == 1


def test_the_job_runs_a_queued_run_once_and_ignores_repeats(period, province):
    run = RecomputeRun.objects.create(period=period, unit_ids=None)

    jobs.run_job(period_id=period.pk, run_id=run.pk)
    after_first = database_state(period)
    jobs.run_job(period_id=period.pk, run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.attempts, run.assessments) == (RecomputeRun.Status.DONE, 1, 6)
    assert database_state(period) == after_first
    assert stored(period)["a1"][2] == 1


def test_the_task_run_twice_gives_the_same_database(period, province):
    from scoring.tasks import recompute_period

    recompute_period.apply(args=(period.pk,))
    first = database_state(period)
    recompute_period.apply(args=(period.pk,))
    assert database_state(period) == first
    assert RecomputeRun.objects.filter(status=RecomputeRun.Status.DONE).count() == 2


def test_a_failed_recompute_is_recorded_with_its_error(period, province, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("hỏng")

    monkeypatch.setattr(jobs, "compute", broken)
    run = RecomputeRun.objects.create(period=period)
    with pytest.raises(RuntimeError):
        jobs.run_job(period_id=period.pk, run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.FAILED
    assert "hỏng" in run.error
    assert period_recompute_status(period).failed == run


def test_the_nightly_job_queues_every_open_period(period, province, monkeypatch):
    from scoring.tasks import recompute_open_periods

    PeriodFactory(year=2023, status=Period.Status.CLOSED)
    sent = []
    monkeypatch.setattr(jobs, "_send", sent.append)
    recompute_open_periods.apply()
    assert list(RecomputeRun.objects.values_list("period__year", "trigger", "unit_ids")) == [
        (2024, "nightly", None)
    ]


# --- Published snapshots -------------------------------------------------------------------------


def test_published_results_do_not_move_when_scores_change_and_a_correction_is_version_2(
    period, province, staff, criteria
):
    # Publication needs every assessment appraised.
    Assessment.objects.filter(period=period).update(state="appraised")
    snapshot = period_publish(period=period, user=staff)
    assert (snapshot.version, snapshot.kind) == (1, "publication")
    period.refresh_from_db()
    assert period.status == Period.Status.PUBLISHED
    # Publishing moved the assessments to published: reopened for a correction.
    assert Assessment.objects.get(pk=province["b2"].pk).state == "published"
    Assessment.objects.filter(period=period).update(state="appraised")

    score_write(
        assessment=province["b2"], criterion=criteria["1.2"], user=staff, appraised_points=D(2)
    )
    recompute_now(period)
    assert stored(period)["b2"][0] == D(3)

    published = period_published_results(period)
    rows = {r.unit.code: (r.total_points, r.rank) for r in published.rows}
    assert rows["b2"] == (D(1), 2)
    assert published.version == 1 and published.is_latest

    correction = snapshot_correct(period=period, user=staff, reason="Sửa điểm tiêu chí 1.2")
    latest = period_published_results(period)
    assert (latest.version, latest.snapshot.reason) == (2, "Sửa điểm tiêu chí 1.2")
    assert {r.unit.code: r.total_points for r in latest.rows}["b2"] == D(3)
    assert correction.kind == "correction"
    first = period_published_results(period, version=1)
    assert {r.unit.code: r.total_points for r in first.rows}["b2"] == D(1)
    assert not first.is_latest
    b1 = next(r for r in first.rows if r.unit.code == "b1")
    assert [(c.component.code, c.points) for c in b1.components.order_by("component__code")] == [
        ("1", D(2)),
        ("2", D(2)),
    ]
    assert period_published_results(period, version=9) is None
    row = first.rows.first()
    row.total_points = D(99)
    with pytest.raises(ValueError, match="immutable"):
        row.save()
    with pytest.raises(ValueError, match="immutable"):
        first.snapshot.delete()


def test_publishing_is_staff_only_once_and_corrections_need_a_reason(
    period, province, staff, leader
):
    with pytest.raises(PermissionDenied):
        period_publish(period=period, user=leader)
    with pytest.raises(DomainError):
        snapshot_correct(period=period, user=staff, reason="Chưa công bố")
    # Publication needs every assessment appraised.
    Assessment.objects.filter(period=period).update(state="appraised")
    period_publish(period=period, user=staff)
    with pytest.raises(DomainError):
        period_publish(period=period, user=staff)
    with pytest.raises(DomainError):
        snapshot_correct(period=period, user=staff, reason="   ")
    assert ResultSnapshot.objects.count() == 1


def test_an_unpublished_period_has_no_published_results(period, province):
    assert period_published_results(period) is None


# --- Pages -----------------------------------------------------------------------------------------


def test_the_status_fragment_says_when_results_were_computed(client, leader, period, province):
    recompute_now(period)
    run = RecomputeRun.objects.get()
    client.force_login(leader)

    page = client.get(reverse("scoring:recompute_status", args=[period.year])).content.decode()

    local = run.finished_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh"))
    assert f"Kết quả tính lúc {local:%d/%m/%Y %H:%M}" in page
    assert "hx-trigger" not in page  # nothing pending: no polling
    assert "Tính lại ngay" not in page  # leadership reads, does not recompute


def test_the_status_fragment_polls_while_a_recompute_is_pending(client, unit_head, period):
    RecomputeRun.objects.create(period=period)
    client.force_login(unit_head)

    page = client.get(reverse("scoring:recompute_status", args=[period.year])).content.decode()

    assert "Đang chờ tính lại" in page
    assert 'hx-trigger="every 2s"' in page


def test_a_running_recompute_shows_its_progress(client, staff, period):
    run = RecomputeRun.objects.create(period=period, status=RecomputeRun.Status.RUNNING, progress=0)
    from django.core.cache import cache

    cache.set(jobs.progress_key(run.pk), 50)
    client.force_login(staff)
    page = client.get(reverse("scoring:recompute_status", args=[period.year])).content.decode()
    assert "Đang tính lại… 50%" in page
    assert 'value="50"' in page


def test_status_needs_a_login_and_an_existing_period(client, leader, period):
    url = reverse("scoring:recompute_status", args=[period.year])
    assert client.get(url).status_code == 302
    client.force_login(leader)
    assert client.get(reverse("scoring:recompute_status", args=[1999])).status_code == 404


def test_only_staff_may_ask_for_a_recompute(client, leader, staff, period, monkeypatch):
    sent = []
    monkeypatch.setattr(jobs, "_send", sent.append)
    url = reverse("scoring:recompute_request", args=[period.year])
    client.force_login(leader)
    assert client.post(url).status_code == 403
    assert not RecomputeRun.objects.exists()
    client.force_login(staff)
    assert client.get(url).status_code == 405

    response = client.post(url, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Đang chờ tính lại" in response.content.decode()
    run = RecomputeRun.objects.get()
    assert (run.trigger, run.requested_by, run.unit_ids) == ("manual", staff, None)
    response = client.post(url)
    assert response.status_code == 302
    assert RecomputeRun.objects.count() == 1


# --- Commands ------------------------------------------------------------------------------------


def test_the_recompute_command_prints_progress_and_a_summary(period, province):
    out = io.StringIO()
    call_command("recompute", period=period.year, stdout=out)
    text = out.getvalue()
    assert "100% xong" in text
    assert "Kỳ 2024: đã tính lại 6 bản đánh giá" in text
    assert stored(period)["a1"][2] == 1

    out = io.StringIO()
    call_command("recompute", period=period.year, unit=["b1"], stdout=out)
    assert "đã tính lại 1 bản đánh giá" in out.getvalue()
    with pytest.raises(CommandError, match="Không có đơn vị mã: khong-co"):
        call_command("recompute", period=period.year, unit=["khong-co"])
    with pytest.raises(CommandError, match="Không có kỳ đánh giá năm 1990"):
        call_command("recompute", period=1990)


def test_generate_scale_makes_a_consistent_synthetic_country(db):
    call_command(
        "generate_scale", units=40, criteria=16, years=2, first_year=2030, stdout=io.StringIO()
    )

    assert Unit.objects.filter(code__startswith="scale-").count() == 40
    assert GroupMembership.objects.filter(year=2031).count() == 40
    latest = Period.objects.get(year=2031)
    assert CriterionScore.objects.filter(assessment__period=latest).count() == 40 * 16
    # Stored points never exceed the maximum (the database refuses otherwise) and results exist.
    assert AssessmentResult.objects.filter(period=latest, rank__isnull=False).count() == 40
    with pytest.raises(CommandError):
        call_command("generate_scale", units=5, criteria=8, years=1, first_year=2031)
