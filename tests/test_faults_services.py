"""Fault tests against real services of the test's own (tests/fault_services.py): Redis stopped
while staff save and others read dashboards, with a real worker; PostgreSQL restarted under gunicorn
while requests are served. The machine's shared Redis and PostgreSQL are never touched."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from config.celery import app as celery_app
from core.cache import SafeRedisCache
from scoring.models import AssessmentResult, CriterionScore, RecomputeRun
from scoring.recompute import jobs
from scoring.recompute.jobs import runs_stale_resend
from scoring.services import sheet_save
from scoring.workflow import State

from .fault_services import PrivateRedis, app_env, celery_worker, end, wait_for
from .sheet_helpers import sheet_post, sheet_url

pytestmark = pytest.mark.faults

DASHBOARDS = [
    ("reports:ranking", False),
    ("reports:heatmap", False),
    ("reports:deductions", False),
    ("reports:climb", False),
    ("reports:comparison", False),
    ("reports:unit", True),
    ("home", False),
]


@pytest.fixture
def submitted(assessment):
    assessment.state = State.SUBMITTED
    assessment.save()
    return assessment


def _pools_reset() -> None:
    """Celery keeps its broker connection pools: drop them so the next send uses broker_url."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_private():
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def production_like(redis_private, transactional_db, tmp_path):
    """This process as a web server in production settings (the safe cache and the broker on the
    private Redis, tasks sent, not run eagerly) and a real worker process on the same Redis and the
    test database, in production settings too."""
    conf = celery_app.conf
    keys = ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER")
    saved = {key: conf.get(key) for key in keys}
    _pools_reset()
    conf.update(CELERY_BROKER_URL=redis_private.url, CELERY_TASK_ALWAYS_EAGER=False)
    SafeRedisCache._down_until = 0.0
    db = settings.DATABASES["default"]
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    log = tmp_path / "worker.log"
    worker = celery_worker(
        app_env(DATABASE_URL=database_url, REDIS_URL=redis_private.url, LOG_LEVEL="INFO"), log
    )
    caches = {
        "default": {
            "BACKEND": "core.cache.SafeRedisCache",
            "LOCATION": redis_private.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    try:
        wait_for(lambda: "ready." in log.read_text(), timeout=60, what="the worker")
        with override_settings(CACHES=caches):
            yield worker, log
    finally:
        end(worker)
        conf.update(saved)
        _pools_reset()
        SafeRedisCache._down_until = 0.0


def _settled(period, *, timeout: float = 60) -> RecomputeRun:
    """The period's latest run, once it is done (waiting for the worker)."""

    def done() -> bool:
        return (
            not RecomputeRun.objects.filter(
                period=period, status__in=["queued", "running"]
            ).exists()
            and RecomputeRun.objects.filter(period=period).exists()
        )

    wait_for(done, timeout=timeout, what="the recompute")
    return RecomputeRun.objects.filter(period=period).latest("pk")


def _total(assessment) -> D | None:
    result = AssessmentResult.objects.filter(assessment=assessment).first()
    return None if result is None else result.total_points


def _dashboards_answer(client, assessment, group) -> None:
    query = {"period": str(assessment.period.year), "group": group.code}
    for name, with_unit in DASHBOARDS:
        args = [assessment.unit_id] if with_unit else []
        response = client.get(reverse(name, args=args), query)
        assert response.status_code == 200, (name, response.status_code)


def test_with_redis_stopped_saves_work_dashboards_answer_and_the_recompute_follows_its_return(
    client, staff, leader, submitted, period, group, redis_private, production_like
):
    worker, log = production_like
    reader = client_class = type(client)
    reader = client_class()
    reader.force_login(leader)
    client.force_login(staff)

    # Redis up: a save is recomputed by the worker.
    response = client.post(
        sheet_url(submitted), sheet_post(submitted, {"1.1": {"appraised_points": "3"}})
    )
    assert response.status_code == 302
    assert _settled(period).status == "done"
    assert _total(submitted) == D(3)
    _dashboards_answer(reader, submitted, group)

    redis_private.stop()

    # Redis down: dashboards answer (the cache misses), a save succeeds and its run waits in
    # PostgreSQL; the sheet says the results are pending.
    _dashboards_answer(reader, submitted, group)
    submitted.refresh_from_db()
    data = sheet_post(submitted, {"1.2": {"appraised_points": "2"}})
    response = client.post(sheet_url(submitted), data)
    assert response.status_code == 302
    _dashboards_answer(reader, submitted, group)
    assert CriterionScore.objects.get(assessment=submitted, criterion__code="1.2").points == D(2)
    queued = RecomputeRun.objects.get(period=period, status="queued")
    assert queued.unit_ids == [submitted.unit_id]
    status = client.get(reverse("scoring:recompute_status", args=[period.year]))
    assert status.status_code == 200
    assert "Đang chờ tính lại" in status.content.decode()
    assert _total(submitted) == D(3)

    # Redis back (empty: it kept nothing): the worker reconnects by itself, the cache is used again
    # after its pause, and beat's sweep of stale queued runs (sent through the broker, as beat does)
    # sends the run again; the worker recomputes and no change is lost.
    redis_private.start()
    RecomputeRun.objects.filter(pk=queued.pk).update(
        created_at=queued.created_at - jobs.STALE_QUEUED - timedelta(minutes=1)
    )

    def cache_back() -> bool:
        from django.core.cache import cache

        cache.set("faults:probe", 1, 30)
        return cache.get("faults:probe") == 1

    wait_for(cache_back, timeout=30, what="the cache")
    celery_app.send_task("scoring.tasks.recompute_stale_queued")
    run = _settled(period)
    assert (run.pk, run.status) == (queued.pk, "done"), log.read_text()[-3000:]
    assert _total(submitted) == D(5)
    _dashboards_answer(reader, submitted, group)
    status = client.get(reverse("scoring:recompute_status", args=[period.year]))
    assert "Đang chờ tính lại" not in status.content.decode()
    assert worker.poll() is None  # the worker lived through it


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_the_commit_and_its_callbacks_loses_no_recompute(
    staff, submitted, period, monkeypatch
):
    sent = []
    monkeypatch.setattr(jobs, "_send", sent.append)
    criterion = submitted.framework.criteria.get(code="1.1")
    with transaction.atomic():
        sheet_save(
            assessment=submitted,
            user=staff,
            version=submitted.version,
            rows={criterion.pk: {"appraised_points": D(3)}},
        )
        # The process dies right after COMMIT: none of the on-commit callbacks runs.
        transaction.get_connection().run_on_commit.clear()
    assert sent == []
    assert CriterionScore.objects.get(assessment=submitted, criterion=criterion).points == D(3)
    # The request committed with the score: the run is queued in PostgreSQL ...
    run = RecomputeRun.objects.get(period=period)
    assert (run.status, run.unit_ids) == ("queued", [submitted.unit_id])
    # ... and beat's sweep sends it once it is stale.
    assert runs_stale_resend() == 0
    RecomputeRun.objects.filter(pk=run.pk).update(created_at=run.created_at - timedelta(minutes=6))
    assert runs_stale_resend() == 1
    assert [r.pk for r in sent] == [run.pk]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_save_leaves_no_queued_run(staff, submitted, period, monkeypatch):
    monkeypatch.setattr(jobs, "_send", lambda run: None)
    criterion = submitted.framework.criteria.get(code="1.1")
    with pytest.raises(RuntimeError), transaction.atomic():
        sheet_save(
            assessment=submitted,
            user=staff,
            version=submitted.version,
            rows={criterion.pk: {"appraised_points": D(3)}},
        )
        raise RuntimeError
    assert not RecomputeRun.objects.exists()
    assert not CriterionScore.objects.filter(assessment=submitted, points=D(3)).exists()
