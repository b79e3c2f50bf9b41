"""Component results (the eight components of a unit's score) as the heatmap and the unit profile
read them, through the same source as the results: a published snapshot's, or the live results the
user may see, so that an average never includes figures the user may not see."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Max, Sum

from scoring.models import ComponentResult, Period, ResultSnapshotComponent
from units.models import RankingGroup

from .results import source
from .snapshots import LATEST, EditionChoice


@dataclass(frozen=True)
class ComponentCell:
    code: str
    points: Decimal
    max_points: Decimal
    percent: Decimal


# assessment id → component code → cell
ComponentCells = dict[int, dict[str, ComponentCell]]
# component code → (name, average percent over the visible results of the group)
ComponentAverages = dict[str, tuple[str, Decimal]]


@dataclass
class GroupComponents:
    cells: ComponentCells
    averages: ComponentAverages


def component_order(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in code.split("."))


def _components(user, *, period: Period, group: RankingGroup | None, edition: EditionChoice):
    """The component results behind the visible results, and the column naming their assessment."""
    src = source(user, period=period, edition=edition, group=group)
    if src.edition is not None:
        return "row__assessment_id", ResultSnapshotComponent.objects.filter(
            row__in=src.qs.values("pk")
        )
    return "assessment_id", ComponentResult.objects.filter(
        assessment_id__in=src.qs.values("assessment_id")
    )


def _averages(sums: dict[str, list]) -> ComponentAverages:
    """code → [name, sum of percents, count] as each component's average, in component order."""
    return {
        code: (name, (total / n).quantize(Decimal("0.01")))
        for code, (name, total, n) in sorted(sums.items(), key=lambda kv: component_order(kv[0]))
        if n
    }


def _add(sums: dict[str, list], code: str, name: str, total: Decimal, n: int) -> None:
    # Two frameworks in one group (rare) give the same code twice: merge them.
    entry = sums.setdefault(code, [name, Decimal(0), 0])
    entry[1] += total
    entry[2] += n


def _read_cells(qs, key: str, sums: dict[str, list] | None = None) -> ComponentCells:
    cells: ComponentCells = {}
    for assessment_id, code, name, points, max_points, pct in qs.values_list(
        key, "component__code", "component__name", "points", "max_points", "percent"
    ):
        cells.setdefault(assessment_id, {})[code] = ComponentCell(code, points, max_points, pct)
        if sums is not None:
            _add(sums, code, name, pct, 1)
    return cells


def component_cells(
    user,
    *,
    period: Period,
    group: RankingGroup | None,
    assessment_ids: list[int],
    edition: EditionChoice = LATEST,
) -> ComponentCells:
    """The component results of the given assessments, among those the user may see (one query:
    a page of the heatmap, one unit's profile)."""
    key, qs = _components(user, period=period, group=group, edition=edition)
    return _read_cells(qs.filter(**{f"{key}__in": list(assessment_ids)}), key)


def group_components(
    user, *, period: Period, group: RankingGroup, edition: EditionChoice = LATEST
) -> GroupComponents:
    """Every component result of the group the user may see, and each component's average over
    them (one query: the whole heatmap of an export)."""
    key, qs = _components(user, period=period, group=group, edition=edition)
    sums: dict[str, list] = {}
    cells = _read_cells(qs, key, sums)
    return GroupComponents(cells, _averages(sums))


def component_averages(
    user, *, period: Period, group: RankingGroup | None, edition: EditionChoice = LATEST
) -> ComponentAverages:
    """Each component's name and average percent over the group's results the user may see: one
    aggregate row per component (a hash aggregate on the component id)."""
    _key, qs = _components(user, period=period, group=group, edition=edition)
    sums: dict[str, list] = {}
    for code, name, total, n in (
        qs.values("component_id")
        .annotate(
            code=Max("component__code"),
            name=Max("component__name"),
            # Wide enough for the sum of 10,000 percents (SQLite quantizes to max_digits).
            total=Sum("percent", output_field=DecimalField(max_digits=14, decimal_places=2)),
            n=Count("id"),
        )
        .values_list("code", "name", "total", "n")
        .order_by()
    ):
        _add(sums, code, name, total, n)
    return _averages(sums)
