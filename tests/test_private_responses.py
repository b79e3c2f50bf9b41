"""Exports, PDF reports and API answers hold one user's view of the figures: every one of them
says `Cache-Control: private, no-store`, as evidence downloads do (tests/test_evidence.py), and
so do the API's refusals and errors."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from .reports_support import demo, unit, user
from .test_export_formulas import _export_urls

__all__ = ["demo"]


def _data_url_names() -> set[str]:
    """Every URL that sends a file or JSON rather than a page: an API route, a PDF, or a route
    ending in a format (`.<fmt>`)."""
    found = set()

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name:
                route = str(p.pattern)
                if "api/" in route or "pdf" in route or ".<" in route or route.endswith(".xlsx"):
                    found.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns)
    return found


API = "/bao-cao/api/"


def _private(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


@pytest.mark.usefixtures("demo")
def test_every_export_pdf_and_api_answer_is_private_and_not_stored(db, client):
    me = unit("so-tu-phap").pk
    cases = [(url, query) for url, query, _delimiter in _export_urls()]
    cases += [
        (reverse("reports:period_pdf"), {"period": "2023", "group": "khoi-so"}),
        (reverse("reports:unit_pdf", args=[me]), {"period": "2023"}),
        (reverse("reports:api_periods"), {}),
        (reverse("reports:api_results"), {"period": "2023", "group": "khoi-so"}),
        (reverse("reports:api_results"), {"period": "2023", "page": "0"}),  # a 400 answer
        (reverse("reports:api_unit_history", args=[me]), {}),
    ]
    tested = set()
    for role in ("canbo.snv", "lanhdao", "thutruong.stp"):
        client.force_login(user(role))
        for url, query in cases:
            if (url.endswith(".pdf") or "/pdf/" in url) and role != "lanhdao":
                continue  # one role is enough for the slow PDF rendering
            response = client.get(url, query)
            assert response.status_code in (200, 400, 403, 404), (role, url)
            if response.status_code in (403, 404) and not url.startswith(API):
                continue  # the admin's refusal page, no data in it
            assert _private(response), (role, url, query, response.get("Cache-Control"))
            match = resolve(url)
            tested.add(f"{match.namespace}:{match.url_name}")
    client.logout()
    response = client.get(reverse("reports:api_periods"))
    assert response.status_code in (401, 403) and _private(response)
    assert _data_url_names() - {"scoring:evidence_download"} <= tested, _data_url_names() - tested
