"""Tables of the dashboards as XLSX (openpyxl) and CSV (UTF-8 with a BOM so Excel reads Vietnamese).

A Table is built from the same data the page shows (reports.dashboards), so a cell of the export and
a figure of the page cannot disagree. XLSX cells hold real numbers (Excel shows them in the reader's
locale); CSV follows the language's convention: in Vietnamese semicolon-separated with a decimal
comma (84,64), in English comma-separated with a decimal point (84.64).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from core.numbers import decimal_mark, fmt_fixed
from core.safe_cells import csv_cell, csv_row, text_cell, xlsx_cell
from core.tabular import sheet_title

from .computation import Comparison
from .dashboards import (
    ClimbAnalysis,
    ComparisonPage,
    DeductionAnalysis,
    Filters,
    Heatmap,
    RankingPage,
    UnitProfile,
)


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    subtitle: str = ""
    filename: str = "bang"
    widths: list[int] = field(default_factory=list)


def _status(published: bool, row=None) -> str:
    """The figures' standing; a unit kept apart (not appraised, or left out of the publication)
    is shown by its state."""
    if row is not None and getattr(row, "apart", False) and row.rank is None:
        return row.state_label
    return _("Đã công bố") if published else _("Tạm tính")


def _subtitle(f: Filters, *, live: bool = False) -> str:
    """Period, group and which figures: the published version or provisional results; `live`:
    criterion scores and deductions, which are the scoring sheet's current figures."""
    parts = []
    if f.period is not None:
        parts.append(f.period.name)
    if f.group is not None:
        parts.append(f.group.name)
    if f.period is not None:
        parts.append(f.edition_label)
        if live:
            parts.append(_("điểm trừ: số liệu chấm điểm hiện tại"))
    return " · ".join(parts)


def _subtitle_of_unit(f: Filters) -> str:
    if f.period is None:
        return ""
    # The deduction lines are the scoring sheet's current figures, whatever was published.
    return " · ".join([f.period.name, f.edition_label, _("điểm trừ: số liệu chấm điểm hiện tại")])


def _slug(f: Filters, stem: str) -> str:
    parts = [stem]
    if f.period is not None:
        parts.append(str(f.period.year))
    if f.group is not None:
        parts.append(f.group.code)
    return "-".join(parts)


# --- the tables ----------------------------------------------------------------------------------


def ranking_table(f: Filters, data: RankingPage, *, sipas: dict | None = None) -> Table:
    """The ranking; `sipas` (unit id → SIPAS %) adds the satisfaction index as the last column."""
    sipas = sipas or {}
    edition = f.edition if f.period is not None else None
    version = edition.version if edition is not None else None
    return Table(
        title=_("Xếp hạng Chỉ số CCHC"),
        subtitle=_subtitle(f),
        filename=_slug(f, "xep-hang"),
        headers=[
            _("Hạng"),
            _("Mã đơn vị"),
            _("Đơn vị"),
            _("Tổng điểm"),
            _("Điểm tối đa áp dụng"),
            _("Chỉ số (%)"),
            _("Xếp loại"),
            _("Thay đổi hạng so với năm trước"),
            _("Tình trạng"),
            # CSV has no subtitle: each row says which published version it is (empty: live).
            _("Phiên bản công bố"),
            _("Chỉ số hài lòng SIPAS (%)"),
        ],
        widths=[7, 22, 44, 11, 11, 11, 9, 14, 13, 12, 12],
        rows=[
            [
                r.rank,
                r.unit_code,
                r.unit_name,
                r.total_points,
                r.max_points,
                r.percent,
                r.band,
                r.rank_change,
                _status(r.published, r),
                version,
                sipas.get(r.unit_id),
            ]
            for r in data.rows
        ],
    )


def heatmap_table(f: Filters, data: Heatmap) -> Table:
    codes = [code for code, _name in data.components]
    rows = [
        [
            u.row.rank,
            u.row.unit_name,
            *[(u.cells[c].percent if u.cells[c] else None) for c in codes],
            u.row.percent,
            _status(u.row.published, u.row),
        ]
        for u in data.units
    ]
    rows.append([None, _("Trung bình khối"), *[data.averages.get(c) for c in codes], None, ""])
    return Table(
        title=_("Tỷ lệ điểm đạt của các chỉ số thành phần (% điểm tối đa)"),
        subtitle=_subtitle(f),
        filename=_slug(f, "chi-so-thanh-phan"),
        headers=[
            _("Hạng"),
            _("Đơn vị"),
            *[f"{code}. {name}" for code, name in data.components],
            _("Chỉ số (%)"),
            _("Tình trạng"),
        ],
        widths=[7, 44, *[14] * len(codes), 11, 13],
        rows=rows,
    )


def deductions_table(f: Filters, data: DeductionAnalysis) -> Table:
    if data.drill:
        drill = data.drill
        return Table(
            title=_("Các đơn vị bị trừ điểm ở tiêu chí %(code)s") % {"code": drill.code},
            subtitle=_subtitle(f, live=True) + (f" · {drill.name}" if drill.name else ""),
            filename=_slug(f, f"tru-diem-{drill.code}"),
            headers=[
                _("Đơn vị"),
                _("Điểm tối đa"),
                _("Điểm đạt"),
                _("Điểm bị mất"),
                _("Lý do"),
                _("Diễn giải"),
                _("Giải trình của đơn vị"),
            ],
            widths=[40, 10, 10, 10, 36, 50, 40],
            rows=[
                [
                    u["unit_name"],
                    u["max_points"],
                    u["points"],
                    u["lost"],
                    "; ".join(d["reason_label"] or "" for d in u["deductions"]),
                    "; ".join(d["note"] for d in u["deductions"]),
                    u["self_explanation"],
                ]
                for u in drill.units
            ],
        )
    return Table(
        title=_("Phân tích các nội dung bị trừ điểm"),
        subtitle=_subtitle(f, live=True),
        filename=_slug(f, "tru-diem"),
        headers=[
            _("Tiêu chí"),
            _("Nội dung"),
            _("Chỉ số thành phần"),
            _("Điểm bị mất"),
            _("Tỷ trọng (%)"),
            _("Lũy kế (%)"),
            _("Số đơn vị bị trừ"),
        ],
        widths=[9, 60, 10, 11, 11, 11, 11],
        rows=[
            [
                r["code"],
                r["name"],
                r["component_code"],
                r["lost"],
                r["share"],
                r["cumulative"],
                r["units"],
            ]
            for r in data.criteria
        ],
    )


def comparison_table(f: Filters, data: ComparisonPage) -> Table:
    previous = data.previous
    rows: Sequence[Comparison] = data.rows
    return Table(
        title=_("So sánh kết quả với năm trước"),
        subtitle=_subtitle(f),
        filename=_slug(f, "so-sanh"),
        headers=[
            _("Đơn vị"),
            _("Chỉ số năm trước (%)")
            if previous is None
            else _("Chỉ số %(year)s (%%)") % {"year": previous.year},
            _("Chỉ số năm nay (%)")
            if f.period is None
            else _("Chỉ số %(year)s (%%)") % {"year": f.period.year},
            _("Tăng/giảm (điểm %)"),
            _("Hạng năm trước"),
            _("Hạng năm nay"),
            _("Thay đổi hạng"),
            _("Ghi chú"),
            _("Tình trạng"),
        ],
        widths=[44, 12, 12, 12, 10, 10, 10, 30, 13],
        rows=[
            [
                r.name,
                r.previous_percent,
                r.percent,
                r.delta,
                r.previous_rank,
                r.rank,
                r.rank_change,
                _("so với bình quân các đơn vị tiền thân") if r.via_predecessors else "",
                _status(r.published, r),
            ]
            for r in rows
        ],
    )


def climb_table(f: Filters, data: ClimbAnalysis) -> Table:
    me = data.unit
    rows = []
    for t in data.targets:
        rows.append(
            [
                t.steps,
                t.target.name,
                t.target.percent,
                t.points_needed,
                t.new_rank,
                "; ".join(f"{x.code} (+{x.lost})" for x in t.plan),
                t.plan_points,
            ]
        )
    return Table(
        title=_("Phân tích nâng hạng: %(unit)s") % {"unit": me.name if me else ""},
        subtitle=_subtitle(f),
        filename=_slug(f, "nang-hang"),
        headers=[
            _("Vượt (số bậc)"),
            _("Đơn vị cần vượt"),
            _("Chỉ số đơn vị cần vượt (%)"),
            _("Điểm cần thêm"),
            _("Hạng mới"),
            _("Tiêu chí nên khắc phục"),
            _("Điểm khắc phục được"),
        ],
        widths=[10, 40, 14, 12, 10, 50, 14],
        rows=rows,
    )


def unit_table(f: Filters, data: UnitProfile) -> Table:
    unit = data.unit
    rows = []
    for line in data.lines:
        if line.deductions:
            for d in line.deductions:
                rows.append(
                    [
                        line.component_code,
                        line.code,
                        line.name,
                        line.max_points,
                        line.points,
                        d["points"],
                        d["reason_label"] or "",
                        d["note"],
                        line.self_explanation,
                    ]
                )
        elif line.lost:
            rows.append(
                [
                    line.component_code,
                    line.code,
                    line.name,
                    line.max_points,
                    line.points,
                    line.lost,
                    "",
                    "",
                    line.self_explanation,
                ]
            )
    return Table(
        title=_("Các nội dung bị trừ điểm: %(unit)s") % {"unit": unit.name},
        subtitle=_subtitle_of_unit(f),
        filename=f"tru-diem-{unit.code}-{f.period.year if f.period else ''}",
        headers=[
            _("Chỉ số thành phần"),
            _("Tiêu chí"),
            _("Nội dung"),
            _("Điểm tối đa"),
            _("Điểm đạt"),
            _("Điểm bị trừ"),
            _("Lý do"),
            _("Diễn giải"),
            _("Giải trình của đơn vị"),
        ],
        widths=[10, 9, 56, 10, 10, 10, 32, 48, 40],
        rows=rows,
    )


# --- writers -------------------------------------------------------------------------------------


def to_xlsx(table: Table) -> bytes:
    """A write-only workbook: a title, the filter line, a bold header, numbers as numbers."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title(table.title))
    for i, width in enumerate(table.widths, start=1):
        ws.column_dimensions[_column_letter(i)].width = width
    ws.freeze_panes = "A4"
    title = text_cell(ws, table.title)
    title.font = Font(bold=True, size=13)
    ws.append([title])
    ws.append([xlsx_cell(ws, table.subtitle)])
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DCE6F2")
    wrap = Alignment(wrap_text=True, vertical="top")
    headers = []
    for text in table.headers:
        cell = text_cell(ws, text)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = wrap
        headers.append(cell)
    ws.append(headers)
    for row in table.rows:
        ws.append([xlsx_cell(ws, _xlsx_value(v)) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _xlsx_value(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_csv(table: Table) -> bytes:
    """UTF-8 with a BOM, in the language's convention, what Excel set to it opens as is:
    semicolons and decimal commas in Vietnamese (84,64), commas and decimal points in English."""
    mark = decimal_mark()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if mark == "," else ",", lineterminator="\r\n")
    writer.writerow(csv_row(table.headers))
    for row in table.rows:
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return fmt_fixed(value)  # a number, negative or not: never quoted
    if isinstance(value, str):
        return csv_cell(value)
    return str(value)
