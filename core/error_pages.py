"""The page of a request that failed on the server (config.urls' handler500).

A database that cannot be reached (restarting, failing over: the connection was refused or ended)
answers 503 with Retry-After and a page that says to try again shortly; anything else 500. Both are
translated pages from templates/, never a traceback or a setting (the error itself goes to the log,
as Django logs every uncaught exception). Rendered without the request's context processors, which
may need the database; if even that fails, a plain page.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

# What the server asks a client to wait before trying again after a 503, in seconds.
RETRY_AFTER_SECONDS = 5
PLAIN = "<!doctype html><title>{status}</title><h1>{status}</h1>"


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether the exception (or one it was raised from) says the database cannot be reached."""
    while exc is not None:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: called by Django inside the `except` of the failed request."""
    status = 503 if database_unavailable(sys.exc_info()[1]) else 500
    context = {"request_id": getattr(request, "request_id", "")}
    try:
        body = render_to_string(f"{status}.html", context)
    except Exception:  # the page itself failed (a template, the static manifest): say the status
        body = PLAIN.format(status=status)
    response = HttpResponse(body, status=status)
    add_never_cache_headers(response)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
