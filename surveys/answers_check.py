"""Reading and checking an answers file, whole, before anything is written (no writes here).

One row per respondent: the respondent's id, the unit's code, the date and one column per question
(its code as the header), answers on the survey's scale, blank for no answer; other columns are
ignored (and named in the preview). CSV is decoded as every import decodes it (core.tabular: BOM,
UTF-16, Windows-1258, NFC, comma/semicolon/tab) and parsed by Arrow's multithreaded reader when
every answer is a number or blank, else by pandas' C reader: every column but the respondent's as a
category, so that each check runs once per distinct value, not once per cell, and a million rows ×
twenty questions end as a matrix of 20 MB. XLSX goes through
core.tabular.read_tables (its caps bound an .xlsx to a few hundred thousand cells' rows). Errors
name their row (as Excel numbers it, the header being row 1) and column.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.utils.translation import gettext as _

from core.limits import MAX_COLUMNS
from core.tabular import XLSX_MAGIC, Problem, TableError, csv_text, header_key, nfc, read_tables
from units.models import Unit

from .models import RESPONDENT_MAX_LENGTH, Survey, SurveyUnitLoad
from .sheets import survey_respondents

# A province's SIPAS is tens of thousands of sheets; a national-scale file, a million. The file
# size cap (core.limits.MAX_FILE_BYTES) is the score import's.
MAX_ANSWER_ROWS = 2_000_000
MAX_ERRORS = 200
COLUMNS = {
    "respondent": ("mã phiếu", "ma phieu", "phiếu", "người trả lời", "respondent", "respondent id"),
    "unit": ("mã đơn vị", "ma don vi", "đơn vị", "unit", "unit code"),
    "date": ("ngày", "ngay", "ngày khảo sát", "date"),
}
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
    respondents: np.ndarray | None = None  # str per row
    dates: np.ndarray | None = None  # ISO text or "\\N" per row
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


def _too_many_rows() -> TableError:
    return TableError(
        _("Tệp có hơn %(rows)s dòng: hãy chia tệp.")
        % {"rows": f"{MAX_ANSWER_ROWS:,}".replace(",", ".")}
    )


def _header(labels: list[str]) -> None:
    """Refuse a header that names a column twice (pandas would rename the second)."""
    seen: dict[str, str] = {}
    for label in labels:
        key = header_key(label)
        if key and key in seen:
            problem = Problem("", 1, label, _("Tên cột bị trùng."))
            raise TableError(str(problem), [problem])
        seen[key] = label
    if len(labels) > MAX_COLUMNS:
        raise TableError(_("Tệp có hơn %(columns)s cột: hãy chia tệp.") % {"columns": MAX_COLUMNS})


def _wanted(labels: list[str], codes: list[str]) -> tuple[dict[str, str], list[str]]:
    """The file's label of each known column and question (by header_key), and the others."""
    by_key = {header_key(label): label for label in labels}
    found: dict[str, str] = {}
    for key, aliases in COLUMNS.items():
        for alias in (key, *aliases):
            if header_key(alias) in by_key:
                found[key] = by_key[header_key(alias)]
                break
    for code in codes:
        if header_key(code) in by_key:
            found[f"q:{code}"] = by_key[header_key(code)]
    used = set(found.values())
    return found, [label for label in labels if label not in used and label.strip()]


def _float_type(body: bytes) -> str:
    """float32 when the file's body has no decimal point nor exponent: every number in it is then
    an integer, exact in float32 up to 2**24, far past any scale (and half the bytes to build);
    float64 otherwise, as exact as Python's float() on "4.0000001"."""
    return "float64" if b"." in body or b"e" in body or b"E" in body else "float32"


def _read_csv(raw: bytes, delimiter: str, found: dict[str, str], numeric=()) -> pd.DataFrame:
    """pandas' C reader on the file: the respondent's column as str, the columns `numeric` as
    float64 (blank = NaN), the others as categories (blank = "")."""
    dtypes = dict.fromkeys(found.values(), "category")
    if "respondent" in found:
        dtypes[found["respondent"]] = str
    dtypes.update(dict.fromkeys(numeric, _float_type(raw[raw.find(b"\n") + 1 :])))
    try:
        return pd.read_csv(
            io.BytesIO(raw),
            sep=delimiter,
            usecols=list(found.values()),
            dtype=dtypes,
            keep_default_na=False,
            na_values={label: [""] for label in numeric} or None,
            na_filter=bool(numeric),
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise TableError(_("Không đọc được tệp CSV: %(error)s") % {"error": exc}) from None
    except (ValueError, UnicodeError) as exc:
        raise TableError(_("Không đọc được tệp: %(error)s") % {"error": exc}) from None


def _read_arrow(raw: bytes, delimiter: str, found: dict[str, str], questions: list[str]):
    """Arrow's multithreaded CSV reader on the file, as _read_csv reads it with `numeric` (the same
    dtypes: the answers float, blank = NaN; the respondent's str; the others categories, blank =
    ""), about twice as fast on two cores. None when Arrow cannot read the file as that, or when a
    cell is one the C reader reads otherwise (a short row, "nan"): the C reader then reads it. An
    empty line is kept as a row of blanks (ignore_empty_lines=False), as the C reader keeps it:
    the rows keep the file's numbers (check_answers then skips the empty ones)."""
    body = raw[raw.find(b"\n") + 1 :]
    float_type = pa.float32() if _float_type(body) == "float32" else pa.float64()
    types = dict.fromkeys(found.values(), pa.dictionary(pa.int32(), pa.string()))
    if "respondent" in found:
        types[found["respondent"]] = pa.string()
    types.update(dict.fromkeys(questions, float_type))
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(raw),
            read_options=pa_csv.ReadOptions(use_threads=True),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=b'"' in body, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                include_columns=list(found.values()),
                column_types=types,
                null_values=[""],  # only the answers can be null (strings_can_be_null)
                strings_can_be_null=False,
            ),
        )
        if any(pc.any(pc.is_nan(table[label])).as_py() for label in questions):
            return None  # "nan" in a cell: not a number for the C reader
    except (pa.ArrowException, ValueError):
        return None
    # Each respondent's id is its own: looking for equal strings to share (Arrow's default) only
    # costs time.
    frame = table.to_pandas(split_blocks=True, self_destruct=True, deduplicate_objects=False)
    frame.attrs["complete"] = True  # every text cell a str (strings_can_be_null=False)
    return frame


def _read_levels(raw: bytes, delimiter: str, found: dict[str, str], scale: int):
    """The common case, fast: every answer blank or a number, read as a float by Arrow's reader
    (or the C reader when Arrow's refuses the file; no Python string per cell), and every number
    a level 1..scale. None when any cell is not (that file is read again as text, cell values
    named in the errors)."""
    questions = [label for key, label in found.items() if key.startswith("q:")]
    frame = _read_arrow(raw, delimiter, found, questions)
    if frame is None:
        try:
            frame = _read_csv(raw, delimiter, found, questions)
        except TableError:
            return None
    for label in questions:
        values = frame[label].to_numpy()
        if not (
            np.isnan(values) | ((values == np.floor(values)) & (values >= 1) & (values <= scale))
        ).all():
            return None
    return frame


def _trimmed(body: bytes, delimiter: str) -> bool:
    """Whether no cell of the file's body can start or end with white space: ASCII without any
    (a CRLF line end aside). Then the ids need no strip, a Python call per row."""
    blanks = (b" ", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")
    if not body.isascii() or any(c in body for c in blanks):
        return False
    quoted = b'"' in body
    if b"\t" in body and (delimiter != "\t" or quoted):
        return False
    return b"\r" not in body or (not quoted and body.count(b"\r") == body.count(b"\r\n"))


def read_frame(
    data: bytes, codes: list[str], filename: str = "", scale: int | None = None
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The file's known columns as text (blank = ""), indexed by row number; the respondent's as
    str, the others as categories. Returns (frame, where each key was found, ignored labels).
    With `scale`, a CSV's answers are read as float64 levels (blank = NaN) when every one is a
    level 1..scale or blank (then checked already)."""
    if data.startswith(XLSX_MAGIC):
        sheet = read_tables(data, filename)[0]
        _header(sheet.labels)
        found, ignored = _wanted(sheet.labels, codes)
        if len(sheet.rows) > MAX_ANSWER_ROWS:
            raise _too_many_rows()
        position = {label: i for i, label in enumerate(sheet.labels)}
        columns = {
            label: [
                nfc(row[position[label]]) if position[label] < len(row) else ""
                for _n, row in sheet.rows
            ]
            for label in found.values()
        }
        frame = pd.DataFrame(columns, index=[n for n, _row in sheet.rows])
        for key, label in found.items():
            if key != "respondent":
                frame[label] = frame[label].astype("category")
        return frame, found, ignored
    text, delimiter = csv_text(data)
    first = text[: text.find("\n")] if "\n" in text else text
    try:
        header = next(csv.reader([first.rstrip("\r")], delimiter=delimiter), [])
    except csv.Error as exc:  # a lone carriage return inside the header line
        raise TableError(_("Không đọc được tệp CSV: %(error)s") % {"error": exc}) from None
    labels = [nfc(c) for c in header]
    _header(labels)
    found, ignored = _wanted(labels, codes)
    if text.count("\n") > MAX_ANSWER_ROWS + 1:
        raise _too_many_rows()
    if not found:
        return pd.DataFrame(), found, ignored
    raw = text.encode("utf-8")  # the C reader's own input: a str would be encoded again inside
    frame = None
    if scale is not None:
        frame = _read_levels(raw, delimiter, found, scale)
    if frame is None:
        frame = _read_csv(raw, delimiter, found)
    frame.attrs["trimmed"] = _trimmed(raw[raw.find(b"\n") + 1 :], delimiter)
    frame.index = np.arange(2, len(frame) + 2)
    return frame, found, ignored


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


def per_value(column: pd.Series, fn, blank) -> tuple[np.ndarray, np.ndarray, list]:
    """fn applied once per distinct value of a categorical column: (result per row, category
    code per row, the distinct values); a missing cell (a short row) gives `blank`."""
    categories = [str(c) for c in column.cat.categories]
    results = [fn(c) for c in categories] + [blank]  # code -1 indexes the last: missing
    codes = column.cat.codes.to_numpy()
    return np.asarray(results, dtype=object)[codes], codes, categories


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
    progress(20, _("Đang kiểm tra %(rows)s dòng") % {"rows": len(frame)})
    scale = survey.scale_max
    block = np.zeros((len(questions), len(frame)), dtype=np.int8)  # a question a row: fast to fill
    bad_levels = []
    for j, q in enumerate(questions):
        column = frame[found[f"q:{q.code}"]]
        if column.dtype.kind == "f":  # read as levels, checked by read_frame
            block[j] = np.nan_to_num(column.to_numpy(), nan=0)
            continue
        levels, codes, categories = per_value(column, lambda v: _level(v, scale), 0)
        levels = levels.astype(np.int8)
        bad_levels.append((q, levels < 0, codes, categories))
        block[j] = np.maximum(levels, 0)
    matrix = np.ascontiguousarray(block.T)  # a sheet a row, as it is written
    respondents = frame[found["respondent"]]
    if not frame.attrs.get("complete"):  # a short row's cells are missing (NaN)
        respondents = respondents.fillna("").astype(str)
    if not frame.attrs.get("trimmed"):
        respondents = respondents.str.strip()
    respondents = respondents.to_numpy(dtype=object)
    unit_column = frame[found["unit"]]
    date_column = frame[found["date"]] if "date" in found else None
    # Rows with nothing in them (blank lines) are skipped, as every import skips them.
    unit_filled = per_value(unit_column, lambda v: bool(nfc(v)), False)[0].astype(bool)
    filled = (respondents != "") | unit_filled | (matrix > 0).any(axis=1)
    if not filled.all():
        keep = np.flatnonzero(filled)
        frame, matrix, respondents = frame.iloc[keep], matrix[keep], respondents[keep]
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
    _report(
        checked, rows, np.flatnonzero(respondents == ""), column, lambda i: _("Thiếu mã phiếu.")
    )
    series = pd.Series(respondents)
    # A longer id is refused at its row.
    limit = RESPONDENT_MAX_LENGTH
    _report(
        checked,
        rows,
        np.flatnonzero(series.str.len().to_numpy() > limit),
        column,
        lambda i: _("Ô dài quá %(max)s ký tự.") % {"max": limit},
    )
    duplicated = series.duplicated(keep="first").to_numpy() & (respondents != "")
    if duplicated.any():
        first_index = series[~series.duplicated(keep="first")]
        first_row = dict(
            zip(first_index.to_numpy(), rows[first_index.index.to_numpy()], strict=True)
        )
        _report(
            checked,
            rows,
            np.flatnonzero(duplicated),
            column,
            lambda i: (
                _("Mã phiếu “%(id)s” trùng với dòng %(row)s.")
                % {"id": respondents[i], "row": first_row[respondents[i]]}
            ),
        )
    # Units: known codes (NFC, trimmed, any case).
    known = {code.lower(): pk for code, pk in Unit.objects.values_list("code", "pk")}
    unit_ids, codes, categories = per_value(
        unit_column, lambda v: known.get(nfc(v).lower(), -1), -1
    )
    unit_ids = unit_ids.astype(np.int64)
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
        dates, codes, categories = per_value(date_column, _date, "")
        _report(
            checked,
            rows,
            np.flatnonzero(pd.isna(dates)),
            found["date"],
            lambda i: (
                _("Ngày “%(value)s” không đọc được (dd/mm/yyyy).") % {"value": categories[codes[i]]}
            ),
        )
        dates = np.where(dates == "", "\\N", dates)
    else:
        dates = np.full(n, "\\N", dtype=object)
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
    _elsewhere(checked, rows, respondents, unit_ids, column)
    checked.unit_ids = unit_ids
    checked.respondents = respondents
    checked.dates = dates
    checked.matrix = matrix
    checked.question_ids = [q.pk for q in questions]
    progress(45, _("Đã kiểm tra"))
    return checked


def _elsewhere(checked: Checked, rows, respondents, unit_ids, column: str) -> None:
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
            np.flatnonzero(pd.Series(respondents).isin(others).to_numpy()),
            column,
            lambda i: (
                _("Mã phiếu “%(id)s” đã có trong cuộc điều tra, ở đơn vị khác.")
                % {"id": respondents[i]}
            ),
        )
