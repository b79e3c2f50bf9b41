"""Writing the scores template (xlsx, one sheet per ranking group; or CSV) and the results table.

The scores template is the import format: exporting, importing the file unchanged and exporting again
gives the same file content.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _

from core.numbers import fmt_machine
from core.safe_cells import csv_cell, csv_row, text_cell, xlsx_row
from core.tabular import sheet_title
from indicators.models import Criterion, ScoringMethod
from units.models import GroupMembership

from .importing import HEADERS, ROUND_FIELD, deduction_text
from .models import Assessment, AssessmentResult, ComponentResult, CriterionScore, Deduction, Period

TEMPLATE_COLUMNS = [
    "unit_code",
    "unit_name",
    "criterion_code",
    "criterion_name",
    "max_points",
    "self_points",
    "points",
    "deduction",
    "reason",
    "not_applicable",
]
EDITABLE = {"points", "deduction", "reason", "not_applicable"}
MACHINE_COLUMNS = ["unit_code", "criterion_code", "points", "deduction", "reason", "not_applicable"]
NOT_APPLICABLE_MARK = "KAD"


def _sheet_title(name: str, used: set[str]) -> str:
    title = sheet_title(name)
    base, n = title, 2
    while title in used:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)].rstrip() + suffix
        n += 1
    used.add(title)
    return title


def template_rows(period: Period, round: int = 1) -> list[tuple[str, list[dict]]]:
    """(group name, rows) for every ranking group of the period's year, units by name, criteria in
    framework order: the content of the template, with the stored values."""
    point_field = ROUND_FIELD[round]
    assessments = list(
        Assessment.objects.filter(period=period).select_related("unit").order_by("unit__name")
    )
    groups = {
        m.unit_id: m.group
        for m in GroupMembership.objects.filter(year=period.year).select_related("group")
    }
    leaves = defaultdict(list)
    for c in Criterion.objects.filter(
        framework_id__in={a.framework_id for a in assessments}, is_leaf=True
    ).order_by("order", "code"):
        leaves[c.framework_id].append(c)
    scores = {
        (s.assessment_id, s.criterion_id): s
        for s in CriterionScore.objects.filter(assessment__period=period)
    }
    deductions = defaultdict(list)
    for d in (
        Deduction.objects.active()
        .filter(score__assessment__period=period)
        .select_related("reason")
        .order_by("created_at", "pk")
    ):
        deductions[d.score_id].append(d)
    by_group: dict = defaultdict(list)
    for a in assessments:
        group = groups.get(a.unit_id)
        key = (group.order, group.code, group.name) if group else (9999, "", _("Chưa xếp khối"))
        for c in leaves[a.framework_id]:
            s = scores.get((a.pk, c.pk))
            ds = deductions.get(s.pk, []) if s else []
            # Flagged on the score, or dropped for every unit by the framework's method.
            na = bool(s and s.not_applicable) or c.method == ScoringMethod.NOT_APPLICABLE
            by_group[key].append(
                {
                    "unit_code": a.unit.code,
                    "unit_name": a.unit.name,
                    "criterion_code": c.code,
                    "criterion_name": c.name,
                    "max_points": c.max_points,
                    "self_points": s.self_points if s else None,
                    "points": (
                        NOT_APPLICABLE_MARK if na else getattr(s, point_field) if s else None
                    ),
                    "deduction": sum((d.points for d in ds), Decimal(0)) if ds else None,
                    "reason": deduction_text(ds),
                    "not_applicable": 1 if na else 0,
                }
            )
    return [(key[2], rows) for key, rows in sorted(by_group.items())]


def scores_csv(period: Period, round: int = 1) -> bytes:
    """The machine format: unit_code, criterion_code, points (KAD when not applicable), deduction,
    reason, not_applicable (1 or 0); UTF-8 with a BOM
    (so that Excel shows Vietnamese correctly), point decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MACHINE_COLUMNS)
    for _group, rows in template_rows(period, round):
        for r in rows:
            writer.writerow(
                [
                    csv_cell(r["unit_code"]),
                    csv_cell(r["criterion_code"]),
                    r["points"] if r["points"] == NOT_APPLICABLE_MARK else fmt_machine(r["points"]),
                    fmt_machine(r["deduction"]),
                    csv_cell(r["reason"]),
                    r["not_applicable"],
                ]
            )
    return out.getvalue().encode("utf-8-sig")


def scores_xlsx(period: Period, round: int = 1) -> bytes:
    """The Excel template: one sheet per ranking group, Vietnamese headers, the structure columns
    protected (only points, deduction and reason can be typed), the maxima shown and checked by
    Excel's own data validation."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    header_fill = PatternFill("solid", fgColor="DDE7F3")
    edit_fill = PatternFill("solid", fgColor="FFF9E0")
    widths = {"unit_name": 34, "criterion_name": 60, "reason": 40}
    point_label = HEADERS["points_2"] if round == 2 else HEADERS["points"]
    groups = template_rows(period, round) or [(_("Chưa có bản đánh giá"), [])]
    for name, rows in groups:
        ws = workbook.create_sheet(_sheet_title(name, used))
        headers = [HEADERS[c] if c != "points" else point_label for c in TEMPLATE_COLUMNS]
        ws.append([text_cell(ws, h) for h in headers])
        for i, _c in enumerate(TEMPLATE_COLUMNS, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for r in rows:
            ws.append(
                xlsx_row(
                    ws,
                    [
                        float(v) if isinstance(v, Decimal) else v
                        for v in (r[c] if r[c] != "" else None for c in TEMPLATE_COLUMNS)
                    ],
                )
            )
        n = len(rows) + 1
        for col, key in enumerate(TEMPLATE_COLUMNS, start=1):
            letter = ws.cell(row=1, column=col).column_letter
            ws.column_dimensions[letter].width = widths.get(key, 14)
            if key in EDITABLE:
                for row in range(2, n + 1):
                    c = ws.cell(row=row, column=col)
                    c.protection = Protection(locked=False)
                    c.fill = edit_fill
            if key in ("max_points", "self_points", "points", "deduction"):
                for row in range(2, n + 1):
                    ws.cell(row=row, column=col).number_format = "0.00"
        if rows:
            for key in ("points", "deduction"):
                col = TEMPLATE_COLUMNS.index(key) + 1
                letter = ws.cell(row=1, column=col).column_letter
                # The points cell also takes KAD (not applicable).
                rule = (
                    {
                        "type": "custom",
                        "formula1": f'OR(UPPER({letter}2)="KAD",'
                        f"AND(ISNUMBER({letter}2),{letter}2>=0,{letter}2<=$E2))",
                    }
                    if key == "points"
                    else {
                        "type": "decimal",
                        "operator": "between",
                        "formula1": "0",
                        "formula2": "$E2",
                    }
                )
                dv = DataValidation(
                    **rule,
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle=_("Điểm không hợp lệ"),
                    error=_("Điểm phải là số từ 0 đến điểm tối đa của tiêu chí (cột E)."),
                )
                dv.add(f"{letter}2:{letter}{n}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "C2"
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.autoFilter = False
        ws.protection.sort = False
        ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=len(TEMPLATE_COLUMNS)).column_letter}{n}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- Results ---------------------------------------------------------------------------------------


def results_table(period: Period) -> tuple[list[str], list[list]]:
    """Header and rows of the period's stored results: unit_code, unit_name, group, total, percent,
    rank, then one column per component (its code)."""
    results = list(
        AssessmentResult.objects.filter(period=period)
        .select_related("assessment__unit", "group")
        .order_by("group__order", "group__code", "rank", "assessment__unit__name")
    )
    components: dict[str, int] = {}
    points: dict[tuple[int, str], Decimal] = {}
    for cr in (
        ComponentResult.objects.filter(assessment__period=period)
        .select_related("component")
        .order_by("component__order", "component__code")
    ):
        components.setdefault(cr.component.code, cr.component.order)
        points[(cr.assessment_id, cr.component.code)] = cr.points
    codes = sorted(components, key=lambda c: (components[c], c))
    header = ["unit_code", "unit_name", "group", "total", "percent", "rank"] + [
        f"component_{c}" for c in codes
    ]
    rows = [
        [
            r.assessment.unit.code,
            r.assessment.unit.name,
            r.group.name if r.group else "",
            r.total_points,
            r.percent,
            r.rank,
        ]
        + [points.get((r.assessment_id, c)) for c in codes]
        for r in results
    ]
    return header, rows


def results_csv(period: Period) -> bytes:
    header, rows = results_table(period)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_row(header))
    for row in rows:
        # Numbers are formatted after the text is made inert: a negative number stays a number.
        writer.writerow(
            [
                fmt_machine(v) if isinstance(v, Decimal) else ("" if v is None else csv_cell(v))
                for v in row
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def results_xlsx(period: Period) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = results_table(period)
    workbook = Workbook()
    ws = workbook.active
    ws.title = _sheet_title(str(period.year), set())
    ws.append([text_cell(ws, h) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(xlsx_row(ws, [float(v) if isinstance(v, Decimal) else v for v in row]))
    ws.freeze_panes = "C2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
