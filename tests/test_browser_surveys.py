"""In a real browser: staff upload a SIPAS answers file, see the check's progress and preview, apply
it, and the survey overview and the PAR ranking show the unit's new SIPAS. The Playwright setup
(Debian's chromium, the demo on a live server, console errors and CSP violations failing the test)
is tests/test_browser.py's."""

from __future__ import annotations

import pytest

from surveys.models import Survey

from .test_browser import browser, login, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def progress_outside_the_copy(monkeypatch):
    """Every progress report of the real job (to the cache, where the page reads it), recorded."""
    from surveys import jobs

    real = jobs._progress
    seen: list[int] = []

    def spy(job):
        report = real(job)

        def recorded(percent, message):
            seen.append(percent)
            report(percent, message)

        return recorded

    monkeypatch.setattr(jobs, "_progress", spy)
    return seen


def _answers_file(survey: Survey, unit_code: str, n: int) -> bytes:
    codes = list(survey.questions.order_by("order").values_list("code", flat=True))
    lines = ["ma phieu,ma don vi,ngay," + ",".join(codes)]
    for i in range(n):
        # Every answer satisfied, one in four "satisfied" (4), the others "very satisfied" (5).
        level = "4" if i % 4 == 0 else "5"
        lines.append(
            f"trinh-duyet-{i:04d},{unit_code},15/05/2024," + ",".join([level] * len(codes))
        )
    return ("\n".join(lines) + "\n").encode()


def test_staff_upload_answers_see_the_preview_apply_and_the_new_sipas_shows(
    db,
    login,  # noqa: F811 (the fixture imported above)
    progress_outside_the_copy,
):
    survey = Survey.objects.get(year=2024, kind="sipas")
    session = login("canbo.snv", "canbo@2024")
    page = session.open("/khao-sat/nhap-phieu/")
    page.select_option("select[name=survey]", value=str(survey.pk))
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "sipas-so-noi-vu.csv",
                "mimeType": "text/csv",
                "buffer": _answers_file(survey, "so-noi-vu", 400),
            }
        ],
    )
    page.get_by_role("button", name="Tải lên và kiểm tra").click()
    job = page.locator("#survey-import-job[data-status=checked]")
    job.wait_for(timeout=20_000)
    # The progress bar and the preview: the rows checked and the unit they belong to.
    assert page.locator("#survey-import-job progress.job-progress").get_attribute("value") == "100"
    assert "Đã kiểm tra 400 phiếu, 20 câu hỏi, không có lỗi" in job.inner_text()
    assert "Sở Nội vụ" in page.locator(".preview-table").inner_text()
    page.get_by_role("button", name="Áp dụng: ghi phiếu và tính lại kết quả").click()
    page.locator("#survey-import-job[data-status=applied]").wait_for(timeout=30_000)
    assert progress_outside_the_copy[-1] == 100
    page.get_by_role("link", name="Xem kết quả khảo sát").click()
    row = page.locator("tr[data-unit=so-noi-vu]")
    row.wait_for()
    # 100 % satisfied, ranked first; the chart with its intervals draws under the CSP.
    assert "100,00" in row.inner_text()
    assert row.locator("td").first.inner_text().strip() == "1"
    page.locator("[data-figure=fig-units] .main-svg").first.wait_for(timeout=10_000)
    assert page.locator("[data-figure=fig-units] .errorbar").count() > 0
    ranking = session.open("/bao-cao/xep-hang/?period=2024&group=khoi-so")
    assert ranking.locator("tr[data-unit=so-noi-vu] td.sipas").inner_text().strip() == "100,00"
    assert session.problems == []


@pytest.mark.parametrize(
    ("username", "password"),
    [("canbo.snv", "canbo@2024"), ("thutruong.stp", "thutruong@2024")],
)
def test_the_survey_pages_fit_a_phone(db, login, username, password):  # noqa: F811 (the fixture)
    from units.models import Unit

    from .test_browser_phone import PHONE, _check_fits

    unit = Unit.objects.get(code="so-tu-phap")
    session = login(username, password, PHONE)
    pages = [
        "/khao-sat/",
        "/khao-sat/?survey=sociological-2023",
        f"/khao-sat/sipas-2024/don-vi/{unit.pk}/",
        f"/khao-sat/xu-huong/?unit={unit.pk}",
    ]
    if username == "canbo.snv":
        pages.append("/khao-sat/nhap-phieu/")
    for i, path in enumerate(pages):
        _check_fits(session, path, f"khao-sat-{username}-{i}")
    assert session.problems == []
