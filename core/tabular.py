"""Reading the spreadsheets and CSV files Vietnamese offices send: the one reader behind every import
(units, frameworks, scores). Pure: no ORM.

What it copes with: .xlsx (read with python-calamine), CSV in UTF-8 with or without a BOM or in
Windows-1258, separated by commas, semicolons or tabs; names typed in decomposed Unicode (NFD) are
normalised to NFC and trimmed. Anything else is refused with a sentence saying so, never a traceback.
A cell's number is read with core.numbers.parse_decimal (a decimal comma or point).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class TableError(Exception):
    """The file cannot be read as a table at all."""


@dataclass(frozen=True)
class Problem:
    """One error, at a place a person can find: sheet, row (1-based, as Excel numbers it), column."""

    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        place = []
        if self.sheet:
            place.append(_("trang “%(sheet)s”") % {"sheet": self.sheet})
        if self.row:
            place.append(_("dòng %(row)s") % {"row": self.row})
        if self.column:
            place.append(_("cột “%(column)s”") % {"column": self.column})
        return f"{', '.join(place)}: {self.message}" if place else self.message


@dataclass
class Sheet:
    name: str
    header: list[str]  # normalised header texts
    labels: list[str]  # header texts as written, for messages
    rows: list[tuple[int, list]]  # (row number in the file, cells)


def nfc(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def header_key(value) -> str:
    return " ".join(nfc(value).lower().replace("_", " ").split())


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258")
    except UnicodeDecodeError:
        raise TableError(
            _("Không đọc được bảng mã của tệp: hãy lưu tệp CSV theo bảng mã UTF-8.")
        ) from None


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    return "\x00" in sample or sum(1 for ch in sample if ord(ch) < 9) > 2


def _sheet(name: str, raw_rows: list[list]) -> Sheet:
    # The header is the first row with any text; rows that are entirely empty are skipped.
    start = next((i for i, row in enumerate(raw_rows) if any(nfc(c) for c in row)), None)
    if start is None:
        return Sheet(name=name, header=[], labels=[], rows=[])
    labels = [nfc(c) for c in raw_rows[start]]
    rows = [
        (i + 1, list(row))
        for i, row in enumerate(raw_rows)
        if i > start and any(nfc(c) for c in row)
    ]
    return Sheet(name=name, header=[header_key(c) for c in labels], labels=labels, rows=rows)


def read_tables(data: bytes, filename: str = "") -> list[Sheet]:
    """Every sheet of an .xlsx file, or the one table of a CSV file."""
    if not data:
        raise TableError(_("Tệp rỗng."))
    if data.startswith(OLE2_MAGIC):
        raise TableError(
            _(
                "Tệp Excel định dạng cũ (.xls) chưa được hỗ trợ: hãy lưu lại dưới dạng .xlsx hoặc CSV."
            )
        )
    if data.startswith(XLSX_MAGIC):
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            return [
                _sheet(name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
                for name in workbook.sheet_names
            ]
        except (CalamineError, ValueError, OSError, KeyError) as exc:
            raise TableError(
                _("Tệp không phải là bảng tính Excel (.xlsx) đọc được: %(error)s") % {"error": exc}
            ) from None
        except Exception as exc:  # calamine raises its own hierarchy for every broken archive
            raise TableError(
                _("Tệp không phải là bảng tính Excel (.xlsx) đọc được: %(error)s") % {"error": exc}
            ) from None
    text = _decode(data)
    if _looks_binary(text):
        raise TableError(_("Tệp không phải là bảng tính Excel (.xlsx) hay tệp CSV."))
    text = unicodedata.normalize("NFC", text)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise TableError(
            _("Tệp không phải là bảng tính: không tìm thấy các cột phân cách bằng dấu phẩy.")
        )
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    name = filename.rsplit("/", 1)[-1] or "CSV"
    return [_sheet(name, rows)]


def column_index(sheet: Sheet, aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """The position of each known column, found by any of its accepted header texts."""
    found: dict[str, int] = {}
    for key, names in aliases.items():
        wanted = {header_key(n) for n in (key, *names)}
        for i, h in enumerate(sheet.header):
            if h in wanted:
                found[key] = i
                break
    return found


def cell(row: list, index: int | None):
    if index is None or index >= len(row):
        return None
    return row[index]
