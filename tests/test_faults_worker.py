"""A worker dies mid-recompute: killed with SIGKILL, the run it held is redone by the next worker on
its own (the stale-run sweep sees the run "running" with its period's lock free: the dead worker's
session released it), the results equal a clean run's, and readers meanwhile see the old results or
the new ones, never a mixture.

The scale is the national one, 10,000 units × 100 criteria (a million criterion scores; generated
with generate_scale in about a minute on a quiet 2-core machine, two under load), and a full
recompute of about 5 s, long enough to be killed inside. FAULT_UNITS=3000 runs it smaller.
"""

from __future__ import annotations

import io
import os
import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from scoring.models import Assessment, AssessmentResult, ComponentResult, Period, RecomputeRun
from scoring.recompute import recompute_now
from scoring.recompute.jobs import recompute_queue, runs_stale_resend
from scoring.recompute.locks import LOCK_NAMESPACE, periods_held
from scoring.recompute.scope import COMPONENTS_TABLE

from .fault_worker import fault_worker_fixture, pg_connect, wait_for  # noqa: F401 (fixture)
from .results_state import database_state

pytestmark = pytest.mark.faults

# The national scale by default; FAULT_UNITS=3000 makes a quicker run while developing.
UNITS, CRITERIA = int(os.environ.get("FAULT_UNITS", "10000")), 100
Status = RecomputeRun.Status


def _run_left_running(period, *, started_ago: timedelta) -> RecomputeRun:
    return RecomputeRun.objects.create(
        period=period,
        status=Status.RUNNING,
        trigger=RecomputeRun.Trigger.EDIT,
        started_at=timezone.now() - started_ago,
        attempts=1,
    )


def test_the_sweep_sends_again_a_run_left_running_by_a_dead_worker(assessment, period):
    run = _run_left_running(period, started_ago=timedelta(minutes=1))

    assert periods_held([period.pk]) == set()
    assert runs_stale_resend() == 1  # eager in the unit tests: sent and run at once

    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (Status.DONE, 2, "")
    assert AssessmentResult.objects.filter(assessment=assessment).exists()


def test_the_sweep_leaves_alone_a_running_run_whose_worker_holds_the_period(assessment, period):
    run = _run_left_running(period, started_ago=timedelta(minutes=20))
    with pg_connect() as worker_session:
        worker_session.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, period.pk])
        assert periods_held([period.pk, period.pk + 1_000_000]) == {period.pk}
        assert runs_stale_resend() == 0
    # The worker's connection ended: its lock with it (once its backend has exited).
    wait_for(
        lambda: not periods_held([period.pk]), timeout=10, what="the lock outlived its session"
    )
    run.refresh_from_db()
    assert (run.status, run.attempts) == (Status.RUNNING, 1)


def test_the_sweep_gives_a_just_claimed_run_a_moment(assessment, period):
    run = _run_left_running(period, started_ago=timedelta(seconds=1))
    assert runs_stale_resend() == 0
    run.refresh_from_db()
    assert run.status == Status.RUNNING


def fingerprint_sql() -> str:
    """One statement, so one snapshot: the period's results summed, and the run's status."""
    return f"""
        SELECT (SELECT status FROM {RecomputeRun._meta.db_table} WHERE id = %(run)s),
               COUNT(*), SUM(r.total_points), SUM(r.percent), SUM(r.rank),
               (SELECT SUM(c.points) FROM {ComponentResult._meta.db_table} c
                JOIN {Assessment._meta.db_table} a ON a.id = c.assessment_id
                WHERE a.period_id = %(period)s)
        FROM {AssessmentResult._meta.db_table} r WHERE r.period_id = %(period)s
    """


class Reader(threading.Thread):
    """Polls the period's results and the run's status, as a dashboard would, until stopped."""

    def __init__(self, period_id: int, run_id: int) -> None:
        super().__init__(daemon=True)
        self.params = {"period": period_id, "run": run_id}
        self.seen: list[tuple] = []
        self.halt = threading.Event()

    def run(self) -> None:
        sql = fingerprint_sql()
        with pg_connect() as conn:
            while not self.halt.is_set():
                status, *figures = conn.execute(sql, self.params).fetchone()
                self.seen.append((status, tuple(figures)))
                self.halt.wait(0.02)

    def stop(self) -> list[tuple]:
        """Stop once a reading has seen the run done (with the results it committed before)."""
        wait_for(
            lambda: self.seen and self.seen[-1][0] == Status.DONE,
            timeout=30,
            what="the reader never saw the run done",
        )
        self.halt.set()
        self.join(timeout=30)
        return self.seen


def _backend_computing(worker) -> int | None:
    """The worker's backend while it builds the recompute's first temporary table (the big
    aggregate over every score): the middle of the recompute's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND pid <> pg_backend_pid() AND query LIKE %s",
            [f"%CREATE TEMPORARY TABLE {COMPONENTS_TABLE}%"],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is None


@pytest.mark.jobs
def test_a_worker_killed_mid_recompute_is_replaced_and_the_run_redone_with_clean_results(
    fault_worker,
):
    """3,000 units × 100 criteria (not the national 10,000: see the module's docstring)."""
    call_command(
        "generate_scale",
        units=UNITS,
        criteria=CRITERIA,
        years=1,
        first_year=2024,
        prefix="fw",
        stdout=io.StringIO(),
    )  # with its first recompute: the results readers see before
    period = Period.objects.get(year=2024)
    # Scores change (a third of the units lose every point) and a full recompute is asked for.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scoring_criterionscore SET points = 0 WHERE assessment_id IN "
            "(SELECT id FROM scoring_assessment WHERE period_id = %s AND id %% 3 = 0)",
            [period.pk],
        )
    old = database_state(period)
    fault_worker.start()
    run = recompute_queue(period.pk, None, trigger=RecomputeRun.Trigger.MANUAL)
    reader = Reader(period.pk, run.pk)
    reader.start()

    backend = wait_for(
        lambda: _backend_computing(fault_worker),
        timeout=60,
        what="the worker never started the recompute",
        worker=fault_worker,
        interval=0.01,  # the aggregate lasts about a second: catch it early
    )
    fault_worker.kill()

    run.refresh_from_db()
    assert (run.status, run.attempts) == (Status.RUNNING, 1)
    # PostgreSQL ends the dead worker's session (once its statement is over), which rolls the
    # recompute back and releases the period's lock.
    wait_for(lambda: _backend_gone(backend), timeout=60, what="the dead worker's session stayed")
    assert periods_held([period.pk]) == set()
    assert database_state(period) == old

    # A worker again (its beat sweeps every two seconds here, every minute in production).
    fault_worker.start()
    wait_for(
        lambda: RecomputeRun.objects.get(pk=run.pk).status == Status.DONE,
        timeout=90,
        what="the run left running was not redone",
        worker=fault_worker,
    )
    seen = reader.stop()

    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (Status.DONE, 2, "")
    assert run.assessments == UNITS and run.results_changed > 0
    assert not RecomputeRun.objects.filter(status__in=[Status.QUEUED, Status.RUNNING]).exists()
    redone = database_state(period)
    assert redone != old

    # Readers saw the old results, then the new ones, never a mixture.
    with pg_connect() as conn:
        params = {"period": period.pk, "run": run.pk}
        new_figures = conn.execute(fingerprint_sql(), params).fetchone()[1:]
    figures = {f for _status, f in seen}
    old_figures = seen[0][1]
    assert figures <= {old_figures, new_figures}, figures
    assert old_figures != new_figures and new_figures in figures
    assert all(f == new_figures for status, f in seen if status == Status.DONE)
    assert len(seen) > 10

    # A clean run, from nothing stored, computes exactly what the redone run stored.
    AssessmentResult.objects.filter(period=period).delete()
    ComponentResult.objects.filter(assessment__period=period).delete()
    recompute_now(period)
    assert database_state(period) == redone
    assert sum(r[2] for r in redone[0]) > D(0)


def test_a_run_whose_database_went_away_stays_claimable_not_failed(assessment, period, monkeypatch):
    """A database restart mid-recompute is no failure of the run: it stays "running" for the task's
    retry (or the sweep) to take again, instead of waiting for the next edit as a failed run."""
    from django.db import OperationalError
    from django.db import connection as db

    from scoring.recompute import jobs

    run = recompute_queue(period.pk, [assessment.unit_id], trigger=RecomputeRun.Trigger.EDIT)

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(jobs, "compute", database_gone)
    monkeypatch.setattr(db, "is_usable", lambda: False)
    with pytest.raises(OperationalError):
        jobs.run_job(period_id=period.pk, run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (Status.RUNNING, 1, "")

    monkeypatch.setattr(db, "is_usable", lambda: True)  # the same error with a live connection
    with pytest.raises(OperationalError):
        jobs.run_job(period_id=period.pk, run_id=run.pk)
    run.refresh_from_db()
    assert run.status == Status.FAILED and "OperationalError" in run.error
