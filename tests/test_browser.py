"""In a real browser (Debian's chromium driven by Playwright): what only JavaScript does.

The charts are drawn by plotly.js from static/ under the strict content security policy, and the
scoring sheet keeps its running totals, bounds hints and Ctrl+S on the client. The server-side
tests cannot see either, so these log in through the form, as a person would, against the demo
province served by a live server thread.

The demo is committed (the server thread has its own database connection) and the database is
flushed afterwards, which also re-creates the role groups (post_migrate).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.testcases import LiveServerThread
from django.urls import reverse

from scoring.models import Assessment, CriterionScore
from scoring.workflow import APPRAISAL_EDITABLE

CHROMIUM = shutil.which("chromium")  # `make test` installs Debian's package when missing
pytestmark = pytest.mark.browser
# Every refusal of the content security policy is reported to the console as an error, with what
# was refused and where, so that the tests below fail on it like on any other console error.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " " + (e.sourceFile || "") + ":" +
                e.lineNumber + " " + (e.sample || ""));
});
"""
DESKTOP = {"width": 1366, "height": 768}
# Production uses whitenoise's CompressedManifestStaticFilesStorage; the same manifest (hashed
# names) without the slow brotli/gzip pass.
MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


def _no_static_handler(handler):
    """The application as it is: whitenoise (a middleware) serves the collected files."""
    return handler


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    # Playwright's sync API runs an event loop in this thread between the test's ORM calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with (
        tempfile.TemporaryDirectory() as static_root,
        override_settings(STATIC_ROOT=static_root, STORAGES=MANIFEST_STORAGES),
        django_db_blocker.unblock(),
    ):
        # As in production: collected, hashed names (an asset missing from the manifest fails
        # the page), served by whitenoise from STATIC_ROOT.
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("load_demo", stdout=io.StringIO())
        thread = LiveServerThread("127.0.0.1", _no_static_handler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://127.0.0.1:{thread.port}"
        finally:
            thread.terminate()
            _wait_for_request_threads()
            call_command("flush", interactive=False, verbosity=0)
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def _wait_for_request_threads() -> None:
    """The server answers each browser connection in a daemon thread that closes its database
    connection when the browser hangs up. Wait for them (a connection a finished thread left open
    ends idle after a rollback, holding no lock, so the flush that follows is not blocked). Such
    connections are ended only at the end of the session, before the test database is dropped
    (tests/conftest.py): ending them here could end one of this thread's own connections too,
    Playwright's greenlets giving Django's connection handler another context."""
    query = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    deadline = time.monotonic() + 5
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT count(*) {query} AND state <> 'idle'")
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "chromium is required: apt-get install -y chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def login(server, browser):
    """Opens logged-in tabs; closes them (and their connections to the server) after the test."""
    opened = []

    def open_session(username: str, password: str, viewport: dict | None = None) -> Session:
        opened.append(Session(browser, server, username, password, viewport or DESKTOP))
        return opened[-1]

    yield open_session
    for session in opened:
        session.close()


class Session:
    """A logged-in browser tab that records what the browser complains about."""

    def __init__(self, browser, base: str, username: str, password: str, viewport: dict):
        self.base = base
        self.context = browser.new_context(viewport=viewport)
        self.context.add_init_script(REPORT_CSP_VIOLATIONS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda exc: self.problems.append(f"{self.page.url}: {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                self.problems.append(f"{self.page.url}: {msg.text}")
                if msg.type == "error"
                and not msg.text.startswith("Failed to load resource")  # see "response"
                else None
            ),
        )
        self.page.on(
            "response",
            lambda r: (
                self.problems.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None
            ),
        )
        self.page.goto(base + reverse("login"))
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.locator("input[name=password]").press("Enter")
        self.page.wait_for_load_state()
        assert reverse("login") not in self.page.url, f"{username} could not log in"

    def open(self, path: str):
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, (path, response)
        return self.page

    def close(self):
        self.context.close()


def number(text: str) -> Decimal:
    """ "1.234,50" (Vietnamese) → Decimal("1234.50")."""
    return Decimal(text.strip().replace(".", "").replace(",", "."))


@pytest.mark.parametrize(
    "path",
    [
        "/bao-cao/xep-hang/?period=2024&group=khoi-so",
        "/bao-cao/chi-so-thanh-phan/?period=2024&group=khoi-so",
        "/bao-cao/tru-diem/?period=2023&group=khoi-so",
        "/bao-cao/so-sanh/?period=2024&group=khoi-so",
    ],
)
def test_every_chart_draws_under_the_content_security_policy(db, login, path):
    session = login("lanhdao", "lanhdao@2024")
    page = session.open(path)
    charts = page.locator("[data-figure]")
    assert charts.count() >= 1
    for i in range(charts.count()):
        # plotly.js replaced the placeholder with its SVG: the script ran and the data parsed.
        charts.nth(i).locator(".main-svg").first.wait_for(timeout=10_000)
    assert page.locator(".chart .bars .point, .chart .hm, .chart .heatmaplayer").count() > 0
    assert session.problems == []


def test_the_sheet_totals_follow_typing_flag_bad_values_and_save_with_ctrl_s(db, login):
    assessment = (
        Assessment.objects.filter(period__year=2024, state__in=APPRAISAL_EDITABLE)
        .order_by("pk")
        .first()
    )
    assert assessment is not None
    session = login("canbo.snv", "canbo@2024")
    page = session.open(reverse("scoring:sheet", args=[assessment.pk]))
    # A criterion the appraiser scores directly: no deduction, applicable, entered by hand.
    row = page.locator(
        'tr.leaf[data-deducted="0"][data-na=""]:not(:has(.method))'
        ':has(input[data-kind="appraised_points"])'
    ).first
    field = row.locator('input[data-kind="appraised_points"]')
    maximum = Decimal(row.get_attribute("data-max"))
    before_row = number(row.locator("[data-points]").inner_text())
    before_total = number(page.locator("#grand-points").inner_text())
    new = (maximum / 2).quantize(Decimal("0.01"))
    assert new != before_row

    field.fill(f"{new}".replace(".", ","))  # typed the Vietnamese way
    assert number(row.locator("[data-points]").inner_text()) == new
    assert number(page.locator("#grand-points").inner_text()) == before_total - before_row + new
    assert page.locator("#dirty-flag").is_visible()

    field.fill(f"{maximum + 1}".replace(".", ","))  # above the maximum: flagged at once
    assert "is-invalid" in (field.get_attribute("class") or "")
    assert field.evaluate("el => el.validationMessage") != ""

    field.fill(f"{new}".replace(".", ","))
    with page.expect_navigation():
        field.press("Control+s")
    criterion_id = int(row.locator("input[type=hidden]").get_attribute("name").split("-")[1])
    saved = CriterionScore.objects.get(assessment=assessment, criterion_id=criterion_id)
    assert saved.appraised_points == new
    assert number(page.locator("#grand-points").inner_text()) == before_total - before_row + new
    assert session.problems == []


def _page_sizes(pdf: bytes) -> set[tuple[int, int]]:
    """The pages' sizes in points, from the PDF's MediaBox entries (chromium writes them plainly)."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return {(round(float(w)), round(float(h))) for w, h in boxes}


A4_PORTRAIT, A4_LANDSCAPE = (595, 842), (842, 595)


def test_printing_leaves_out_the_menu_and_filters_on_a4(db, login):
    session = login("lanhdao", "lanhdao@2024")
    page = session.open("/bao-cao/xep-hang/?period=2024&group=khoi-so")
    page.locator("[data-figure] .main-svg").first.wait_for(timeout=10_000)
    page.emulate_media(media="print")
    for hidden in [".app-topbar", ".reports-filters", ".reports-tabs", ".btn"]:
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator(".ranking-table").is_visible()
    assert page.locator("[data-figure] .main-svg").first.is_visible()
    # A dashboard (wide tables) prints on A4 landscape, an ordinary page on A4 portrait.
    assert _page_sizes(page.pdf(prefer_css_page_size=True)) == {A4_LANDSCAPE}
    page = session.open(reverse("scoring:assessment_list"))
    assert _page_sizes(page.pdf(prefer_css_page_size=True)) == {A4_PORTRAIT}
    assert session.problems == []
