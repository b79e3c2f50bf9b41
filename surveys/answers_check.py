"""Checking an answers file, whole, before anything is written (no writes here).

One row per respondent: the respondent's id, the unit's code, the date and one column per question
(its code as the header), answers on the survey's scale, blank for no answer; other columns are
ignored (and named in the preview). surveys.answers_read reads the file; each check here runs
once per distinct value of a column (a category), or in Arrow or numpy over the whole column (the
ids: surveys.respondents), never once per cell in Python. Errors name their row (as Excel numbers
it, the header being row 1) and column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
from django.utils.translation import gettext as _

from core.numbers import fmt_count
from core.tabular import Problem, TableError, nfc
from units.models import Unit

from . import respondents
from .answers_read import COLUMNS, read_frame
from .models import RESPONDENT_MAX_LENGTH, Survey, SurveyUnitLoad
from .sheets import survey_respondents

MAX_ERRORS = 200
Progress = Callable[[int, str], None]


def quiet(percent: int, message: str) -> None:
    """A progress callback that says nothing."""


_quiet = quiet  # the name the first callers used


@dataclass
class Checked:
    """A checked file: what would be written (one entry per respondent), or the errors."""

    survey: Survey
    digest: str
    rows: int = 0
    errors: list[Problem] = field(default_factory=list)
    error_count: int = 0
    unit_ids: np.ndarray | None = None  # int64 per row
    respondents: pa.StringArray | None = None  # the id of each row (surveys.respondents)
    id_hashes: np.ndarray | None = None  # uint64 per row, respondents.hashes
    dates: pa.DictionaryArray | None = None  # ISO text or "" (no date) per row
    matrix: np.ndarray | None = None  # int8, rows × questions, 0 = no answer
    question_ids: list[int] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # columns the survey does not ask
    preview: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def problem(self, row: int | None, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(Problem(sheet="", row=row, column=column, message=message))


def _level(value: str, scale: int) -> int:
    """0 for a blank cell, the level 1..scale, or -1 for anything else ("4", "4.0", "4,0")."""
    text = nfc(value)
    if not text:
        return 0
    try:
        # Decimal, not float: a float takes 4.0000000000000001 for the level 4.
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return -1
    if number.is_finite() and number == number.to_integral_value() and 1 <= number <= scale:
        return int(number)
    return -1


def _date(value: str) -> str | None:
    """ISO text, "" for blank, None when not a date (dd/mm/yyyy or yyyy-mm-dd)."""
    text = nfc(value)
    if not text:
        return ""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def per_value(column: pd.Series, fn, blank, dtype=object) -> tuple[np.ndarray, np.ndarray, list]:
    """fn applied once per distinct value of a categorical column: (result per row as `dtype`,
    category code per row, the distinct values); a missing cell (a short row) gives `blank`."""
    categories = [str(c) for c in column.cat.categories]
    results = [fn(c) for c in categories] + [blank]  # code -1 indexes the last: missing
    codes = column.cat.codes.to_numpy()
    return np.asarray(results, dtype=dtype)[codes], codes, categories


def _report(checked: Checked, rows: np.ndarray, bad: np.ndarray, column: str, message) -> None:
    """One problem per bad row (the first MAX_ERRORS written out), message(i) for row index i."""
    for i in bad[:MAX_ERRORS]:
        checked.problem(int(rows[i]), column, message(i))
    checked.error_count += max(0, len(bad) - MAX_ERRORS)


def check_answers(
    survey: Survey, data: bytes, filename: str = "", progress: Progress = quiet
) -> Checked:
    """Read and check the whole file; nothing is written."""
    checked = Checked(survey=survey, digest=hashlib.sha256(data).hexdigest())
    questions = list(survey.questions.order_by("order", "code"))
    if not questions:
        checked.problem(None, "", _("Cuộc điều tra chưa có câu hỏi nào."))
        return checked
    progress(2, _("Đang đọc tệp"))
    try:
        frame, found, checked.ignored = read_frame(
            data, [q.code for q in questions], filename, survey.scale_max
        )
    except TableError as exc:
        for p in exc.problems or [Problem("", None, "", str(exc))]:
            checked.problem(p.row, p.column, p.message)
        return checked
    for key in ("respondent", "unit"):
        if key not in found:
            checked.problem(1, COLUMNS[key][0], _("Thiếu cột bắt buộc."))
    for q in questions:
        if f"q:{q.code}" not in found:
            checked.problem(1, q.code, _("Thiếu cột của câu hỏi %(code)s.") % {"code": q.code})
    if not checked.ok:
        return checked
    progress(20, _("Đang kiểm tra %(rows)s dòng") % {"rows": fmt_count(len(frame))})
    scale = survey.scale_max
    block = np.zeros((len(questions), len(frame)), dtype=np.int8)  # a question a row: fast to fill
    bad_levels = []
    for j, q in enumerate(questions):
        column = frame[found[f"q:{q.code}"]]
        if column.dtype == np.int8:  # read as levels, checked by read_frame
            block[j] = column.to_numpy()
            continue
        levels, codes, categories = per_value(column, lambda v: _level(v, scale), 0)
        levels = levels.astype(np.int8)
        bad_levels.append((q, levels < 0, codes, categories))
        block[j] = np.maximum(levels, 0)
    matrix = np.ascontiguousarray(block.T)  # a sheet a row, as it is written
    ids = respondents.as_ids(frame[found["respondent"]])  # a short row's missing cell: ""
    ids = respondents.stripped(ids)
    unit_column = frame[found["unit"]]
    date_column = frame[found["date"]] if "date" in found else None
    # Rows with nothing in them (blank lines) are skipped, as every import skips them.
    unit_filled = per_value(unit_column, lambda v: bool(nfc(v)), False, bool)[0]
    filled = ~respondents.blank(ids) | unit_filled | (matrix > 0).any(axis=1)
    if not filled.all():
        keep = np.flatnonzero(filled)
        frame, matrix, ids = frame.iloc[keep], matrix[keep], ids.take(pa.array(keep))
        unit_column = frame[found["unit"]]
        date_column = frame[found["date"]] if "date" in found else None
        bad_levels = [(q, bad[keep], codes[keep], cats) for q, bad, codes, cats in bad_levels]
    rows = frame.index.to_numpy()
    checked.rows = n = len(rows)
    if n == 0:
        checked.problem(None, "", _("Tệp không có dòng dữ liệu nào."))
        return checked

    # Respondents: present, and once each.
    column = found["respondent"]
    missing = np.flatnonzero(respondents.blank(ids))
    _report(checked, rows, missing, column, lambda i: _("Thiếu mã phiếu."))
    # A longer id is refused at its row.
    limit = RESPONDENT_MAX_LENGTH
    _report(
        checked,
        rows,
        respondents.too_long(ids, limit),
        column,
        lambda i: _("Ô dài quá %(max)s ký tự.") % {"max": limit},
    )
    id_hashes = respondents.hashes(ids)
    again, first = respondents.repeats(ids, id_hashes)
    _report(
        checked,
        rows,
        again,
        column,
        lambda i: (
            _("Mã phiếu “%(id)s” trùng với dòng %(row)s.")
            % {"id": ids[int(i)].as_py(), "row": rows[first[ids[int(i)].as_py()]]}
        ),
    )
    # Units: known codes (NFC, trimmed, any case).
    known = {code.lower(): pk for code, pk in Unit.objects.values_list("code", "pk")}
    unit_ids, codes, categories = per_value(
        unit_column, lambda v: known.get(nfc(v).lower(), -1), -1, np.int64
    )
    _report(
        checked,
        rows,
        np.flatnonzero(unit_ids < 0),
        found["unit"],
        lambda i: (
            _("Mã đơn vị “%(code)s” không có trong danh mục đơn vị.")
            % {"code": categories[codes[i]]}
            if codes[i] >= 0 and nfc(categories[codes[i]])
            else _("Thiếu mã đơn vị.")
        ),
    )
    # Dates: blank or a date.
    if date_column is not None:
        categories = [str(c) for c in date_column.cat.categories]
        values = [_date(c) for c in categories] + [""]  # the last: a short row's missing cell
        codes = date_column.cat.codes.to_numpy().astype(np.int32)
        codes[codes < 0] = len(categories)
        unread = np.flatnonzero([v is None for v in values])
        _report(
            checked,
            rows,
            np.flatnonzero(np.isin(codes, unread)),
            found["date"],
            lambda i: (
                _("Ngày “%(value)s” không đọc được (dd/mm/yyyy).") % {"value": categories[codes[i]]}
            ),
        )
        dates = pa.DictionaryArray.from_arrays(codes, [v or "" for v in values])
    else:
        dates = pa.DictionaryArray.from_arrays(np.zeros(n, np.int32), [""])
    # Answers: blank or a level of the scale.
    progress(35, _("Đang kiểm tra câu trả lời"))
    for q, bad, codes, categories in bad_levels:
        _report(
            checked,
            rows,
            np.flatnonzero(bad),
            found[f"q:{q.code}"],
            lambda i, codes=codes, categories=categories: (
                _("Câu trả lời “%(value)s” nằm ngoài thang 1–%(scale)s.")
                % {"value": categories[codes[i]], "scale": scale}
            ),
        )
    _elsewhere(checked, rows, ids, unit_ids, column)
    checked.unit_ids = unit_ids
    checked.respondents = ids
    checked.id_hashes = id_hashes
    checked.dates = dates
    checked.matrix = matrix
    checked.question_ids = [q.pk for q in questions]
    progress(45, _("Đã kiểm tra"))
    return checked


def _elsewhere(checked: Checked, rows, ids: pa.StringArray, unit_ids, column: str) -> None:
    """Respondents the survey already holds under a unit this file does not replace."""
    file_units = set(np.unique(unit_ids[unit_ids >= 0]).tolist())
    other_units = [
        pk
        for pk in SurveyUnitLoad.objects.filter(survey=checked.survey).values_list(
            "unit_id", flat=True
        )
        if pk not in file_units
    ]
    if not other_units:
        return
    others = survey_respondents(checked.survey, other_units)
    if others:
        _report(
            checked,
            rows,
            respondents.among(ids, others),
            column,
            lambda i: (
                _("Mã phiếu “%(id)s” đã có trong cuộc điều tra, ở đơn vị khác.")
                % {"id": ids[int(i)].as_py()}
            ),
        )
