"""What the file readers (core.tabular, core.xlsx_scan) accept at most, and the error they raise.

The caps keep one upload from taking the server's memory: a province's score file is about 20,000
rows of a dozen columns, the national-scale benchmark 200,000 rows; the caps leave room above that.
"""

from __future__ import annotations

MAX_FILE_BYTES = 100 * 1024 * 1024  # the file as uploaded
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024  # every part of an .xlsx archive once inflated
MAX_ROWS = 500_000
MAX_COLUMNS = 500
MAX_AREA = 6_000_000  # rows × columns from A1: what python-calamine allocates for a sheet
MAX_CELL_CHARS = 32_767  # Excel's own limit for the text of one cell


class TableError(Exception):
    """The file cannot be read as a table at all. `problems` lists the cells at fault, when the
    file is refused because of some of its cells (core.tabular.Problem)."""

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])
