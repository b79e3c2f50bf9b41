"""The PDF reports read as official reports: the province's letterhead from the settings, a
document number line, the place and date, a signature block; only the truly lowest component is
called the lowest; a unit without a result is not told in the words of permissions."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from reports import computation, dashboards, pdf
from units.models import Unit, UnitKind

from .reports_support import demo, unit, user

__all__ = ["demo"]
pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def rendered(monkeypatch):
    """The report's HTML, captured instead of written to PDF."""
    from django.template.loader import render_to_string

    captured = {}

    def fake_render(template, context):
        captured["html"] = render_to_string(template, context)
        return b"%PDF-fake"

    monkeypatch.setattr(pdf, "_render", fake_render)
    return captured


def period_html(rf, rendered, username="lanhdao", **params) -> str:
    request = rf.get("/", params)
    request.user = user(username)
    pdf.period_report(request, dashboards.parse_filters(request.user, request.GET))
    return rendered["html"]


def unit_html(rf, rendered, username, the_unit, **params) -> str:
    request = rf.get("/", params)
    request.user = user(username)
    f = dashboards.parse_filters(request.user, request.GET, need_group=False)
    pdf.unit_report(request, f, the_unit)
    return rendered["html"]


def test_the_letterhead_names_the_province_from_the_settings(db, rf, rendered, settings):
    settings.PROVINCE_NAME = "Tỉnh Hải Dương"
    today = timezone.localdate()
    for html in (
        period_html(rf, rendered, period="2023", group="khoi-so"),
        unit_html(rf, rendered, "lanhdao", unit("so-tu-phap"), period="2023"),
    ):
        assert "UBND TỈNH HẢI DƯƠNG" in html
        assert "UBND TỈNH</strong>" not in html
        assert "Số: ……/BC-SNV" in html
        assert f"Hải Dương, ngày {today:%d} tháng {today:%m} năm {today:%Y}" in html
        assert "GIÁM ĐỐC" in html and "(Ký, ghi rõ họ tên, đóng dấu)" in html
        assert "Nơi nhận:" in html and "UBND Tỉnh Hải Dương (để báo cáo);" in html


def test_a_city_keeps_its_name_in_the_place_line(db, rf, rendered, settings):
    settings.PROVINCE_NAME = "Thành phố Hà Nội"
    html = period_html(rf, rendered, period="2023", group="khoi-so")
    assert "UBND THÀNH PHỐ HÀ NỘI" in html and "Hà Nội, ngày " in html


def test_only_the_truly_lowest_component_is_called_the_lowest(db, rf, rendered):
    html = period_html(rf, rendered, period="2023", group="khoi-so")
    assert html.count("thấp nhất trong các lĩnh vực") == 1
    assert html.count("thấp thứ hai trong các lĩnh vực") == 1


def test_recommendations_name_tied_lowest_components_together():
    summary = computation.summarize([])
    components = [
        ("1", "Công tác chỉ đạo", Decimal("70.00")),
        ("2", "Thể chế", Decimal("70.00")),
        ("3", "Thủ tục hành chính", Decimal("80.00")),
    ]
    out = computation.recommendations(
        summary=summary, components=components, criteria=[], reasons=[]
    )
    lowest = [line for line in out if "thấp nhất" in line]
    assert len(lowest) == 1
    assert "1 «Công tác chỉ đạo»" in lowest[0] and "2 «Thể chế»" in lowest[0]
    assert "Thủ tục hành chính" not in " ".join(out)
    assert computation.lowest_components(components) == components[:2]


def test_a_single_lowest_then_the_second(db):
    components = [
        ("1", "A", Decimal("90.00")),
        ("2", "B", Decimal("60.00")),
        ("3", "C", Decimal("75.00")),
    ]
    out = computation.recommendations(
        summary=computation.summarize([]), components=components, criteria=[], reasons=[]
    )
    assert next(line for line in out if "thấp nhất" in line).startswith(
        "Tập trung cải thiện chỉ số thành phần 2 «B»"
    )
    assert next(line for line in out if "thấp thứ hai" in line).startswith(
        "Tiếp đến chỉ số thành phần 3 «C»"
    )


def test_a_unit_without_a_result_is_not_told_in_the_words_of_permissions(db, rf, rendered):
    commune = Unit.objects.create(
        code="xa-moi-lap", name="Xã Mới Lập", kind=UnitKind.COMMUNE, active_from_year=2024
    )
    html = unit_html(rf, rendered, "lanhdao", commune, period="2024")
    assert "Đơn vị chưa có kết quả trong kỳ này." in html
    assert "bạn được phép xem" not in html


def test_a_result_not_yet_published_is_said_so(db, rf, rendered):
    """2024 is open: a district's result exists, provisional, hidden from a department's head."""
    other = unit("huyen-an-lac")
    html = unit_html(rf, rendered, "thutruong.stp", other, period="2024")
    assert "Kết quả của đơn vị trong kỳ này chưa được công bố." in html
    assert "bạn được phép xem" not in html


def test_the_unit_pdf_of_a_unit_without_result_renders(db, client):
    commune = Unit.objects.create(
        code="xa-moi-lap", name="Xã Mới Lập", kind=UnitKind.COMMUNE, active_from_year=2024
    )
    client.force_login(user("lanhdao"))
    response = client.get(reverse("reports:unit_pdf", args=[commune.pk]), {"period": "2024"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_the_period_pdf_renders_with_the_letterhead(db, client):
    client.force_login(user("lanhdao"))
    response = client.get(reverse("reports:period_pdf"), {"period": "2023", "group": "khoi-so"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
