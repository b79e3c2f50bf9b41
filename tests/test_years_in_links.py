"""No rendered page writes a year with a thousands separator where a machine reads it.

In Vietnamese a number is grouped by thousands (2.024), so `{{ period.year }}` in a link gives
`/cham-diem/chenh-lech/?period=2.024` (silently another year) and `id="recompute-status-2.024"`
(not a valid selector: "Tính lại ngay" did nothing). Every page of the permission matrix, in both
languages, as staff, leadership and a unit head, and the admin's pages as staff, are scanned: no
href, src, action, id, for, hx-* or data-* attribute may hold a year with a separator.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse

from .test_permission_matrix import MATRIX, OK, world

__all__ = ["world"]

ROLES = ("staff", "leadership", "unit_head")
# 1.900-2.099 written with a dot, comma, space or narrow no-break space after the first digit.
GROUPED_YEAR = re.compile(r"(?<![\d.,])(?:1[.,\s\u202f]9\d\d|2[.,\s\u202f]0\d\d)(?!\d)")
MACHINE_ATTRIBUTES = {"href", "src", "action", "id", "for", "name", "value", "formaction"}


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            machine = (
                name in MACHINE_ATTRIBUTES
                or name.startswith(("data-", "hx-"))
                or name == "aria-controls"
            )
            if machine and value and GROUPED_YEAR.search(value):
                if name == "value" and tag != "input" and tag != "option" and tag != "button":
                    continue
                self.found.append((tag, name, value))


def grouped_years(html: str) -> list[tuple[str, str, str]]:
    parser = _Attributes()
    parser.feed(html)
    return parser.found


def test_the_scan_sees_a_grouped_year():
    html = '<a href="/cham-diem/chenh-lech/?period=2.023">x</a><div id="recompute-status-2.024">'
    html += '<p data-year="2,022" title="Năm 2.024">'
    assert [f[1] for f in grouped_years(html)] == ["href", "id", "data-year"]
    assert grouped_years('<a href="?period=2024&page=1.000">84,64</a><b data-x="12.050">') == []


def _html(response) -> str | None:
    try:
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            return None
        return response.content.decode("utf-8", "replace")
    finally:
        if getattr(response, "file_to_stream", None) is not None:
            response.file_to_stream.close()  # a file download (evidence): its file closed


def _is_page(case) -> bool:
    """Pages, not files: exports, PDF, API answers and evidence downloads are left out."""
    return not any(
        word in case.name for word in ("api_", "pdf", "export", "template", "download", "evidence")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["vi", "en"])
def test_no_page_links_or_names_a_year_with_a_separator(client, world, language):
    pages = [c for c in MATRIX if c.method == "get" and _is_page(c)]
    problems, scanned = [], 0
    for role in ROLES:
        client.force_login(world["users"][role])
        client.cookies["django_language"] = language
        for case in pages:
            if case.expect[role] != OK:
                continue
            url = reverse(case.name, kwargs=case.kwargs(world)) + case.query
            for extra in ("", "period=2023"):
                full = url + (("&" if "?" in url else "?") + extra if extra else "")
                html = _html(client.get(full))
                if html is None:
                    continue
                scanned += 1
                problems += [(role, full, *f) for f in grouped_years(html)]
    assert scanned > 60
    assert problems == [], "\n".join(map(str, problems[:30]))


@pytest.mark.django_db
def test_no_admin_page_links_or_names_a_year_with_a_separator(client, world):
    client.force_login(world["users"]["admin"])
    problems, scanned = [], 0
    for model in admin.site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        urls = [reverse(f"admin:{app}_{name}_changelist")]
        obj = model._default_manager.first()
        if obj is not None:
            urls.append(reverse(f"admin:{app}_{name}_change", args=[obj.pk]))
        for url in urls:
            html = _html(client.get(url))
            if html is None:
                continue
            scanned += 1
            problems += [(url, *f) for f in grouped_years(html)]
    assert scanned > 30
    assert problems == [], "\n".join(map(str, problems[:30]))
