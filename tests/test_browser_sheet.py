"""In a real browser: a value the server refuses comes back marked on its cell, the page opens on
that cell instead of the top, and the running totals leave the refused value out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from scoring.models import Assessment
from scoring.workflow import APPRAISAL_EDITABLE

from .test_browser import browser, login, number, server

__all__ = ["browser", "login", "server"]
pytestmark = pytest.mark.browser


def test_a_refused_value_is_marked_on_its_cell_and_left_out_of_the_totals(db, login):
    assessment = (
        Assessment.objects.filter(period__year=2024, state__in=APPRAISAL_EDITABLE)
        .order_by("pk")
        .first()
    )
    session = login("canbo.snv", "canbo@2024")
    url = reverse("scoring:sheet", args=[assessment.pk])
    page = session.open(url)
    # A criterion scored in quarter points, far down the sheet, without deductions.
    rows = page.locator(
        'tr.leaf[data-deducted="0"][data-na=""]:has(input[data-kind="appraised_points"]'
        '[data-step="0.25"])'
    )
    row = rows.nth(rows.count() - 1)
    criterion_id = row.locator("input[type=hidden]").get_attribute("name").split("-")[1]
    before_row = number(row.locator("[data-points]").inner_text())
    before_total = number(page.locator("#grand-points").inner_text())
    field = row.locator('input[data-kind="appraised_points"]')
    # Typed the Vietnamese way, between two steps: the browser flags it at once...
    field.fill("0,3")
    assert "is-invalid" in (field.get_attribute("class") or "")
    # ...and the server refuses it on save, whatever the browser did.
    with page.expect_navigation():  # the refused save's page, not the one before it
        page.evaluate("document.getElementById('sheet-form').submit()")
    page.wait_for_load_state()
    field = page.locator(f'input[name="appraised_points-{criterion_id}"]')
    assert field.get_attribute("data-refused") == "1"
    assert "is-invalid" in (field.get_attribute("class") or "")
    assert field.input_value() == "0,3"
    # The page opened on the refused cell, not at the top (scrolled there once the page loaded).
    page.wait_for_function("() => window.scrollY > 0", timeout=5000)
    page.wait_for_function(
        "name => { const el = document.querySelector(`input[name='${name}']`);"
        " const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }",
        arg=f"appraised_points-{criterion_id}",
        timeout=5000,
    )
    row = page.locator(f'tr.leaf:has(input[name="appraised_points-{criterion_id}"])')
    assert number(row.locator("[data-points]").inner_text()) == before_row
    assert number(page.locator("#grand-points").inner_text()) == before_total
    assert Decimal("0.3") != before_row
    assert "xem các ô được đánh dấu đỏ" in page.content()
    # The refusal itself is the one complaint: the 400 of the save.
    assert [p for p in session.problems if "HTTP 400" not in p] == []
