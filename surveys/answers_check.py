"""Reading and checking an answers file, whole, before anything is written (pure of writes).

One row per respondent: the respondent's id, the unit's code, the date and one column per question
(its code as the header), answers on the survey's scale, blank for no answer. The file is read with
pandas, every column as a category: a million rows × twenty questions are a few tens of MB of codes,
and every check runs once per distinct value, not per cell. Errors name their row (as Excel
numbers it, the header being row 1) and column.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from core.tabular import OLE2_MAGIC, XLSX_MAGIC, Problem, TableError, header_key, nfc
from units.models import Unit

from .models import Survey, SurveyResponse

MAX_ERRORS = 200
COLUMNS = {
    "respondent": ("mã phiếu", "ma phieu", "phiếu", "người trả lời", "respondent", "respondent id"),
    "unit": ("mã đơn vị", "ma don vi", "đơn vị", "unit", "unit code"),
    "date": ("ngày", "ngay", "ngày khảo sát", "date"),
}
Progress = Callable[[int, str], None]


def _quiet(percent: int, message: str) -> None:
    pass


@dataclass
class Checked:
    """A checked file: what would be written, or the errors that stop it."""

    survey: Survey
    digest: str
    rows: int = 0
    errors: list[Problem] = field(default_factory=list)
    error_count: int = 0
    unit_ids: np.ndarray | None = None  # per row
    respondents: np.ndarray | None = None  # per row, str
    dates: np.ndarray | None = None  # per row, ISO text or "\\N"
    matrix: np.ndarray | None = None  # rows × questions, 0 = no answer
    question_ids: list[int] = field(default_factory=list)
    preview: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def problem(self, row: int | None, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(Problem(sheet="", row=row, column=column, message=message))


def read_frame(data: bytes, filename: str = "") -> pd.DataFrame:
    """The file as a DataFrame of categories (blank cells are ""), or TableError."""
    if not data:
        raise TableError(_("Tệp rỗng."))
    if data.startswith(OLE2_MAGIC):
        raise TableError(
            _(
                "Tệp Excel định dạng cũ (.xls) chưa được hỗ trợ: hãy lưu lại dưới dạng .xlsx hoặc CSV."
            )
        )
    try:
        if data.startswith(XLSX_MAGIC):
            frame = pd.read_excel(io.BytesIO(data), engine="calamine", dtype=str)
            return frame.fillna("").astype("category")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1258")
        if "\x00" in text[:4096]:
            raise TableError(_("Tệp không phải là bảng tính Excel (.xlsx) hay tệp CSV."))
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        first_line = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count)
        if first_line.count(delimiter) == 0:
            raise TableError(
                _("Tệp không phải là bảng tính: không tìm thấy các cột phân cách bằng dấu phẩy.")
            )
        return pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype="category",
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
        )
    except TableError:
        raise
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TableError(_("Không đọc được tệp: %(error)s") % {"error": exc}) from None
    except Exception as exc:  # calamine's own errors for broken archives
        raise TableError(_("Không đọc được tệp: %(error)s") % {"error": exc}) from None


def _level(value: str, scale: int) -> int:
    """0 for a blank cell, the level 1..scale, or -1 for anything else."""
    text = nfc(value)
    if not text:
        return 0
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return -1
    if number.is_integer() and 1 <= number <= scale:
        return int(number)
    return -1


def _date(value: str) -> str | None:
    """ISO text, "" for blank, None when not a date (dd/mm/yyyy or yyyy-mm-dd)."""
    text = nfc(value)
    if not text:
        return ""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _per_value(column: pd.Series, fn) -> tuple[np.ndarray, np.ndarray, list]:
    """fn applied once per distinct value: (results per row, codes per row, the distinct values)."""
    categories = list(column.cat.categories)
    results = [fn(str(c)) for c in categories] + [fn("")]  # code -1 (missing) reads as blank
    codes = column.cat.codes.to_numpy()
    return np.asarray(results, dtype=object)[codes], codes, categories


def check_answers(
    survey: Survey, data: bytes, filename: str = "", progress: Progress = _quiet
) -> Checked:
    """Read and check the whole file; nothing is written."""
    checked = Checked(survey=survey, digest=hashlib.sha256(data).hexdigest())
    progress(2, _("Đang đọc tệp"))
    try:
        frame = read_frame(data, filename)
    except TableError as exc:
        checked.problem(None, "", str(exc))
        return checked
    checked.rows = rows = len(frame)
    progress(20, _("Đang kiểm tra %(rows)s dòng") % {"rows": rows})
    headers = {header_key(c): c for c in frame.columns}
    found: dict[str, str] = {}
    for key, aliases in COLUMNS.items():
        for alias in (key, *aliases):
            if header_key(alias) in headers:
                found[key] = headers[header_key(alias)]
                break
    questions = list(survey.questions.order_by("order", "code"))
    for key in ("respondent", "unit"):
        if key not in found:
            checked.problem(1, COLUMNS[key][0], _("Thiếu cột bắt buộc."))
    for q in questions:
        if header_key(q.code) not in headers:
            checked.problem(1, q.code, _("Thiếu cột của câu hỏi %(code)s.") % {"code": q.code})
    if not questions:
        checked.problem(None, "", _("Cuộc điều tra chưa có câu hỏi nào."))
    if not checked.ok:
        return checked
    if rows == 0:
        checked.problem(None, "", _("Tệp không có dòng dữ liệu nào."))
        return checked

    def row_of(i: int) -> int:
        return int(i) + 2

    # Respondents: present, and once each.
    respondents = frame[found["respondent"]].astype(str).str.strip().to_numpy()
    resp_col = found["respondent"]
    for i in np.flatnonzero(respondents == "")[:MAX_ERRORS]:
        checked.problem(row_of(i), resp_col, _("Thiếu mã phiếu."))
    checked.error_count += max(0, int((respondents == "").sum()) - MAX_ERRORS)
    series = pd.Series(respondents)
    duplicated = series.duplicated(keep="first").to_numpy() & (respondents != "")
    if duplicated.any():
        involved = series[series.isin(series[duplicated])]
        first_row = pd.Series(involved.index, index=involved.index).groupby(involved).min()
        for i in np.flatnonzero(duplicated):
            value = respondents[i]
            checked.problem(
                row_of(i),
                resp_col,
                _("Mã phiếu “%(id)s” trùng với dòng %(row)s.")
                % {"id": value, "row": row_of(first_row[value])},
            )
    # Units: known codes (NFC, trimmed, any case).
    known = {code.lower(): pk for code, pk in Unit.objects.values_list("code", "pk")}
    unit_col = found["unit"]
    unit_ids, codes, categories = _per_value(
        frame[unit_col], lambda v: known.get(nfc(v).lower(), -1)
    )
    unit_ids = unit_ids.astype(np.int64)
    for i in np.flatnonzero(unit_ids < 0)[:MAX_ERRORS]:
        value = categories[codes[i]] if codes[i] >= 0 else ""
        checked.problem(
            row_of(i),
            unit_col,
            _("Mã đơn vị “%(code)s” không có trong danh mục đơn vị.") % {"code": value}
            if value
            else _("Thiếu mã đơn vị."),
        )
    checked.error_count += max(0, int((unit_ids < 0).sum()) - MAX_ERRORS)
    # Dates: blank or a date.
    if "date" in found:
        dates, codes, categories = _per_value(frame[found["date"]], _date)
        bad = np.flatnonzero(pd.isna(dates))
        for i in bad[:MAX_ERRORS]:
            checked.problem(
                row_of(i),
                found["date"],
                _("Ngày “%(value)s” không đọc được (dd/mm/yyyy).")
                % {"value": categories[codes[i]]},
            )
        checked.error_count += max(0, len(bad) - MAX_ERRORS)
        dates = np.where(dates == "", "\\N", dates)
    else:
        dates = np.full(rows, "\\N", dtype=object)
    # Answers: blank or a level of the scale.
    progress(40, _("Đang kiểm tra câu trả lời"))
    scale = survey.scale_max
    matrix = np.zeros((rows, len(questions)), dtype=np.int8)
    for j, q in enumerate(questions):
        column = headers[header_key(q.code)]
        levels, codes, categories = _per_value(frame[column], lambda v: _level(v, scale))
        levels = levels.astype(np.int8)
        bad = np.flatnonzero(levels < 0)
        for i in bad[:MAX_ERRORS]:
            checked.problem(
                row_of(i),
                column,
                _("Câu trả lời “%(value)s” nằm ngoài thang 1–%(scale)s.")
                % {"value": categories[codes[i]], "scale": scale},
            )
        checked.error_count += max(0, len(bad) - MAX_ERRORS)
        matrix[:, j] = np.maximum(levels, 0)
    # Respondents already in the survey for units this file does not replace.
    file_units = set(np.unique(unit_ids[unit_ids >= 0]).tolist())
    others = set(
        SurveyResponse.objects.filter(survey=survey)
        .exclude(unit_id__in=file_units)
        .values_list("respondent", flat=True)
    )
    if others:
        for i in np.flatnonzero(series.isin(others).to_numpy()):
            checked.problem(
                row_of(i),
                resp_col,
                _("Mã phiếu “%(id)s” đã có trong cuộc điều tra, ở đơn vị khác.")
                % {"id": respondents[i]},
            )
    del frame
    checked.unit_ids = unit_ids
    checked.respondents = respondents
    checked.dates = dates
    checked.matrix = matrix
    checked.question_ids = [q.pk for q in questions]
    checked.preview = _preview(checked, questions)
    progress(50, _("Đã kiểm tra"))
    return checked


def _preview(checked: Checked, questions) -> dict:
    ids, counts = np.unique(checked.unit_ids[checked.unit_ids >= 0], return_counts=True)
    names = dict(Unit.objects.filter(pk__in=ids.tolist()).values_list("pk", "name"))
    answered = int((checked.matrix > 0).sum())
    return {
        "rows": checked.rows,
        "questions": len(questions),
        "answers": answered,
        "blank": int(checked.matrix.size - answered),
        "units": [
            {"name": names.get(int(pk), ""), "rows": int(n)}
            for pk, n in sorted(zip(ids, counts, strict=True), key=lambda x: -x[1])
        ],
    }
