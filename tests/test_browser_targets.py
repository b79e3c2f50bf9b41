"""In a real browser (the set-up of tests/test_browser.py: Debian's chromium, the demo province, a
live server): a leader opens the home page, sees where the province stands against its targets and
an overdue task, searches a unit without its diacritics from the top bar and reaches its profile,
with its target line on the trend chart and its improvement tasks."""

from __future__ import annotations

import re

import pytest

from .test_browser import browser, login, server  # noqa: F401 (the shared browser fixtures)

pytestmark = pytest.mark.browser


def test_a_leader_follows_targets_and_tasks_from_the_home_page_to_a_unit(db, login):  # noqa: F811
    session = login("lanhdao", "lanhdao@2024")
    page = session.open("/")
    targets = page.locator("#province-targets")
    assert "Chỉ số CCHC (%)" in targets.inner_text()
    assert targets.locator(".badge").count() >= 1
    status = targets.locator(".badge").first.inner_text()
    assert status in ("Đạt", "Có nguy cơ không đạt", "Không đạt")
    overdue = page.locator("#overdue-tasks a")
    assert overdue.count() >= 1
    assert "Khắc phục tiêu chí" in overdue.first.inner_text()

    search = page.locator("form.app-search input[name=q]")
    search.fill("huyen an lac")
    search.press("Enter")
    page.wait_for_load_state()
    assert re.search(r"/bao-cao/don-vi/\d+/", page.url), page.url
    assert "Huyện An Lạc" in page.locator("h1").first.inner_text()
    section = page.locator("#unit-targets")
    assert section.locator("#target-statuses tbody tr").count() >= 1
    assert section.locator("#unit-tasks tbody tr").count() >= 1
    history = page.locator('[data-figure="fig-history"]')
    history.locator(".main-svg").first.wait_for(timeout=10_000)
    legend = history.locator(".legendtext").evaluate_all("els => els.map(e => e.textContent)")
    assert "Mục tiêu" in legend, legend
    assert session.problems == []
