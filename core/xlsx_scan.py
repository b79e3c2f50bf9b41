"""A first pass over an .xlsx file that reads no value but finds, for every sheet, where its real
cells are and which cells cannot be read, before python-calamine loads anything. Pure: no ORM.

Why: calamine holds a sheet as a dense block from A1 to the last cell that has a value, so one
value at XFD1048576 in a 5 KB file asks for half a terabyte and the process aborts; and it reads a
formula without a cached value, or an error such as #DIV/0!, as an empty cell. The sheet's
<dimension> element cannot be trusted (a hostile file writes what it likes), so this pass streams
each worksheet's XML (expat, constant memory) and bounds the sheet by the cells that really carry
a value, positioned the way calamine positions them (the r attribute, or the next row or column).
The archive's declared sizes are capped before any part is inflated.

Two ways through a sheet: a fast one with regular expressions over blocks of the inflated XML (about
1.5 M cells a second), used while every <c> element in a block is accounted for by the patterns
(each has its r attribute and no ">" inside an attribute); otherwise the whole sheet goes through
expat, slower but exact for any well-formed XML.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree
from xml.parsers import expat

from django.utils.translation import gettext as _

from .limits import (
    MAX_AREA,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    TableError,
)

_CELL_REF = re.compile(r"([A-Za-z]{1,3})(\d{1,9})$")
_META_PART_BYTES = 20 * 1024 * 1024  # workbook.xml and its relations: a few KB in real files


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


@dataclass
class CellFault:
    row: int
    column: int
    kind: str  # "error" (an error value such as #N/A) or "formula" (no cached value)
    text: str = ""


@dataclass
class SheetScan:
    name: str
    rows: int = 0  # the last row with a value (1-based), 0 for an empty sheet
    columns: int = 0
    cells: int = 0
    faults: list[CellFault] = field(default_factory=list)


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _too_large(sheet: str, row: int, column: int) -> TableError:
    return TableError(
        _(
            "Trang “%(sheet)s” có dữ liệu ở ô %(cell)s, ngoài giới hạn đọc được "
            "(%(rows)s dòng, %(columns)s cột, %(area)s ô tính từ A1): hãy xoá các ô thừa "
            "hoặc chia tệp."
        )
        % {
            "sheet": sheet,
            "cell": f"{column_letter(column)}{row}",
            "rows": f"{MAX_ROWS:,}".replace(",", "."),
            "columns": MAX_COLUMNS,
            "area": f"{MAX_AREA:,}".replace(",", "."),
        }
    )


class _SheetParser:
    """Expat callbacks tracking the position of each cell and whether it holds a value."""

    def __init__(self, scan: SheetScan, max_faults: int):
        self.scan = scan
        self.max_faults = max_faults
        self.row = 0
        self.col = 0
        self.cell_type = ""
        self.has_value = False
        self.has_formula = False
        self.in_value = False
        self.text: list[str] = []

    def start(self, name, attrs):
        tag = _local(name)
        if tag == "c":
            ref = attrs.get("r")
            match = _CELL_REF.match(ref) if ref else None
            if match:
                self.col = _column_number(match.group(1))
                self.row = int(match.group(2))
            else:
                self.col += 1
            self.cell_type = attrs.get("t", "")
            self.has_value = self.has_formula = False
            self.text = []
        elif tag == "v":
            self.in_value = True
        elif tag == "is":
            self.has_value = True
        elif tag == "f":
            self.has_formula = True
        elif tag == "row":
            ref = attrs.get("r", "")
            self.row = int(ref) if ref.isdigit() and len(ref) < 10 else self.row + 1
            self.col = 0

    def chars(self, data):
        if self.in_value:
            self.text.append(data)

    def end(self, name):
        tag = _local(name)
        if tag == "v":
            self.in_value = False
            if "".join(self.text).strip():
                self.has_value = True
        elif tag == "c":
            self._cell_done()

    def _cell_done(self):
        scan = self.scan
        faulty = self.cell_type == "e" or (self.has_formula and not self.has_value)
        if faulty and len(scan.faults) < self.max_faults:
            kind = "error" if self.cell_type == "e" else "formula"
            scan.faults.append(CellFault(self.row, self.col, kind, "".join(self.text).strip()))
        if not self.has_value:
            return
        scan.cells += 1
        _check_bounds(scan, self.row, self.col)


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part path) in the workbook's order."""
    names = set(archive.namelist())

    def read_small(part):
        if archive.getinfo(part).file_size > _META_PART_BYTES:
            raise TableError(
                _("Tệp Excel (.xlsx) không hợp lệ: phần %(part)s quá lớn.") % {"part": part}
            )
        return ElementTree.fromstring(archive.read(part))

    if "xl/workbook.xml" not in names:
        raise TableError(_("Tệp không phải là bảng tính Excel (.xlsx): thiếu xl/workbook.xml."))
    targets = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in read_small("xl/_rels/workbook.xml.rels"):
            target = rel.get("Target", "")
            path = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            targets[rel.get("Id")] = path
    parts = []
    for element in read_small("xl/workbook.xml").iter():
        if _local(element.tag.rpartition("}")[2]) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
        path = targets.get(rel_id)
        if path in names:
            parts.append((element.get("name", ""), path))
    return parts


_BLOCK = 8 * 1024 * 1024
# A space before r: an r after a tab or a line break is not matched, the count differs, expat reads.
_CELL_REF_ATTR = re.compile(rb' r="([A-Z]{1,3})(\d{1,9})"([^>]*)>')
_CELL_REF_ONLY = re.compile(rb' r="([A-Z]{1,3})(\d{1,9})"')
_PREFIXED_CELL = re.compile(rb"<\w+:c[\s/>]")
_CELL_STARTS = tuple(b"<c" + end for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
_FAULT_HINTS = (b"<f", b":f>", b":f ", b't="e"')
_WHOLE_CELL = re.compile(
    rb"<(?:\w+:)?c\s([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>|<(?:\w+:)?c\s[^>]*/>", re.S
)
_ATTR_R = re.compile(rb'\br="([A-Z]{1,3})(\d{1,9})"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>|<(?:\w+:)?is[\s>]")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")


class _Fallback(Exception):
    """The block is not plain enough for the patterns: read the sheet with expat."""


def _largest(items: list[bytes]) -> bytes:
    """The largest row number or column letters: the longest, then the greatest (C loops only)."""
    longest = max(map(len, items))
    return max(item for item in set(items) if len(item) == longest)


def _surely_empty(rest: bytes) -> bool:
    """The rest of a <c> tag after its r attribute closes the element with no content: it ends
    with "/" and every attribute is double-quoted (so no ">" hid inside a value)."""
    return rest.endswith(b"/") and b"'" not in rest and rest.count(b'"') % 2 == 0


def _scan_block(scan: SheetScan, block: bytes, max_faults: int) -> None:
    # No "/>" in the block: no cell closes itself, the lighter pattern is enough.
    selfclosing = b"/>" in block
    tags = (_CELL_REF_ATTR if selfclosing else _CELL_REF_ONLY).findall(block)
    starts = sum(block.count(start) for start in _CELL_STARTS)
    if b":c" in block:
        starts += len(_PREFIXED_CELL.findall(block))
    if len(tags) != starts:  # a cell without r, or an r the pattern does not read
        raise _Fallback
    if selfclosing:
        tags = [tag[:2] for tag in tags if not _surely_empty(tag[2])]
    if tags:
        scan.cells += len(tags)
        letters = [tag[0] for tag in tags]
        rows = [tag[1] for tag in tags]
        _check_bounds(scan, int(_largest(rows)), _column_number(_largest(letters).decode()))
    if any(hint in block for hint in _FAULT_HINTS):
        _block_faults(scan, block, max_faults)


def _check_bounds(scan: SheetScan, rows: int, columns: int) -> None:
    if rows <= scan.rows and columns <= scan.columns:
        return
    rows, columns = max(scan.rows, rows), max(scan.columns, columns)
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_AREA:
        raise _too_large(scan.name, rows, columns)
    scan.rows, scan.columns = rows, columns


def _block_faults(scan: SheetScan, block: bytes, max_faults: int) -> None:
    for match in _WHOLE_CELL.finditer(block):
        attrs, body = match.group(1), match.group(2)
        if attrs is None or len(scan.faults) >= max_faults:
            continue
        error = b't="e"' in attrs
        has_formula = _FORMULA.search(body) is not None
        if not (error or has_formula):
            continue
        value = _VALUE.search(body)
        text = value.group(1).decode(errors="replace").strip() if value and value.group(1) else ""
        if error or not (value and (text or value.group(1) is None)):
            ref = _ATTR_R.search(attrs)
            if ref is None:
                raise _Fallback
            kind = "error" if error else "formula"
            scan.faults.append(
                CellFault(int(ref.group(2)), _column_number(ref.group(1).decode()), kind, text)
            )


def _scan_fast(scan: SheetScan, stream, max_faults: int) -> None:
    carry = b""
    while True:
        data = stream.read(_BLOCK)
        block = carry + data
        if not data:
            if block.strip():
                _scan_block(scan, block, max_faults)
            return
        cut = block.rfind(b"</row>")
        if cut < 0:
            if len(block) > 8 * _BLOCK:  # one row of 64 MB: no real sheet has one
                raise _Fallback
            carry = block
            continue
        cut += len(b"</row>")
        _scan_block(scan, block[:cut], max_faults)
        carry = block[cut:]


def _scan_expat(scan: SheetScan, stream, max_faults: int) -> None:
    handler = _SheetParser(scan, max_faults)
    parser = expat.ParserCreate()
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.chars
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_doctype
    try:
        parser.ParseFile(stream)
    except expat.ExpatError as exc:
        raise TableError(
            _("Trang “%(sheet)s” của tệp Excel bị hỏng: %(error)s")
            % {"sheet": scan.name, "error": exc}
        ) from None


def _refuse_doctype(*args):
    # No real workbook declares a DTD; one that does may be building entity bombs.
    raise TableError(_("Tệp Excel (.xlsx) không hợp lệ: có khai báo DOCTYPE."))


def scan_xlsx(archive: zipfile.ZipFile, max_faults: int = 50) -> list[SheetScan]:
    """Bounds and unreadable cells of every worksheet; TableError when a sheet is beyond the caps."""
    if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
        raise TableError(
            _("Tệp Excel quá lớn khi giải nén (hơn %(mb)s MB): hãy chia tệp.")
            % {"mb": MAX_UNCOMPRESSED_BYTES // (1024 * 1024)}
        )
    scans = []
    for name, part in _sheet_parts(archive):
        scan = SheetScan(name=name)
        with archive.open(part) as stream:
            head = stream.read(4096)
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            _refuse_doctype()
        try:
            with archive.open(part) as stream:
                _scan_fast(scan, stream, max_faults)
        except _Fallback:
            scan = SheetScan(name=name)
            with archive.open(part) as stream:
                _scan_expat(scan, stream, max_faults)
        scans.append(scan)
    return scans
