"""The survey pages: the overview (units ranked with their intervals, elements, sample progress), a
unit's detail (weakest first), the export, the trend across years, and the upload page's jobs
(preview, errors with row and column, apply). Unit heads see other units only once published."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from scoring.models import Assessment
from scoring.workflow import State
from surveys.importing import import_answers
from surveys.models import Survey, SurveyElement, SurveyImport, SurveyQuestion, SurveyUnitAnswers
from surveys.services import plan_set
from surveys.sheets import survey_sheets

HEADER = "ma phieu,ma don vi,ngay,Q1,Q2,Q3\n"
ROWS = (
    "r1,so-tu-phap,01/03/2024,5,4,2\n"
    "r2,so-tu-phap,02/03/2024,3,,4\n"
    "r3,so-tu-phap,,4,2,5\n"
    "r4,so-y-te,2024-03-05,1,1,1\n"
    "r5,so-y-te,05/03/2024,5,5,5\n"
)
GOOD = (HEADER + ROWS).encode()


def _survey(year: int = 2024, name: str = "SIPAS 2024") -> Survey:
    survey = Survey.objects.create(year=year, kind=Survey.Kind.SIPAS, name=name)
    e1 = SurveyElement.objects.create(survey=survey, code="E1", name="Tiếp cận dịch vụ", order=1)
    e2 = SurveyElement.objects.create(survey=survey, code="E2", name="Thủ tục hành chính", order=2)
    for order, (element, code) in enumerate(((e1, "Q1"), (e1, "Q2"), (e2, "Q3"))):
        SurveyQuestion.objects.create(
            survey=survey, element=element, code=code, text=f"Câu hỏi {code}", order=order
        )
    return survey


@pytest.fixture
def survey(db, unit, other_unit):
    survey = _survey()
    assert import_answers(survey=survey, data=GOOD, filename="a.csv").status == "applied"
    return survey


def _get(client, user, name, *args, query=""):
    client.force_login(user)
    return client.get(reverse(name, args=args) + query)


def test_overview_ranks_units_with_their_intervals_and_the_province(client, staff, survey):
    plan_set(survey=survey, unit=survey.results.first().unit, population=10)
    response = _get(client, staff, "surveys:overview")
    assert response.status_code == 200
    data = response.context["data"]
    # Sở Tư pháp: E1 = Q1+Q2 → 3 of 5 satisfied (60 %), E2 = Q3 → 2 of 3 (66.67 %): SIPAS 63.33 %.
    # Sở Y tế: E1 2 of 4 (50 %), E2 1 of 2 (50 %): 50 %.
    by_name = {f.unit.name: f for f in data.figures}
    assert round(by_name["Sở Tư pháp"].index, 2) == 63.33
    assert round(by_name["Sở Y tế"].index, 2) == 50.0
    assert [f.unit.name for f in data.figures] == ["Sở Tư pháp", "Sở Y tế"]
    # The province pools the answers: E1 5 of 9 (55.56 %), E2 3 of 5 (60 %) → 57.78 %.
    assert round(data.province.index, 2) == 57.78
    body = response.content.decode()
    assert "63,33" in body and "57,78" in body
    assert 'data-figure="fig-units"' in body and '"error_x"' in body
    figure = response.context["figures"]["units"]
    bars = figure["data"][0]
    # Best at the top (Plotly draws the first category at the bottom): Sở Y tế comes first.
    assert bars["x"] == [50.0, 63.33]
    low, high = by_name["Sở Tư pháp"].low, by_name["Sở Tư pháp"].high
    assert bars["error_x"]["array"][1] == round(high - 63.33, 2)
    assert bars["error_x"]["arrayminus"][1] == round(63.33 - low, 2)


def test_sample_progress_flags_units_short_of_their_quota(client, staff, survey, unit, other_unit):
    plan_set(survey=survey, unit=unit, population=10)  # n = 10 / 1.025 → 10 needed, 3 received
    plan_set(survey=survey, unit=other_unit, population=2)  # 2 needed, 2 received
    data = _get(client, staff, "surveys:overview").context["data"]
    short = {f.unit.name: f.missing for f in data.short}
    assert short == {"Sở Tư pháp": 7}
    assert (data.planned, data.received) == (12, 5)
    ranks = {f.unit.name: f.rank for f in data.figures}
    # The short unit is not ranked as if it were sure; the complete one is.
    assert ranks == {"Sở Tư pháp": None, "Sở Y tế": 1}


def test_unit_detail_lists_elements_and_questions_weakest_first(client, staff, survey, unit):
    response = _get(client, staff, "surveys:unit", survey.code, unit.pk)
    assert response.status_code == 200
    elements = response.context["data"].elements
    assert [e.element.code for e in elements] == ["E1", "E2"]  # 60 % before 66.67 %
    # E1's questions: Q2 1 of 2 (50 %) before Q1 2 of 3 (66.67 %).
    assert [q.question.code for q in elements[0].questions] == ["Q2", "Q1"]
    body = response.content.decode()
    assert body.index("Câu hỏi Q2") < body.index("Câu hỏi Q1") < body.index("Câu hỏi Q3")


def test_unit_head_sees_own_unit_and_not_another_units_unpublished_figures(
    client, survey, unit, other_unit, unit_head, period, framework, group
):
    from tests.factories import make_assessment

    make_assessment(unit, period, framework, group)
    other = make_assessment(other_unit, period, framework, group)
    response = _get(client, unit_head, "surveys:overview")
    data = response.context["data"]
    assert [f.unit.name for f in data.figures] == ["Sở Tư pháp"]
    assert data.province is None  # pools the other unit's unpublished answers
    assert "Sở Y tế" not in response.content.decode()
    assert _get(client, unit_head, "surveys:unit", survey.code, other_unit.pk).status_code == 404
    export = _get(client, unit_head, "surveys:export", survey.code, "csv")
    assert "Sở Y tế" not in export.content.decode("utf-8-sig")
    # Once the other unit's assessment is published, its figures show.
    Assessment.objects.filter(pk=other.pk).update(state=State.PUBLISHED)
    data = _get(client, unit_head, "surveys:overview").context["data"]
    assert {f.unit.name for f in data.figures} == {"Sở Tư pháp", "Sở Y tế"}
    assert _get(client, unit_head, "surveys:unit", survey.code, other_unit.pk).status_code == 200


def test_export_as_csv_and_xlsx_with_the_page_figures_and_inert_text(client, staff, survey, unit):
    unit.name = "=HYPERLINK(1)"
    unit.save()
    csv_response = _get(client, staff, "surveys:export", survey.code, "csv")
    assert csv_response.status_code == 200
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Hạng", "Mã đơn vị", "Đơn vị", "Chỉ số hài lòng (%)"]
    own = next(r for r in rows if r[1] == "so-tu-phap")
    assert own[2] == "'=HYPERLINK(1)" and own[3] == "63,33"
    assert rows[-1][2] == "Toàn tỉnh" and rows[-1][3] == "57,78"
    xlsx = _get(client, staff, "surveys:export", survey.code, "xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[1] == "so-tu-phap"]
    assert values[0][2] == "'=HYPERLINK(1)" and values[0][3] == pytest.approx(63.33)
    assert _get(client, staff, "surveys:export", survey.code, "pdf").status_code == 404


def test_trend_shows_the_unit_and_the_province_across_years(client, staff, survey, unit):
    older = _survey(2023, "SIPAS 2023")
    import_answers(
        survey=older,
        data=(HEADER + "x1,so-tu-phap,,5,5,5\nx2,so-y-te,,1,1,1\n").encode(),
        filename="b.csv",
    )
    response = _get(client, staff, "surveys:trend", query=f"?unit={unit.pk}&kind=sipas")
    assert response.status_code == 200
    points = response.context["data"].points
    assert [p.survey.year for p in points] == [2023, 2024]
    assert [round(p.unit.index, 2) for p in points] == [100.0, 63.33]
    assert [round(p.province.index, 2) for p in points] == [50.0, 57.78]
    lines = response.context["figure"]["data"]
    assert lines[0]["y"] == [100.0, 63.33] and lines[1]["y"] == [50.0, 57.78]
    bad = _get(client, staff, "surveys:trend", query="?unit=abc&kind=zzz")
    assert bad.status_code == 200 and len(bad.context["errors"]) == 2


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


def test_upload_previews_then_applies_and_links_to_the_overview(
    client,
    staff,
    unit,
    other_unit,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
    progress_outside_the_copy,
):
    settings.MEDIA_ROOT = tmp_path
    survey = _survey()
    client.force_login(staff)
    upload = SimpleUploadedFile("sipas.csv", GOOD, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("surveys:upload"), {"survey": survey.pk, "file": upload})
    job = SurveyImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("surveys:job", args=[job.pk])
    # The check ran (eagerly in the tests): the preview, nothing written yet.
    page = client.get(response.url)
    body = page.content.decode()
    assert SurveyImport.objects.get().status == "checked"
    assert "Đã kiểm tra 5 phiếu, 3 câu hỏi" in body and "Sở Tư pháp" in body
    assert "Áp dụng sẽ ghi phiếu của 2 đơn vị" in body and "0 đơn vị có phiếu giống hệt" in body
    assert "preview-ignored" not in body  # every column is used
    assert not SurveyUnitAnswers.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(reverse("surveys:apply", args=[job.pk]))
    assert applied.status_code == 302
    assert SurveyImport.objects.get().status == "applied"
    assert len(survey_sheets()) == 5
    assert progress_outside_the_copy[-1] == 100
    fragment = client.get(reverse("surveys:job_status", args=[job.pk]))
    assert reverse("surveys:overview") in fragment.content.decode()
    assert "hx-get" not in fragment.content.decode()  # done: the page stops polling
    # Applying again is refused: the job is no longer a checked file.
    again = client.post(reverse("surveys:apply", args=[job.pk]), follow=True)
    assert "không thể áp dụng" in again.content.decode()


def test_the_preview_says_which_units_are_replaced_and_which_columns_are_not_used(
    client, staff, unit, other_unit, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    survey = _survey()
    client.force_login(staff)
    import_answers(survey=survey, data=GOOD)
    # so-y-te's answers as stored, so-tu-phap's changed; a column of names the survey does not ask.
    text = (HEADER + ROWS).replace("r3,so-tu-phap,,4,2,5", "r3,so-tu-phap,,1,1,1")
    lines = text.splitlines()
    changed = "\n".join(
        f"{line},{'ho ten' if i == 0 else 'Nguyễn Văn A'}" for i, line in enumerate(lines)
    )
    upload = SimpleUploadedFile("sipas-2.csv", (changed + "\n").encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("surveys:upload"), {"survey": survey.pk, "file": upload})
    job = SurveyImport.objects.get(filename="sipas-2.csv")
    body = client.get(reverse("surveys:job", args=[job.pk])).content.decode()
    assert "Áp dụng sẽ ghi phiếu của 1 đơn vị" in body and "1 đơn vị có phiếu giống hệt" in body
    assert "Các cột không dùng (không phải câu hỏi của cuộc điều tra): ho ten" in body
    rows = body[body.index("preview-table") :]
    assert (
        rows.index("Sở Tư pháp") < rows.index("thay bằng phiếu trong tệp") < rows.index("Sở Y tế")
    )
    assert "giữ nguyên" in rows[rows.index("Sở Y tế") :]


def test_a_bad_file_shows_each_error_with_its_row_and_column_and_writes_nothing(
    client, staff, unit, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    survey = _survey()
    client.force_login(staff)
    bad = (HEADER + "r1,so-tu-phap,,5,7,2\nr1,khong-co,,1,1,1\n").encode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("surveys:upload"),
            {"survey": survey.pk, "file": SimpleUploadedFile("bad.csv", bad)},
        )
    job = SurveyImport.objects.get()
    assert job.status == "invalid"
    body = client.get(reverse("surveys:job", args=[job.pk])).content.decode()
    assert "dòng 2, cột “Q2”" in body
    assert "dòng 3, cột “ma phieu”" in body and "dòng 3, cột “ma don vi”" in body
    # In the file's order, not the order of the checks (ids, units, answers).
    assert body.index("dòng 2, cột “Q2”") < body.index("dòng 3, cột “ma phieu”")
    assert 'action="' + reverse("surveys:apply", args=[job.pk]) not in body
    refused = client.post(reverse("surveys:apply", args=[job.pk]))
    assert refused.status_code == 302 and not SurveyUnitAnswers.objects.exists()
    assert "có 3 lỗi" in body


def test_a_file_with_hundreds_of_errors_counts_them_all_and_lists_the_first(
    client, staff, unit, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    survey = _survey()
    client.force_login(staff)
    bad = (HEADER + "".join(f"r{i},so-tu-phap,,9,9,2\n" for i in range(150))).encode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("surveys:upload"),
            {"survey": survey.pk, "file": SimpleUploadedFile("bad.csv", bad)},
        )
    job = SurveyImport.objects.get()
    body = client.get(reverse("surveys:job", args=[job.pk])).content.decode()
    assert job.error_count == 300 and len(job.errors) == 201  # 200 written out, then "… +100"
    assert "có 300 lỗi" in body and "… +100" in body


def test_upload_form_refuses_a_missing_file_with_a_message(client, staff, db):
    survey = _survey()
    client.force_login(staff)
    response = client.post(reverse("surveys:upload"), {"survey": survey.pk})
    assert response.status_code == 400
    assert SurveyImport.objects.count() == 0


def test_only_staff_upload(client, leader, unit_head, db):
    for user in (leader, unit_head):
        client.force_login(user)
        assert client.get(reverse("surveys:upload")).status_code == 403


def test_sipas_stands_beside_par_in_the_ranking_its_export_and_the_unit_profile(
    client, staff, survey, unit, other_unit, period, framework, group
):
    from scoring.recompute import recompute_now
    from tests.factories import make_assessment

    make_assessment(unit, period, framework, group)
    make_assessment(other_unit, period, framework, group)
    recompute_now(period)
    client.force_login(staff)
    query = f"?period=2024&group={group.code}"
    ranking = client.get(reverse("reports:ranking") + query)
    ranked = {row.unit_id: sipas for row, sipas in ranking.context["ranked"]}
    assert ranked == {unit.pk: D("63.33"), other_unit.pk: D("50.00")}
    assert '<td class="num sipas">63,33</td>' in ranking.content.decode()
    export = client.get(reverse("reports:export", args=["ranking", "csv"]) + query)
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-1] == "Chỉ số hài lòng SIPAS (%)"
    assert {r[1]: r[-1] for r in rows[1:]} == {"so-tu-phap": "63,33", "so-y-te": "50,00"}
    profile = client.get(reverse("reports:unit", args=[unit.pk]) + "?period=2024")
    body = profile.content.decode()
    assert "63,33%" in body and reverse("surveys:unit", args=[survey.code, unit.pk]) in body
