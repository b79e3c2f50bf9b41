"""Time and memory of core.tabular.read_tables on a 200,000-row score-like workbook, and on the
hostile far-cell workbooks that used to take the server down. No database: the reader is pure.

    .venv/bin/python bench/read_tables.py

Builds in memory an .xlsx of 200,000 rows × 8 columns (two texts, six numbers), then times the
bounds scan alone (core.xlsx_scan), python-calamine alone (what the reader cost before the scan)
and the whole read_tables; then a 5 KB workbook with one value at A1 and one at XFD1048576, and
one at Z1048576, each refused. Peak memory is the process's (ru_maxrss), which includes Rust's
allocations. The last line is one JSON object:
{"rows": 200000, "scan_s": ..., "calamine_s": ..., "read_s": ..., "far_cell_s": ..., "peak_mb": ...}
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ROWS = 200_000


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from python_calamine import CalamineWorkbook

    from core.tabular import TableError, read_tables
    from core.xlsx_scan import scan_xlsx
    from tests.xlsx_raw import inline, number, xlsx_bytes

    head = '<row r="1">' + "".join(
        inline(f"{c}1", name)
        for c, name in zip("ABCDEFGH", ["code", "criterion", *"pqrstu"], strict=True)
    )
    body = "".join(
        f'<row r="{r}">'
        + inline(f"A{r}", f"unit-{r % 500}")
        + inline(f"B{r}", f"1.{r % 30}")
        + "".join(number(f"{c}{r}", r % 7 + 0.25) for c in "CDEFGH")
        + "</row>"
        for r in range(2, ROWS + 2)
    )
    data = xlsx_bytes({"Điểm": head + "</row>" + body})
    print(f"workbook: {len(data) / 1e6:.1f} MB, {ROWS:,} rows × 8 columns")

    started = time.perf_counter()
    scan_xlsx(zipfile.ZipFile(io.BytesIO(data)))
    scan_s = time.perf_counter() - started
    started = time.perf_counter()
    CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Điểm").to_python()
    calamine_s = time.perf_counter() - started
    started = time.perf_counter()
    [sheet] = read_tables(data, "diem.xlsx")
    read_s = time.perf_counter() - started
    assert len(sheet.rows) == ROWS
    print(f"scan {scan_s:.2f} s, calamine {calamine_s:.2f} s, read_tables {read_s:.2f} s")

    far_s = 0.0
    for far in ("XFD1048576", "Z1048576"):
        row = far.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        hostile = xlsx_bytes({"S": head + "</row>" + f'<row r="{row}">{number(far, 1)}</row>'})
        started = time.perf_counter()
        try:
            read_tables(hostile, "far.xlsx")
            raise SystemExit(f"{far}: not refused")
        except TableError:
            pass
        far_s = max(far_s, time.perf_counter() - started)
        print(f"{len(hostile):,} bytes with a value at {far}: refused")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": ROWS,
                "scan_s": round(scan_s, 2),
                "calamine_s": round(calamine_s, 2),
                "read_s": round(read_s, 2),
                "far_cell_s": round(far_s, 4),
                "peak_mb": round(peak_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
