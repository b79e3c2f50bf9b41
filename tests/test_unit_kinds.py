"""Unit kinds are data (units.UnitKind): the four seeded ones, and any the admin adds, are taken by
the units and framework imports by code or Vietnamese name; an unknown one is refused with the list
of known kinds; a kind in use cannot be deleted. A ranking of provinces runs from files with the
commands, like any other group.

The ranking of provinces (scale 10: 1.1 (6) and 2.1 (4), step 0.5):

| province | 1.1 | 2.1 | total | maximum | percent | rank |
|---|---|---|---|---|---|---|
| tinh-a | 6 | 3 | 9 | 10 | 90,00 | 1 |
| tinh-b | 4,5 | KAD | 4,5 | 6 | 75,00 | 3 |
| tinh-c | 5 | 4 | 9 | 10 | 90,00 | 1 (tie) |
"""

from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.tabular import read_tables
from indicators.models import Framework
from scoring.models import AssessmentResult
from units.importing import units_import
from units.models import RankingGroup, Unit, UnitKind
from units.selectors import unit_kind_used

from .factories import UnitFactory

FRAMEWORK = """code,name,max_points,method,step,evidence_required
1,Chỉ đạo điều hành,6,entered,,0
1.1,Kế hoạch cải cách hành chính,6,entered,"0,5",0
2,Thủ tục hành chính,4,entered,,0
2.1,Công khai thủ tục hành chính,4,entered,"0,5",0
"""


def command(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def units_csv(rows: list[str]) -> bytes:
    header = "code,name,kind,active_from_year,group_code,group_name,group_year\n"
    return (header + "\n".join(rows) + "\n").encode()


def test_the_kinds_of_today_and_the_province_are_seeded(db):
    assert list(UnitKind.objects.values_list("code", "name")) == [
        ("department", "Sở, ban, ngành"),
        ("district", "Quận, huyện, thị xã"),
        ("commune", "Xã, phường, thị trấn"),
        ("province", "Tỉnh, thành phố trực thuộc Trung ương"),
    ]


def test_a_ranking_of_provinces_runs_from_files_with_the_commands(db, tmp_path):
    units = tmp_path / "tinh.csv"
    units.write_bytes(
        units_csv(
            [
                "tinh-a,Tỉnh A,tỉnh,2015,khoi-tinh,Khối tỉnh,2025",
                "tinh-b,Tỉnh B,province,2015,khoi-tinh,Khối tỉnh,2025",
                "tinh-c,Tỉnh C,Tỉnh,2015,khoi-tinh,Khối tỉnh,2025",
            ]
        )
    )
    framework = tmp_path / "bo-chi-so.csv"
    framework.write_text(FRAMEWORK, encoding="utf-8")
    scores = tmp_path / "diem.csv"
    scores.write_text(
        "Mã đơn vị;Mã tiêu chí;Điểm thẩm định\n"
        "tinh-a;1.1;6\ntinh-a;2.1;3\n"
        "tinh-b;1.1;4,5\ntinh-b;2.1;KAD\n"
        "tinh-c;1.1;5\ntinh-c;2.1;4\n",
        encoding="utf-8",
    )

    assert "Đã tạo 3 đơn vị" in command("import_units", str(units))
    command(
        "import_framework", str(framework), "--year", "2025", "--kind", "tỉnh",
        "--name", "Bộ chỉ số cấp tỉnh 2025", "--max-points", "10",
    )  # fmt: skip
    assert Framework.objects.get(year=2025).unit_kind == "province"
    assert RankingGroup.objects.get(code="khoi-tinh").unit_kind == "province"
    assert "3 bản đánh giá mới" in command("open_period", "--year", "2025")
    command("transition", "--period", "2025", "--to", "self_assessed")
    command("transition", "--period", "2025", "--to", "submitted")
    command("import_scores", str(scores), "--period", "2025")
    command("transition", "--period", "2025", "--to", "appraised")
    command("recompute", "--period", "2025")

    got = {
        r.assessment.unit.code: (r.group.code, r.total_points, r.max_points, r.percent, r.rank)
        for r in AssessmentResult.objects.select_related("assessment__unit", "group")
    }
    assert got == {
        "tinh-a": ("khoi-tinh", D(9), D(10), D("90.00"), 1),
        "tinh-b": ("khoi-tinh", D("4.5"), D(6), D("75.00"), 3),
        "tinh-c": ("khoi-tinh", D(9), D(10), D("90.00"), 1),
    }


def test_a_kind_added_as_the_admin_does_is_taken_by_both_imports(db, tmp_path):
    UnitKind.objects.create(code="dac-khu", name="Đặc khu", name_en="Special zones", order=50)
    result = units_import(
        sheets=read_tables(
            units_csv(
                [
                    "phu-quoc,Đặc khu Phú Quốc,đặc khu,2025,khoi-dac-khu,Khối đặc khu,2025",
                    "con-dao,Đặc khu Côn Đảo,dac-khu,2025,khoi-dac-khu,Khối đặc khu,2025",
                ]
            ),
            "dac-khu.csv",
        )
    )
    assert not result.errors, [str(p) for p in result.errors]
    assert set(Unit.objects.values_list("kind", flat=True)) == {"dac-khu"}
    path = tmp_path / "bo-chi-so.csv"
    path.write_text(FRAMEWORK, encoding="utf-8")
    command(
        "import_framework", str(path), "--year", "2025", "--kind", "Đặc khu",
        "--name", "Bộ chỉ số đặc khu", "--max-points", "10",
    )  # fmt: skip
    assert Framework.objects.get(year=2025).unit_kind == "dac-khu"
    assert unit_kind_used(code="dac-khu") and not unit_kind_used(code="district")


def test_an_unknown_kind_is_refused_with_the_known_kinds(db, tmp_path):
    result = units_import(sheets=read_tables(units_csv(["vung-1,Vùng 1,vùng,2025,,,"]), "vung.csv"))
    assert [(p.row, p.column) for p in result.errors] == [(2, "kind")]
    message = result.errors[0].message
    assert "“vùng”" in message and "province (Tỉnh" in message and "department (Sở" in message
    assert not Unit.objects.exists()
    path = tmp_path / "bo-chi-so.csv"
    path.write_text(FRAMEWORK, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command(
            "import_framework", str(path), "--year", "2025", "--kind", "vung",
            "--name", "Bộ chỉ số", "--max-points", "10",
            stdout=io.StringIO(), stderr=(err := io.StringIO()),
        )  # fmt: skip
    assert "“vung”" in err.getvalue() and "commune (Xã" in err.getvalue()
    assert not Framework.objects.exists()


def test_a_unit_of_an_unknown_kind_does_not_validate(db):
    unit = UnitFactory.build(code="vung-1", kind="vung")
    with pytest.raises(ValidationError) as caught:
        unit.full_clean()
    assert "kind" in caught.value.message_dict
    unit.kind = UnitKind.PROVINCE
    unit.full_clean()


def test_the_admin_adds_a_kind_that_unit_forms_then_offer_and_keeps_a_used_one(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:units_unitkind_add"),
        {"code": "dac-khu", "name": "Đặc khu", "name_en": "Special zones", "order": "50"},
    )
    assert response.status_code == 302
    form = client.get(reverse("admin:units_unit_add")).content.decode()
    assert '<option value="dac-khu">Đặc khu</option>' in form
    UnitFactory(code="so-a", kind=UnitKind.DEPARTMENT)
    department = UnitKind.objects.get(code=UnitKind.DEPARTMENT)
    page = client.get(reverse("admin:units_unitkind_delete", args=[department.pk]))
    assert page.status_code == 403
    unused = UnitKind.objects.get(code="dac-khu")
    response = client.post(
        reverse("admin:units_unitkind_delete", args=[unused.pk]), {"post": "yes"}
    )
    assert response.status_code == 302 and not UnitKind.objects.filter(code="dac-khu").exists()
