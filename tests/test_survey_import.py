"""Surveys, end to end through the command, the upload page's jobs, the definition and plan files,
the weighted formula and the stored results (intervals, short samples, tied ranks)."""

from __future__ import annotations

import io
from decimal import Decimal as D

import numpy as np
import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from scoring.models import AssessmentResult, CriterionScore
from surveys import computation
from surveys.importing import import_answers
from surveys.jobs import import_apply, import_check
from surveys.models import (
    Survey,
    SurveyImport,
    SurveyQuestionStat,
    SurveyResult,
    SurveyUnitAnswers,
    SurveyUnitLoad,
)
from surveys.selectors import criterion_sources, sample_plan, survey_figures, units_short
from surveys.services import results_refresh
from surveys.sheets import survey_sheets
from tests.factories import make_assessment

DEFINITION = (
    "mã yếu tố,yếu tố,mã câu hỏi,câu hỏi,tiêu chí,tính vào chỉ số\n"
    "E1,Tiếp cận,,,,\n"
    "E1,Tiếp cận,Q1,Nơi tiếp nhận dễ tìm,,\n"
    "E2,Kết quả,Q2,Kết quả đúng hạn,2.1,\n"
    "P1,Chính sách,,,,không\n"
    "P1,Chính sách,Q3,Chính sách giáo dục,,\n"
)
ANSWERS = (
    "ma phieu,ma don vi,ngay,Q1,Q2,Q3,ghi chu\n"
    "a1,so-tu-phap,01/03/2024,4,4,1,x\n"
    "a2,so-tu-phap,01/03/2024,4,3,1,\n"
    "a3,so-tu-phap,01/03/2024,1,1,1,\n"
    "a4,so-tu-phap,01/03/2024,2,4,1,\n"
    "b1,so-y-te,02/03/2024,4,4,4,\n"
    "b2,so-y-te,02/03/2024,4,4,4,\n"
)


@pytest.fixture
def defined(db, tmp_path, unit, other_unit):
    """A 4-level sociological survey from a definition file, weighted A/B/C/D = 100/60/20/0 %."""
    path = tmp_path / "dinh-nghia.csv"
    path.write_text(DEFINITION, encoding="utf-8")
    call_command(
        "import_survey_definition",
        str(path),
        "--year=2024",
        "--kind=sociological",
        "--name=ĐTXHH 2024",
        "--scale=4",
        "--favourable-from=3",
        "--formula=weighted",
        "--weights=0,20,60,100",
        stdout=io.StringIO(),
    )
    return Survey.objects.get(code="sociological-2024")


def _sheet(respondent: str):
    return {s.respondent: s for s in survey_sheets()}[respondent]


def test_a_definition_file_with_its_settings_makes_the_survey(defined):
    assert (defined.scale_max, defined.favourable_from, defined.weights) == (4, 3, [0, 20, 60, 100])
    assert list(defined.elements.values_list("code", "in_index", "criterion_code")) == [
        ("E1", True, ""),
        ("E2", True, ""),
        ("P1", False, ""),
    ]
    assert defined.questions.get(code="Q2").criterion_code == "2.1"


def test_a_definition_with_bad_weights_writes_nothing(db, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(DEFINITION, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command(
            "import_survey_definition",
            str(path),
            "--year=2024",
            "--kind=sipas",
            "--name=x",
            "--formula=weighted",
            "--weights=0,50,100",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert not Survey.objects.exists()


def test_weighted_points_and_the_policy_group_outside_the_index_by_hand(
    defined, period, framework, group, unit, other_unit, django_capture_on_commit_callbacks
):
    criterion = framework.criteria.get(code="2.1")  # maximum 4
    criterion.method, criterion.bands = "survey", []
    criterion.save()
    own = make_assessment(unit, period, framework, group)
    other = make_assessment(other_unit, period, framework, group)
    with django_capture_on_commit_callbacks(execute=True):
        assert import_answers(survey=defined, data=ANSWERS.encode()).status == "applied"
    # so-tu-phap, Q2: levels 4, 3, 1, 4 → (100 + 60 + 0 + 100) / 4 = 65 % → 4 × 65 % = 2.60.
    score = CriterionScore.objects.get(assessment=own, criterion=criterion)
    assert score.appraised_points == D("2.60") and score.points == D("2.60")
    assert CriterionScore.objects.get(assessment=other, criterion=criterion).points == D("4.00")
    result = SurveyResult.objects.get(survey=defined, unit=unit, criterion=criterion)
    assert (result.percent, result.basis, result.respondents) == (D("65.00"), "Q2", 4)
    # Its interval: mean ± 1.96·sd/√n, sd of (100, 60, 0, 100) = 40.93 → 65 ± 40.11.
    assert (result.low, result.high) == (D("24.89"), D("100.00"))
    # The index: E1 (Q1: 100, 100, 0, 20 → 55 %) and E2 (65 %); P1 (all 0 %) stays out.
    index = SurveyResult.objects.get(survey=defined, unit=unit, criterion=None)
    assert index.percent == D("60.00")
    sources = criterion_sources(unit_id=unit.pk, year=2024)
    assert sources[criterion.pk].survey == defined and sources[criterion.pk].percent == D("65")
    assert AssessmentResult.objects.get(assessment=other).rank == 1


def test_the_sample_plan_from_a_file_and_the_short_units(defined, tmp_path, unit, other_unit):
    import_answers(survey=defined, data=ANSWERS.encode())
    path = tmp_path / "mau.csv"
    path.write_text("mã đơn vị,số hồ sơ,số phiếu giao\nso-tu-phap,4,\nso-y-te,1000,\n", "utf-8")
    call_command(
        "import_survey_plan", "--survey=sociological-2024", str(path), stdout=io.StringIO()
    )
    rows = {r.unit.code: r for r in sample_plan(defined)}
    # 4 / (1 + 4 × 0.0025) = 3.96 → 4, met; 1000 / 3.5 = 285.7 → 286, 2 received.
    assert (rows["so-tu-phap"].planned, rows["so-tu-phap"].short) == (4, False)
    assert (rows["so-y-te"].planned, rows["so-y-te"].received, rows["so-y-te"].missing) == (
        286,
        2,
        284,
    )
    assert [r.unit.code for r in units_short(defined)] == ["so-y-te"]
    figures = {f.unit.code: f for f in survey_figures(defined)}
    assert figures["so-tu-phap"].rank == 1 and figures["so-y-te"].rank is None
    bad = tmp_path / "sai.csv"
    bad.write_text("mã đơn vị,số hồ sơ\nso-khong-co,10\nso-y-te,nhiều\n", "utf-8")
    with pytest.raises(CommandError):
        call_command(
            "import_survey_plan",
            "--survey=sociological-2024",
            str(bad),
            stdout=io.StringIO(),
            stderr=(err := io.StringIO()),
        )
    assert "dòng 2" in err.getvalue() and "dòng 3" in err.getvalue()
    assert defined.plans.get(unit=other_unit).population == 1000


def test_a_unit_without_a_plan_needs_one_over_e_squared():
    assert computation.sample_required(None, D("0.05")) == 400
    assert computation.sample_required(1000, D("0.05")) == 286
    assert computation.ranks([90.0, 80.004, 80.0, None, 70.0]) == [1, 2, 2, None, 4]


def test_the_command_checks_with_progress_and_a_dry_run_writes_nothing(defined, tmp_path):
    path = tmp_path / "phieu.csv"
    path.write_bytes(ANSWERS.encode())
    out = io.StringIO()
    call_command("import_survey", "--survey=sociological-2024", str(path), "--dry-run", stdout=out)
    assert "%] " in out.getvalue() and "6" in out.getvalue()
    assert not SurveyUnitAnswers.objects.exists() and not SurveyImport.objects.exists()
    call_command("import_survey", "--survey=sociological-2024", str(path), stdout=io.StringIO())
    assert len(survey_sheets()) == 6
    assert SurveyImport.objects.get().status == SurveyImport.Status.APPLIED
    out = io.StringIO()
    call_command("import_survey", "--survey=sociological-2024", str(path), stdout=out)
    assert SurveyImport.objects.count() == 1 and len(survey_sheets()) == 6
    bad = tmp_path / "sai.csv"
    bad.write_bytes(ANSWERS.replace("b2,so-y-te,02/03/2024,4,4,4", "b2,so-y-te,x,4,9,4").encode())
    with pytest.raises(CommandError):
        call_command(
            "import_survey", "--survey=sociological-2024", str(bad), stderr=(err := io.StringIO())
        )
    assert "dòng 7, cột “ngay”" in err.getvalue() and "dòng 7, cột “Q2”" in err.getvalue()


@pytest.mark.parametrize(("language", "count"), [("vi", "1.234"), ("en", "1,234")])
def test_the_commands_counts_are_grouped_as_the_language_writes_them(
    defined, tmp_path, language, count
):
    lines = [f"r{i},so-tu-phap,,{1 + i % 4},{1 + i % 3},1" for i in range(1234)]
    path = tmp_path / "phieu.csv"
    path.write_text("ma phieu,ma don vi,ngay,Q1,Q2,Q3\n" + "\n".join(lines) + "\n")
    out = io.StringIO()
    with translation.override(language):
        call_command("import_survey", "--survey=sociological-2024", str(path), stdout=out)
    assert f" {count} " in out.getvalue().splitlines()[1]  # the check's progress: its rows
    assert f"{count}/{count}" in out.getvalue()  # the writing's
    assert (
        out.getvalue()
        .splitlines()[-1]
        .endswith(f" {count} phiếu." if language == "vi" else f" {count} responses.")
    )


def _figures_key(figures):
    return [
        (f.unit.pk, f.respondents, f.index, f.low, f.high, f.rank, *shares)
        for f in figures
        for shares in [[(e.share, *(q.share for q in e.questions)) for e in f.elements]]
    ]


def test_only_the_units_whose_answers_changed_are_rewritten(defined, unit, other_unit):
    import_answers(survey=defined, data=ANSWERS.encode())
    kept = set(SurveyUnitAnswers.objects.filter(unit=unit).values_list("pk", flat=True))
    changed = ANSWERS.replace("b2,so-y-te,02/03/2024,4,4,4", "b2,so-y-te,02/03/2024,1,1,1")
    outcome = import_answers(survey=defined, data=changed.encode())
    assert (outcome.status, outcome.written) == ("applied", 2)
    assert outcome.preview["units_changed"] == 1 and outcome.preview["ignored_columns"] == [
        "ghi chu"
    ]
    assert set(SurveyUnitAnswers.objects.filter(unit=unit).values_list("pk", flat=True)) == kept
    assert _sheet("b2").answers == "111"
    assert SurveyUnitLoad.objects.get(survey=defined, unit=other_unit).respondents == 2
    # The import computed the results from the counts it had just written (one unit's, the other's
    # read back): refreshed from the stored counts alone, they are the same.
    stored = list(SurveyResult.objects.filter(survey=defined).order_by("pk").values())
    assert results_refresh(survey=defined) == 0
    assert list(SurveyResult.objects.filter(survey=defined).order_by("pk").values()) == stored
    # Counts given in memory (questions in any order) stand for the stored ones.
    questions = list(defined.questions.order_by("-code"))
    counts = np.array(
        [[SurveyQuestionStat.objects.get(unit=unit, question=q).counts for q in questions]]
    )
    figures = survey_figures(defined, counted=([unit.pk], [q.pk for q in questions], counts))
    assert _figures_key(figures) == _figures_key(survey_figures(defined))


def test_an_xlsx_file_and_ids_with_tabs_are_read(defined, unit, other_unit):
    book = openpyxl.Workbook()
    sheet = book.active
    for line in ANSWERS.splitlines():
        sheet.append(line.split(","))
    sheet["A2"] = "a\t1"
    sheet["D3"] = 4.0  # a number cell
    buffer = io.BytesIO()
    book.save(buffer)
    outcome = import_answers(survey=defined, data=buffer.getvalue(), filename="phieu.xlsx")
    assert outcome.status == "applied", outcome.errors
    assert _sheet("a\t1").answers == "441"
    assert _sheet("a2").answered_on == "2024-03-01"


def test_the_upload_jobs_check_then_apply(defined, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = SurveyImport.objects.create(
        survey=defined,
        file=SimpleUploadedFile("phieu.csv", ANSWERS.encode()),
        filename="phieu.csv",
        created_by=staff,
    )
    import_check(job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows) == (SurveyImport.Status.CHECKED, 100, 6)
    assert job.preview["units_changed"] == 2 and not SurveyUnitAnswers.objects.exists()
    import_apply(job.pk)
    job.refresh_from_db()
    assert job.status == SurveyImport.Status.APPLIED and len(survey_sheets()) == 6
    assert set(SurveyUnitLoad.objects.values_list("job", flat=True)) == {job.pk}
    import_apply(job.pk)  # run twice: nothing more
    assert len(survey_sheets()) == 6 and SurveyImport.objects.count() == 1


def test_a_bad_upload_is_marked_invalid_with_its_errors(defined, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = SurveyImport.objects.create(
        survey=defined,
        file=SimpleUploadedFile("phieu.csv", ANSWERS.replace("so-y-te", "so-la").encode()),
        filename="phieu.csv",
    )
    import_check(job.pk)
    job.refresh_from_db()
    assert job.status == SurveyImport.Status.INVALID
    assert job.errors[0].startswith("dòng 6, cột “ma don vi”")
    import_apply(job.pk)
    assert not SurveyUnitAnswers.objects.exists()


def test_copy_survey_carries_the_definition_forward(defined):
    call_command("copy_survey", "--survey=sociological-2024", "--year=2025", stdout=io.StringIO())
    copy = Survey.objects.get(code="sociological-2025")
    assert copy.continues_from == defined and copy.weights == [0, 20, 60, 100]
    assert list(copy.elements.values_list("code", "in_index")) == [
        ("E1", True),
        ("E2", True),
        ("P1", False),
    ]
    assert copy.questions.get(code="Q2").criterion_code == "2.1"


def test_a_running_jobs_progress_is_read_from_the_cache_then_from_its_row(defined):
    from surveys.jobs import _progress
    from surveys.selectors import import_progress

    job = SurveyImport.objects.create(survey=defined, status=SurveyImport.Status.APPLYING)
    _progress(job)(64, "Đang ghi 400000/1000000 phiếu")
    assert import_progress(job) == (64, "Đang ghi 400000/1000000 phiếu")
    SurveyImport.objects.filter(pk=job.pk).update(status=SurveyImport.Status.APPLIED, progress=100)
    job.refresh_from_db()
    assert import_progress(job) == (100, "")


def test_ids_with_backslashes_and_line_ends_are_kept_as_written(defined, unit, other_unit):
    text = ANSWERS.replace("a1,", '"a\\1",').replace("b1,", '"b\n1",').replace("a3,", " a3 ,")
    outcome = import_answers(survey=defined, data=text.encode())
    assert outcome.status == "applied", outcome.errors
    sheets = survey_sheets(defined)
    assert [s.respondent for s in sheets if s.unit_id == unit.pk] == ["a\\1", "a2", "a3", "a4"]
    assert {s.respondent: s.answers for s in sheets}["b\n1"] == "444"
    assert import_answers(survey=defined, data=text.encode()).status == "unchanged"


def test_answers_written_as_decimals_are_read_exactly(defined, unit, other_unit):
    # "4.0" is level 4; "4.0000001" is not a level (a float32 reading would make it 4).
    assert (
        import_answers(
            survey=defined, data=ANSWERS.replace(",4,4,1,x", ",4.0,4,1,x").encode()
        ).status
        == "applied"
    )
    assert _sheet("a1").answers == "441"
    outcome = import_answers(
        survey=defined, data=ANSWERS.replace(",4,3,1,", ",4.0000001,3,1,").encode()
    )
    assert outcome.status == "invalid" and "dòng 3, cột “Q1”" in outcome.errors[0]
