"""Every importer fed spoiled files (tests/fuzz_files.py): hypothesis (issue 16, "bad input,
fuzzed").

The property, for the scores, units, framework and survey answers imports alike: a file ends either
accepted, with the values stored exactly as typed, or refused with errors a person can act on
(a sentence; at a row and a column when only cells were spoiled) and the database as it was. Never
an unexpected exception: a traceback here is a bug. Through the upload pages, never a 500.

Each example runs in a savepoint rolled back at its end, so every example starts from the
fixtures' database. Example counts are bounded for the suite; FUZZ_EXAMPLES raises them.
"""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal as D
from decimal import InvalidOperation

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import event, example, given
from hypothesis.control import currently_in_test_context

from core.limits import TableError
from core.tabular import Problem, nfc, read_tables
from indicators.models import Criterion, Framework
from indicators.services import framework_import
from scoring.importing import scores_apply, scores_plan
from scoring.importing.common import NOT_APPLICABLE_WORDS, fold
from scoring.models import CriterionScore, Deduction, DeductionReason
from scoring.workflow import State
from surveys.importing import import_answers
from surveys.models import SurveyImport, SurveyResult, SurveyUnitLoad
from surveys.sheets import survey_sheets
from units.importing import units_import

from .factories import make_assessment
from .fuzz_files import Spoiled, _csv, as_number, edited, spoiled, typed_number
from .test_fuzz_scoring import fuzz
from .test_survey_import import defined  # noqa: F401 (the survey the answers are for)
from .test_units_import import snapshot as units_snapshot

# --- What every refusal must look like -------------------------------------------------------------


def assert_clear(errors: list, file: Spoiled) -> None:
    """Errors a person can act on: sentences, at their row and column when only cells changed."""
    assert errors
    for error in errors:
        assert isinstance(error, Problem), error
        assert str(error).strip() and error.message.strip()
        assert "Traceback" not in str(error) and "Error(" not in str(error)
    if file.cells_only:
        assert any(e.row and e.column for e in errors), [str(e) for e in errors]


def outcome(what: str) -> None:
    """Count the outcomes in hypothesis' statistics (pytest --hypothesis-show-statistics)."""
    if currently_in_test_context():
        event(what)


def rolled_back(work):
    """Run `work` in a savepoint and undo it: the next example finds the fixtures' database."""
    with transaction.atomic():
        result = work()
        transaction.set_rollback(True)
    return result


def column(file: Spoiled, name: str) -> int | None:
    return file.header.index(name) if name in file.header else None


def typed(file: Spoiled, value):
    return as_number(value) if file.saved_as == "xlsx" else value


def last_rows(file: Spoiled, *keys: str) -> dict[tuple, list]:
    """The file's data rows by their key columns (the last row wins), skipping empty rows; none
    when the bytes were damaged (what remains readable is no longer the table)."""
    at = [column(file, k) for k in keys]
    if None in at or file.damaged not in ("", "far"):
        return {}
    found = {}
    for row in file.rows:
        if any(str(v).strip() for v in row):
            found[tuple(nfc(typed(file, row[i])).lower() for i in at)] = row
    return found


# --- Scores ----------------------------------------------------------------------------------------

SCORES_HEADER = ["unit_code", "criterion_code", "points", "deduction", "reason"]
SCORES_ROWS = [
    ["so-tu-phap", "1.1", "2,5", "", ""],
    ["so-tu-phap", "1.2", "2", "", ""],
    ["so-y-te", "1.1", "3.75", "0,5", "tre-han"],
    ["so-y-te", "2.1", "KAD", "", ""],
]


@pytest.fixture
def scored(period, framework, group, unit, other_unit):
    for u in (unit, other_unit):
        make_assessment(u, period, framework, group, state=State.SUBMITTED)
    DeductionReason.objects.create(code="tre-han", label="Nộp báo cáo trễ hạn")
    return period


def scores_snapshot():
    return (
        sorted(
            CriterionScore.objects.values_list(
                "assessment_id", "criterion_id", "appraised_points", "not_applicable", "points"
            )
        ),
        sorted(Deduction.objects.values_list("score_id", "points", "note", "withdrawn_at")),
    )


def check_scores_stored(file: Spoiled) -> None:
    """Accepted: each (unit, criterion) holds what its last row typed."""
    points_at, deduction_at = column(file, "points"), column(file, "deduction")
    for (unit_code, code), row in last_rows(file, "unit_code", "criterion_code").items():
        score = CriterionScore.objects.filter(
            assessment__unit__code__iexact=unit_code, criterion__code=code
        ).first()
        if points_at is not None:
            cell = typed(file, row[points_at])
            if isinstance(cell, str) and fold(cell) in NOT_APPLICABLE_WORDS:
                assert score.not_applicable
            elif (number := typed_number(cell)) is not None:
                assert score.appraised_points == number, (cell, score.appraised_points)
        if deduction_at is not None and (number := typed_number(typed(file, row[deduction_at]))):
            active = score.deductions.filter(withdrawn_at__isnull=True)
            assert sum(d.points for d in active) == number


def import_scores(period, file: Spoiled) -> None:
    before = scores_snapshot()
    plan = scores_plan(period=period, data=file.data, filename=file.filename, round=1)
    outcome("refused" if plan.errors else "accepted")
    if not plan.ok:
        assert_clear(plan.errors, file)
        with pytest.raises(Exception) as refused:
            scores_apply(plan=plan)
        assert refused.type.__name__ == "DomainError"
        assert scores_snapshot() == before
        return
    scores_apply(plan=plan)
    try:
        check_scores_stored(file)
    except InvalidOperation:
        pytest.fail(f"a cell that is not a number was accepted: {file.rows}")


@fuzz(150)
@given(file=spoiled(SCORES_HEADER, SCORES_ROWS, stem="diem"))
# Bug: past 28 digits the decimals check and the message's number raised InvalidOperation.
@example(file=edited(SCORES_HEADER, SCORES_ROWS, (0, 2), "1e309", "diem.csv"))
@example(file=edited(SCORES_HEADER, SCORES_ROWS, (2, 3), "9" * 30, "diem.csv"))
def test_a_spoiled_scores_file_is_stored_as_typed_or_refused_with_nothing_written(scored, file):
    rolled_back(lambda: import_scores(scored, file))


@fuzz(15)
@given(file=spoiled(SCORES_HEADER, SCORES_ROWS, stem="diem"))
def test_the_scores_upload_page_never_answers_500(client, staff, scored, settings, tmp_path, file):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(staff)
    upload = io.BytesIO(file.data)
    upload.name = file.filename
    url = reverse("scoring:scores_upload", args=[scored.year])
    response = rolled_back(lambda: client.post(url, {"file": upload, "round": "1"}))
    assert response.status_code in (200, 302, 400)
    if response.status_code == 400:
        assert "lỗi" in response.content.decode().lower() or response.context["form"].errors


# --- Units -----------------------------------------------------------------------------------------

UNITS_HEADER = [
    "code",
    "name",
    "kind",
    "parent_code",
    "active_from_year",
    "active_to_year",
    "predecessors",
    "group_code",
    "group_name",
    "group_year",
]
UNITS_ROWS = [
    ["so-noi-vu", "Sở Nội vụ", "department", "", "2020", "", "", "khoi-so", "Khối sở", "2024"],
    ["so-cong-thuong", "Sở Công Thương", "department", "", "2018", "", "", "khoi-so", "", "2024"],
    ["xa-a", "UBND xã A", "commune", "", "2025", "2030", "", "", "", ""],
]


def import_units(file: Spoiled) -> None:
    before = units_snapshot()
    try:
        sheets = read_tables(file.data, file.filename)
    except TableError as exc:
        assert str(exc).strip()
        assert units_snapshot() == before
        return
    result = units_import(sheets=sheets)
    outcome("refused" if result.errors else "accepted")
    if result.errors:
        assert_clear(result.errors, file)
        assert units_snapshot() == before
        return
    name_at = column(file, "name")
    for (code,), row in last_rows(file, "code").items():
        stored = list(units_snapshot()[0])
        match = [name for c, name, _parent in stored if c.lower() == code]
        assert match, code
        if name_at is not None:
            assert match[0] == nfc(typed(file, row[name_at])), (match, row)


@fuzz(120)
@given(file=spoiled(UNITS_HEADER, UNITS_ROWS, stem="don-vi"))
def test_a_spoiled_units_file_is_stored_as_typed_or_refused_with_nothing_written(db, file):
    rolled_back(lambda: import_units(file))


# --- Frameworks ------------------------------------------------------------------------------------

FRAMEWORK_HEADER = ["code", "name", "max_points", "method", "step", "bands"]
FRAMEWORK_ROWS = [
    ["1", "Chỉ đạo điều hành", "6", "", "", ""],
    ["1.1", "Kế hoạch", "4", "entered", "0,25", ""],
    ["1.2", "Báo cáo", "2", "yes_no", "", ""],
    ["2", "Thủ tục hành chính", "4", "", "", ""],
    ["2.1", "Hồ sơ đúng hạn", "4", "bands", "", "100:4; 95:2"],
]


def typed_bands(text) -> list[tuple]:
    """(minimum, points) of a bands cell as a person reads it."""
    parts = [p.partition(":") for p in nfc(text).replace("\n", ";").split(";") if p.strip()]
    return [(typed_number(low), typed_number(points)) for low, _sep, points in parts]


def framework_snapshot():
    return (
        sorted(Framework.objects.values_list("name", "max_points")),
        sorted(Criterion.objects.values_list("code", "max_points", "method", "step")),
    )


def import_framework(file: Spoiled) -> None:
    before = framework_snapshot()
    try:
        sheets = read_tables(file.data, file.filename)
    except TableError as exc:
        assert str(exc).strip()
        return
    framework, problems = framework_import(
        year=2026, unit_kind="department", name="Bộ chỉ số 2026", sheets=sheets, max_points="10"
    )
    outcome("refused" if problems else "accepted")
    if problems:
        assert framework is None
        assert_clear(problems, file)
        assert framework_snapshot() == before
        return
    max_at, bands_at = column(file, "max_points"), column(file, "bands")
    stored = {
        c.lower(): (m, b)
        for c, m, b in framework.criteria.values_list("code", "max_points", "bands")
    }
    for (code,), row in last_rows(file, "code").items():
        maximum, bands = stored[code]
        if max_at is not None:
            assert maximum == typed_number(typed(file, row[max_at]))
        if bands_at is not None:
            got = [(D(str(b["min"])), D(str(b["points"]))) for b in bands]
            assert got == typed_bands(typed(file, row[bands_at])), (bands, row[bands_at])


@fuzz(120)
@given(file=spoiled(FRAMEWORK_HEADER, FRAMEWORK_ROWS, stem="bo-chi-so"))
# Bug: a maximum with more than 28 digits was rounded (stored 4.00), not refused.
@example(file=edited(FRAMEWORK_HEADER, FRAMEWORK_ROWS, (1, 2), "4." + "0" * 27 + "1", "f.csv"))
@example(file=edited(FRAMEWORK_HEADER, FRAMEWORK_ROWS, (1, 4), "1e309", "bo-chi-so.csv"))
# Bug: a band of 1e309 was stored as Infinity, which PostgreSQL's json refuses (DataError).
@example(file=edited(FRAMEWORK_HEADER, FRAMEWORK_ROWS, (4, 5), "1e309:4; 95:2", "f.csv"))
@example(file=edited(FRAMEWORK_HEADER, FRAMEWORK_ROWS, (4, 5), "100:0.123456789", "f.csv"))
def test_a_spoiled_framework_file_is_stored_as_typed_or_refused_with_nothing_written(db, file):
    rolled_back(lambda: import_framework(file))


# --- Survey answers --------------------------------------------------------------------------------

ANSWERS_HEADER = ["ma phieu", "ma don vi", "ngay", "Q1", "Q2", "Q3", "ghi chu"]
ANSWERS_ROWS = [
    ["a1", "so-tu-phap", "01/03/2024", "4", "4", "1", "x"],
    ["a2", "so-tu-phap", "2024-03-01", "4", "3,0", "", ""],
    ["b1", "so-y-te", "02/03/2024", "4", "4", "4", "Ý kiến"],
]


_file = edited(ANSWERS_HEADER, ANSWERS_ROWS, (0, 0), "a1", "phieu.csv")
LONE_CR = replace(_file, data=_file.data.replace(b"chu\r\n", b"chu\r\x0f", 1), damaged="byte")


def answers_snapshot():
    return (
        sorted((s.unit_id, s.respondent, s.answers) for s in survey_sheets()),
        SurveyImport.objects.count(),
        SurveyUnitLoad.objects.count(),
        sorted(SurveyResult.objects.values_list("unit_id", "criterion_id", "percent")),
        sorted(CriterionScore.objects.values_list("assessment_id", "criterion_id", "points")),
    )


def level(cell) -> str:
    """The answer as a person reads the cell: "." blank, else its whole level."""
    text = nfc(cell)
    if not text:
        return "."
    number = D(text.replace(",", "."))
    assert number == number.to_integral_value(), f"{text!r} taken as a level"
    return str(int(number))


def import_survey_answers(survey, file: Spoiled) -> None:
    before = answers_snapshot()
    result = import_answers(survey=survey, data=file.data, filename=file.filename)
    outcome(result.status)
    if result.status == "invalid":
        assert result.errors and all(e.strip() for e in result.errors)
        assert all("Traceback" not in e for e in result.errors)
        assert answers_snapshot() == before
        return
    assert result.status in ("applied", "unchanged")
    stored = {s.respondent: s.answers for s in survey_sheets()}
    asked = [column(file, q) for q in ("Q1", "Q2", "Q3")]
    for (respondent,), row in last_rows(file, "ma phieu").items():
        if isinstance(typed(file, row[column(file, "ma phieu")]), float):
            continue  # an id typed as a number: how a huge one reads back is not checked here
        answers = next(a for r, a in stored.items() if r.lower() == respondent)
        if None not in asked:
            assert answers == "".join(level(typed(file, row[i])) for i in asked), (answers, row)


@fuzz(100)
@given(file=spoiled(ANSWERS_HEADER, ANSWERS_ROWS, stem="phieu"))
# Bug: read as a float, 4.0000000000000001 was the level 4.
@example(file=edited(ANSWERS_HEADER, ANSWERS_ROWS, (0, 3), "4.0000000000000001", "phieu.csv"))
# Bug: a respondent id past the column's 64 characters failed in the COPY (a traceback).
@example(file=edited(ANSWERS_HEADER, ANSWERS_ROWS, (0, 0), "1" * 170, "phieu.csv"))
# Bug: a lone carriage return in the header line raised csv.Error (a traceback).
@example(file=LONE_CR)
def test_a_spoiled_answers_file_is_stored_as_typed_or_refused_with_nothing_written(
    defined,  # noqa: F811
    file,
):
    rolled_back(lambda: import_survey_answers(defined, file))


@pytest.mark.parametrize(
    "header, rows",
    [
        (SCORES_HEADER, SCORES_ROWS),
        (UNITS_HEADER, UNITS_ROWS),
        (FRAMEWORK_HEADER, FRAMEWORK_ROWS),
        (ANSWERS_HEADER, ANSWERS_ROWS),
    ],
)
def test_the_files_the_fuzzing_spoils_import_cleanly_unspoiled(
    scored,
    defined,  # noqa: F811
    header,
    rows,
):
    """Each spoiled file starts from one that is accepted: else every refusal proves nothing."""
    file = Spoiled(_csv(header, rows, ",").encode(), "tep.csv", header, rows)
    if header is SCORES_HEADER:
        plan = scores_plan(period=scored, data=file.data, filename="diem.csv")
        assert plan.ok, [str(e) for e in plan.errors]
        import_scores(scored, file)
    elif header is UNITS_HEADER:
        assert not units_import(sheets=read_tables(file.data, "don-vi.csv")).errors
        import_units(file)
    elif header is FRAMEWORK_HEADER:
        import_framework(file)
        assert Framework.objects.filter(name="Bộ chỉ số 2026").exists()
    else:
        import_survey_answers(defined, file)
        assert len(survey_sheets()) == len(rows)


@fuzz(15)
@given(file=spoiled(ANSWERS_HEADER, ANSWERS_ROWS, stem="phieu"))
def test_the_answers_upload_and_its_job_page_never_answer_500(
    client,
    staff,
    defined,  # noqa: F811
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
    file,
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(staff)
    upload = io.BytesIO(file.data)
    upload.name = file.filename

    def post_then_follow():
        with django_capture_on_commit_callbacks(execute=True):  # the check job runs here
            response = client.post(
                reverse("surveys:upload"), {"survey": defined.pk, "file": upload}
            )
        if response.status_code != 302:
            return response, None
        job = SurveyImport.objects.get()
        outcome(job.status)
        return response, (job.status, client.get(response["Location"]))

    response, checked = rolled_back(post_then_follow)
    assert response.status_code in (302, 400)
    if checked is not None:
        status, page = checked
        assert page.status_code == 200
        assert status in (SurveyImport.Status.INVALID, SurveyImport.Status.CHECKED)
