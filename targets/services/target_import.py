"""Targets from a file (CSV or XLSX through core.tabular): every row checked before anything is
written, all rows or none, each error naming the sheet, row and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.limits import TableError
from core.numbers import DecimalPlacesError, parse_decimal
from core.tabular import Problem, cell, column_index, nfc, read_tables
from scoring.models import Period
from units.models import Unit

from ..fold import fold
from ..models import Metric
from .targets import target_check, target_set

COLUMNS: dict[str, tuple[str, ...]] = {
    "unit_code": ("Mã đơn vị",),
    "metric": ("Chỉ tiêu",),
    "component_code": ("Mã chỉ số thành phần",),
    "value": ("Mục tiêu", "Mức mục tiêu"),
    "note": ("Ghi chú",),
}
REQUIRED = ("metric", "value")

_METRICS = {fold(v): v for v in Metric.values}
_METRICS.update({fold(str(label)): value for value, label in Metric.choices})
_METRICS.update(
    {
        "diem": Metric.POINTS,
        "tong diem": Metric.POINTS,
        "chi so": Metric.PERCENT,
        "thu hang": Metric.RANK,
        "hang": Metric.RANK,
    }
)


@dataclass
class TargetImportResult:
    written: int = 0
    errors: list[Problem] = field(default_factory=list)


@dataclass
class _Row:
    unit: Unit | None
    metric: str
    component_code: str
    value: Decimal
    note: str


def targets_import(*, period: Period, data: bytes, filename: str, user=None) -> TargetImportResult:
    """Read, check every row, then write all of them in one transaction (or nothing)."""
    result = TargetImportResult()
    try:
        sheets = read_tables(data, filename)
    except TableError as exc:
        result.errors = list(exc.problems) or [Problem("", None, "", str(exc))]
        return result
    units = {u.code.lower(): u for u in Unit.objects.all()}
    rows: list[_Row] = []
    seen: set[tuple] = set()
    for sheet in sheets[:1]:
        cols = column_index(sheet, COLUMNS)
        for key in REQUIRED:
            if key not in cols:
                result.errors.append(
                    Problem(sheet.name, 1, COLUMNS[key][0], _("Thiếu cột bắt buộc."))
                )
        if result.errors:
            return result
        for number, values in sheet.rows:

            def problem(column: str, message: str, number=number, sheet=sheet) -> None:
                result.errors.append(Problem(sheet.name, number, COLUMNS[column][0], message))

            code = nfc(cell(values, cols.get("unit_code"))).lower()
            unit = None
            if code:
                unit = units.get(code)
                if unit is None:
                    problem("unit_code", _("Không có đơn vị mã “%(code)s”.") % {"code": code})
                    continue
            metric = _METRICS.get(fold(nfc(cell(values, cols["metric"]))))
            if metric is None:
                problem("metric", _("Chỉ tiêu không hợp lệ."))
                continue
            try:
                value = parse_decimal(cell(values, cols["value"]), places=2)
            except DecimalPlacesError as exc:
                problem("value", str(exc))
                continue
            except ValueError:
                problem("value", _("Không phải là một số."))
                continue
            if value is None:
                problem("value", _("Thiếu mức mục tiêu."))
                continue
            component = nfc(cell(values, cols.get("component_code")))
            note = nfc(cell(values, cols.get("note")))[:500]
            try:
                target_check(metric=metric, unit=unit, component_code=component, value=value)
            except DomainError as exc:
                problem("value", " ".join(exc.messages))
                continue
            key = (unit.pk if unit else None, metric, component)
            if key in seen:
                problem("metric", _("Mục tiêu này đã có ở một dòng trên."))
                continue
            seen.add(key)
            rows.append(_Row(unit, metric, component, value, note))
    if result.errors:
        return result
    if not rows:
        result.errors.append(Problem("", None, "", _("Tệp không có dòng mục tiêu nào.")))
        return result
    with transaction.atomic():
        for r in rows:
            target_set(
                period=period,
                unit=r.unit,
                metric=r.metric,
                component_code=r.component_code,
                value=r.value,
                note=r.note,
                user=user,
            )
    result.written = len(rows)
    return result
