"""The score import never loses what a user wrote: deductions are edited or withdrawn, never deleted,
explanations stay attached and the preview says they exist; every template column is read back in both
rounds; values are taken as typed or refused at their cell; not applicable round-trips."""

import io
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation
from openpyxl import load_workbook

from indicators.models import Criterion, ScoringMethod
from scoring.exporting import scores_csv, scores_xlsx
from scoring.importing import IMPORT_USERNAME, scores_apply, scores_plan
from scoring.models import CriterionScore, Deduction, DeductionReason, Explanation
from scoring.workflow import State

from .factories import make_assessment
from .test_import_export import csv_bytes


@pytest.fixture(autouse=True)
def vietnamese():
    with translation.override("vi"):
        yield


@pytest.fixture
def two_units(period, framework, group, unit, other_unit):
    a = make_assessment(unit, period, framework, group, state=State.SUBMITTED)
    b = make_assessment(other_unit, period, framework, group, state=State.SUBMITTED)
    DeductionReason.objects.create(code="tre-han", label="Nộp báo cáo trễ hạn")
    return a, b


def plan_of(period, rows, header=None, round=1):
    data = csv_bytes(rows, header) if header else csv_bytes(rows)
    return scores_plan(period=period, data=data, filename="d.csv", round=round)


def apply_rows(period, rows, header=None, round=1, user=None):
    plan = plan_of(period, rows, header, round)
    assert plan.ok, [str(p) for p in plan.errors]
    return plan, scores_apply(plan=plan, user=user)


@pytest.fixture
def explained(two_units, unit_head):
    """Sở Tư pháp 1.1: 1 point deducted for a late report, and the unit's explanation of it."""
    a, _b = two_units
    apply_rows(a.period, [["so-tu-phap", "1.1", "", "1", "tre-han"]])
    deduction = Deduction.objects.get()
    Explanation.objects.create(
        deduction=deduction, text="Đã nộp đúng hạn qua hệ thống", author=unit_head
    )
    return a, deduction


def test_an_edited_deduction_keeps_its_explanation_and_the_preview_says_so(explained, staff):
    a, deduction = explained
    plan = plan_of(a.period, [["so-tu-phap", "1.1", "", "0,75", "Nộp báo cáo trễ hạn"]])
    assert plan.ok
    assert [(c.what, c.old, c.new) for c in plan.changes] == [
        ("Sửa điểm bị trừ", "1 (Nộp báo cáo trễ hạn)", "0,75 (Nộp báo cáo trễ hạn)")
    ]
    assert "giải trình" in plan.changes[0].warning
    assert plan.explained == 1
    scores_apply(plan=plan, user=staff)
    deduction.refresh_from_db()
    assert deduction.points == D("0.75") and deduction.reason.code == "tre-han"
    assert deduction.note == ""
    assert deduction.explanations.get().text == "Đã nộp đúng hạn qua hệ thống"
    assert CriterionScore.objects.get(pk=deduction.score_id).points == D("3.25")
    last = deduction.history.first()
    assert last.history_user == staff and last.history_change_reason == "Nhập từ tệp"


def test_a_zero_deduction_withdraws_and_keeps_the_explanation(explained):
    a, deduction = explained
    plan = plan_of(a.period, [["so-tu-phap", "1.1", "", "0", ""]])
    assert [c.what for c in plan.changes] == ["Gỡ điểm bị trừ"]
    assert plan.changes[0].warning
    scores_apply(plan=plan)
    deduction.refresh_from_db()
    assert deduction.withdrawn_at is not None
    assert deduction.withdrawn_by.username == IMPORT_USERNAME
    assert deduction.explanations.count() == 1
    assert CriterionScore.objects.get(pk=deduction.score_id).points == D(4)


@pytest.mark.parametrize(
    "reason", ["tre-han", "TRE-HAN", "nop bao cao tre han", "NỘP BÁO CÁO TRỄ HẠN"]
)
def test_the_same_reason_by_code_or_label_in_any_case_changes_nothing(explained, reason):
    a, _deduction = explained
    plan = plan_of(a.period, [["so-tu-phap", "1.1", "", "1", reason]])
    assert plan.ok and plan.change_count == 0 and plan.changes == []


def test_reimporting_the_export_changes_nothing(explained):
    a, _deduction = explained
    apply_rows(a.period, [["so-y-te", "1.1", "3", "", ""], ["so-y-te", "2.1", "KAD", "", ""]])
    for data, name in ((scores_csv(a.period), "d.csv"), (scores_xlsx(a.period), "d.xlsx")):
        plan = scores_plan(period=a.period, data=data, filename=name)
        assert plan.ok, [str(p) for p in plan.errors]
        assert plan.change_count == 0


def test_a_reason_without_a_deduction_is_an_error(two_units):
    a, _b = two_units
    plan = plan_of(a.period, [["so-tu-phap", "1.1", "3", "", "Nộp báo cáo trễ hạn"]])
    assert [(p.row, p.column) for p in plan.errors] == [(2, "reason")]


def test_the_round_two_template_round_trips(two_units):
    a, _b = two_units
    data = scores_xlsx(a.period, round=2)
    workbook = load_workbook(io.BytesIO(data))
    ws = workbook.active
    assert ws.cell(row=1, column=7).value == "Điểm thẩm định lần 2"
    for row in ws.iter_rows(min_row=2):
        if (row[0].value, row[2].value) == ("so-y-te", "1.1"):
            row[6].value = 2.5
    out = io.BytesIO()
    workbook.save(out)
    plan = scores_plan(period=a.period, data=out.getvalue(), filename="m.xlsx", round=2)
    assert plan.ok, [str(p) for p in plan.errors]
    assert [(c.what, c.new) for c in plan.changes] == [("Điểm thẩm định lần 2", D("2.5"))]
    scores_apply(plan=plan)
    score = CriterionScore.objects.get(assessment__unit__code="so-y-te", criterion__code="1.1")
    assert (score.final_points, score.appraised_points, score.points) == (D("2.5"), None, D("2.5"))
    again = scores_plan(
        period=a.period, data=scores_xlsx(a.period, round=2), filename="m.xlsx", round=2
    )
    assert again.ok and again.change_count == 0
    # The round-2 file imported as round 1 is refused, not read as round 1.
    wrong = scores_plan(period=a.period, data=out.getvalue(), filename="m.xlsx", round=1)
    assert any("lần 2" in p.message for p in wrong.errors)


@pytest.mark.parametrize("header", ["Diem tham dinh lan 3", "Điểm thẩm địh"])
def test_an_unknown_header_is_refused_with_the_expected_ones(two_units, header):
    a, _b = two_units
    plan = plan_of(
        a.period,
        [["so-tu-phap", "1.1", "3", "0,5", "tre-han"]],
        ("unit_code", "criterion_code", header, "deduction", "reason"),
    )
    assert not plan.ok
    message = plan.errors[0].message
    assert header in message and "Điểm thẩm định (points)" in message
    assert not CriterionScore.objects.exists()


def test_an_accentless_header_is_read(two_units):
    a, _b = two_units
    _plan, n = apply_rows(
        a.period, [["so-tu-phap", "1.1", "3"]], ("Ma don vi", "Ma tieu chi", "Diem tham dinh")
    )
    assert n == 1


@pytest.mark.parametrize(
    "rows, column",
    [
        ([["so-tu-phap", "1.1", "", "0,001", "tre-han"]], "deduction"),
        ([["so-tu-phap", "1.1", "", "0.125", "tre-han"]], "deduction"),
        ([["so-tu-phap", "1.1", "3.333", "", ""]], "points"),
    ],
)
def test_excess_decimals_are_refused_at_their_cell(two_units, rows, column):
    a, _b = two_units
    plan = plan_of(a.period, rows)
    assert [(p.row, p.column) for p in plan.errors] == [(2, column)]
    assert "chữ số thập phân" in plan.errors[0].message


def test_an_excel_float_is_read_at_excel_precision(two_units):
    from openpyxl import Workbook

    a, _b = two_units
    workbook = Workbook()
    ws = workbook.active
    ws.append(["unit_code", "criterion_code", "points"])
    ws.append(["so-tu-phap", "1.1", 0.25000000000000011])
    out = io.BytesIO()
    workbook.save(out)
    plan = scores_plan(period=a.period, data=out.getvalue(), filename="f.xlsx")
    assert plan.ok, [str(p) for p in plan.errors]
    assert plan.changes[0].new == D("0.25")


@pytest.mark.parametrize("word", ["KAD", "không áp dụng", "Khong ap dung", "N/A", "na"])
def test_not_applicable_words_set_the_flag_and_round_trip(two_units, word):
    a, _b = two_units
    apply_rows(a.period, [["so-tu-phap", "1.1", word, "", ""]])
    score = CriterionScore.objects.get(assessment=a, criterion__code="1.1")
    assert score.not_applicable
    text = scores_csv(a.period).decode("utf-8-sig")
    assert "so-tu-phap,1.1,KAD,,,1" in text.splitlines()
    plan = scores_plan(period=a.period, data=text.encode(), filename="d.csv")
    assert plan.ok and plan.change_count == 0


def test_the_not_applicable_column_sets_and_clears(two_units):
    a, _b = two_units
    header = ("unit_code", "criterion_code", "points", "not_applicable")
    apply_rows(a.period, [["so-tu-phap", "1.1", "", "có"], ["so-tu-phap", "1.2", "", "x"]], header)
    assert set(
        CriterionScore.objects.filter(not_applicable=True).values_list("criterion__code", flat=True)
    ) == {"1.1", "1.2"}
    apply_rows(a.period, [["so-tu-phap", "1.1", "3", "0"], ["so-tu-phap", "1.2", "", ""]], header)
    score = CriterionScore.objects.get(assessment=a, criterion__code="1.1")
    assert not score.not_applicable and score.appraised_points == D(3)
    assert not CriterionScore.objects.filter(not_applicable=True).exists()
    bad = plan_of(a.period, [["so-tu-phap", "1.1", "3", "maybe"]], header)
    assert [(p.row, p.column) for p in bad.errors] == [(2, "not_applicable")]


def test_a_value_into_a_not_applicable_criterion_is_refused_naming_the_row(two_units):
    a, _b = two_units
    apply_rows(a.period, [["so-tu-phap", "1.1", "KAD", "", ""]])
    plan = plan_of(a.period, [["so-y-te", "1.1", "2", "", ""], ["so-tu-phap", "1.1", "3", "", ""]])
    assert [p.row for p in plan.errors] == [3]
    assert "Dòng 3" in plan.errors[0].message and "không áp dụng" in plan.errors[0].message
    header = ("unit_code", "criterion_code", "points", "not_applicable")
    plan = plan_of(a.period, [["so-y-te", "1.2", "1", "1"]], header)
    assert [p.row for p in plan.errors] == [2]


def test_a_criterion_not_applicable_by_its_method_exports_kad_and_refuses_a_value(two_units):
    a, _b = two_units
    Criterion.objects.filter(framework=a.framework, code="1.2").update(
        method=ScoringMethod.NOT_APPLICABLE
    )
    text = scores_csv(a.period).decode("utf-8-sig")
    assert "so-tu-phap,1.2,KAD,,,1" in text.splitlines()
    assert "so-tu-phap,1.1,,,,0" in text.splitlines()
    plan = scores_plan(period=a.period, data=text.encode(), filename="d.csv")
    assert plan.ok and plan.change_count == 0
    plan = plan_of(a.period, [["so-y-te", "1.1", "2", "", ""], ["so-y-te", "1.2", "1", "", ""]])
    assert [p.row for p in plan.errors] == [3]
    assert "Dòng 3" in plan.errors[0].message and "không áp dụng" in plan.errors[0].message
    assert not CriterionScore.objects.exists()


def test_the_command_records_the_import_account_or_the_user_given(two_units, staff, tmp_path):
    a, _b = two_units
    path = tmp_path / "d.csv"
    path.write_bytes(csv_bytes([["so-tu-phap", "1.1", "3", "", ""]]))
    call_command("import_scores", str(path), "--period", "2024", stdout=io.StringIO())
    account = get_user_model().objects.get(username=IMPORT_USERNAME)
    assert not account.is_superuser and not account.has_usable_password()
    score = CriterionScore.objects.get(assessment=a, criterion__code="1.1")
    assert score.history.first().history_user == account
    path.write_bytes(csv_bytes([["so-tu-phap", "1.1", "3,5", "", ""]]))
    call_command(
        "import_scores",
        str(path),
        "--period",
        "2024",
        "--user",
        staff.username,
        stdout=io.StringIO(),
    )
    assert score.history.first().history_user == staff
    assert score.history.count() == 2


def test_the_preview_counts_every_change_and_says_when_it_shows_some(two_units, monkeypatch):
    from scoring.importing import common

    a, _b = two_units
    monkeypatch.setattr(common, "PREVIEW_LIMIT", 2)
    plan = plan_of(
        a.period,
        [
            ["so-tu-phap", "1.1", "3", "", ""],
            ["so-tu-phap", "1.2", "1", "", ""],
            ["so-y-te", "1.1", "2", "", ""],
        ],
    )
    assert plan.change_count == 3 and len(plan.changes) == 2 and plan.truncated


def test_a_big_file_is_checked_and_applied_by_a_job_the_page_polls(
    client,
    staff,
    unit_head,
    two_units,
    settings,
    tmp_path,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from django.urls import reverse

    from scoring.views import transfer

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(transfer, "JOB_BYTES", 10)  # every file counts as big
    client.force_login(staff)
    url = reverse("scoring:scores_upload", args=[2024])
    upload = io.BytesIO(csv_bytes([["so-tu-phap", "1.1", "3", "0,5", "tre-han"]]))
    upload.name = "diem.csv"
    response = client.post(url, {"file": upload, "round": "1"})
    assert response.status_code == 302 and "?job=" in response["Location"]
    token = response["Location"].split("?job=")[1]
    page = client.get(response["Location"])
    assert page.status_code == 200 and page.context["job"]["change_count"] == 2
    status_url = reverse("scoring:scores_job", args=[2024, token])
    fragment = client.get(status_url).content.decode()
    assert "2 thay đổi sẽ được ghi" in fragment and "hx-trigger" not in fragment
    assert not CriterionScore.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("scoring:scores_apply", args=[2024]), {"token": token})
    assert response.status_code == 302
    assert "Đã nhập điểm của 1 tiêu chí" in client.get(status_url).content.decode()
    score = CriterionScore.objects.get()
    assert score.points == D("2.5") and score.history.first().history_user == staff
    # Another session (a unit head, or another staff member) does not see the job.
    client.force_login(unit_head)
    assert client.get(status_url).status_code in (403, 404)


def test_a_job_with_errors_shows_them_and_offers_no_apply(
    client, staff, two_units, settings, tmp_path, monkeypatch
):
    from django.urls import reverse

    from scoring.views import transfer

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(transfer, "JOB_BYTES", 10)
    client.force_login(staff)
    upload = io.BytesIO(csv_bytes([["so-tu-phap", "1.1", "0,001", "", ""]]))
    upload.name = "diem.csv"
    response = client.post(
        reverse("scoring:scores_upload", args=[2024]), {"file": upload, "round": "1"}
    )
    page = client.get(response["Location"]).content.decode()
    assert "chữ số thập phân" in page and "Áp dụng tất cả thay đổi" not in page
