"""A request id for every request, one JSON log line per request, and the id carried into the
Celery jobs the request queues.

- RequestIdMiddleware (first in MIDDLEWARE): takes a sane X-Request-ID from the client or the proxy,
  else draws one; sends it back in the response's X-Request-ID; logs one line on the
  "parindex.request" logger with the method, path, status, duration in ms, user id and request id.
- JsonFormatter (settings.LOGGING): every log record as one JSON object on one line, with the
  current request id (of the request, or of the task a worker is running) when there is one.
- Celery signals: a task sent while a request is served carries the id in its message headers
  (`request_id`); the worker puts it back into the context while the task runs, so its log lines
  carry it too. Tasks run eagerly run inside the request, in its context.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from celery.signals import before_task_publish, task_postrun, task_prerun

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
SANE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
logger = logging.getLogger("parindex.request")
task_logger = logging.getLogger("parindex.task")

# Attributes every LogRecord has: anything else was passed in `extra` and goes into the JSON.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def request_id_from(value: str | None) -> str:
    """The client's id if it is sane (no spaces, quotes or control characters; 8-64 characters),
    else a new one."""
    if value and SANE.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response[HEADER] = request_id
            return response
        finally:
            user = getattr(request, "user", None)
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user.pk if getattr(user, "is_authenticated", False) else None,
                    "request_id": request_id,
                },
            )
            current_request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, the extras."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        data.setdefault("request_id", current_request_id.get())
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


@before_task_publish.connect(weak=False)
def _request_id_into_message(headers=None, **kwargs) -> None:
    request_id = current_request_id.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


_task_tokens: dict[str, contextvars.Token] = {}


@task_prerun.connect(weak=False)
def _request_id_from_message(task_id=None, task=None, **kwargs) -> None:
    request_id = getattr(task.request, TASK_HEADER, None) if task is not None else None
    if request_id is None and task is not None and task.request.is_eager:
        request_id = current_request_id.get()  # run inside the request: its context
    if request_id:
        _task_tokens[task_id] = current_request_id.set(request_id)
    task_logger.info("task %s started", task.name if task else "?", extra={"task": task_id})


@task_postrun.connect(weak=False)
def _request_id_dropped(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            current_request_id.reset(token)
        except ValueError:  # set in another context
            current_request_id.set(None)
