"""A survey's definition from a file, read like the framework (core.tabular): one row per
question (element code, element name, question code, question text, the criterion it feeds), or a
row without a question code for an element itself and the criterion it feeds. All or nothing."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.tabular import Problem, TableError, cell, column_index, nfc, read_tables

from .models import Survey, SurveyElement, SurveyQuestion, SurveyResponse

ALIASES = {
    "element_code": ("mã yếu tố", "element code", "element"),
    "element_name": ("yếu tố", "tên yếu tố", "element name"),
    "question_code": ("mã câu hỏi", "question code", "question"),
    "question_text": ("câu hỏi", "nội dung câu hỏi", "question text"),
    "criterion": ("tiêu chí", "mã tiêu chí", "criterion"),
}


def _problems(survey: Survey, sheet) -> tuple[list[Problem], list[dict]]:
    problems, rows = [], []
    columns = column_index(sheet, ALIASES)
    for key in ("element_code", "element_name", "question_code"):
        if key not in columns:
            problems.append(Problem(sheet.name, 1, ALIASES[key][0], _("Thiếu cột bắt buộc.")))
    if problems:
        return problems, rows
    seen: dict[str, int] = {}
    for number, raw in sheet.rows:
        row = {k: nfc(cell(raw, i)) for k, i in columns.items()}
        row.setdefault("criterion", "")
        row.setdefault("question_text", "")
        if not row["element_code"]:
            problems.append(Problem(sheet.name, number, ALIASES["element_code"][0], _("Thiếu mã.")))
            continue
        code = row["question_code"]
        if code in seen:
            problems.append(
                Problem(
                    sheet.name,
                    number,
                    ALIASES["question_code"][0],
                    _("Mã câu hỏi “%(code)s” trùng với dòng %(row)s.")
                    % {"code": code, "row": seen[code]},
                )
            )
            continue
        if code:
            seen[code] = number
        rows.append(row)
    if not seen:
        problems.append(Problem(sheet.name, None, "", _("Tệp không có câu hỏi nào.")))
    return problems, rows


def definition_import(*, survey: Survey, data: bytes, filename: str = "") -> list[Problem]:
    """Replace the survey's elements and questions with the file's; returns the problems (and
    writes nothing) when there are any."""
    try:
        sheet = read_tables(data, filename)[0]
    except TableError as exc:
        return [Problem("", None, "", str(exc))]
    if SurveyResponse.objects.filter(survey=survey).exists():
        return [
            Problem("", None, "", _("Cuộc điều tra đã có phiếu trả lời: không thể đổi câu hỏi."))
        ]
    problems, rows = _problems(survey, sheet)
    if problems:
        return problems
    with transaction.atomic():
        survey.questions.all().delete()
        survey.elements.all().delete()
        elements: dict[str, SurveyElement] = {}
        for order, row in enumerate(rows):
            element = elements.get(row["element_code"])
            if element is None:
                element = elements[row["element_code"]] = SurveyElement.objects.create(
                    survey=survey,
                    code=row["element_code"],
                    name=row["element_name"] or row["element_code"],
                    order=len(elements),
                )
            if not row["question_code"]:
                element.criterion_code = row["criterion"]
                element.save(update_fields=["criterion_code"])
                continue
            SurveyQuestion.objects.create(
                survey=survey,
                element=element,
                code=row["question_code"],
                text=row["question_text"] or row["question_code"],
                order=order,
                criterion_code=row["criterion"],
            )
    return []
