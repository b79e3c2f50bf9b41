"""Every dashboard table as XLSX and CSV, and the PDF analysis reports: the same figures as the
stored results, and nothing a unit head may not see."""

import csv
import io
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.urls import reverse
from openpyxl import load_workbook

from scoring.models import ComponentResult, CriterionScore, Deduction

from .reports_support import demo, most_deducted_criterion, stored, unit, user, vn

__all__ = ["demo"]
pytestmark = pytest.mark.usefixtures("demo")


def download(client, username, table, fmt, **params):
    client.force_login(user(username))
    response = client.get(reverse("reports:export", args=[table, fmt]), params)
    assert response.status_code == 200, response.content[:300]
    return response


def xlsx_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


def csv_rows(response) -> list[list[str]]:
    body = response.content
    assert body.startswith("\ufeff".encode())  # the BOM that makes Excel read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_ranking_xlsx_holds_every_result_as_numbers(db, client):
    response = download(client, "lanhdao", "ranking", "xlsx", period="2023", group="khoi-so")
    assert response["Content-Disposition"] == 'attachment; filename="xep-hang-2023-khoi-so.xlsx"'
    rows = xlsx_rows(response)
    assert rows[0][0] == "Xếp hạng Chỉ số CCHC"
    assert rows[2][:3] == ("Hạng", "Mã đơn vị", "Đơn vị")
    body = rows[3:]
    results = stored(2023, "khoi-so")
    assert len(body) == len(results)
    for row, r in zip(body, results, strict=True):
        assert row[0] == r.rank and row[1] == r.assessment.unit.code
        assert Decimal(str(row[5])) == r.percent
        assert row[8] == "Đã công bố"


def test_the_ranking_csv_is_vietnamese_excel_friendly(db, client):
    response = download(client, "lanhdao", "ranking", "csv", period="2024", group="khoi-so")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0][2] == "Đơn vị"
    results = {r.assessment.unit.code: r for r in stored(2024, "khoi-so")}
    for row in rows[1:]:
        r = results[row[1]]
        assert row[5] == vn(r.percent)  # 84,64
        # Appraised: provisional; not appraised yet: kept apart, its state shown, no rank.
        state = r.assessment.state
        assert row[8] == ("Tạm tính" if state == "appraised" else r.assessment.get_state_display())
        assert (row[0] == "") == (state != "appraised")


def test_a_unit_heads_exports_of_the_open_round_hold_only_their_unit(db, client):
    own = unit("so-tu-phap")
    for table in ("ranking", "heatmap", "comparison"):
        rows = csv_rows(
            download(client, "thutruong.stp", table, "csv", period="2024", group="khoi-so")
        )
        column = {"ranking": 2, "heatmap": 1, "comparison": 0}[table]
        names = {row[column] for row in rows[1:]}
        names.discard("Trung bình khối")
        assert names == {own.name}, table
    rows = csv_rows(
        download(
            client, "thutruong.stp", "unit", "csv", period="2024", unit=str(unit("so-xay-dung").pk)
        )
    )
    assert rows[1:] == []


def test_the_heatmap_export_matches_the_component_results(db, client):
    rows = xlsx_rows(download(client, "lanhdao", "heatmap", "xlsx", period="2023", group="khoi-so"))
    header = rows[2]
    assert header[2].startswith("1. ")
    by_name = {row[1]: row for row in rows[3:]}
    sample = ComponentResult.objects.filter(
        assessment__period__year=2023, assessment__unit__code="so-noi-vu"
    ).select_related("component", "assessment__unit")
    for c in sample:
        column = 1 + int(c.component.code)
        assert Decimal(str(by_name[c.assessment.unit.name][column])) == c.percent


def test_the_deductions_export_and_its_drill_down(db, client):
    code = most_deducted_criterion(2023, "khoi-so")
    rows = csv_rows(
        download(client, "lanhdao", "deductions", "csv", period="2023", group="khoi-so")
    )
    lost = {row[0]: row[3] for row in rows[1:]}
    expected = CriterionScore.objects.filter(
        assessment__period__year=2023,
        assessment__result__group__code="khoi-so",
        criterion__code=code,
    ).aggregate(lost=Sum(F("max_points") - F("points")))["lost"]
    assert lost[code] == vn(expected)
    rows = csv_rows(
        download(
            client, "lanhdao", "deductions", "csv", period="2023", group="khoi-so", criterion=code
        )
    )
    notes = {
        d.note
        for d in Deduction.objects.filter(
            score__assessment__period__year=2023,
            score__assessment__result__group__code="khoi-so",
            score__criterion__code=code,
        )
    }
    assert len(notes) >= 2
    assert all(any(note in row[5] for row in rows[1:]) for note in notes)


def test_the_unit_export_lists_every_deduction_with_its_reason(db, client):
    merged = unit("so-tai-chinh-2024")
    rows = csv_rows(download(client, "lanhdao", "unit", "csv", period="2024", unit=str(merged.pk)))
    deductions = Deduction.objects.filter(
        score__assessment__unit=merged, score__assessment__period__year=2024
    ).select_related("reason", "score__criterion")
    exported = {(row[1], row[5], row[6]) for row in rows[1:]}
    for d in deductions:
        assert (d.score.criterion.code, vn(d.points), d.reason.label) in exported


def test_climb_and_comparison_exports(db, client):
    me = stored(2023, "khoi-so")[6]
    rows = csv_rows(
        download(
            client,
            "lanhdao",
            "climb",
            "csv",
            period="2023",
            group="khoi-so",
            unit=str(me.assessment.unit_id),
        )
    )
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]
    rows = csv_rows(
        download(client, "lanhdao", "comparison", "csv", period="2023", group="khoi-so")
    )
    assert len(rows) - 1 == len(stored(2023, "khoi-so"))


def test_an_unknown_table_or_format_is_not_found(db, client):
    client.force_login(user("lanhdao"))
    assert client.get(reverse("reports:export", args=["bang-la", "csv"])).status_code == 404
    assert client.get(reverse("reports:export", args=["ranking", "pdf"])).status_code == 404


def test_the_period_pdf_is_the_analysis_report_with_the_figures(db, client):
    from weasyprint import HTML  # noqa: F401 - the PDF library is installed

    client.force_login(user("lanhdao"))
    response = client.get(reverse("reports:period_pdf"), {"period": "2023", "group": "khoi-so"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="bao-cao-phan-tich-2023-khoi-so.pdf"' in response["Content-Disposition"]


def test_the_pdf_report_html_carries_the_summary_ranking_and_recommendations(db, rf):
    from reports import dashboards, pdf

    request = rf.get("/", {"period": "2023", "group": "khoi-so"})
    request.user = user("lanhdao")
    f = dashboards.parse_filters(request.user, request.GET)
    captured = {}

    def fake_render(template, context):
        from django.template.loader import render_to_string

        captured["html"] = render_to_string(template, context)
        return b"%PDF-fake"

    original = pdf._render
    pdf._render = fake_render
    try:
        pdf.period_report(request, f)
    finally:
        pdf._render = original
    html = captured["html"]
    results = stored(2023, "khoi-so")
    assert "Phân tích kết quả Chỉ số cải cách hành chính năm 2023" in html
    for section in (
        "Tổng quan kết quả",
        "Kết quả xếp hạng",
        "Kết quả các chỉ số thành phần",
        "Phân tích các nội dung bị trừ điểm",
        "So sánh với năm trước",
        "Kiến nghị, đề xuất",
    ):
        assert section in html
    for r in results:
        assert f'<td class="num">{vn(r.percent)}</td>' in html
    assert "<svg" in html and "Ưu tiên khắc phục các tiêu chí" in html


def test_the_unit_pdf_renders_for_the_unit_head(db, client):
    client.force_login(user("thutruong.stp"))
    own = unit("so-tu-phap")
    response = client.get(reverse("reports:unit_pdf", args=[own.pk]), {"period": "2024"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
