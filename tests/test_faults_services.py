"""Fault tests against real services of the test's own (tests/fault_services.py): Redis stopped
while staff save and others read dashboards, with a real worker; PostgreSQL restarted under gunicorn
while requests are served. The machine's shared Redis and PostgreSQL are never touched."""

from __future__ import annotations

import http.client
import json
import threading
import time
from datetime import timedelta
from decimal import Decimal as D
from urllib.parse import urlencode

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, transaction
from django.test import RequestFactory, override_settings
from django.urls import reverse

from config.celery import app as celery_app
from core.cache import SafeRedisCache
from scoring.models import AssessmentResult, CriterionScore, RecomputeRun
from scoring.recompute import jobs
from scoring.recompute.jobs import runs_stale_resend
from scoring.services import sheet_save

from .celery_conf import pools_reset
from .fault_services import (
    SEED,
    PrivatePostgres,
    PrivateRedis,
    app_env,
    app_settings_dir,
    celery_worker,
    end,
    free_port,
    gunicorn,
    manage,
    wait_for,
)
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
    saved = {key: conf.get(key) for key in keys}  # both set in the test settings
    pools_reset()
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
        pools_reset()
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


# --- PostgreSQL restarted under gunicorn -------------------------------------------------------

SECRET = "fault-tests-secret-key-not-for-anything-else"
CSRF = "f" * 32  # a CSRF secret of our own, sent as the cookie and as the form field
UNAVAILABLE = "Tạm thời chưa phục vụ được"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A private PostgreSQL cluster, migrated and seeded, and gunicorn (two workers) serving the app
    on it in production settings."""
    tmp = tmp_path_factory.mktemp("served")
    pg, redis = PrivatePostgres(), PrivateRedis()
    web = worker = None
    try:
        pg.start()
        redis.start()
        pg.createdb("parindex")
        env = app_env(
            DATABASE_URL=pg.url(),
            REDIS_URL=redis.url,
            DJANGO_SETTINGS_MODULE="fault_settings",
            SECRET_KEY=SECRET,
        )
        env["PYTHONPATH"] = str(app_settings_dir(tmp))
        manage("migrate", "--noinput", env=env)
        seed = json.loads(manage("shell", "-c", SEED, env=env).strip().splitlines()[-1])
        worker = celery_worker({**env, "LOG_LEVEL": "INFO"}, tmp / "worker.log")
        port = free_port()
        web = gunicorn(env, port, tmp / "gunicorn.log")
        wait_for(lambda: "ready." in (tmp / "worker.log").read_text(), timeout=60, what="worker")
        yield pg, port, seed, tmp
    finally:
        end(web)
        end(worker)
        redis.stop()
        pg.stop()
        pg.remove()


def _request(port: int, method: str, path: str, session: str, form: dict | None = None):
    """One request (status, headers, body), as a logged-in browser sends it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": f"sessionid={session}; csrftoken={CSRF}"}
    body = None
    if form is not None:
        body = urlencode({**form, "csrfmiddlewaretoken": CSRF})
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def _sheet_form(pg: PrivatePostgres, seed: dict, points: str) -> dict | None:
    """The sheet's form at its current version (None while the database is down)."""
    try:
        with psycopg.connect(pg.url(), connect_timeout=2) as conn:
            (version,) = conn.execute(
                "SELECT version FROM scoring_assessment WHERE id = %s", [seed["sheet"]]
            ).fetchone()
    except psycopg.OperationalError:
        return None
    return {"version": str(version), f"appraised_points-{seed['criterion']}": points}


def _stored_points(pg: PrivatePostgres, seed: dict) -> D:
    with psycopg.connect(pg.url()) as conn:
        (points,) = conn.execute(
            "SELECT points FROM scoring_criterionscore "
            "WHERE assessment_id = %s AND criterion_id = %s",
            [seed["sheet"], seed["criterion"]],
        ).fetchone()
    return points


def _settled_total(pg: PrivatePostgres, seed: dict) -> D | None:
    """The sheet's total once the period has no run waiting or running (None before)."""
    with psycopg.connect(pg.url()) as conn:
        pending = conn.execute(
            "SELECT count(*) FROM scoring_recomputerun WHERE status IN ('queued', 'running')"
        ).fetchone()[0]
        row = conn.execute(
            "SELECT total_points FROM scoring_assessmentresult WHERE assessment_id = %s",
            [seed["sheet"]],
        ).fetchone()
    return None if pending or row is None else row[0]


def test_a_postgresql_restart_fails_requests_in_flight_cleanly_and_the_app_recovers_alone(served):
    pg, port, seed, tmp = served
    log = tmp / "gunicorn.log"
    query = f"?period={seed['year']}&group={seed['group']}"
    pages = [
        reverse(name, args=[seed["unit"]] if unit else []) + query for name, unit in DASHBOARDS
    ]
    sheet = reverse("scoring:sheet", args=[seed["sheet"]])
    for page in pages:
        assert _request(port, "GET", page, seed["leader"])[0] == 200, page

    outcomes: list[tuple[float, str, int, dict, str]] = []
    stop = threading.Event()

    def reader(offset: int) -> None:
        i = offset
        while not stop.is_set():
            page = pages[i % len(pages)]
            started = time.monotonic()
            outcomes.append((started, page, *_request(port, "GET", page, seed["leader"])))
            i += 1

    def saver() -> None:
        i = 0
        while not stop.is_set():
            form = _sheet_form(pg, seed, ["1", "2", "3", "4"][i % 4])
            if form is None:
                time.sleep(0.05)
                continue
            started = time.monotonic()
            outcomes.append((started, sheet, *_request(port, "POST", sheet, seed["staff"], form)))
            i += 1

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(3)]
    threads.append(threading.Thread(target=saver))
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        pg.restart()  # pg_ctl restart -m fast, waiting until the server accepts connections again
        restarted = time.monotonic()
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=90)

    failed = [o for o in outcomes if o[2] not in (200, 302)]
    # The restart was felt: requests in flight or arriving meanwhile failed, each with the
    # translated "try again shortly" page, never a traceback or a secret.
    assert failed, "no request met the restart"
    for _started, path, status, headers, body in failed:
        assert status == 503, (path, status, body[:500])
        assert headers.get("Retry-After") == "5"
        assert UNAVAILABLE in body
        for leak in ("Traceback", "psycopg", SECRET, str(pg.port), "postgres://"):
            assert leak not in body, (path, leak)
    # Once PostgreSQL is back every request succeeds, with no restart of the app: the workers'
    # kept connections are checked before reuse (CONN_HEALTH_CHECKS).
    after = [o for o in outcomes if o[0] > restarted]
    assert after and all(o[2] in (200, 302) for o in after), [(o[1], o[2]) for o in after]
    for page in pages * 2:
        assert _request(port, "GET", page, seed["leader"])[0] == 200, page
    form = _sheet_form(pg, seed, "3,75")
    assert _request(port, "POST", sheet, seed["staff"], form)[0] == 302
    assert _stored_points(pg, seed) == D("3.75")
    # The worker lived through it too: the save's recompute runs, on a new connection.
    wait_for(lambda: _settled_total(pg, seed) == D("3.75"), timeout=60, what="the recompute")
    assert "Booting worker" in log.read_text()
    assert log.read_text().count("Booting worker") == 2  # the same two workers throughout


def test_the_error_pages_are_translated():
    from django.utils import translation

    from core.error_pages import server_error

    request = RequestFactory().get("/")
    request.request_id = "abc123"
    for language, title in (("vi", UNAVAILABLE), ("en", "Temporarily unavailable")):
        with translation.override(language):
            try:
                raise OperationalError("terminating connection due to administrator command")
            except OperationalError:
                response = server_error(request)
        assert response.status_code == 503 and response["Retry-After"] == "5"
        assert title in response.content.decode() and "abc123" in response.content.decode()
    with translation.override("en"):
        try:
            raise ValueError("a bug")
        except ValueError:
            response = server_error(request)
    assert response.status_code == 500
    assert "Server error" in response.content.decode()
    assert "a bug" not in response.content.decode()
