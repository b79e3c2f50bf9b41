"""The import of units, their ranking groups and their memberships over the years, from the table
core.tabular reads: every value and reference checked before anything is written, all rows or none.

A unit may have one row per group year (its unit columns the same on every row): one file carries
the groups of several years. The checks, each naming sheet, row and column: lengths as the columns
keep them, years as whole numbers in range, parents and predecessors that exist and form no cycle
(with the units already stored), a unit as its own parent or predecessor, a group of another kind
of unit, the same code and year twice. Memberships written announce memberships_changed through
units.services (the groups re-rank).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.numbers import parse_decimal
from core.tabular import Problem, Sheet, cell, column_index, nfc

from .models import GroupMembership, RankingGroup, Unit, UnitKind
from .services import memberships_changed_send

UNIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("Mã đơn vị", "unit_code"),
    "name": ("Tên đơn vị", "unit_name"),
    "kind": ("Loại đơn vị", "loại"),
    "parent_code": ("Mã đơn vị cấp trên", "parent"),
    "active_from_year": ("Từ năm", "active_from"),
    "active_to_year": ("Đến năm", "active_to"),
    "predecessors": ("Mã đơn vị tiền thân", "tiền thân"),
    "group_code": ("Mã khối", "group"),
    "group_name": ("Tên khối",),
    "group_year": ("Năm xếp khối", "year", "năm"),
}
# The unit's own columns: equal on every row of the same code.
UNIT_FIELDS = ("name", "kind", "parent", "start", "end", "predecessors")
FIELD_COLUMN = {
    "name": "name",
    "kind": "kind",
    "parent": "parent_code",
    "start": "active_from_year",
    "end": "active_to_year",
    "predecessors": "predecessors",
}
LENGTHS = {
    "code": Unit._meta.get_field("code").max_length,
    "name": Unit._meta.get_field("name").max_length,
    "group_code": RankingGroup._meta.get_field("code").max_length,
    "group_name": RankingGroup._meta.get_field("name").max_length,
}
YEARS = (1900, 2200)


@dataclass
class UnitImportResult:
    created: int = 0
    updated: int = 0
    memberships: int = 0
    errors: list[Problem] = field(default_factory=list)


@dataclass
class UnitRow:
    sheet: str
    number: int
    code: str
    name: str
    kind: str | None
    parent: str
    start: int | None
    end: int | None
    predecessors: tuple[str, ...]
    group_code: str
    group_name: str
    group_year: int | None

    @property
    def key(self) -> str:
        return self.code.lower()

    def problem(self, column: str, message: str) -> Problem:
        return Problem(self.sheet, self.number, column, message)


# --- Reading the rows ------------------------------------------------------------------------------


def _text(values, index, column, limit, problem) -> str:
    text = nfc(cell(values, index))
    if "\x00" in text:
        problem(column, _("Ô chứa ký tự không hợp lệ (NUL)."))
        return ""
    if limit and len(text) > limit:
        problem(
            column,
            _("Dài %(length)s ký tự, quá %(max)s ký tự cho phép.")
            % {"length": len(text), "max": limit},
        )
    return text


def _year(value, problem, column) -> int | None:
    try:
        number = parse_decimal(value)
    except ValueError:
        problem(column, _("“%(value)s” không phải là năm.") % {"value": nfc(value)})
        return None
    if number is None:
        return None
    if number != number.to_integral_value() or not YEARS[0] <= number <= YEARS[1]:
        problem(
            column,
            _("Năm %(value)s không hợp lệ (từ %(low)s đến %(high)s).")
            % {"value": nfc(value), "low": YEARS[0], "high": YEARS[1]},
        )
        return None
    return int(number)


@dataclass(frozen=True)
class _Kinds:
    """The unit kinds of the table, read once per import (the admin adds kinds)."""

    names: dict[str, str]  # every accepted spelling, lower case → code
    known: str  # for the message refusing an unknown one

    @classmethod
    def read(cls) -> _Kinds:
        return cls(names=UnitKind.objects.names(), known=UnitKind.objects.known())


def _read_row(
    sheet: Sheet, cols: dict[str, int], number: int, values: list, problems, kinds: _Kinds
) -> UnitRow:
    mine: list[str] = []  # the columns of this row already at fault

    def problem(column, message):
        mine.append(column)
        problems.append(Problem(sheet.name, number, column, message))

    code = _text(values, cols["code"], "code", LENGTHS["code"], problem)
    if not code:
        problem("code", _("Thiếu mã đơn vị."))
    name = _text(values, cols["name"], "name", LENGTHS["name"], problem)
    if not name:
        problem("name", _("Thiếu tên đơn vị."))
    kind_text = nfc(cell(values, cols["kind"]))
    kind = kinds.names.get(kind_text.lower())
    if kind is None:
        problem(
            "kind",
            _("Loại đơn vị “%(value)s” chưa có. Các loại đã có: %(known)s.")
            % {"value": kind_text[:50], "known": kinds.known},
        )
    start = _year(cell(values, cols["active_from_year"]), problem, "active_from_year")
    if start is None and "active_from_year" not in mine:
        problem("active_from_year", _("Thiếu năm bắt đầu tồn tại."))
    end = _year(cell(values, cols.get("active_to_year")), problem, "active_to_year")
    if start and end and end < start:
        problem("active_to_year", _("Năm kết thúc trước năm bắt đầu."))
    predecessors = _text(values, cols.get("predecessors"), "predecessors", 0, problem)
    row = UnitRow(
        sheet=sheet.name,
        number=number,
        code=code,
        name=name,
        kind=kind,
        parent=_text(values, cols.get("parent_code"), "parent_code", 0, problem),
        start=start,
        end=end,
        predecessors=tuple(
            sorted({p.strip() for p in predecessors.replace(",", ";").split(";") if p.strip()})
        ),
        group_code=_text(
            values, cols.get("group_code"), "group_code", LENGTHS["group_code"], problem
        ),
        group_name=_text(
            values, cols.get("group_name"), "group_name", LENGTHS["group_name"], problem
        ),
        group_year=_year(cell(values, cols.get("group_year")), problem, "group_year"),
    )
    if row.group_code and not row.group_year and "group_year" not in mine:
        problem("group_year", _("Cần năm xếp khối khi có mã khối."))
    if row.group_year and not row.group_code:
        problem("group_code", _("Có năm xếp khối nhưng thiếu mã khối."))
    if (
        row.group_year
        and start
        and not (start <= row.group_year and (not end or row.group_year <= end))
    ):
        problem(
            "group_year",
            _("Đơn vị không tồn tại năm %(year)s (từ %(start)s đến %(end)s).")
            % {"year": row.group_year, "start": start, "end": end or "…"},
        )
    return row


def _read_rows(sheets: list[Sheet]) -> tuple[list[UnitRow], list[Problem]]:
    rows: list[UnitRow] = []
    problems: list[Problem] = []
    kinds = _Kinds.read()
    for sheet in sheets:
        if not sheet.header:
            continue
        cols = column_index(sheet, UNIT_COLUMNS)
        missing = [k for k in ("code", "name", "kind", "active_from_year") if k not in cols]
        if missing:
            problems.append(
                Problem(
                    sheet.name,
                    1,
                    ", ".join(missing),
                    _("Thiếu cột bắt buộc: code, name, kind, active_from_year."),
                )
            )
            continue
        for number, values in sheet.rows:
            rows.append(_read_row(sheet, cols, number, values, problems, kinds))
    return rows, problems


# --- Checks across rows and against the stored units -------------------------------------------------


def _check_rows_agree(rows: list[UnitRow]) -> tuple[dict[str, UnitRow], list[Problem]]:
    """One row per code and year; the rows of one code agree on the unit's columns. Returns the
    first row of each code."""
    problems = []
    first: dict[str, UnitRow] = {}
    seen: dict[tuple[str, int | None], UnitRow] = {}
    for row in rows:
        if not row.code:
            continue
        other = seen.setdefault((row.key, row.group_year), row)
        if other is not row:
            message = (
                _("Mã %(code)s năm %(year)s trùng với dòng %(row)s.")
                if row.group_year
                else _("Mã %(code)s trùng với dòng %(row)s.")
            )
            problems.append(
                row.problem(
                    "code",
                    message % {"code": row.code, "year": row.group_year, "row": other.number},
                )
            )
            continue
        unit = first.setdefault(row.key, row)
        for name in UNIT_FIELDS:
            if getattr(row, name) != getattr(unit, name):
                problems.append(
                    row.problem(
                        FIELD_COLUMN[name],
                        _(
                            "Khác với dòng %(row)s của cùng mã %(code)s: mỗi đơn vị chỉ có một giá trị."
                        )
                        % {"row": unit.number, "code": row.code},
                    )
                )
    return first, problems


def _cycle(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    """A path from start back to start following edges, or None."""
    stack = [(start, [start])]
    visited: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, ()):
            if nxt == start:
                return [*path, nxt]
            if nxt not in visited:
                visited.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def _check_references(units: dict[str, UnitRow], existing: dict[str, Unit]) -> list[Problem]:
    problems = []
    known = set(existing) | set(units)
    names = {key: u.code for key, u in existing.items()} | {key: r.code for key, r in units.items()}
    parents = {u.code.lower(): {u.parent.code.lower()} for u in existing.values() if u.parent_id}
    predecessors: dict[str, set[str]] = {}
    for unit in existing.values():
        for code in getattr(unit, "predecessor_codes", ()):
            predecessors.setdefault(unit.code.lower(), set()).add(code)
    for key, row in units.items():
        parents[key] = {row.parent.lower()} if row.parent else set()
        predecessors.setdefault(key, set()).update(p.lower() for p in row.predecessors)
    for key, row in units.items():
        for ref, column in [(row.parent, "parent_code")] + [
            (p, "predecessors") for p in row.predecessors
        ]:
            if ref and ref.lower() not in known:
                problems.append(
                    row.problem(column, _("Không có đơn vị mã “%(code)s”.") % {"code": ref})
                )
        if row.parent.lower() == key:
            problems.append(
                row.problem("parent_code", _("Đơn vị không thể là cấp trên của chính nó."))
            )
        elif (path := _cycle(key, parents)) is not None:
            problems.append(
                row.problem(
                    "parent_code",
                    _("Cấp trên tạo thành vòng lặp: %(path)s.")
                    % {"path": " → ".join(names.get(k, k) for k in path)},
                )
            )
        if key in {p.lower() for p in row.predecessors}:
            problems.append(
                row.problem("predecessors", _("Đơn vị không thể là tiền thân của chính nó."))
            )
        elif (path := _cycle(key, predecessors)) is not None:
            problems.append(
                row.problem(
                    "predecessors",
                    _("Đơn vị tiền thân tạo thành vòng lặp: %(path)s.")
                    % {"path": " → ".join(names.get(k, k) for k in path)},
                )
            )
    return problems


def _check_groups(
    rows: list[UnitRow], units: dict[str, UnitRow], groups: dict[str, RankingGroup]
) -> list[Problem]:
    """A group exists or is named on its row; every member is of the group's kind of unit."""
    problems = []
    new_kinds: dict[str, UnitRow] = {}
    labels = dict(UnitKind.objects.choices())
    named = {row.group_code.lower() for row in rows if row.group_code and row.group_name}
    for row in rows:
        if not row.group_code or not row.code:
            continue
        kind = units[row.key].kind
        group = groups.get(row.group_code.lower())
        if group is None:
            if row.group_code.lower() not in named:
                problems.append(
                    row.problem(
                        "group_name",
                        _("Khối “%(code)s” chưa có: cần tên khối để tạo mới.")
                        % {"code": row.group_code},
                    )
                )
            first = new_kinds.setdefault(row.group_code.lower(), row)
            group_kind = units[first.key].kind
        else:
            group_kind = group.unit_kind
        if kind and group_kind and kind != group_kind:
            problems.append(
                row.problem(
                    "group_code",
                    _("Khối “%(group)s” dành cho %(group_kind)s, đơn vị %(code)s là %(kind)s.")
                    % {
                        "group": row.group_code,
                        "group_kind": str(labels.get(group_kind, group_kind)).lower(),
                        "code": row.code,
                        "kind": str(labels.get(kind, kind)).lower(),
                    },
                )
            )
    return problems


def _stored_units() -> dict[str, Unit]:
    units = {u.code.lower(): u for u in Unit.objects.select_related("parent")}
    through = Unit.predecessors.through.objects.values_list("from_unit__code", "to_unit__code")
    for code, predecessor in through:
        unit = units[code.lower()]
        unit.predecessor_codes = (*getattr(unit, "predecessor_codes", ()), predecessor.lower())
    return units


# --- The import --------------------------------------------------------------------------------------


def units_import(*, sheets: list[Sheet], dry_run: bool = False) -> UnitImportResult:
    """Create or update units by code (and their group of each year), all rows or none.

    Columns: code, name, kind (department/district/commune or the Vietnamese label), parent_code,
    active_from_year, active_to_year, predecessors (codes separated by ";"), group_code, group_name
    (needed only for a new group), group_year. A unit may have one row per group year.
    """
    result = UnitImportResult()
    rows, result.errors = _read_rows(sheets)
    units, problems = _check_rows_agree(rows)
    result.errors += problems
    existing = _stored_units()
    groups = {g.code.lower(): g for g in RankingGroup.objects.all()}
    result.errors += _check_references(units, existing)
    result.errors += _check_groups(rows, units, groups)
    if not rows and not result.errors:
        result.errors.append(Problem("", None, "", _("Tệp không có dòng dữ liệu nào.")))
    if result.errors or dry_run:
        return result
    _write(rows, units, existing, groups, result)
    return result


@transaction.atomic
def _write(
    rows: list[UnitRow],
    units: dict[str, UnitRow],
    existing: dict[str, Unit],
    groups: dict[str, RankingGroup],
    result: UnitImportResult,
) -> None:
    by_code: dict[str, Unit] = {}
    for key, row in units.items():
        unit = existing.get(key)
        fields = {
            "name": row.name,
            "kind": row.kind,
            "active_from_year": row.start,
            "active_to_year": row.end,
        }
        if unit is None:
            unit = Unit.objects.create(code=row.code, **fields)
            result.created += 1
        elif any(getattr(unit, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(unit, k, v)
            unit.save()
            result.updated += 1
        by_code[key] = unit
    lookup = {**existing, **by_code}
    for key, row in units.items():
        unit = by_code[key]
        parent = lookup[row.parent.lower()] if row.parent else None
        if unit.parent_id != (parent.pk if parent else None):
            unit.parent = parent
            unit.save(update_fields=["parent", "updated_at"])
        if row.predecessors:
            unit.predecessors.add(*(lookup[p.lower()] for p in row.predecessors))
    _write_memberships(rows, units, by_code, groups, result)


def _write_memberships(rows, units, by_code, groups, result) -> None:
    years = {row.group_year for row in rows if row.group_code}
    current = {
        (m.unit_id, m.year): m.group_id for m in GroupMembership.objects.filter(year__in=years)
    }
    moved: list[tuple[int, int]] = []
    for row in rows:
        if not row.group_code:
            continue
        unit = by_code[row.key]
        group = groups.get(row.group_code.lower())
        if group is None:
            group = RankingGroup.objects.create(
                code=row.group_code, name=row.group_name, unit_kind=units[row.key].kind
            )
            groups[group.code.lower()] = group
        GroupMembership.objects.update_or_create(
            unit=unit, year=row.group_year, defaults={"group": group}
        )
        result.memberships += 1
        if current.get((unit.pk, row.group_year)) != group.pk:
            moved.append((row.group_year, unit.pk))
    memberships_changed_send(changes=moved)


def units_import_or_raise(*, sheets: list[Sheet]) -> UnitImportResult:
    result = units_import(sheets=sheets)
    if result.errors:
        raise DomainError([str(p) for p in result.errors])
    return result
