"""The recompute job end to end: a real Celery worker (solo pool, in a thread of this process)
against Redis at 127.0.0.1:6379 db 15, with committed rows (transactional_db) so that the worker's
own database connection sees them. Each test process uses its own queue, so two people running the
suite at once never take each other's tasks."""

from __future__ import annotations

import math
import os
import time
from decimal import Decimal as D

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from config.celery import app
from indicators.models import Criterion
from scoring.models import AssessmentResult, RecomputeRun
from scoring.recompute.jobs import COALESCE_SECONDS
from scoring.recompute.locks import LOCK_NAMESPACE
from scoring.workflow import State

from .celery_conf import celery_overridden
from .factories import (
    PeriodFactory,
    RankingGroupFactory,
    UnitFactory,
    make_assessment,
    make_user,
    small_framework,
)
from .sheet_helpers import score_write

pytestmark = pytest.mark.jobs

BROKER = os.environ.get(
    "CELERY_TEST_BROKER", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
)


@pytest.fixture(scope="module")
def module_worker():
    """One worker for the module: in our runs a second worker started later in the same process
    received its delayed (countdown) task but never ran it, so the tests share this one."""
    queue = f"test-recompute-{os.getpid()}"
    # The app reads Django settings under the CELERY_ namespace: override with the same names.
    overrides = {
        "CELERY_TASK_ALWAYS_EAGER": False,
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    with celery_overridden(**overrides):
        assert not app.conf.task_always_eager and app.conf.task_default_queue == queue
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)
        except Exception:
            pass
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            queues=[queue],
            shutdown_timeout=30,
            loglevel=os.environ.get("RC_LOG", "error"),
        ) as controller:
            yield controller


@pytest.fixture
def worker(module_worker, transactional_db):
    return module_worker


@pytest.fixture
def round_2024(transactional_db):
    period = PeriodFactory(year=2024)
    framework = small_framework()
    group = RankingGroupFactory(code="khoi-so")
    staff = make_user("interior_staff", username="canbo")
    sheets = [
        make_assessment(UnitFactory(code=f"u{i}"), period, framework, group, state=State.SUBMITTED)
        for i in range(3)
    ]
    criteria = {c.code: c for c in Criterion.objects.filter(framework=framework)}
    return period, sheets, criteria, staff


def wait_until_settled(period, timeout: float = 40.0) -> list[RecomputeRun]:
    """Wait until the period has runs and none is queued or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = list(RecomputeRun.objects.filter(period=period).order_by("created_at"))
        if runs and all(r.status in ("done", "failed") for r in runs):
            return runs
        time.sleep(0.2)
    raise AssertionError(
        f"runs still pending after {timeout}s: "
        f"{list(RecomputeRun.objects.values_list('status', 'unit_ids'))}"
    )


def ranks(period) -> dict[str, tuple]:
    return {
        code: (total, rank)
        for code, total, rank in AssessmentResult.objects.filter(period=period).values_list(
            "assessment__unit__code", "total_points", "rank"
        )
    }


def test_a_score_edit_is_recomputed_by_a_real_worker(worker, round_2024):
    period, sheets, criteria, staff = round_2024

    score_write(assessment=sheets[1], criterion=criteria["1.1"], user=staff, appraised_points=D(3))

    runs = wait_until_settled(period)
    assert [(r.status, r.trigger, r.attempts) for r in runs] == [("done", "edit", 1)]
    assert ranks(period) == {
        "u0": (D(0), 2),
        "u1": (D(3), 1),
        "u2": (D(0), 2),
    }
    assert runs[0].assessments == 3 and runs[0].finished_at is not None


def test_a_burst_of_edits_coalesces_into_one_or_two_recomputes(worker, round_2024):
    period, sheets, criteria, staff = round_2024

    started = time.monotonic()
    for i in range(40):
        score_write(
            assessment=sheets[i % 3],
            criterion=criteria["1.1"],
            user=staff,
            appraised_points=D(i % 17) / 4,
        )

    burst = time.monotonic() - started
    runs = wait_until_settled(period)
    # Edits within COALESCE_SECONDS of a run's first edit join it: a burst shorter than that is one
    # or two runs; on a loaded machine where the 40 writes take longer, one more per window.
    windows = 1 + math.ceil(burst / COALESCE_SECONDS)
    assert 1 <= len(runs) <= max(2, windows) < 40, [(r.status, r.created_at) for r in runs]
    assert all(r.status == "done" for r in runs)
    # The last values written: u0 5/4 (i = 39), u2 4/4 (i = 38), u1 3/4 (i = 37).
    assert ranks(period) == {
        "u0": (D("1.25"), 1),
        "u1": (D("0.75"), 3),
        "u2": (D("1.00"), 2),
    }


def test_a_busy_period_waits_for_the_other_worker_then_runs_once(worker, round_2024):
    period, sheets, criteria, staff = round_2024
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        # Another worker is recomputing this period.
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, period.pk])
        score_write(
            assessment=sheets[0], criterion=criteria["1.2"], user=staff, appraised_points=D(2)
        )
        time.sleep(COALESCE_SECONDS + 3)
        run = RecomputeRun.objects.get(period=period)
        assert run.status == "queued"  # retried, not run alongside the other worker
        # Edits meanwhile join the waiting run.
        score_write(
            assessment=sheets[2], criterion=criteria["1.2"], user=staff, appraised_points=D(1)
        )
        assert RecomputeRun.objects.filter(period=period).count() == 1
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, period.pk])

    runs = wait_until_settled(period)
    assert [(r.status, r.attempts) for r in runs] == [("done", 1)]
    assert ranks(period) == {"u0": (D(2), 1), "u1": (D(0), 3), "u2": (D(1), 2)}
