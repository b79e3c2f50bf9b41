"""Reading an answers file (no checks of the cells' meaning, no writes): CSV decoded as every
import decodes it (core.tabular: BOM, UTF-16, Windows-1258, NFC, comma/semicolon/tab) and parsed by
Arrow's multithreaded reader when every answer is a number or blank, else by pandas' C reader:
every column but the respondent's as a category, so that each check runs once per distinct value,
not once per cell, and a million rows × twenty questions end as a matrix of 20 MB. XLSX goes
through core.tabular.read_tables (its caps bound an .xlsx to a few hundred thousand cells' rows).
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.utils.translation import gettext as _

from core.limits import MAX_COLUMNS
from core.tabular import XLSX_MAGIC, Problem, TableError, csv_utf8, header_key, nfc, read_tables

# A province's SIPAS is tens of thousands of sheets; a national-scale file, a million. The file
# size cap (core.limits.MAX_FILE_BYTES) is the score import's.
MAX_ANSWER_ROWS = 2_000_000
COLUMNS = {
    "respondent": ("mã phiếu", "ma phieu", "phiếu", "người trả lời", "respondent", "respondent id"),
    "unit": ("mã đơn vị", "ma don vi", "đơn vị", "unit", "unit code"),
    "date": ("ngày", "ngay", "ngày khảo sát", "date"),
}


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


def _arrow_table(raw: bytes, delimiter: str, found: dict[str, str], questions, answer_type):
    """Arrow's multithreaded CSV reader on the file: the answers as `answer_type` (blank = null),
    the respondent's id as a string, the others dictionary-encoded (blank = ""). None when Arrow
    cannot read the file as that. An empty line is kept as a row of blanks
    (ignore_empty_lines=False), as the C reader keeps it: the rows keep the file's numbers
    (check_answers then skips the empty ones)."""
    body = raw[raw.find(b"\n") + 1 :]
    types = dict.fromkeys(found.values(), pa.dictionary(pa.int32(), pa.string()))
    if "respondent" in found:
        types[found["respondent"]] = pa.string()
    types.update(dict.fromkeys(questions, answer_type))
    try:
        return pa_csv.read_csv(
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
    except (pa.ArrowException, ValueError):
        return None


def _read_arrow(raw: bytes, delimiter: str, found: dict[str, str], questions: list[str]):
    """The file as Arrow reads it (_arrow_table): the answers as small integers when every one is
    an integer or blank (twice as fast to parse as floats), else as floats as _read_csv reads
    them with `numeric`. None when Arrow cannot read the file so, or when a cell is one the C
    reader reads otherwise (a short row, "nan"): the C reader then reads it."""
    table = _arrow_table(raw, delimiter, found, questions, pa.int8())
    if table is None:
        body = raw[raw.find(b"\n") + 1 :]
        float_type = pa.float32() if _float_type(body) == "float32" else pa.float64()
        table = _arrow_table(raw, delimiter, found, questions, float_type)
        if table is None:
            return None
        if any(pc.any(pc.is_nan(table[label])).as_py() for label in questions):
            return None  # "nan" in a cell: not a number for the C reader
    return table


def _arrow_levels(table: pa.Table, questions: list[str], scale: int) -> pd.DataFrame | None:
    """The table as a frame, its answers as int8 levels (0 = blank), when every answer is blank or
    a level 1..scale; None otherwise. The ids stay in Arrow (an Arrow-backed column): no Python
    string per row."""
    for label in questions:
        column = table[label]
        low, high = (v.as_py() for v in pc.min_max(column).values())
        if low is not None and (low < 1 or high > scale):
            return None
        floating = pa.types.is_floating(column.type)
        if floating and pc.all(pc.equal(pc.floor(column), column)).as_py() is False:
            return None
        index = table.schema.get_field_index(label)
        table = table.set_column(index, label, pc.fill_null(column, 0).cast(pa.int8()))
    frame = table.to_pandas(
        split_blocks=True,
        self_destruct=True,
        types_mapper={pa.string(): pd.ArrowDtype(pa.string())}.get,
    )
    return frame


def _read_levels(raw: bytes, delimiter: str, found: dict[str, str], scale: int):
    """The common case, fast: every answer blank or a number, read by Arrow's reader (or the C
    reader as floats when Arrow's refuses the file; no Python string per cell), and every number
    a level 1..scale: the answers as int8 levels, 0 for blank. None when any cell is not (that
    file is read again as text, cell values named in the errors)."""
    questions = [label for key, label in found.items() if key.startswith("q:")]
    table = _read_arrow(raw, delimiter, found, questions)
    if table is not None:
        return _arrow_levels(table, questions, scale)
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
        frame[label] = np.nan_to_num(values, nan=0).astype(np.int8)
    return frame


def read_frame(
    data: bytes, codes: list[str], filename: str = "", scale: int | None = None
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The file's known columns as text (blank = ""), indexed by row number; the respondent's as
    str (Arrow-backed when Arrow read the file), the others as categories. Returns (frame, where
    each key was found, ignored labels). With `scale`, a CSV's answers are read as int8 levels
    (0 = blank) when every one is a level 1..scale or blank (then checked already)."""
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
    raw, delimiter = csv_utf8(data)
    first = raw[: raw.find(b"\n")] if b"\n" in raw else raw
    try:
        header = next(csv.reader([first.decode("utf-8").rstrip("\r")], delimiter=delimiter), [])
    except csv.Error as exc:  # a lone carriage return inside the header line
        raise TableError(_("Không đọc được tệp CSV: %(error)s") % {"error": exc}) from None
    labels = [nfc(c) for c in header]
    _header(labels)
    found, ignored = _wanted(labels, codes)
    if raw.count(b"\n") > MAX_ANSWER_ROWS + 1:
        raise _too_many_rows()
    if not found:
        return pd.DataFrame(), found, ignored
    frame = None
    if scale is not None:
        frame = _read_levels(raw, delimiter, found, scale)
    if frame is None:
        frame = _read_csv(raw, delimiter, found)
    frame.index = np.arange(2, len(frame) + 2)
    return frame, found, ignored
