"""The plan overview as an XLSX workbook. What people typed (titles, notes, evidence) is written as
text cells: a note starting with "=" stays text, never a live formula."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.tabular import sheet_title

WIDTHS = (34, 44, 12, 12, 18, 40, 40)


def _text(ws, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=str(value))
    cell.data_type = "s"  # inert: never a formula, whatever the text starts with
    return cell


def plan_xlsx(period, tasks) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title(_("Kế hoạch khắc phục")))
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(65 + i)].width = width
    title = WriteOnlyCell(ws, value=_("Kế hoạch khắc phục — %(period)s") % {"period": period.name})
    title.font = Font(bold=True, size=13)
    ws.append([title])
    headers = [
        _("Đơn vị"),
        _("Nội dung khắc phục"),
        _("Điểm bị trừ năm trước"),
        _("Hạn hoàn thành"),
        _("Trạng thái"),
        _("Tiến độ thực hiện"),
        _("Minh chứng"),
    ]
    bold = Font(bold=True)
    row = []
    for h in headers:
        c = _text(ws, h)
        c.font = bold
        row.append(c)
    ws.append(row)
    for t in tasks:
        ws.append(
            [
                _text(ws, t.unit.name),
                _text(ws, t.title),
                float(t.points_lost),
                t.deadline,
                _text(ws, t.get_status_display()),
                _text(ws, t.progress_note),
                _text(ws, t.evidence),
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
