"""Races on committed rows: two people saving one sheet at the same moment, and a save committed
while a recompute of its period is running. Nothing is lost silently."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client

from indicators.models import Criterion
from scoring.models import AssessmentResult, CriterionScore, RecomputeRun
from scoring.recompute import engine as recompute_engine
from scoring.recompute import recompute_now
from scoring.recompute.jobs import run_job
from scoring.workflow import State

from .factories import (
    PeriodFactory,
    RankingGroupFactory,
    UnitFactory,
    make_assessment,
    make_user,
    small_framework,
)
from .fault_worker import fault_worker_fixture, wait_for  # noqa: F401 (fixture)
from .sheet_helpers import score_write, sheet_post, sheet_url

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

Status = RecomputeRun.Status


@pytest.fixture
def round_2024(transactional_db):
    period = PeriodFactory(year=2024)
    framework = small_framework()
    group = RankingGroupFactory(code="khoi-so")
    sheets = [
        make_assessment(UnitFactory(code=f"u{i}"), period, framework, group, state=State.SUBMITTED)
        for i in range(3)
    ]
    criteria = {c.code: c for c in Criterion.objects.filter(framework=framework)}
    return period, sheets, criteria


def _waiting_on_a_row_lock() -> bool:
    """Some other session of the test database is blocked on a lock (the second save's UPDATE)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone() is not None


def test_two_people_saving_one_sheet_at_once_one_is_saved_the_other_told_nothing_of_theirs_was(
    round_2024, monkeypatch
):
    _period, sheets, criteria = round_2024
    sheet = sheets[0]
    people = {
        "canbo1": make_user("interior_staff", username="canbo1", first_name="Lan"),
        "canbo2": make_user("interior_staff", username="canbo2", first_name="Minh"),
    }
    typed = {"canbo1": D(3), "canbo2": D(2)}
    clients = {}
    for name, user in people.items():
        clients[name] = Client()
        clients[name].force_login(user)
        assert clients[name].get(sheet_url(sheet)).status_code == 200  # both open the sheet
    version = sheet.version

    # The first save to take the sheet's row stops inside its transaction until the second save is
    # seen blocked on that row: the two really overlap.
    from scoring.services import sheet as sheet_service

    first_in, go = threading.Event(), threading.Event()
    editable_fields = sheet_service.editable_fields

    def held(user, assessment):
        if not first_in.is_set():
            first_in.set()
            assert go.wait(30)
        return editable_fields(user, assessment)

    monkeypatch.setattr(sheet_service, "editable_fields", held)
    start = threading.Barrier(2)
    responses = {}

    def save(name: str) -> None:
        try:
            data = sheet_post(sheet, {"1.1": {"appraised_points": typed[name]}}, version=version)
            start.wait(10)
            responses[name] = clients[name].post(sheet_url(sheet), data)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(name,)) for name in people]
    for thread in threads:
        thread.start()
    assert first_in.wait(30)
    wait_for(_waiting_on_a_row_lock, timeout=30, what="the second save never reached the row")
    go.set()
    for thread in threads:
        thread.join(30)

    assert sorted(r.status_code for r in responses.values()) == [302, 409]
    winner = next(name for name, r in responses.items() if r.status_code == 302)
    loser = next(name for name in people if name != winner)
    conflict = responses[loser].content.decode()
    assert "Không có thay đổi nào của bạn được lưu" in conflict
    assert f"Bảng điểm đã được {people[winner].get_full_name() or winner} lưu lúc" in conflict
    assert 'id="conflicts"' in conflict  # their value beside the one typed, row by row

    score = CriterionScore.objects.get(assessment=sheet, criterion=criteria["1.1"])
    assert score.appraised_points == typed[winner]
    sheet.refresh_from_db()
    assert sheet.version == version + 1
    assert score.history.filter(appraised_points=typed[loser]).count() == 0

    # Saving again from the conflict page is a deliberate overwrite, and is kept.
    again = sheet_post(sheet, {"1.1": {"appraised_points": typed[loser]}})
    assert clients[loser].post(sheet_url(sheet), again).status_code == 302
    score.refresh_from_db()
    assert score.appraised_points == typed[loser]
    assert AssessmentResult.objects.get(assessment=sheet).total_points == typed[loser]


@pytest.mark.jobs
def test_a_save_committed_while_a_recompute_runs_is_in_the_results_after(
    fault_worker, round_2024, monkeypatch
):
    period, sheets, criteria = round_2024
    staff = make_user("interior_staff", username="canbo")
    recompute_now(period)
    fault_worker.start()
    running = RecomputeRun.objects.create(period=period, trigger=RecomputeRun.Trigger.MANUAL)

    # The recompute stops between its steps: component results computed, totals not yet.
    in_compute, go = threading.Event(), threading.Event()
    totals = recompute_engine.totals

    def held(cursor, scope):
        if threading.current_thread() is recompute:
            in_compute.set()
            assert go.wait(60)
        return totals(cursor, scope)

    monkeypatch.setattr(recompute_engine, "totals", held)

    def job() -> None:
        try:
            run_job(period_id=period.pk, run_id=running.pk)
        finally:
            connection.close()

    recompute = threading.Thread(target=job)
    recompute.start()
    assert in_compute.wait(30)
    assert RecomputeRun.objects.get(pk=running.pk).status == Status.RUNNING

    # The save commits now; its recompute is queued as a new run, the running one taken no more.
    score_write(assessment=sheets[1], criterion=criteria["1.1"], user=staff, appraised_points=D(3))
    follow_up = RecomputeRun.objects.get(period=period, status=Status.QUEUED)
    assert follow_up.pk != running.pk and sheets[1].unit_id in follow_up.unit_ids

    go.set()
    recompute.join(60)
    assert RecomputeRun.objects.get(pk=running.pk).status == Status.DONE
    # The worker had found the period busy and retried; now it runs the follow-up.
    wait_for(
        lambda: RecomputeRun.objects.get(pk=follow_up.pk).status == Status.DONE,
        timeout=60,
        what="the follow-up recompute never ran",
        worker=fault_worker,
    )
    totals_now = dict(
        AssessmentResult.objects.filter(period=period).values_list(
            "assessment__unit__code", "total_points"
        )
    )
    assert totals_now == {"u0": D(0), "u1": D(3), "u2": D(0)}
    assert recompute_now(period).results_changed == 0  # what a clean run computes
