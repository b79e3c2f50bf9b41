"""On a 390×844 phone (Debian's chromium through Playwright): every dashboard fits the screen.

Nothing scrolls sideways (tables scroll inside their own box), the menu collapses behind its
button, the charts draw with their phone layout (toolbar clear of the legend) and the browser
reports no console error and no refusal of the content security policy. As leadership, who sees
every unit, and as a unit head, who sees their own unit and the published results of the others.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.test_browser import browser, login, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots")
DASHBOARDS = [
    reverse("home"),
    reverse("reports:ranking"),
    reverse("reports:heatmap"),
    reverse("reports:deductions"),
    reverse("reports:climb"),
    reverse("reports:comparison"),
    reverse("reports:ranking") + "?period=2023",
    reverse("reports:deductions") + "?period=2023",
    reverse("scoring:assessment_list"),
    reverse("targets:list"),
    reverse("targets:plan", args=[2024]),
    reverse("targets:trends"),
    reverse("scoring:round_progress", args=[2024]),
]
UNIT_LINK = re.compile(r"^/bao-cao/don-vi/\d+/$")


def _unit_profile(page) -> str:
    """The first unit profile the ranking page links to (the user's own for a unit head)."""
    hrefs = page.locator("a[href*='/bao-cao/don-vi/']").evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)"
    )
    profiles = [h for h in hrefs if UNIT_LINK.match(h)]
    assert profiles, "the ranking page links to no unit profile"
    return profiles[0]


def _check_fits(session, path: str, name: str) -> None:
    page = session.open(path)
    charts = page.locator("[data-figure]")
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for(timeout=10_000)
        page.wait_for_function(
            "el => el.getAttribute('data-drawn') === 'true'",
            arg=charts.nth(i).element_handle(),
            timeout=10_000,
        )
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"phone-{name}.png"), full_page=True)
    assert width <= inner, f"{path}: the page is {width} px wide on a {inner} px screen"
    # The chart toolbar never lies over the legend.
    overlaps = page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot')).filter(plot => {
            const bar = plot.querySelector('.modebar');
            const legend = plot.querySelector('.legend');
            if (!bar || !legend) return false;
            const a = bar.getBoundingClientRect(), b = legend.getBoundingClientRect();
            return a.width > 0 && b.width > 0 && a.left < b.right && b.left < a.right
                && a.top < b.bottom && b.top < a.bottom;
        }).length"""
    )
    assert overlaps == 0, f"{path}: the chart toolbar covers the legend"


@pytest.mark.parametrize(
    ("username", "password"),
    [("lanhdao", "lanhdao@2024"), ("thutruong.stp", "thutruong@2024")],
)
def test_every_dashboard_fits_a_phone(db, login, username, password):  # noqa: F811 (the fixture)
    session = login(username, password, PHONE)
    paths = [*DASHBOARDS]
    paths.append(_unit_profile(session.open(reverse("reports:ranking"))))
    for i, path in enumerate(paths):
        _check_fits(session, path, f"{username}-{i}")
    assert session.problems == []


def test_the_menu_collapses_behind_its_button_on_a_phone(db, login):  # noqa: F811 (the fixture)
    session = login("lanhdao", "lanhdao@2024", PHONE)
    page = session.open(reverse("reports:ranking"))
    menu = page.locator("#app-menu")
    results_link = menu.locator("a", has_text="Kết quả")
    assert not results_link.is_visible()
    page.locator(".navbar-toggler").click()
    results_link.wait_for(state="visible")  # bootstrap's collapse ran under the CSP
    assert session.problems == []


def test_a_refused_inline_style_fails_the_browser_tests(db, login):  # noqa: F811 (the fixture)
    """The console and CSP watch is live: a style attribute set from script is reported."""
    session = login("lanhdao", "lanhdao@2024", PHONE)
    page = session.open(reverse("home"))
    page.evaluate(
        "() => { const d = document.createElement('div'); d.innerHTML = "
        "'<span style=\"color: red\">x</span>'; document.body.append(d); }"
    )
    page.wait_for_timeout(200)
    assert any("CSP violation" in p or "Content Security Policy" in p for p in session.problems)
