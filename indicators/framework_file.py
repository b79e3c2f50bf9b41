"""Reading and checking a framework's criteria from a table (core.tabular) before anything is
written: every length, number, step and parent link of a row, then the tree as a whole (parents
that exist and form no loop, a parent's maximum the sum of its children's, the components the
scale), each error at its sheet, row and column. Pure: no ORM. indicators.services.framework_import
writes what passes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from core.numbers import DecimalPlacesError, fmt_number, parse_decimal
from core.tabular import Problem, Sheet, cell, column_index, nfc

from .models import Criterion, Framework, ScoringMethod

FRAMEWORK_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("Mã tiêu chí", "criterion_code", "mã"),
    "name": ("Tên tiêu chí", "tên"),
    "parent_code": ("Mã tiêu chí cha", "parent"),
    "max_points": ("Điểm tối đa", "max"),
    "method": ("Cách chấm",),
    "step": ("Bước điểm",),
    "evidence_required": ("Cần tài liệu kiểm chứng", "evidence"),
    "guidance": ("Hướng dẫn chấm",),
    "bands": ("Các mức",),
}
CODE_LENGTH = Criterion._meta.get_field("code").max_length
NAME_LENGTH = Criterion._meta.get_field("name").max_length
FRAMEWORK_NAME_LENGTH = Framework._meta.get_field("name").max_length


def _below(field) -> Decimal:
    """The first number a DecimalField cannot keep: 10^(digits - places)."""
    return Decimal(10) ** (field.max_digits - field.decimal_places)


POINTS_PLACES = Criterion._meta.get_field("max_points").decimal_places
POINTS_BELOW = _below(Criterion._meta.get_field("max_points"))
STEP_PLACES = Criterion._meta.get_field("step").decimal_places
STEP_BELOW = _below(Criterion._meta.get_field("step"))
NO = ("0", "no", "false", "không", "k")


@dataclass
class CriterionRow:
    sheet: str
    number: int
    code: str
    name: str
    parent: str
    max_points: Decimal | None
    method: str
    step: Decimal | None
    bands: list[dict]
    evidence_required: bool
    guidance: str

    def problem(self, column: str, message: str) -> Problem:
        return Problem(self.sheet, self.number, column, message)


def parse_bands(text: str) -> list[dict]:
    """ "100:4; 95:2" → [{"min": 100, "points": 4}, {"min": 95, "points": 2}]."""
    bands = []
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        threshold, _sep, points = part.partition(":")
        # Numbers a float (the JSON column) keeps exactly: 1e309 would be Infinity, which
        # PostgreSQL's json refuses, and 0.123456789 would not be stored as typed.
        low = parse_decimal(threshold, places=POINTS_PLACES)
        pts = parse_decimal(points, places=POINTS_PLACES)
        if low is None or pts is None or not (0 <= low < POINTS_BELOW and 0 <= pts < POINTS_BELOW):
            raise ValueError(part)
        bands.append({"min": float(low), "points": float(pts)})
    return bands


def number_in_range(value, *, places: int, below: Decimal, positive: bool, problem, column):
    """A number that the column keeps exactly: at most `places` decimals, under `below`, not
    negative (above zero when `positive`). None, with a problem, otherwise."""
    try:
        number = parse_decimal(value, places=places)
    except ValueError as exc:
        problem(column, str(exc) if isinstance(exc, DecimalPlacesError) else _("Phải là số."))
        return None
    if number is None:
        return None
    low_ok = number > 0 if positive else number >= 0
    if not low_ok or number >= below:
        problem(
            column,
            (
                _("Phải lớn hơn 0 và nhỏ hơn %(below)s.")
                if positive
                else _("Phải từ 0 đến dưới %(below)s.")
            )
            % {"below": fmt_number(below)},
        )
        return None
    return number


# --- One row -----------------------------------------------------------------------------------------


def _read_row(sheet: Sheet, cols: dict[str, int], number: int, values: list, problems):
    def bad(column, message):
        problems.append(Problem(sheet.name, number, column, message))

    code = nfc(cell(values, cols["code"]))
    if not code:
        bad("code", _("Thiếu mã tiêu chí."))
        return None
    if len(code) > CODE_LENGTH:
        bad("code", _("Mã dài quá %(max)s ký tự.") % {"max": CODE_LENGTH})
    name = nfc(cell(values, cols["name"]))
    if not name:
        bad("name", _("Thiếu tên tiêu chí."))
    elif len(name) > NAME_LENGTH:
        bad("name", _("Tên dài quá %(max)s ký tự.") % {"max": NAME_LENGTH})
    maximum = number_in_range(
        cell(values, cols["max_points"]),
        places=POINTS_PLACES,
        below=POINTS_BELOW,
        positive=False,
        problem=bad,
        column="max_points",
    )
    if maximum is None and not any(p.row == number and p.column == "max_points" for p in problems):
        bad("max_points", _("Thiếu điểm tối đa."))
    methods = set(ScoringMethod.values)
    method = nfc(cell(values, cols.get("method"))) or ScoringMethod.ENTERED
    if method not in methods:
        bad(
            "method",
            _("Cách chấm “%(m)s” không hợp lệ (%(all)s).")
            % {"m": method[:50], "all": ", ".join(sorted(methods))},
        )
    step = number_in_range(
        cell(values, cols.get("step")),
        places=STEP_PLACES,
        below=STEP_BELOW,
        positive=True,
        problem=bad,
        column="step",
    )
    try:
        bands = parse_bands(nfc(cell(values, cols.get("bands"))))
    except ValueError:
        bands = []
        bad("bands", _("Các mức phải có dạng “100:4; 95:2”."))
    if "parent_code" in cols:
        parent = nfc(cell(values, cols["parent_code"]))
    else:
        parent = code.rsplit(".", 1)[0] if "." in code else ""
    evidence = nfc(cell(values, cols.get("evidence_required"))).lower()
    return CriterionRow(
        sheet=sheet.name,
        number=number,
        code=code,
        name=name,
        parent=parent,
        max_points=maximum,
        method=method,
        step=step,
        bands=bands,
        evidence_required=evidence not in NO,
        guidance=nfc(cell(values, cols.get("guidance"))),
    )


def read_criteria(sheets: list[Sheet]) -> tuple[list[CriterionRow], list[Problem]]:
    """The rows of every sheet with a header, each value checked; codes unique."""
    rows: list[CriterionRow] = []
    problems: list[Problem] = []
    codes: dict[str, int] = {}
    for sheet in sheets:
        if not sheet.header:
            continue
        cols = column_index(sheet, FRAMEWORK_COLUMNS)
        missing = [k for k in ("code", "name", "max_points") if k not in cols]
        if missing:
            problems.append(
                Problem(
                    sheet.name,
                    1,
                    ", ".join(missing),
                    _("Thiếu cột bắt buộc: code, name, max_points."),
                )
            )
            continue
        for number, values in sheet.rows:
            row = _read_row(sheet, cols, number, values, problems)
            if row is None:
                continue
            if row.code in codes:
                problems.append(
                    row.problem(
                        "code",
                        _("Mã %(code)s trùng với dòng %(row)s.")
                        % {"code": row.code, "row": codes[row.code]},
                    )
                )
                continue
            codes[row.code] = number
            rows.append(row)
    if not rows and not problems:
        problems.append(Problem("", None, "", _("Tệp không có dòng dữ liệu nào.")))
    return rows, problems


# --- The tree ----------------------------------------------------------------------------------------


def _check_parents(rows: list[CriterionRow]) -> list[Problem]:
    """Every parent exists; no criterion is its own ancestor."""
    problems = []
    by_code = {r.code: r for r in rows}
    for row in rows:
        if row.parent and row.parent not in by_code:
            problems.append(
                row.problem(
                    "parent_code", _("Không có tiêu chí cha “%(code)s”.") % {"code": row.parent}
                )
            )
            continue
        seen, node = [row.code], row.parent
        while node and node in by_code:
            seen.append(node)
            if node == row.code:
                problems.append(
                    row.problem(
                        "parent_code",
                        _("Các tiêu chí tạo thành vòng lặp cha-con: %(path)s.")
                        % {"path": " → ".join(seen)},
                    )
                )
                break
            if len(seen) > len(rows):
                break  # a loop above this row: reported at its own rows
            node = by_code[node].parent
    return problems


def _check_sums(rows: list[CriterionRow], scale: Decimal) -> list[Problem]:
    """A parent's maximum is the sum of its children's, at the parent's row; the components add
    up to the scale."""
    problems = []
    children: dict[str, list[CriterionRow]] = defaultdict(list)
    for row in rows:
        children[row.parent].append(row)
    for row in rows:
        kids = children.get(row.code)
        if not kids or row.max_points is None:
            continue
        total = sum((k.max_points or Decimal(0) for k in kids), Decimal(0))
        if total != row.max_points:
            problems.append(
                row.problem(
                    "max_points",
                    _(
                        "Tiêu chí %(code)s có điểm tối đa %(max)s nhưng tổng điểm tối đa các tiêu "
                        "chí con (%(children)s) là %(sum)s."
                    )
                    % {
                        "code": row.code,
                        "max": fmt_number(row.max_points),
                        "children": ", ".join(k.code for k in kids),
                        "sum": fmt_number(total),
                    },
                )
            )
    roots = children.get("", [])
    total = sum((r.max_points or Decimal(0) for r in roots), Decimal(0))
    if roots and total != scale:
        problems.append(
            Problem(
                roots[0].sheet,
                None,
                "max_points",
                _(
                    "Tổng điểm tối đa các chỉ số thành phần (dòng %(rows)s) là %(sum)s, khác thang "
                    "điểm %(max)s."
                )
                % {
                    "rows": ", ".join(str(r.number) for r in roots),
                    "sum": fmt_number(total),
                    "max": fmt_number(scale),
                },
            )
        )
    return problems


def check_tree(rows: list[CriterionRow], scale: Decimal) -> list[Problem]:
    problems = _check_parents(rows)
    if not problems:
        problems = _check_sums(rows, scale)
    return problems


def check_framework_fields(*, name: str, scale) -> tuple[Decimal | None, list[Problem]]:
    """The framework's own name and scale, given beside the file."""
    problems: list[Problem] = []

    def bad(column, message):
        problems.append(Problem("", None, column, message))

    if not nfc(name):
        bad("name", _("Thiếu tên bộ chỉ số."))
    elif len(nfc(name)) > FRAMEWORK_NAME_LENGTH:
        bad("name", _("Tên dài quá %(max)s ký tự.") % {"max": FRAMEWORK_NAME_LENGTH})
    number = number_in_range(
        scale,
        places=POINTS_PLACES,
        below=POINTS_BELOW,
        positive=True,
        problem=bad,
        column="max_points",
    )
    if number is None and not problems:
        bad("max_points", _("Thiếu thang điểm."))
    return number, problems
