"""Writes to frameworks and criteria."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tabular import Problem, nfc
from units.models import UnitKind

from .framework_file import CriterionRow, check_framework_fields, check_tree, read_criteria
from .models import Criterion, Framework, RatingBand


def framework_refresh_tree(*, framework: Framework) -> None:
    """Recompute each criterion's level, component and leaf flag from the parent links."""
    criteria = {c.pk: c for c in framework.criteria.all()}
    children = defaultdict(list)
    for c in criteria.values():
        children[c.parent_id].append(c)
    changed = []

    def walk(node: Criterion, level: int, component_id: int) -> None:
        is_leaf = not children[node.pk]
        if (node.level, node.component_id, node.is_leaf) != (level, component_id, is_leaf):
            node.level, node.component_id, node.is_leaf = level, component_id, is_leaf
            changed.append(node)
        for child in children[node.pk]:
            walk(child, level + 1, component_id)

    for root in children[None]:
        walk(root, 1, root.pk)
    # The tree of one framework is a few hundred rows at most; bulk_update is fine at that size.
    Criterion.objects.bulk_update(changed, ["level", "component", "is_leaf"])


def framework_errors(*, framework: Framework) -> list[str]:
    """Every inconsistency of the tree, as translated sentences; empty when the framework is sound."""
    errors: list[str] = []
    criteria = list(framework.criteria.all())
    by_parent: dict[int | None, list[Criterion]] = defaultdict(list)
    for c in criteria:
        by_parent[c.parent_id].append(c)
        if c.parent_id is not None and c.parent.framework_id != framework.pk:
            errors.append(_("Tiêu chí %(code)s thuộc một bộ chỉ số khác.") % {"code": c.code})
    roots_total = sum((c.max_points for c in by_parent[None]), Decimal("0"))
    if roots_total != framework.max_points:
        errors.append(
            _("Tổng điểm tối đa các chỉ số thành phần là %(sum)s, khác thang điểm %(max)s.")
            % {"sum": roots_total, "max": framework.max_points}
        )
    for c in criteria:
        kids = by_parent[c.pk]
        if kids:
            total = sum((k.max_points for k in kids), Decimal("0"))
            if total != c.max_points:
                errors.append(
                    _(
                        "Tiêu chí %(code)s có điểm tối đa %(max)s nhưng tổng điểm tối đa các tiêu "
                        "chí con là %(sum)s."
                    )
                    % {"code": c.code, "max": c.max_points, "sum": total}
                )
    return errors


def framework_validate(*, framework: Framework) -> None:
    errors = framework_errors(framework=framework)
    if errors:
        raise DomainError(errors)


def criterion_create(
    *,
    framework: Framework,
    code: str,
    name: str,
    max_points: Decimal,
    parent: Criterion | None = None,
    **fields,
) -> Criterion:
    """Add a criterion; refused when its maximum would push the siblings past the parent's."""
    if max_points < 0:
        raise DomainError(_("Điểm tối đa không được âm."))
    if parent is not None:
        if parent.framework_id != framework.pk:
            raise DomainError(_("Tiêu chí cha phải thuộc cùng bộ chỉ số."))
        used = sum((c.max_points for c in parent.children.all()), Decimal("0"))
        if used + max_points > parent.max_points:
            raise DomainError(
                _("Tổng điểm tối đa các tiêu chí con của %(code)s (%(sum)s) vượt quá %(max)s.")
                % {"code": parent.code, "sum": used + max_points, "max": parent.max_points}
            )
    with transaction.atomic():
        criterion = Criterion.objects.create(
            framework=framework,
            parent=parent,
            code=code,
            name=name,
            max_points=max_points,
            level=parent.level + 1 if parent else 1,
            component_id=parent.component_id if parent else None,
            **fields,
        )
        if parent is None:
            criterion.component = criterion
            criterion.save(update_fields=["component"])
        elif parent.is_leaf:
            parent.is_leaf = False
            parent.save(update_fields=["is_leaf"])
    return criterion


@transaction.atomic
def framework_copy_forward(
    *, framework: Framework, year: int, name: str | None = None
) -> Framework:
    """Copy a framework to a new year; the copy is edited freely while the old year stays as it was.

    Each copied criterion remembers the one it continues from, so trends survive renumbering.
    """
    if Framework.objects.filter(year=year, unit_kind=framework.unit_kind).exists():
        raise DomainError(_("Đã có bộ chỉ số năm %(year)s cho loại đơn vị này.") % {"year": year})
    new = Framework.objects.create(
        year=year,
        unit_kind=framework.unit_kind,
        name=name or framework.name.replace(str(framework.year), str(year)),
        max_points=framework.max_points,
        max_bonus=framework.max_bonus,
        max_penalty=framework.max_penalty,
        copied_from=framework,
    )
    RatingBand.objects.bulk_create(
        RatingBand(framework=new, label=b.label, min_percent=b.min_percent)
        for b in framework.bands.all()
    )
    old_to_new: dict[int, Criterion] = {}
    old_component: dict[int, int | None] = {}
    # Parents before children: order by level.
    for old in framework.criteria.order_by("level", "order"):
        old_component[old.pk] = old.component_id
        copy = Criterion.objects.create(
            framework=new,
            parent=old_to_new[old.parent_id] if old.parent_id else None,
            code=old.code,
            name=old.name,
            order=old.order,
            level=old.level,
            is_leaf=old.is_leaf,
            max_points=old.max_points,
            method=old.method,
            step=old.step,
            bands=old.bands,
            evidence_required=old.evidence_required,
            guidance=old.guidance,
            continues_from=old,
        )
        old_to_new[old.pk] = copy
    for old_id, copy in old_to_new.items():
        component_id = old_component[old_id]
        copy.component = old_to_new[component_id] if component_id else copy
    Criterion.objects.bulk_update(old_to_new.values(), ["component"])
    return new


# --- Import of a framework from a file (read and checked by indicators.framework_file) ----------


def _framework_replaceable(*, year: int, unit_kind: str, replace: bool):
    """(the framework the import replaces or None, problems)."""

    def refused(message):
        return None, [Problem("", None, "", message)]

    existing = Framework.objects.filter(year=year, unit_kind=unit_kind).first()
    if existing is None:
        return None, []
    if not replace:
        return refused(_("Đã có bộ chỉ số năm %(year)s cho loại đơn vị này.") % {"year": year})
    if existing.assessments.exists():
        return refused(
            _("Bộ chỉ số năm %(year)s đã được dùng để chấm điểm, không thay được.") % {"year": year}
        )
    return existing, []


def _criteria_create(*, framework: Framework, rows: list[CriterionRow]) -> None:
    """Parents before children, whatever the file's order (the rows are checked: no loop)."""
    by_code: dict[str, Criterion] = {}
    pending = list(rows)
    order = 0
    while pending:
        ready = [r for r in pending if not r.parent or r.parent in by_code]
        for r in ready:
            order += 1
            by_code[r.code] = Criterion.objects.create(
                framework=framework,
                parent=by_code.get(r.parent),
                code=r.code,
                name=r.name,
                order=order,
                max_points=r.max_points,
                method=r.method,
                step=r.step,
                bands=r.bands,
                evidence_required=r.evidence_required,
                guidance=r.guidance,
            )
        pending = [r for r in pending if r.code not in by_code]


def framework_import(
    *,
    year: int,
    unit_kind: str,
    name: str,
    sheets: list,
    max_points: Decimal | str = Decimal("100"),
    replace: bool = False,
) -> tuple[Framework | None, list]:
    """Build a year's framework from a table of criteria, all or nothing.

    Columns: code, name, parent_code (empty for a component; if the column is missing the parent is
    the code without its last part, "1.2.3" → "1.2"), max_points, method, step, evidence_required,
    guidance, bands ("100:4; 95:2"). Every value and the tree (a parent's maximum is the sum of its
    children's, the components add up to the framework's scale) are checked before writing, each
    error at its row. max_points (the scale) may be the text typed ("100", "99,5").
    `unit_kind`: any kind of units.UnitKind, by its code or its name ("province", "tỉnh").
    Returns (framework, []) or (None, problems).
    """
    kind = UnitKind.objects.resolve(unit_kind)
    if kind is None:
        message = _("Loại đơn vị “%(value)s” chưa có. Các loại đã có: %(known)s.") % {
            "value": nfc(unit_kind)[:50],
            "known": UnitKind.objects.known(),
        }
        return None, [Problem("", None, "", message)]
    unit_kind = kind
    existing, problems = _framework_replaceable(year=year, unit_kind=unit_kind, replace=replace)
    if problems:
        return None, problems
    scale, problems = check_framework_fields(name=name, scale=max_points)
    rows, row_problems = read_criteria(sheets)
    problems += row_problems
    if not problems:
        problems = check_tree(rows, scale)
    if problems:
        return None, problems
    try:
        with transaction.atomic():
            if existing is not None:
                existing.delete()
            framework = Framework.objects.create(
                year=year, unit_kind=unit_kind, name=nfc(name), max_points=scale
            )
            _criteria_create(framework=framework, rows=rows)
            framework_refresh_tree(framework=framework)
            errors = framework_errors(framework=framework)
            if errors:  # the checks above make this unreachable; kept as the last guard
                raise DomainError(errors)
    except DomainError as exc:
        return None, [Problem("", None, "", m) for m in exc.messages]
    return framework, []
