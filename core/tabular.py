"""Reading the spreadsheets and CSV files Vietnamese offices send: the one reader behind every import
(units, frameworks, scores). Pure: no ORM.

What it copes with: .xlsx (read with python-calamine), CSV in UTF-8 with or without a BOM, in
Windows-1258 or in UTF-16 (Excel's "Unicode text"), separated by commas, semicolons or tabs, with
any line ends; names typed in decomposed Unicode (NFD) are normalised to NFC and trimmed. Anything
else is refused with a sentence saying so, never a traceback.

Values are read exactly or refused: before python-calamine loads a workbook, core.xlsx_scan bounds
each sheet by its real cells (a stray value at XFD1048576 is refused, not allocated) and finds the
cells that have no value to read: an error value (#DIV/0!, #N/A) or a formula saved without its
result. Those refuse the file with their sheet, row and column (TableError.problems). CSV quoting
is strict: a quote left open refuses the file instead of swallowing the rows after it. The caps
(core.limits) on file size, rows, columns and cell length give a sentence, never a traceback.
A cell's number is read with core.numbers.parse_decimal (a decimal comma or point). The single quote
that our exports put before a text starting with a formula character (core.safe_cells) is taken off.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from itertools import chain
from xml.etree.ElementTree import ParseError

from django.utils.translation import gettext as _

from .limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, TableError
from .safe_cells import unquote
from .xlsx_scan import CellFault, column_letter, scan_xlsx

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An Office file saved with a password is an OLE2 container holding these streams.
ENCRYPTED_MARKERS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
SHEET_TITLE_CHARS = 31  # Excel's limit for a sheet name


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
    if isinstance(value, float):
        value = int(value) if value.is_integer() else format(value, ".15g")
    return unicodedata.normalize("NFC", str(value)).strip()


def header_key(value) -> str:
    return " ".join(nfc(value).lower().replace("_", " ").split())


def sheet_title(name: str) -> str:
    """A name Excel accepts for a sheet: no []:*?/\\, at most 31 characters, and no space left at
    either end after the cut ("Khối UBND huyện, thị xã, thành phố" → "Khối UBND huyện, thị xã,
    thành")."""
    title = re.sub(r"[\[\]:*?/\\]", " ", nfc(name))
    return title[:SHEET_TITLE_CHARS].strip() or "Sheet"


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise TableError(_("Tệp UTF-16 bị hỏng: hãy lưu tệp CSV theo bảng mã UTF-8.")) from None
    else:
        sample = data[:4096]
        if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
            try:
                return data.decode("utf-16-le")
            except UnicodeDecodeError:
                pass
        if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
            try:
                return data.decode("utf-16-be")
            except UnicodeDecodeError:
                pass
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


def _cell_too_long(sheet: str, row: int, column: int) -> Problem:
    return Problem(
        sheet,
        row,
        column_letter(column),
        _("Ô dài quá %(max)s ký tự.") % {"max": f"{MAX_CELL_CHARS:,}".replace(",", ".")},
    )


def _filled(row: list) -> bool:
    """Any cell with something in it (nfc(cell) not empty), without normalising every cell."""
    return any(v is not None and (v.__class__ is not str or v.strip()) for v in row)


def _text_filled(row: list[str]) -> bool:
    """_filled for a row of texts (every CSV row), in one C-level pass."""
    return bool("".join(row).strip())


def _sheet(name: str, raw_rows: list[list], *, texts: bool = False) -> Sheet:
    """`texts`: every cell is a str (a CSV file), which lets the checks run at C speed."""
    # The header is the first row with any text; rows that are entirely empty are skipped.
    # str() of a number is short: one C-level length pass over every cell says whether any text
    # is too long, and only then are the rows searched for it.
    cells = chain.from_iterable(raw_rows)
    if max(map(len, cells if texts else map(str, cells)), default=0) > MAX_CELL_CHARS:
        long_cells = [
            _cell_too_long(name, i + 1, j + 1)
            for i, row in enumerate(raw_rows)
            for j, value in enumerate(row)
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS
        ]
        raise TableError(_problems_message(long_cells), long_cells)
    filled = _text_filled if texts else _filled
    start = next((i for i, row in enumerate(raw_rows) if filled(row)), None)
    if start is None:
        return Sheet(name=name, header=[], labels=[], rows=[])
    labels = [nfc(c) for c in raw_rows[start]]
    rows = [(i + 1, _unquoted(row)) for i, row in enumerate(raw_rows) if i > start and filled(row)]
    return Sheet(name=name, header=[header_key(c) for c in labels], labels=labels, rows=rows)


def _unquoted(row: list) -> list:
    """The row with the protective quote our exports put before a formula character taken off
    (core.safe_cells): a file we wrote reads back as it was. Rows without any cell starting with a
    quote (nearly all) are found by one join, not a look at every cell."""
    joined = "\x00".join(map(str, row))
    if not (joined.startswith("'") or "\x00'" in joined):
        return list(row)
    return [unquote(v) for v in row]


def _problems_message(problems: list[Problem], shown: int = 20) -> str:
    lines = [str(p) for p in problems[:shown]]
    if len(problems) > shown:
        lines.append(_("… và %(n)s lỗi khác.") % {"n": len(problems) - shown})
    return "\n".join(lines)


def _fault_problem(sheet: Sheet, fault: CellFault) -> Problem:
    label = sheet.labels[fault.column - 1] if fault.column <= len(sheet.labels) else ""
    column = column_letter(fault.column) + (f" ({label})" if label else "")
    if fault.kind == "error":
        message = _("Ô có lỗi %(error)s thay vì giá trị: hãy sửa công thức hoặc nhập giá trị.") % {
            "error": fault.text or "#?"
        }
    else:
        message = _(
            "Ô có công thức nhưng tệp không lưu kết quả: hãy mở tệp bằng Excel hoặc LibreOffice, "
            "tính lại rồi lưu, hoặc nhập giá trị."
        )
    return Problem(sheet.name, fault.row, column, message)


def _refuse_encrypted_or_old(data: bytes) -> None:
    head = data[: 1024 * 1024]
    if any(marker in head for marker in ENCRYPTED_MARKERS):
        raise TableError(
            _(
                "Tệp được bảo vệ bằng mật khẩu: hãy mở tệp, bỏ mật khẩu (Tệp → Thông tin → Bảo vệ "
                "sổ làm việc) rồi lưu lại dưới dạng .xlsx."
            )
        )
    raise TableError(
        _("Tệp Excel định dạng cũ (.xls) chưa được hỗ trợ: hãy lưu lại dưới dạng .xlsx hoặc CSV.")
    )


def _unreadable(error) -> TableError:
    return TableError(
        _("Tệp không phải là bảng tính Excel (.xlsx) đọc được: %(error)s") % {"error": error}
    )


def _read_xlsx(data: bytes) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        scans = scan_xlsx(archive)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        KeyError,
        ValueError,
        EOFError,
        OSError,
        NotImplementedError,  # a compression method zipfile does not know
        zlib.error,
        ParseError,
    ) as exc:
        raise _unreadable(exc) from None
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for scan in scans:
            if scan.rows == 0 or scan.name not in workbook.sheet_names:
                raw: list[list] = []
            else:
                raw = workbook.get_sheet_by_name(scan.name).to_python(skip_empty_area=False)
            sheets.append(_sheet(scan.name, raw[: scan.rows]))
    except TableError:
        raise
    except Exception as exc:  # calamine raises its own hierarchy for every broken archive
        raise _unreadable(exc) from None
    problems = [
        _fault_problem(sheet, fault)
        for sheet, scan in zip(sheets, scans, strict=True)
        for fault in scan.faults
    ]
    if problems:
        raise TableError(_problems_message(problems), problems)
    return sheets


def _csv_rows(text: str, delimiter: str, name: str) -> list[list]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS or len(row) > MAX_COLUMNS:
                raise TableError(
                    _("Tệp có hơn %(rows)s dòng hoặc %(columns)s cột: hãy chia tệp.")
                    % {"rows": f"{MAX_ROWS:,}".replace(",", "."), "columns": MAX_COLUMNS}
                )
    except csv.Error as exc:
        row = len(rows) + 1
        if "field limit" in str(exc):
            problem = Problem(
                name,
                row,
                "",
                _("Ô dài quá %(max)s ký tự.") % {"max": f"{MAX_CELL_CHARS:,}".replace(",", ".")},
            )
        else:
            problem = Problem(
                name,
                row,
                "",
                _(
                    "Dấu ngoặc kép không khớp (một ô mở ngoặc kép mà không đóng, hoặc có chữ sau "
                    "dấu ngoặc đóng): các dòng sau sẽ bị gộp vào một ô. Hãy sửa hoặc lưu lại tệp "
                    "CSV bằng Excel."
                ),
            )
        raise TableError(str(problem), [problem]) from None
    return rows


def read_tables(data: bytes, filename: str = "") -> list[Sheet]:
    """Every sheet of an .xlsx file, or the one table of a CSV file."""
    if not data:
        raise TableError(_("Tệp rỗng."))
    if len(data) > MAX_FILE_BYTES:
        raise TableError(
            _("Tệp lớn hơn %(mb)s MB: hãy chia tệp.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if data.startswith(OLE2_MAGIC):
        _refuse_encrypted_or_old(data)
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    text = _decode(data)
    if _looks_binary(text):
        raise TableError(_("Tệp không phải là bảng tính Excel (.xlsx) hay tệp CSV."))
    text = unicodedata.normalize("NFC", text)
    first_line = re.split(r"\r\n|\r|\n", text[:65536], maxsplit=1)[0]
    delimiter = max(",;\t", key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise TableError(
            _("Tệp không phải là bảng tính: không tìm thấy các cột phân cách bằng dấu phẩy.")
        )
    name = filename.rsplit("/", 1)[-1] or "CSV"
    return [_sheet(name, _csv_rows(text, delimiter, name), texts=True)]


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


def csv_utf8(data: bytes) -> tuple[bytes, str]:
    """A CSV file as UTF-8 bytes (NFC, no BOM) and its delimiter, after the same checks and
    decoding as read_tables (size cap, old or encrypted Excel, BOM, UTF-16, Windows-1258, binary
    content), for readers that parse a large file themselves (the survey answers, with Arrow or
    pandas). A file of ASCII bytes only (no UTF-16 among them) is returned as it is: decoding it
    would give the same bytes back."""
    if not data:
        raise TableError(_("Tệp rỗng."))
    if len(data) > MAX_FILE_BYTES:
        raise TableError(
            _("Tệp lớn hơn %(mb)s MB: hãy chia tệp.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if data.startswith(OLE2_MAGIC):
        _refuse_encrypted_or_old(data)
    if b"\x00" not in data[:4096] and data.isascii():
        raw, head = data, data[:65536].decode("ascii")
    else:
        text = _decode(data)
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        raw, head = text.encode("utf-8"), text[:65536]
    if _looks_binary(head):
        raise TableError(_("Tệp không phải là bảng tính Excel (.xlsx) hay tệp CSV."))
    first_line = re.split(r"\r\n|\r|\n", head, maxsplit=1)[0]
    delimiter = max(",;\t", key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise TableError(
            _("Tệp không phải là bảng tính: không tìm thấy các cột phân cách bằng dấu phẩy.")
        )
    return raw, delimiter
