"""GET /health/: what a load balancer and the people who run the app need to know, as JSON.

- database: a `SELECT 1` (critical: without it nothing works; the answer is then 503);
- cache and broker: Redis pinged (each "ok", "down", or "not used" when the app runs without it);
- worker: the age of the heartbeat that beat sends every minute and a worker records;
- recompute: how many runs are queued and the age of the oldest.

Status 200 when the database answers, 503 otherwise: Redis or a worker down degrades the app (pages
still answer, recomputes wait in PostgreSQL) but must not take the web servers out of rotation;
"status" says "degraded" then. No URL, host, setting or error text is ever returned (an error is
logged). Never cached; anonymous, as a load balancer calls it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import Heartbeat

logger = logging.getLogger(__name__)

HEARTBEAT = "worker"
# A heartbeat older than this means no worker runs the periodic jobs (beat sends one a minute).
HEARTBEAT_STALE = timedelta(minutes=3)
# A queued recompute older than this is late (the stale sweep re-sends it after 5 minutes).
PENDING_LATE = timedelta(minutes=10)
REDIS_TIMEOUT = 1  # seconds, per ping


def heartbeat_write() -> None:
    Heartbeat.objects.update_or_create(name=HEARTBEAT, defaults={"at": timezone.now()})


def database_check() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception:
        logger.exception("Health: the database does not answer")
        return False


def _redis_ping(url: str, what: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        try:
            return "ok" if client.ping() else "down"
        finally:
            client.close()
    except Exception as exc:
        logger.warning("Health: %s unreachable (%s)", what, type(exc).__name__)
        return "down"


def cache_check() -> str:
    """Redis behind the cache pinged directly (the cache itself turns its errors into misses)."""
    config = settings.CACHES["default"]
    location = config.get("LOCATION", "")
    if "redis" not in config["BACKEND"].lower() or not location:
        return "not used"
    if not isinstance(location, str):
        location = location[0]
    return _redis_ping(location, "cache")


def broker_check() -> str:
    url = settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER or not url:
        return "not used"
    if not url.startswith(("redis://", "rediss://")):
        return "unknown"
    return _redis_ping(url, "broker")


def worker_check(now) -> dict:
    at = Heartbeat.objects.filter(name=HEARTBEAT).values_list("at", flat=True).first()
    if at is None:
        return {"status": "unknown", "heartbeat_age_seconds": None}
    age = now - at
    return {
        "status": "ok" if age <= HEARTBEAT_STALE else "late",
        "heartbeat_age_seconds": round(age.total_seconds()),
    }


def recompute_check(now) -> dict:
    from scoring.models import RecomputeRun

    queued = RecomputeRun.objects.filter(status=RecomputeRun.Status.QUEUED)
    oldest = queued.order_by("created_at").values_list("created_at", flat=True).first()
    age = None if oldest is None else now - oldest
    return {
        "status": "ok" if age is None or age <= PENDING_LATE else "late",
        "queued": queued.count(),
        "oldest_pending_age_seconds": None if age is None else round(age.total_seconds()),
    }


def health_report() -> tuple[dict, int]:
    """The JSON body and the HTTP status."""
    now = timezone.now()
    report: dict = {"database": "ok" if database_check() else "down"}
    if report["database"] != "ok":
        report["status"] = "down"
        return report, 503
    report["cache"] = cache_check()
    report["broker"] = broker_check()
    try:
        report["worker"] = worker_check(now)
        if report["broker"] == "not used":  # tasks run in the web process: no worker to wait for
            report["worker"]["status"] = "not used"
        report["recompute"] = recompute_check(now)
    except Exception:
        logger.exception("Health: the database answered SELECT 1 but not the checks")
        report["status"] = "down"
        return report, 503
    fine = (
        report["cache"] in ("ok", "not used")
        and report["broker"] in ("ok", "not used")
        and report["worker"]["status"] in ("ok", "not used")
        and report["recompute"]["status"] == "ok"
    )
    report["status"] = "ok" if fine else "degraded"
    report["time"] = now.isoformat(timespec="seconds")
    return report, 200


@never_cache
@require_GET
def health(request):
    report, status = health_report()
    return JsonResponse(report, status=status)
