"""Writes to units, ranking groups and group memberships.

Every write of a group membership announces units.signals.memberships_changed (the scoring app
re-ranks the groups the units left and joined)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tabular import Problem, Sheet, cell, column_index, nfc

from .models import GroupMembership, RankingGroup, Unit, UnitKind
from .signals import memberships_changed

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
_KINDS = {}
for value, label in UnitKind.choices:
    _KINDS[value] = value
    _KINDS[nfc(str(label)).lower()] = value
_KINDS.update({"sở": "department", "huyện": "district", "xã": "commune"})


@dataclass
class UnitImportResult:
    created: int = 0
    updated: int = 0
    memberships: int = 0
    errors: list[Problem] = field(default_factory=list)


def _year(value, problem, key) -> int | None:
    text = nfc(value)
    if not text:
        return None
    try:
        year = int(float(text.replace(",", ".")))
    except ValueError:
        problem(key, _("“%(value)s” không phải là năm.") % {"value": text})
        return None
    if not 1900 <= year <= 2200:
        problem(key, _("Năm %(value)s không hợp lệ.") % {"value": year})
        return None
    return year


def units_import(*, sheets: list[Sheet], dry_run: bool = False) -> UnitImportResult:
    """Create or update units by code (and their group of a year), all rows or none.

    Columns: code, name, kind (department/district/commune or the Vietnamese label), parent_code,
    active_from_year, active_to_year, predecessors (codes separated by ";"), group_code, group_name
    (needed only for a new group), group_year.
    """
    result = UnitImportResult()
    rows = []
    codes_in_file: dict[str, tuple[str, int]] = {}
    for sheet in sheets:
        if not sheet.header:
            continue
        cols = column_index(sheet, UNIT_COLUMNS)
        missing = [k for k in ("code", "name", "kind", "active_from_year") if k not in cols]
        if missing:
            result.errors.append(
                Problem(
                    sheet.name,
                    1,
                    ", ".join(missing),
                    _("Thiếu cột bắt buộc: code, name, kind, active_from_year."),
                )
            )
            continue
        for number, values in sheet.rows:
            problems: list[Problem] = []

            def problem(key, message, sheet=sheet, number=number, problems=problems):
                problems.append(Problem(sheet.name, number, key, message))

            code = nfc(cell(values, cols["code"]))
            name = nfc(cell(values, cols["name"]))
            kind = _KINDS.get(nfc(cell(values, cols["kind"])).lower())
            if not code:
                problem("code", _("Thiếu mã đơn vị."))
            elif code.lower() in codes_in_file:
                _sheet, r = codes_in_file[code.lower()]
                problem("code", _("Mã %(code)s trùng với dòng %(row)s.") % {"code": code, "row": r})
            else:
                codes_in_file[code.lower()] = (sheet.name, number)
            if not name:
                problem("name", _("Thiếu tên đơn vị."))
            if kind is None:
                problem(
                    "kind",
                    _("Loại đơn vị “%(value)s” không hợp lệ (department, district, commune).")
                    % {"value": nfc(cell(values, cols["kind"]))},
                )
            start = _year(cell(values, cols["active_from_year"]), problem, "active_from_year")
            if start is None and not any(p.column == "active_from_year" for p in problems):
                problem("active_from_year", _("Thiếu năm bắt đầu tồn tại."))
            end = _year(cell(values, cols.get("active_to_year")), problem, "active_to_year")
            if start and end and end < start:
                problem("active_to_year", _("Năm kết thúc trước năm bắt đầu."))
            group_year = _year(cell(values, cols.get("group_year")), problem, "group_year")
            row = {
                "code": code,
                "name": name,
                "kind": kind,
                "start": start,
                "end": end,
                "parent": nfc(cell(values, cols.get("parent_code"))),
                "predecessors": [
                    p.strip()
                    for p in nfc(cell(values, cols.get("predecessors")))
                    .replace(",", ";")
                    .split(";")
                    if p.strip()
                ],
                "group_code": nfc(cell(values, cols.get("group_code"))),
                "group_name": nfc(cell(values, cols.get("group_name"))),
                "group_year": group_year,
                "place": (sheet.name, number),
            }
            if row["group_code"] and not group_year:
                problem("group_year", _("Cần năm xếp khối khi có mã khối."))
            result.errors.extend(problems)
            rows.append(row)
    existing = {u.code.lower(): u for u in Unit.objects.all()}
    groups = {g.code.lower(): g for g in RankingGroup.objects.all()}
    known = set(existing) | set(codes_in_file)
    for row in rows:
        sheet_name, number = row["place"]
        for ref in [row["parent"], *row["predecessors"]]:
            if ref and ref.lower() not in known:
                result.errors.append(
                    Problem(
                        sheet_name,
                        number,
                        "parent_code/predecessors",
                        _("Không có đơn vị mã “%(code)s”.") % {"code": ref},
                    )
                )
        if row["group_code"] and row["group_code"].lower() not in groups and not row["group_name"]:
            result.errors.append(
                Problem(
                    sheet_name,
                    number,
                    "group_name",
                    _("Khối “%(code)s” chưa có: cần tên khối để tạo mới.")
                    % {"code": row["group_code"]},
                )
            )
    if not rows and not result.errors:
        result.errors.append(Problem("", None, "", _("Tệp không có dòng dữ liệu nào.")))
    if result.errors or dry_run:
        return result
    with transaction.atomic():
        group_years = {row["group_year"] for row in rows if row["group_code"]}
        current_groups = {
            (m.unit_id, m.year): m.group_id
            for m in GroupMembership.objects.filter(year__in=group_years)
        }
        moved: list[tuple[int, int]] = []
        by_code: dict[str, Unit] = {}
        for row in rows:
            unit = existing.get(row["code"].lower())
            fields = {
                "name": row["name"],
                "kind": row["kind"],
                "active_from_year": row["start"],
                "active_to_year": row["end"],
            }
            if unit is None:
                unit = Unit.objects.create(code=row["code"], **fields)
                result.created += 1
            elif any(getattr(unit, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(unit, k, v)
                unit.save()
                result.updated += 1
            by_code[row["code"].lower()] = unit
        lookup = {**existing, **by_code}
        for row in rows:
            unit = by_code[row["code"].lower()]
            parent = lookup[row["parent"].lower()] if row["parent"] else None
            if unit.parent_id != (parent.pk if parent else None):
                unit.parent = parent
                unit.save(update_fields=["parent", "updated_at"])
            if row["predecessors"]:
                unit.predecessors.add(*(lookup[p.lower()] for p in row["predecessors"]))
            if row["group_code"]:
                group = groups.get(row["group_code"].lower())
                if group is None:
                    group = RankingGroup.objects.create(
                        code=row["group_code"], name=row["group_name"], unit_kind=row["kind"]
                    )
                    groups[group.code.lower()] = group
                GroupMembership.objects.update_or_create(
                    unit=unit, year=row["group_year"], defaults={"group": group}
                )
                result.memberships += 1
                if current_groups.get((unit.pk, row["group_year"])) != group.pk:
                    moved.append((row["group_year"], unit.pk))
        memberships_changed_send(changes=moved)
    return result


def memberships_changed_send(*, changes: Iterable[tuple[int, int]]) -> None:
    """Announce that the ranking groups of these (year, unit id) pairs were written (created,
    moved or deleted): one memberships_changed signal per year. For writers that saved the rows
    themselves (the units admin's inline); the functions below call it."""
    by_year: dict[int, set[int]] = defaultdict(set)
    for year, unit_id in changes:
        by_year[year].add(unit_id)
    for year, unit_ids in sorted(by_year.items()):
        memberships_changed.send(sender=GroupMembership, year=year, unit_ids=sorted(unit_ids))


@transaction.atomic
def membership_save(*, membership: GroupMembership) -> GroupMembership:
    """Create or change a unit's ranking group of a year. A changed row announces its old (year,
    unit) too: the group the unit left is re-ranked."""
    before = (
        GroupMembership.objects.filter(pk=membership.pk).values_list("year", "unit_id").first()
        if membership.pk
        else None
    )
    membership.save()
    changes = [(membership.year, membership.unit_id)]
    if before is not None:
        changes.append(before)
    memberships_changed_send(changes=changes)
    return membership


@transaction.atomic
def memberships_delete(*, memberships: QuerySet[GroupMembership]) -> int:
    """Delete group memberships; returns how many."""
    changes = list(memberships.values_list("year", "unit_id"))
    deleted, _per_model = memberships.delete()
    memberships_changed_send(changes=changes)
    return deleted


def units_import_or_raise(*, sheets: list[Sheet]) -> UnitImportResult:
    result = units_import(sheets=sheets)
    if result.errors:
        raise DomainError([str(p) for p in result.errors])
    return result
