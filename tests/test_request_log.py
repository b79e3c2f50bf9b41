"""Every request gets an id (the client's if sane), sent back in X-Request-ID, logged as one JSON
line, and carried into the Celery tasks the request sends."""

from __future__ import annotations

import json
import logging

import pytest
from celery import shared_task
from django.urls import reverse

from core import request_log
from core.request_log import JsonFormatter, current_request_id

SEEN: list[str | None] = []


@shared_task(name="tests.request_log.remember_request_id")
def remember_request_id() -> None:
    SEEN.append(current_request_id.get())


def json_lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "parindex.request"]


@pytest.mark.django_db
def test_a_request_gets_an_id_in_the_response_and_one_json_log_line(client, caplog, staff):
    client.force_login(staff)
    with caplog.at_level(logging.INFO, logger="parindex.request"):
        response = client.get(reverse("health"))
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    lines = json_lines(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == request_id
    assert line["method"] == "GET"
    assert line["path"] == "/health/"
    assert line["status"] == 200
    assert line["user_id"] == staff.pk
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["logger"] == "parindex.request"
    # One line: the formatter writes no newline inside a record.
    assert "\n" not in JsonFormatter().format(caplog.records[-1])


@pytest.mark.django_db
def test_a_sane_client_id_is_kept_and_a_bad_one_replaced(client, caplog):
    with caplog.at_level(logging.INFO, logger="parindex.request"):
        kept = client.get(reverse("health"), HTTP_X_REQUEST_ID="lb-2f6c1e9a-0001")
        bad = client.get(reverse("health"), HTTP_X_REQUEST_ID='x" onload="<script>')
        empty = client.get(reverse("login"), HTTP_X_REQUEST_ID="")
    assert kept["X-Request-ID"] == "lb-2f6c1e9a-0001"
    assert bad["X-Request-ID"] != 'x" onload="<script>' and len(bad["X-Request-ID"]) == 32
    assert len(empty["X-Request-ID"]) == 32
    lines = json_lines(caplog)
    assert [line["request_id"] for line in lines] == [
        "lb-2f6c1e9a-0001",
        bad["X-Request-ID"],
        empty["X-Request-ID"],
    ]
    assert [line["user_id"] for line in lines] == [None, None, None]
    assert current_request_id.get() is None  # nothing left behind after the request


@pytest.mark.django_db
def test_a_task_sent_during_a_request_sees_its_id(client, staff, monkeypatch):
    """Eager (the test settings): the task runs inside the request and sees its id."""
    from core import health

    def report_and_send():
        remember_request_id.delay()
        return {"status": "ok"}, 200

    monkeypatch.setattr(health, "health_report", report_and_send)
    SEEN.clear()
    response = client.get(reverse("health"), HTTP_X_REQUEST_ID="req-from-the-lb-42")
    assert response.status_code == 200
    assert SEEN == ["req-from-the-lb-42"]
    SEEN.clear()
    remember_request_id.delay()  # outside a request: no id
    assert SEEN == [None]


def test_a_published_task_carries_the_id_in_its_headers_and_the_worker_restores_it(caplog):
    """The broker path: the message headers carry the id; the worker's task_prerun puts it back
    into the context (its log lines carry it) and task_postrun drops it."""
    headers: dict = {}
    token = current_request_id.set("req-abc-12345")
    try:
        request_log._request_id_into_message(headers=headers)
    finally:
        current_request_id.reset(token)
    assert headers == {"request_id": "req-abc-12345"}

    class Request:
        is_eager = False
        request_id = "req-abc-12345"

    class Task:
        name = "scoring.tasks.recompute_period"
        request = Request()

    with caplog.at_level(logging.INFO, logger="parindex.task"):
        request_log._request_id_from_message(task_id="t-1", task=Task())
        assert current_request_id.get() == "req-abc-12345"
        record = [r for r in caplog.records if r.name == "parindex.task"][-1]
        line = json.loads(JsonFormatter().format(record))
        request_log._request_id_dropped(task_id="t-1")
    assert line["request_id"] == "req-abc-12345" and line["task"] == "t-1"
    assert current_request_id.get() is None
