"""Surveys: definitions, answers files checked whole and written at once, results with their
Wilson intervals, sample plans, and the criterion points, totals and ranks that follow."""

from __future__ import annotations

from decimal import Decimal as D

import numpy as np
import pytest

from scoring.models import AssessmentResult, CriterionScore
from surveys import computation
from surveys.definitions import definition_import
from surveys.importing import import_answers
from surveys.models import (
    Survey,
    SurveyElement,
    SurveyImport,
    SurveyQuestion,
    SurveyQuestionStat,
    SurveyResult,
    SurveyUnitAnswers,
)
from surveys.selectors import province_figure, survey_figures, weakest_first
from surveys.services import plan_set, survey_copy_forward
from surveys.sheets import survey_sheets
from surveys.signals import results_changed
from tests.factories import make_assessment

HEADER = "ma phieu,ma don vi,ngay,Q1,Q2,Q3\n"
ROWS = (
    "r1,so-tu-phap,01/03/2024,5,4,2\n"
    "r2,so-tu-phap,02/03/2024,3,,4\n"
    "r3,so-tu-phap,,4,2,5\n"
    "r4,so-y-te,2024-03-05,1,1,1\n"
    "r5,so-y-te,05/03/2024,5,5,5\n"
)
GOOD = (HEADER + ROWS).encode()


@pytest.fixture
def survey(db):
    survey = Survey.objects.create(
        year=2024, kind=Survey.Kind.SIPAS, name="SIPAS 2024", criterion_code="2.1"
    )
    e1 = SurveyElement.objects.create(survey=survey, code="E1", name="Tiếp cận dịch vụ", order=1)
    e2 = SurveyElement.objects.create(survey=survey, code="E2", name="Thủ tục hành chính", order=2)
    for order, (element, code) in enumerate(((e1, "Q1"), (e1, "Q2"), (e2, "Q3"))):
        SurveyQuestion.objects.create(
            survey=survey, element=element, code=code, text=f"Câu {code}", order=order
        )
    return survey


@pytest.fixture
def scored(period, framework, group, unit, other_unit):
    """Both units assessed in 2024 in one group; criterion 2.1 (max 4) derived from the survey."""
    criterion = framework.criteria.get(code="2.1")
    criterion.method = "survey"
    criterion.bands = []
    criterion.save()
    return {
        "criterion": criterion,
        "own": make_assessment(unit, period, framework, group),
        "other": make_assessment(other_unit, period, framework, group),
    }


def test_wilson_interval_and_sample_size_by_hand():
    low, high = computation.wilson(3, 5)
    assert (round(low, 4), round(high, 4)) == (0.2307, 0.8824)
    low, high = computation.wilson(0, 10)
    assert low == 0 and round(high, 4) == 0.2775
    assert computation.sample_size(1000) == 286  # 1000 / 3.5 = 285.7
    assert computation.sample_size(100) == 80  # 100 / 1.25
    assert computation.sample_size(10000) == 385  # 10000 / 26 = 384.6
    assert computation.sample_size(0) == 0
    # A/B/C/D weighted 100/60/20/0 % (level 4 = A): 2 A, 1 B, 1 D → (200 + 60) / 4 = 65 %.
    assert computation.weighted_percent([1, 0, 1, 2], [0, 20, 60, 100]) == 65


@pytest.mark.parametrize("weights", [None, [0, 20, 60, 100], [0, 25, 50, 75, 100, 100]])
def test_shares_of_a_whole_table_are_share_of_each_row_to_the_last_bit(weights):
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 60, size=(30, 6, 5))
    counts[rng.random((30, 6)) < 0.2] = 0  # nobody answered: the empty Share
    counts[0, 0] = [10**6, 3, 0, 0, 7]
    for favourable_from in (1, 4, 5):
        table = computation.shares_of(counts, favourable_from, weights)
        assert [[len(row) for row in table]] == [[6] * 30]
        for u in range(30):
            for q in range(6):
                expected = computation.share_of(counts[u, q].tolist(), favourable_from, weights)
                assert table[u][q] == expected


def test_shares_means_and_intervals_per_element_and_unit(survey, unit, other_unit):
    outcome = import_answers(survey=survey, data=GOOD, filename="sipas.csv")
    assert outcome.status == "applied" and outcome.rows == 5
    assert len(survey_sheets(survey)) == 5
    assert {s.respondent: s for s in survey_sheets()}["r2"].answers == "3.4"
    figures = {f.unit.code: f for f in survey_figures(survey)}
    own = figures["so-tu-phap"]
    e1, e2 = own.elements
    # E1 pools Q1 (5, 3, 4) and Q2 (4, 2): 5 answers, 3 at level 4 or 5.
    assert (e1.share.answers, e1.share.favourable, e1.share.percent) == (5, 3, 60.0)
    assert e1.share.mean == pytest.approx(3.6)
    assert (round(e1.share.low, 2), round(e1.share.high, 2)) == (23.07, 88.24)
    assert e2.share.percent == pytest.approx(200 / 3)
    assert own.index == pytest.approx((60 + 200 / 3) / 2)
    assert own.respondents == 3
    assert figures["so-y-te"].index == 50
    # The weakest element first, and the province pools everyone: E1 5/9, E2 3/5 → index 57.78.
    assert [e.element.code for e in weakest_first(own)] == ["E1", "E2"]
    assert province_figure(survey).index == pytest.approx((500 / 9 + 60) / 2)
    assert SurveyResult.objects.get(survey=survey, unit=unit, criterion=None).percent == D("63.33")


def test_sample_plan_flags_short_units_and_leaves_them_unranked(survey, unit, other_unit):
    import_answers(survey=survey, data=GOOD)
    plan_set(survey=survey, unit=unit, population=3, quota=None)  # 3 / 1.0075 → 3: met
    plan_set(survey=survey, unit=other_unit, population=100)  # needs 80, has 2
    figures = {f.unit.code: f for f in survey_figures(survey)}
    assert figures["so-tu-phap"].planned == 3 and not figures["so-tu-phap"].short
    assert figures["so-tu-phap"].rank == 1
    assert figures["so-y-te"].planned == 80 and figures["so-y-te"].missing == 78
    assert figures["so-y-te"].short and figures["so-y-te"].rank is None


BAD_FILES = [
    (HEADER + ROWS + "r6,so-khong-co,01/03/2024,5,5,5\n", 7, "ma don vi", "so-khong-co"),
    (HEADER + ROWS + "r6,so-y-te,01/03/2024,5,6,5\n", 7, "Q2", "“6”"),
    (HEADER + ROWS + "r6,so-y-te,01/03/2024,5,x,5\n", 7, "Q2", "“x”"),
    (HEADER + ROWS + "r2,so-y-te,01/03/2024,5,5,5\n", 7, "ma phieu", "dòng 3"),
    (HEADER + ROWS + "r6,so-y-te,31/02/2024,5,5,5\n", 7, "ngay", "31/02/2024"),
    (HEADER + ROWS + ",so-y-te,01/03/2024,5,5,5\n", 7, "ma phieu", "Thiếu mã phiếu"),
    ("ma phieu,ma don vi,ngay,Q1,Q2\n" + "r1,so-tu-phap,01/03/2024,5,4\n", 1, "Q3", "Q3"),
    ("ma don vi,ngay,Q1,Q2,Q3\n" + "so-tu-phap,01/03/2024,5,4,4\n", 1, "mã phiếu", "Thiếu cột"),
]


@pytest.mark.parametrize("text,row,column,words", BAD_FILES)
def test_every_bad_file_is_refused_with_row_and_column_and_writes_nothing(
    survey, unit, other_unit, text, row, column, words
):
    outcome = import_answers(survey=survey, data=text.encode(), filename="sai.csv")
    assert outcome.status == "invalid"
    assert outcome.error_count == 1, outcome.errors
    assert f"dòng {row}" in outcome.errors[0]
    assert f"cột “{column}”" in outcome.errors[0]
    assert words in outcome.errors[0]
    assert not SurveyUnitAnswers.objects.exists()
    assert not SurveyQuestionStat.objects.exists()
    assert not SurveyResult.objects.exists()


def test_unreadable_files_are_refused(survey):
    for data in (
        b"",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest",
        b"PK\x03\x04broken",
        b"one column\n",
    ):
        outcome = import_answers(survey=survey, data=data)
        assert outcome.status == "invalid" and outcome.errors
    assert not SurveyUnitAnswers.objects.exists()


def test_a_dry_run_writes_nothing_and_previews(survey, unit, other_unit):
    outcome = import_answers(survey=survey, data=GOOD, dry_run=True)
    assert outcome.status == "checked"
    assert outcome.preview["rows"] == 5 and outcome.preview["blank"] == 1
    assert [u["rows"] for u in outcome.preview["units"]] == [3, 2]
    assert not SurveyUnitAnswers.objects.exists()


def test_windows_1258_and_semicolons_are_read(survey, unit, other_unit):
    # "Đơn vị" as Excel saves it in Windows-1258: the dot below as a combining mark.
    text = (HEADER + ROWS).replace(",", ";").replace("ma don vi", "\u0110\u01a1n vi\u0323")
    outcome = import_answers(survey=survey, data=text.encode("cp1258"))
    assert outcome.status == "applied" and outcome.rows == 5


def test_a_second_import_of_the_same_file_changes_nothing(survey, unit, other_unit):
    assert import_answers(survey=survey, data=GOOD).status == "applied"

    def state():
        return (
            list(
                SurveyUnitAnswers.objects.order_by("pk").values_list("pk", "respondents", "answers")
            ),
            list(SurveyResult.objects.order_by("pk").values_list("pk", "percent", "low", "high")),
            list(SurveyQuestionStat.objects.order_by("pk").values_list("pk", "counts")),
            list(SurveyImport.objects.values_list("pk", flat=True)),
        )

    before = state()
    calls = []
    results_changed.connect(lambda **kw: calls.append(1), weak=False, dispatch_uid="t-second")
    try:
        # The same file, and the same answers in another order and encoding: nothing written.
        assert import_answers(survey=survey, data=GOOD).status == "unchanged"
        shuffled = HEADER + "".join(reversed(ROWS.splitlines(keepends=True)))
        outcome = import_answers(survey=survey, data=shuffled.replace(",", ";").encode("utf-16"))
        assert outcome.status == "unchanged" and outcome.preview["units_unchanged"] == 2
    finally:
        results_changed.disconnect(dispatch_uid="t-second")
    assert state() == before and not calls


def test_a_file_replaces_the_answers_of_its_units_only(survey, unit, other_unit):
    import_answers(survey=survey, data=GOOD)
    again = HEADER + "r9,so-y-te,01/03/2024,5,5,5\n"
    assert import_answers(survey=survey, data=again.encode()).status == "applied"
    assert len(survey_sheets(survey, [other_unit.pk])) == 1
    assert len(survey_sheets(survey, [unit.pk])) == 3
    clash = HEADER + "r1,so-y-te,01/03/2024,5,5,5\n"  # r1 belongs to so-tu-phap
    outcome = import_answers(survey=survey, data=clash.encode())
    assert outcome.status == "invalid" and "dòng 2" in outcome.errors[0]


def test_survey_results_set_criterion_points_totals_and_ranks(
    survey, scored, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        import_answers(survey=survey, data=GOOD)
    own = AssessmentResult.objects.get(assessment=scored["own"])
    other = AssessmentResult.objects.get(assessment=scored["other"])
    score = CriterionScore.objects.get(assessment=scored["own"], criterion=scored["criterion"])
    assert score.appraised_points == D("2.53")  # 4 × 63.33 %
    assert other.total_points == D("2.00")  # 4 × 50 %
    assert own.total_points > other.total_points and (own.rank, other.rank) == (1, 2)
    # so-y-te's answers improve: a new file re-scores and re-ranks.
    better = HEADER + "r4,so-y-te,01/03/2024,5,5,5\nr5,so-y-te,01/03/2024,5,5,5\n"
    with django_capture_on_commit_callbacks(execute=True):
        assert import_answers(survey=survey, data=better.encode()).status == "applied"
    own.refresh_from_db()
    other.refresh_from_db()
    assert other.total_points == D("4.00") and (own.rank, other.rank) == (2, 1)


DEFINITION = (
    "mã yếu tố,yếu tố,mã câu hỏi,câu hỏi,tiêu chí\n"
    "E1,Tiếp cận,,,8.1\n"
    "E1,Tiếp cận,A1,Nơi tiếp nhận dễ tìm,\n"
    "E1,Tiếp cận,A2,Có chỗ ngồi chờ,\n"
    "E2,Công chức,B1,Công chức lịch sự,8.2\n"
)


def test_definition_from_a_file_and_copied_forward(db, unit):
    survey = Survey.objects.create(year=2024, kind=Survey.Kind.SIPAS, name="SIPAS 2024")
    assert survey.code == "sipas-2024"
    assert definition_import(survey=survey, data=DEFINITION.encode(), filename="d.csv") == []
    assert list(survey.questions.values_list("code", "element__code", "criterion_code")) == [
        ("A1", "E1", ""),
        ("A2", "E1", ""),
        ("B1", "E2", "8.2"),
    ]
    assert survey.elements.get(code="E1").criterion_code == "8.1"
    bad = DEFINITION + "E2,Công chức,A1,Trùng mã,\n"
    problems = definition_import(survey=survey, data=bad.encode(), filename="d.csv")
    assert len(problems) == 1 and "dòng 6" in str(problems[0])
    assert survey.questions.count() == 3
    plan_set(survey=survey, unit=unit, population=500)
    nxt = survey_copy_forward(survey=survey, year=2025)
    assert (nxt.year, nxt.code, nxt.name) == (2025, "sipas-2025", "SIPAS 2025")
    assert list(nxt.questions.values_list("code", "element__code", "criterion_code")) == [
        ("A1", "E1", ""),
        ("A2", "E1", ""),
        ("B1", "E2", "8.2"),
    ]
    assert nxt.plans.get().population == 500
