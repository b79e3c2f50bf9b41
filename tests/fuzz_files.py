"""Hypothesis strategies that spoil a valid import file, for the fuzz tests of every importer.

A file starts as a table (header and rows of texts) that imports cleanly. `spoiled(table)` draws
what a person, a spreadsheet program or a broken upload does to it: a header renamed, a column
dropped or added, a cell replaced by something nasty (unicode, control characters, huge numbers,
NaN, inf, -0, 1e309, many decimals, formula text), empty and duplicated rows; then the way it is
saved (CSV in UTF-8, UTF-8 with a BOM, Windows-1258 or UTF-16, with commas, semicolons or tabs; or
an .xlsx, numbers as numbers, sometimes with a stray cell far away); then what can happen to the
bytes (truncated, a byte changed, random bytes, a zip that is not a workbook).

The result says what was done, so that a test can expect what each change must lead to.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from hypothesis import strategies as st
from openpyxl import Workbook

from .xlsx_raw import inline, xlsx_bytes

NASTY = [
    "",
    " ",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "-0",
    "-0,0",
    "1e309",
    "1E2",
    "-1e-400",
    "9" * 40,
    "9" * 120,
    "1.123456789",
    "0,001",
    "1.000,5",
    "1,234.5",
    "1,2,3",
    "0x10",
    "1_0",
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    '=HYPERLINK("http://x")',
    "'=1",
    "\x00",
    "\x07\x08",
    "\u200b1",
    "\ufeff",
    "１２",
    "٣",
    "²",
    "1\u00a0",
    "KAD",
    "N/A",
    "Ω≈ç√",
    "Sở Tư pháp\r\nx",
    '"',
    "a\tb",
]
# Text with control characters, surrogates left out (no file can hold them).
WILD_TEXT = st.text(
    st.characters(exclude_categories=("Cs",)),
    max_size=12,
)
CELL = st.one_of(
    st.sampled_from(NASTY),
    WILD_TEXT,
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
    st.floats().map(repr),
    st.integers(-(10**30), 10**30).map(str),
)
ENCODINGS = ["utf-8", "utf-8-sig", "cp1258", "utf-16"]


@dataclass
class Spoiled:
    """A file and what was done to it."""

    data: bytes
    filename: str
    header: list[str]
    rows: list[list]  # the table as saved, before any damage to the bytes
    edits: list[str] = field(default_factory=list)  # "cell", "header", "drop", "extra", ...
    saved_as: str = ""  # "csv:<encoding>" or "xlsx"
    damaged: str = ""  # "", "truncated", "byte", "random", "zip", "far"

    @property
    def cells_only(self) -> bool:
        """Only cells were changed: the file still reads, its header is right."""
        return not self.damaged and set(self.edits) <= {"cell", "blank", "dup"}


def as_number(text):
    """What Excel stores when the text is typed in a cell: a number when it reads as one."""
    if not isinstance(text, str) or text.strip() != text or not text:
        return text
    try:
        value = float(text)
    except ValueError:
        return text
    if value != value or value in (float("inf"), float("-inf")) or "_" in text:
        return text
    return value


def _csv(header, rows, delimiter) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue()


def _xlsx(header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [header, *rows]:
        sheet.append([as_number(v) if isinstance(v, str) else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _stable(data: bytes) -> bytes:
    """The same workbook bytes on every run (no save time in the zip entries nor in
    docProps/core.xml): hypothesis replays a draw only if the file it spoils is the same."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", content
                )
            entry = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    return out.getvalue()


def _xml_text(text: str) -> str:
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r" or 0x20 <= ord(ch) < 0xD800 or 0xE000 <= ord(ch) < 0xFFFE
    )


def _legal_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _far_xlsx(header, rows, far: str) -> bytes:
    """The same table written by hand, with one more cell at `far` (e.g. XFD1048576)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    xml = ""
    for r, row in enumerate([header, *rows], start=1):
        cells = "".join(
            inline(f"{letters[c]}{r}", _legal_xml(str(v))) for c, v in enumerate(row) if c < 26
        )
        xml += f'<row r="{r}">{cells}</row>'
    row_number = int("".join(ch for ch in far if ch.isdigit()))
    xml += f'<row r="{row_number}">{inline(far, "x")}</row>'
    return xlsx_bytes({"Sheet1": xml})


@st.composite
def spoiled(draw, header: list[str], rows: list[list[str]], *, stem: str = "tep") -> Spoiled:
    header, rows = list(header), [list(r) for r in rows]
    edits: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(
            st.sampled_from(["cell", "cell", "cell", "header", "drop", "extra", "blank", "dup"])
        )
        if edit == "cell" and rows:
            r = draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, len(header) - 1))
            rows[r][c] = draw(CELL)
        elif edit == "header":
            header[draw(st.integers(0, len(header) - 1))] = draw(CELL)
        elif edit == "drop" and len(header) > 1:
            c = draw(st.integers(0, len(header) - 1))
            header.pop(c)
            for row in rows:
                row.pop(c)
        elif edit == "extra":
            header.append(draw(CELL))
            for row in rows:
                row.append(draw(CELL))
        elif edit == "blank":
            rows.insert(draw(st.integers(0, len(rows))), [""] * len(header))
        elif edit == "dup" and rows:
            rows.insert(draw(st.integers(0, len(rows))), list(draw(st.sampled_from(rows))))
        else:
            continue
        edits.append(edit)
    kind = draw(st.sampled_from(["csv", "csv", "xlsx"]))
    damaged = ""
    if kind == "csv":
        encoding = draw(st.sampled_from(ENCODINGS))
        text = _csv(header, rows, draw(st.sampled_from([",", ";", "\t"])))
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            encoding = "utf-8"
            data = text.encode("utf-8", errors="surrogatepass")
        saved_as, filename = f"csv:{encoding}", f"{stem}.csv"
    else:
        # A workbook cannot hold control characters: what a person could have saved.
        header = [_xml_text(v) for v in header]
        rows = [[_xml_text(v) for v in row] for row in rows]
        saved_as, filename = "xlsx", f"{stem}.xlsx"
        far = draw(st.sampled_from(["", "", "", "XFD1048576", "A1048576", "ZZ70000"]))
        data = _stable(_far_xlsx(header, rows, far) if far else _xlsx(header, rows))
        damaged = "far" if far else ""
    damage = draw(st.sampled_from(["", "", "", "", "truncated", "byte", "random", "zip"]))
    # Where to cut or change: a share of the length, so that the draws never depend on it.
    at = draw(st.integers(0, 999)) * len(data) // 1000
    if damage == "truncated" and len(data) > 1:
        data = data[:at]
    elif damage == "byte" and data:
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    elif damage == "random":
        data = draw(st.binary(max_size=300))
    elif damage == "zip":
        buffer = io.BytesIO()
        name = draw(st.sampled_from(["x.txt", "xl/workbook.xml", "[Content_Types].xml"]))
        with zipfile.ZipFile(buffer, "w") as archive:
            entry = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            archive.writestr(entry, draw(st.binary(max_size=60)))
        data = buffer.getvalue()
        filename = f"{stem}.xlsx"
    else:
        damage = ""
    return Spoiled(data, filename, header, rows, edits, saved_as, damaged or damage)


def typed_number(text) -> Decimal | None:
    """A number as a person reads the cell, independently of the importers' parser: None when
    empty; the cell's number with a decimal comma or point, thousands marks only when both marks
    are there. InvalidOperation (ValueError) when it is not a finite number."""
    if isinstance(text, float):
        return Decimal(format(text, ".15g"))
    text = str(text).strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        text = text.replace(thousands, "").replace(decimal_mark, ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    number = Decimal(text)
    if not number.is_finite():
        raise InvalidOperation(text)
    return number


def edited(header: list[str], rows: list[list[str]], at: tuple[int, int], value, name: str):
    """The valid table with one cell changed, saved as UTF-8 CSV: a regression found by the
    fuzzing, kept as an explicit example."""
    rows = [list(r) for r in rows]
    rows[at[0]][at[1]] = value
    data = _csv(header, rows, ",").encode()
    return Spoiled(data, name, list(header), rows, ["cell"], "csv:utf-8")
