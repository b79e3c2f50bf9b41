"""GET /health/: the database, Redis (cache and broker), the worker's heartbeat and the oldest
pending recompute, as JSON; 503 only when the database does not answer; no secret; never cached."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from core.models import Heartbeat
from core.tasks import heartbeat
from scoring.models import RecomputeRun

REDIS_CACHE = {
    "default": {"BACKEND": "core.cache.SafeRedisCache", "LOCATION": "redis://127.0.0.1:6379/14"}
}
CLOSED = "redis://:s3cret-password@127.0.0.1:1/0"


def get(client):
    response = client.get(reverse("health"))
    return response, json.loads(response.content)


@pytest.mark.django_db
@override_settings(
    CACHES=REDIS_CACHE,
    CELERY_BROKER_URL="redis://127.0.0.1:6379/15",
    CELERY_TASK_ALWAYS_EAGER=False,
)
def test_all_up_answers_200_ok_with_every_field(client):
    heartbeat()
    response, body = get(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    assert body["broker"] == "ok"
    assert body["worker"]["status"] == "ok"
    assert 0 <= body["worker"]["heartbeat_age_seconds"] < 60
    assert body["recompute"] == {"status": "ok", "queued": 0, "oldest_pending_age_seconds": None}


@pytest.mark.django_db
def test_the_database_down_answers_503(client, monkeypatch):
    monkeypatch.setattr("core.health.database_check", lambda: False)
    response, body = get(client)
    assert response.status_code == 503
    assert body["database"] == "down"
    assert body["status"] == "down"


@pytest.mark.django_db
@override_settings(
    CACHES={"default": {"BACKEND": "core.cache.SafeRedisCache", "LOCATION": CLOSED}},
    CELERY_BROKER_URL=CLOSED,
    CELERY_TASK_ALWAYS_EAGER=False,
)
def test_redis_down_and_no_heartbeat_are_degraded_not_503_and_leak_no_secret(client):
    response, body = get(client)
    assert response.status_code == 200  # the pages still answer: keep the web server in rotation
    assert body["status"] == "degraded"
    assert body["cache"] == "down" and body["broker"] == "down"
    assert body["worker"] == {"status": "unknown", "heartbeat_age_seconds": None}
    text = response.content.decode()
    for secret in ("s3cret", "redis://", "127.0.0.1", settings.SECRET_KEY, "postgres"):
        assert secret not in text


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/15", CELERY_TASK_ALWAYS_EAGER=False)
def test_a_late_heartbeat_and_the_oldest_queued_recompute_are_reported(client, period):
    Heartbeat.objects.create(name="worker", at=timezone.now() - timedelta(minutes=10))
    old = RecomputeRun.objects.create(period=period)
    RecomputeRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=12))
    response, body = get(client)
    assert response.status_code == 200
    assert body["worker"]["status"] == "late"
    assert 595 <= body["worker"]["heartbeat_age_seconds"] <= 610
    assert body["recompute"]["queued"] == 1
    assert 715 <= body["recompute"]["oldest_pending_age_seconds"] <= 730
    assert body["recompute"]["status"] == "late"
    assert body["status"] == "degraded"


@pytest.mark.django_db
def test_without_a_broker_tasks_run_in_process_and_no_worker_is_expected(client):
    response, body = get(client)  # the test settings: eager, local-memory cache
    assert response.status_code == 200
    assert body["cache"] == "not used" and body["broker"] == "not used"
    assert body["worker"]["status"] == "not used"
    assert body["status"] == "ok"


def test_beat_sends_the_heartbeat_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry["task"] == heartbeat.name == "core.tasks.heartbeat"
    assert float(entry["schedule"]) <= 60
