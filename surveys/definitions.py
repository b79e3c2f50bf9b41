"""A survey's definition from a file, read like the framework (core.tabular): one row per
question (element code, element name, question code, question text, the criterion it feeds), or a
row without a question code for an element itself: the criterion it feeds and whether it counts
in the overall index ("Tính vào chỉ số": không/0 for SIPAS's policy groups). All or nothing.
The survey's own settings (scale, favourable levels, formula, weights, margin, the criterion its
index feeds) are the command's options (`manage.py import_survey_definition`)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.tabular import Problem, TableError, cell, column_index, nfc, read_tables
from units.models import Unit

from .models import Survey, SurveyElement, SurveyQuestion, SurveyUnitAnswers
from .services import plan_set

ALIASES = {
    "element_code": ("mã yếu tố", "element code", "element"),
    "element_name": ("yếu tố", "tên yếu tố", "element name"),
    "question_code": ("mã câu hỏi", "question code", "question"),
    "question_text": ("câu hỏi", "nội dung câu hỏi", "question text"),
    "criterion": ("tiêu chí", "mã tiêu chí", "criterion"),
    "in_index": ("tính vào chỉ số", "in index"),
}
NO = ("0", "không", "khong", "no", "false", "k")


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
        row["in_index"] = row.get("in_index", "").lower() not in NO
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
    if SurveyUnitAnswers.objects.filter(survey=survey).exists():
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
                element.in_index = row["in_index"]
                element.save(update_fields=["criterion_code", "in_index"])
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


def survey_define(*, data: bytes, filename: str = "", **settings) -> tuple[Survey | None, list]:
    """A new survey with the given settings (year, kind, name, code, scale_max, favourable_from,
    formula, weights, margin, criterion_code) and the file's elements and questions, or nothing
    and the problems."""
    problems = settings_problems(settings)
    if problems:
        return None, problems
    with transaction.atomic():
        survey = Survey.objects.create(**settings)
        problems = definition_import(survey=survey, data=data, filename=filename)
        if problems:
            transaction.set_rollback(True)
            return None, problems
    return survey, []


def settings_problems(settings: dict) -> list[Problem]:
    """What is wrong with a survey's settings (the scale, the favourable level, the weights)."""
    problems = []
    scale = settings.get("scale_max", 5)
    if not 2 <= scale <= 9:
        problems.append(Problem("", None, "", _("Thang trả lời phải có từ 2 đến 9 mức.")))
    if not 1 <= settings.get("favourable_from", 4) <= scale:
        problems.append(Problem("", None, "", _("Mức hài lòng phải nằm trong thang trả lời.")))
    weights = settings.get("weights") or []
    if settings.get("formula") == Survey.Formula.WEIGHTED and (
        len(weights) != scale or any(not 0 <= w <= 100 for w in weights)
    ):
        problems.append(
            Problem(
                "",
                None,
                "",
                _("Cần %(n)s trọng số (mỗi mức một trọng số, từ 0 đến 100 %%).") % {"n": scale},
            )
        )
    code = settings.get("code")
    if code and Survey.objects.filter(code=code).exists():
        problems.append(
            Problem("", None, "", _("Đã có cuộc điều tra mã “%(code)s”.") % {"code": code})
        )
    return problems


PLAN_ALIASES = {
    "unit": ("mã đơn vị", "unit code", "unit"),
    "population": ("số hồ sơ", "số dân", "n", "population"),
    "quota": ("số phiếu giao", "quota"),
}


def plans_import(*, survey: Survey, data: bytes, filename: str = "") -> list[Problem]:
    """Each unit's population N (dossiers handled or residents served) and, optionally, its quota
    of answer sheets (blank: n = N / (1 + N·e²)). All or nothing; returns the problems."""
    try:
        sheet = read_tables(data, filename)[0]
    except TableError as exc:
        return exc.problems or [Problem("", None, "", str(exc))]
    columns = column_index(sheet, PLAN_ALIASES)
    problems = [
        Problem(sheet.name, 1, PLAN_ALIASES[key][0], _("Thiếu cột bắt buộc."))
        for key in ("unit", "population")
        if key not in columns
    ]
    if problems:
        return problems
    units = {code.lower(): unit for code, unit in ((u.code, u) for u in Unit.objects.all())}
    rows = []
    for number, raw in sheet.rows:
        code = nfc(cell(raw, columns["unit"]))
        unit = units.get(code.lower())
        if unit is None:
            problems.append(
                Problem(
                    sheet.name,
                    number,
                    PLAN_ALIASES["unit"][0],
                    _("Mã đơn vị “%(code)s” không có trong danh mục đơn vị.") % {"code": code},
                )
            )
        values = []
        for key in ("population", "quota"):
            text = nfc(cell(raw, columns.get(key)))
            if not text and key == "quota":
                values.append(None)
                continue
            if not text.isdigit():
                problems.append(
                    Problem(
                        sheet.name,
                        number,
                        PLAN_ALIASES[key][0],
                        _("“%(value)s” không phải là số nguyên không âm.") % {"value": text},
                    )
                )
                values.append(None)
            else:
                values.append(int(text))
        rows.append((unit, *values))
    if problems:
        return problems
    with transaction.atomic():
        for unit, population, quota in rows:
            plan_set(survey=survey, unit=unit, population=population, quota=quota)
    return []
