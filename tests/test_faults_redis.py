"""Redis unreachable is not an error: with the cache and the broker pointed at a closed port, every
dashboard answers, a sheet save succeeds and leaves its recompute queued in PostgreSQL, and once the
broker is back the stale-run sweep sends it and the results follow."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from config.celery import app as current_app
from core.cache import SafeRedisCache
from scoring.models import AssessmentResult, CriterionScore, RecomputeRun
from scoring.recompute.jobs import runs_stale_resend

from .celery_conf import pools_reset
from .sheet_helpers import sheet_post, sheet_url

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once
DEAD_CACHE = {
    "default": {
        "BACKEND": "core.cache.SafeRedisCache",
        "LOCATION": CLOSED,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def redis_down():
    """The cache and the broker unreachable; both restored afterwards."""
    conf = current_app.conf  # read from Django settings: its keys carry the CELERY_ namespace
    saved = conf.CELERY_BROKER_URL, conf.CELERY_TASK_ALWAYS_EAGER
    pools_reset()
    conf.CELERY_BROKER_URL, conf.CELERY_TASK_ALWAYS_EAGER = CLOSED, False
    SafeRedisCache._down_until = 0.0
    with override_settings(CACHES=DEAD_CACHE):
        yield
    conf.CELERY_BROKER_URL, conf.CELERY_TASK_ALWAYS_EAGER = saved
    pools_reset()
    SafeRedisCache._down_until = 0.0


def test_the_safe_cache_answers_as_an_empty_cache_when_redis_is_unreachable(redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert cache.get("k") is None
        assert cache.get("k", "default") == "default"
        cache.set("k", 1, None)
        assert cache.add("k", 1) is False
        assert cache.get_many(["a", "b"]) == {}
        assert cache.delete("k") is False
        with pytest.raises(ValueError):
            cache.incr("k")
    assert "Cache unreachable" in caplog.text


def test_the_safe_cache_still_caches_when_redis_answers():
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "core.cache.SafeRedisCache",
                "LOCATION": "redis://127.0.0.1:6379/14",
            }
        }
    ):
        SafeRedisCache._down_until = 0.0
        cache.set("faults:probe", 7, 30)
        assert cache.get("faults:probe") == 7
        assert cache.incr("faults:probe") == 8
        cache.delete("faults:probe")
        assert cache.get("faults:probe") is None


def test_with_redis_down_dashboards_answer_and_a_save_leaves_a_queued_run(
    client, staff, leader, submitted, period, group, django_capture_on_commit_callbacks, redis_down
):
    client.force_login(leader)
    query = {"period": str(period.year), "group": group.code}
    for name, args in [
        ("reports:ranking", []),
        ("reports:heatmap", []),
        ("reports:deductions", []),
        ("reports:climb", []),
        ("reports:comparison", []),
        ("reports:unit", [submitted.unit_id]),
        ("home", []),
    ]:
        response = client.get(reverse(name, args=args), query)
        assert response.status_code == 200, (name, response.status_code)

    client.force_login(staff)
    data = sheet_post(submitted, {"1.1": {"appraised_points": "3"}})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(sheet_url(submitted), data)
    assert response.status_code == 302
    assert CriterionScore.objects.get(assessment=submitted, criterion__code="1.1").points == D(3)
    run = RecomputeRun.objects.get(period=period)
    assert run.status == RecomputeRun.Status.QUEUED
    assert not AssessmentResult.objects.filter(assessment=submitted).exists()

    # The period's status fragment says the results are pending.
    status = client.get(reverse("scoring:recompute_status", args=[period.year]))
    assert status.status_code == 200
    assert status.context["status"].is_pending


def test_once_the_broker_is_back_the_stale_sweep_sends_the_run_and_results_follow(
    staff, submitted, period, group, django_capture_on_commit_callbacks, redis_down
):
    from scoring.services import sheet_save

    criterion = submitted.framework.criteria.get(code="1.1")
    with django_capture_on_commit_callbacks(execute=True):
        sheet_save(
            assessment=submitted,
            user=staff,
            version=submitted.version,
            rows={criterion.pk: {"appraised_points": D(3)}},
        )
    run = RecomputeRun.objects.get(period=period, status=RecomputeRun.Status.QUEUED)
    # Broker still down: the sweep tries, the run stays queued.
    RecomputeRun.objects.filter(pk=run.pk).update(created_at=run.created_at - timedelta(minutes=10))
    assert runs_stale_resend() == 1
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.QUEUED

    # The broker is back (eager, as the test settings): a fresh run is not touched yet ...
    current_app.conf.CELERY_TASK_ALWAYS_EAGER = True
    assert runs_stale_resend(older_than=timedelta(days=1)) == 0
    # ... a stale one is sent and run.
    assert runs_stale_resend() == 1
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.DONE
    result = AssessmentResult.objects.get(assessment=submitted)
    assert result.total_points == D(3)


def test_beat_sweeps_stale_queued_runs_every_few_minutes_at_most():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["recompute-stale-queued"]
    assert entry["task"] == "scoring.tasks.recompute_stale_queued"
    assert float(entry["schedule"]) <= 300
    from scoring import tasks

    assert tasks.recompute_stale_queued.name == entry["task"]
