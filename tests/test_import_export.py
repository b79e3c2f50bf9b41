"""The Excel/CSV round trip and the import/export commands: every bad file is refused whole with
errors naming sheet, row and column; a good file round-trips."""

import csv
import io
import unicodedata
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from indicators.models import Framework
from scoring.exporting import results_csv, scores_csv, scores_xlsx, template_rows
from scoring.importing import scores_apply, scores_plan
from scoring.models import CriterionScore, Deduction, DeductionReason, RecomputeRun
from scoring.recompute import recompute_now
from scoring.workflow import State
from units.models import GroupMembership, RankingGroup, Unit

from .factories import make_assessment


@pytest.fixture(autouse=True)
def vietnamese():
    """Messages and numbers in Vietnamese whatever an earlier test left active."""
    with translation.override("vi"):
        yield


@pytest.fixture
def two_units(period, framework, group, unit, other_unit):
    a = make_assessment(unit, period, framework, group, state=State.SUBMITTED)
    b = make_assessment(other_unit, period, framework, group, state=State.SUBMITTED)
    DeductionReason.objects.create(code="tre-han", label="Nộp báo cáo trễ hạn")
    return a, b


def csv_bytes(rows, header=("unit_code", "criterion_code", "points", "deduction", "reason")):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def snapshot():
    """Everything an import may touch, to check that a refused file changed nothing."""
    return (
        sorted(
            CriterionScore.objects.values_list(
                "assessment_id", "criterion_id", "appraised_points", "final_points", "points"
            )
        ),
        sorted(Deduction.objects.values_list("score_id", "points", "note")),
    )


def windows_1258(text: str) -> bytes:
    """Encode as Vietnamese Windows does: letters with ă â ê ô ơ ư precomposed, tones combining."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
            out += (base + "".join(p for p in parts if p in tones)).encode("cp1258")
    return out


GOOD = [
    ["so-tu-phap", "1.1", "3,5", "0,5", "Nộp báo cáo trễ hạn"],
    ["so-tu-phap", "1.2", "2", "", ""],
    ["so-y-te", "1.1", "4", "", ""],
]


def test_a_good_csv_is_previewed_then_applied(two_units, django_capture_on_commit_callbacks):
    a, _b = two_units
    plan = scores_plan(period=a.period, data=csv_bytes(GOOD), filename="diem.csv")
    assert plan.errors == []
    assert plan.checked_rows == 3
    assert {(c.unit_code, c.criterion_code, c.what) for c in plan.changes} == {
        ("so-tu-phap", "1.1", "Điểm thẩm định lần 1"),
        ("so-tu-phap", "1.1", "Thêm điểm bị trừ"),
        ("so-tu-phap", "1.2", "Điểm thẩm định lần 1"),
        ("so-y-te", "1.1", "Điểm thẩm định lần 1"),
    }
    assert not CriterionScore.objects.exists()  # a preview writes nothing
    with django_capture_on_commit_callbacks() as callbacks:
        assert scores_apply(plan=plan) == 3
    # One recompute for the whole file: one queued run with both units, sent once on commit.
    run = RecomputeRun.objects.get(period=a.period, status=RecomputeRun.Status.QUEUED)
    assert sorted(run.unit_ids) == sorted(x.unit_id for x in two_units)
    assert len(callbacks) == 2  # the run's send and the request's marker, once each
    s11 = CriterionScore.objects.get(assessment=a, criterion__code="1.1")
    assert (s11.appraised_points, s11.points) == (D("3.5"), D("3"))
    deduction = s11.deductions.get()
    assert deduction.points == D("0.5") and deduction.reason.code == "tre-han"
    assert s11.history.count() == 1  # history kept for bulk writes too


@pytest.mark.parametrize(
    ("rows", "header", "place", "message"),
    [
        (GOOD, ("ma", "tieu_chi", "diem"), (1, "Mã đơn vị, Mã tiêu chí"), "Thiếu cột bắt buộc"),
        (
            [*GOOD, ["so-khong-co", "1.1", "1", "", ""]],
            None,
            (5, "unit_code"),
            "Không có đơn vị mã “so-khong-co”",
        ),
        (
            [*GOOD, ["so-y-te", "9.9", "1", "", ""]],
            None,
            (5, "criterion_code"),
            "Không có tiêu chí mã “9.9”",
        ),
        ([*GOOD, ["so-y-te", "1", "1", "", ""]], None, (5, "criterion_code"), "tiêu chí con"),
        (
            [*GOOD, ["so-y-te", "1.2", "hai", "", ""]],
            None,
            (5, "points"),
            "“hai” không phải là số",
        ),
        (
            [*GOOD, ["so-y-te", "1.2", "2,5", "", ""]],
            None,
            (5, "points"),
            "ngoài khoảng 0 đến 2",
        ),
        (
            [*GOOD, ["so-y-te", "1.1", "3,1", "", ""]],
            None,
            (5, "criterion_code"),
            "Dòng trùng",
        ),
        ([["so-y-te", "1.1", "3,1", "", ""]], None, (2, "points"), "không là bội số của 0,25"),
        ([["so-y-te", "1.2", "", "1", ""]], None, (2, "reason"), "Cần nêu lý do"),
        ([["so-y-te", "1.2", "", "-1", "x"]], None, (2, "deduction"), "ngoài khoảng"),
    ],
)
def test_a_bad_file_names_the_place_and_changes_nothing(two_units, rows, header, place, message):
    a, _b = two_units
    before = snapshot()
    data = csv_bytes(rows, header) if header else csv_bytes(rows)
    plan = scores_plan(period=a.period, data=data, filename="diem.csv")
    assert not plan.ok
    matching = [p for p in plan.errors if message in p.message]
    assert matching, [str(p) for p in plan.errors]
    problem = matching[0]
    assert (problem.row, problem.column) == place
    assert problem.sheet == "diem.csv"
    assert "dòng" in str(problem) and "cột" in str(problem)
    with pytest.raises(Exception, match="dòng"):
        scores_apply(plan=plan)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "không phải là bảng tính"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "không phải là bảng tính"),
        (b"PK\x03\x04 this is a broken zip", "Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"", "rỗng"),
        ("chỉ một dòng chữ không có cột".encode(), "không phải là bảng tính"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_clearly(two_units, content, message):
    a, _b = two_units
    plan = scores_plan(period=a.period, data=content, filename="tep.xlsx")
    assert not plan.ok
    assert message in str(plan.errors[0])


def test_assessments_outside_appraisal_are_refused(two_units):
    a, b = two_units
    b.state = State.PUBLISHED
    b.save()
    plan = scores_plan(period=a.period, data=csv_bytes(GOOD), filename="d.csv")
    assert [(p.row, p.column) for p in plan.errors] == [(4, "unit_code")]
    assert "Đã công bố" in plan.errors[0].message


def test_vietnamese_office_csv_windows_1258_nfd_semicolons_and_decimal_commas(two_units):
    a, _b = two_units
    reason = unicodedata.normalize("NFD", "Nộp báo cáo trễ hạn")
    text = (
        "Mã đơn vị;Mã tiêu chí;Điểm thẩm định;Điểm bị trừ;Lý do trừ điểm\n"
        f"so-tu-phap;1.1;3,75;0,25;{reason}\n"
    )
    for data in (
        windows_1258(text),
        b"\xef\xbb\xbf" + unicodedata.normalize("NFD", text).encode("utf-8"),
    ):
        CriterionScore.objects.all().delete()
        plan = scores_plan(period=a.period, data=data, filename="diem.csv")
        assert plan.ok, [str(p) for p in plan.errors]
        scores_apply(plan=plan)
        score = CriterionScore.objects.get(assessment=a, criterion__code="1.1")
        assert (score.appraised_points, score.points) == (D("3.75"), D("3.5"))
        assert score.deductions.get().reason.code == "tre-han"


def test_a_csv_round_trips_export_import_export(two_units):
    a, _b = two_units
    scores_apply(plan=scores_plan(period=a.period, data=csv_bytes(GOOD), filename="d.csv"))
    first = scores_csv(a.period)
    assert first.startswith(b"\xef\xbb\xbf")
    lines = first.decode("utf-8-sig").splitlines()
    assert lines[0] == "unit_code,criterion_code,points,deduction,reason,not_applicable"
    assert "so-tu-phap,1.1,3.5,0.5,Nộp báo cáo trễ hạn,0" in lines
    before = snapshot()
    plan = scores_plan(period=a.period, data=first, filename="xuat.csv")
    assert plan.ok and plan.changes == []
    assert scores_apply(plan=plan) == 0
    assert snapshot() == before
    assert scores_csv(a.period) == first


def test_the_excel_template_round_trips_and_edits_apply(two_units):
    a, _b = two_units
    scores_apply(plan=scores_plan(period=a.period, data=csv_bytes(GOOD), filename="d.csv"))
    before_rows = template_rows(a.period)
    data = scores_xlsx(a.period)
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Khối sở"]
    ws = workbook["Khối sở"]
    headers = [c.value for c in ws[1]]
    assert headers == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Mã tiêu chí",
        "Tên tiêu chí",
        "Điểm tối đa",
        "Điểm tự đánh giá",
        "Điểm thẩm định",
        "Điểm bị trừ",
        "Lý do trừ điểm",
        "Không áp dụng",
    ]
    assert ws.protection.sheet is True
    assert ws["A2"].protection.locked and not ws["G2"].protection.locked
    assert ws.max_row == 1 + 2 * 3  # two units × three leaf criteria
    # Unchanged: nothing to do, and the next export is the same.
    plan = scores_plan(period=a.period, data=data, filename="mau.xlsx")
    assert plan.ok and plan.changes == []
    assert template_rows(a.period) == before_rows
    # Edited offline: Sở Y tế 1.2 gets 1,5 and a deduction removed from Sở Tư pháp 1.1.
    for row in ws.iter_rows(min_row=2):
        if (row[0].value, row[2].value) == ("so-y-te", "1.2"):
            row[6].value = 1.5
        if (row[0].value, row[2].value) == ("so-tu-phap", "1.1"):
            row[7].value = 0
    out = io.BytesIO()
    workbook.save(out)
    plan = scores_plan(period=a.period, data=out.getvalue(), filename="mau.xlsx")
    assert plan.ok, [str(p) for p in plan.errors]
    assert scores_apply(plan=plan) == 2
    assert CriterionScore.objects.get(
        criterion__code="1.2", assessment__unit__code="so-y-te"
    ).points == D("1.5")
    assert not Deduction.objects.active().exists()
    assert Deduction.objects.count() == 1  # withdrawn, not deleted
    again = load_workbook(io.BytesIO(scores_xlsx(a.period)))["Khối sở"]
    values = {
        (r[0].value, r[2].value): (r[6].value, r[7].value) for r in again.iter_rows(min_row=2)
    }
    assert values[("so-y-te", "1.2")] == (1.5, None)
    assert values[("so-tu-phap", "1.1")] == (3.5, None)


def test_errors_in_an_xlsx_name_the_sheet_row_and_header(two_units):
    a, _b = two_units
    workbook = Workbook()
    ws = workbook.active
    ws.title = "Khối sở"
    ws.append(["Mã đơn vị", "Mã tiêu chí", "Điểm thẩm định"])
    ws.append(["so-tu-phap", "1.1", 4])
    ws.append(["so-tu-phap", "1.2", 7])
    out = io.BytesIO()
    workbook.save(out)
    plan = scores_plan(period=a.period, data=out.getvalue(), filename="x.xlsx")
    assert [str(p) for p in plan.errors] == [
        "trang “Khối sở”, dòng 3, cột “Điểm thẩm định”: Điểm 7 ngoài khoảng 0 đến 2 "
        "(điểm tối đa của tiêu chí 1.2)."
    ]


def test_the_upload_page_previews_and_applies_all_or_nothing(
    client, staff, two_units, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(staff)
    url = reverse("scoring:scores_upload", args=[2024])
    assert client.get(url).status_code == 200
    bad = io.BytesIO(csv_bytes([*GOOD, ["so-y-te", "1.2", "9", "", ""]]))
    bad.name = "diem.csv"
    response = client.post(url, {"file": bad, "round": "1"})
    assert response.status_code == 400
    assert "dòng 5" in response.content.decode() or "5" in response.content.decode()
    assert response.context["plan"].errors and not response.context["token"]
    good = io.BytesIO(csv_bytes(GOOD))
    good.name = "diem.csv"
    response = client.post(url, {"file": good, "round": "1"})
    assert response.status_code == 200
    token = response.context["token"]
    assert token and not CriterionScore.objects.exists()
    assert (tmp_path / "imports" / token).exists()
    response = client.post(reverse("scoring:scores_apply", args=[2024]), {"token": token})
    assert response.status_code == 302
    assert CriterionScore.objects.count() == 3
    assert not (tmp_path / "imports" / token).exists()
    # The same token cannot be applied twice.
    response = client.post(reverse("scoring:scores_apply", args=[2024]), {"token": token})
    assert CriterionScore.objects.count() == 3


def test_unit_heads_cannot_download_the_template_or_import(client, unit_head, two_units):
    client.force_login(unit_head)
    assert client.get(reverse("scoring:scores_template", args=[2024, "xlsx"])).status_code == 403
    assert client.get(reverse("scoring:scores_upload", args=[2024])).status_code == 403


def test_the_template_download_is_an_xlsx_attachment(client, staff, two_units):
    client.force_login(staff)
    response = client.get(reverse("scoring:scores_template", args=[2024, "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["Khối sở"]
    assert client.get(reverse("scoring:scores_template", args=[2024, "exe"])).status_code == 404


# --- Commands -----------------------------------------------------------------------------------


def test_import_scores_command_applies_a_good_file_and_refuses_a_bad_one(two_units, tmp_path):
    good = tmp_path / "diem.csv"
    good.write_bytes(csv_bytes(GOOD))
    out = io.StringIO()
    call_command("import_scores", str(good), "--period", "2024", stdout=out)
    assert "ghi 3 tiêu chí" in out.getvalue()
    before = snapshot()
    bad = tmp_path / "sai.csv"
    bad.write_bytes(csv_bytes([["so-tu-phap", "1.1", "abc", "", ""]]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="không có gì được ghi"):
        call_command("import_scores", str(bad), "--period", "2024", stderr=err)
    assert "dòng 2" in err.getvalue() and "“abc” không phải là số" in err.getvalue()
    assert snapshot() == before


def test_export_results_command_writes_csv_and_xlsx(two_units, tmp_path):
    a, _b = two_units
    scores_apply(plan=scores_plan(period=a.period, data=csv_bytes(GOOD), filename="d.csv"))
    recompute_now(a.period)
    out = io.StringIO()
    call_command("export_results", "--period", "2024", "--format", "csv", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == [
        "unit_code",
        "unit_name",
        "group",
        "total",
        "percent",
        "rank",
        "component_1",
        "component_2",
    ]
    by_unit = {r[0]: r for r in rows[1:]}
    # Sở Tư pháp: 1.1 = 3,5 − 0,5 = 3; 1.2 = 2; 2.1 nothing measured = 0 → 5 of 10.
    assert by_unit["so-tu-phap"][1:] == ["Sở Tư pháp", "Khối sở", "5", "50", "1", "5", "0"]
    # Sở Y tế: only 1.1 = 4 is stored → 4 of 10, second.
    assert by_unit["so-y-te"][3:6] == ["4", "40", "2"]
    target = tmp_path / "kq.xlsx"
    call_command("export_results", "--period", "2024", "--format", "xlsx", "--output", str(target))
    ws = load_workbook(target).active
    assert ws["A1"].value == "unit_code" and ws.max_row == 3
    assert results_csv(a.period).decode("utf-8-sig") == out.getvalue()


def test_import_units_creates_units_groups_and_memberships_all_or_nothing(db, tmp_path):
    text = (
        "code,name,kind,parent_code,active_from_year,active_to_year,predecessors,group_code,group_name,group_year\n"
        "huyen-moi,Huyện Mới,district,,2020,,,khoi-huyen,Khối huyện,2024\n"
        "xa-a,Xã A,commune,huyen-moi,2020,2024,,,,\n"
        "xa-b,Xã B,commune,huyen-moi,2020,2024,,,,\n"
        "phuong-ab,Phường AB,xã,huyen-moi,2025,,xa-a;xa-b,,,\n"
    )
    path = tmp_path / "don-vi.csv"
    path.write_bytes(b"\xef\xbb\xbf" + unicodedata.normalize("NFD", text).encode())
    call_command("import_units", str(path), stdout=io.StringIO())
    merged = Unit.objects.get(code="phuong-ab")
    assert merged.name == "Phường AB" and merged.parent.code == "huyen-moi"
    assert sorted(merged.predecessors.values_list("code", flat=True)) == ["xa-a", "xa-b"]
    assert GroupMembership.objects.get(unit__code="huyen-moi", year=2024).group.name == "Khối huyện"
    # Running it again changes nothing; a bad row refuses the whole file.
    call_command("import_units", str(path), stdout=io.StringIO())
    assert Unit.objects.count() == 4
    bad = tmp_path / "sai.csv"
    bad.write_text(
        "code,name,kind,active_from_year\nxa-c,Xã C,commune,2020\nxa-d,Xã D,thôn,hai nghìn\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_units", str(bad), stderr=err)
    assert "dòng 3" in err.getvalue() and "thôn" in err.getvalue()
    assert not Unit.objects.filter(code="xa-c").exists()
    assert RankingGroup.objects.count() == 1


def test_import_framework_validates_maxima_and_builds_the_tree(db, tmp_path):
    path = tmp_path / "bo-chi-so.csv"
    path.write_text(
        "code,name,max_points,method,step,bands\n"
        "1,Chỉ đạo điều hành,6,,,\n"
        '1.1,Kế hoạch,4,entered,"0,25",\n'
        "1.2,Báo cáo,2,yes_no,,\n"
        "2,Thủ tục hành chính,4,,,\n"
        "2.1,Hồ sơ đúng hạn,4,bands,,100:4; 95:2\n"
    )
    call_command(
        "import_framework",
        str(path),
        "--year",
        "2026",
        "--kind",
        "department",
        "--name",
        "Bộ chỉ số 2026",
        "--max-points",
        "10",
        stdout=io.StringIO(),
    )
    fw = Framework.objects.get(year=2026)
    leaves = {c.code: c for c in fw.criteria.filter(is_leaf=True)}
    assert sorted(leaves) == ["1.1", "1.2", "2.1"]
    assert leaves["1.1"].step == D("0.25") and leaves["1.1"].component.code == "1"
    assert leaves["2.1"].bands == [{"min": 100.0, "points": 4.0}, {"min": 95.0, "points": 2.0}]
    bad = tmp_path / "sai.csv"
    bad.write_text("code,name,max_points\n1,A,6\n1.1,B,4\n1.2,C,3\n2,D,4\n2.1,E,4\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_framework",
            str(bad),
            "--year",
            "2027",
            "--kind",
            "department",
            "--name",
            "Sai",
            "--max-points",
            "10",
            stderr=err,
        )
    assert "1" in err.getvalue() and "tổng" in err.getvalue().lower()
    assert not Framework.objects.filter(year=2027).exists()


def test_unchanged_rows_of_units_not_in_appraisal_are_accepted(two_units):
    a, b = two_units
    scores_apply(plan=scores_plan(period=a.period, data=csv_bytes(GOOD), filename="d.csv"))
    b.state = State.DRAFT  # returned to the unit after the first import
    b.save()
    template = scores_csv(a.period)
    plan = scores_plan(period=a.period, data=template, filename="mau.csv")
    assert plan.ok and plan.changes == []
    edited = template.decode("utf-8-sig").replace("so-y-te,1.1,4,,", "so-y-te,1.1,3,,")
    plan = scores_plan(period=a.period, data=edited.encode(), filename="mau.csv")
    assert [(p.row, p.column) for p in plan.errors] == [(5, "unit_code")]
    assert "Đang soạn" in plan.errors[0].message
