"""A unit's profile: its results over the years (with its predecessors'), its components against
its group's average, and its criterion scores with their deductions and explanations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from core.permissions import Action, can
from scoring.models import Assessment
from units.models import RankingGroup, Unit

from ..selectors.components import ComponentCell, component_cells
from ..selectors.results import (
    ResultRow,
    group_result_count,
    history_rows,
    period_rows,
    unit_has_result,
)
from ..selectors.unit import CriterionLine, unit_lineage, unit_scores, visible_assessment
from .filters import Filters
from .tables import cached_component_averages


@dataclass
class ComponentVsGroup:
    """One component of the unit against its group's average."""

    code: str
    name: str
    cell: ComponentCell | None
    average: Decimal
    gap: Decimal | None  # the unit's percent minus the average
    lines: list[CriterionLine] = field(default_factory=list)  # its criteria (scores visible)
    lost: Decimal | None = None  # points lost over them (None: scores not read)


class Predecessor(NamedTuple):
    """A unit merged into this one, with the years of its results shown: a predecessor may bear
    the unit's own name (Sở Tài chính before the merger), and the years tell them apart."""

    id: int
    name: str
    code: str
    first_year: int
    last_year: int


@dataclass
class UnitProfile:
    unit: Unit
    lineage: list[int]  # the unit's id, then its predecessors'
    predecessors: list[Predecessor]  # never the unit itself
    history: list[ResultRow]  # every year, the predecessors' too
    series: dict[str, list[tuple]]  # line name → (year, percent, rank) per year
    current: ResultRow | None  # this period's result (None: none the user may see)
    # With no current result: whether the unit has one the user may not see (else none at all).
    hidden: bool = False
    components: list[ComponentVsGroup] = field(default_factory=list)
    lines: list[CriterionLine] = field(default_factory=list)
    group_size: int | None = None
    group: RankingGroup | None = None
    # Whether the group's average covers every unit (a unit head's covers what they may see).
    average_complete: bool = False
    assessment: Assessment | None = None
    deductions: list[tuple[CriterionLine, dict]] = field(default_factory=list)
    explanations: list[CriterionLine] = field(default_factory=list)


def _predecessors(unit: Unit, history: list[ResultRow]) -> list[Predecessor]:
    years: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    for r in history:
        if r.unit_id != unit.pk:
            years[(r.unit_id, r.unit_name, r.unit_code)].append(r.year)
    return sorted(
        (Predecessor(*key, min(found), max(found)) for key, found in years.items()),
        key=lambda p: (p.name, p.code),
    )


def unit_profile(user, f: Filters, unit: Unit) -> UnitProfile:
    lineage = unit_lineage(unit)
    history = history_rows(user, unit_ids=lineage, latest=f.latest)
    if f.edition is not None and not f.edition.is_latest:
        # An earlier version (?version=) of the period shown instead of its latest: one query.
        chosen = period_rows(user, period=f.period, unit_ids=lineage, edition=f.edition)
        history = [r for r in history if r.year != f.period.year] + chosen
        history.sort(key=lambda r: (r.year, r.rank is None, r.rank or 0, r.unit_name))
    current = next(
        (r for r in history if r.unit_id == unit.pk and f.period and r.year == f.period.year), None
    )
    series: dict[str, list] = defaultdict(list)
    # The unit first, then its predecessors, each a line.
    for member in lineage:
        for r in history:
            if r.unit_id == member:
                # Predecessors may share the unit's name (Sở Tài chính before the merger).
                name = r.unit_name if member == unit.pk else f"{r.unit_name} ({r.unit_code})"
                series[name].append((r.year, r.percent, r.rank))
    data = UnitProfile(
        unit=unit,
        lineage=lineage,
        predecessors=_predecessors(unit, history),
        history=history,
        series=dict(series),
        current=current,
    )
    if current is None:
        data.hidden = unit_has_result(unit=unit, period=f.period, edition=f.edition)
        return data
    group = next((g for g in f.groups if g.pk == current.group_id), None)
    data.group = group
    cells = component_cells(
        user,
        period=f.period,
        group=group,
        assessment_ids=[current.assessment_id],
        edition=f.edition,
    ).get(current.assessment_id, {})
    _count, averages = cached_component_averages(user, f, group)
    data.group_size = group_result_count(period=f.period, group=group, edition=f.edition)
    # A unit head sees other units only once published: the average is over what they may see.
    data.average_complete = can(user, Action.VIEW_ALL_UNITS)
    data.components = [
        ComponentVsGroup(
            code=code,
            name=name,
            cell=cells.get(code),
            average=avg,
            gap=(cells[code].percent - avg) if cells.get(code) else None,
        )
        for code, (name, avg) in averages.items()
    ]
    assessment = visible_assessment(user, unit=unit, period=f.period)
    data.assessment = assessment
    if assessment is not None:
        lines = unit_scores(assessment)
        data.lines = lines
        by_component = defaultdict(list)
        for line in lines:
            by_component[line.component_code].append(line)
        for comp in data.components:
            comp.lines = by_component.get(comp.code, [])
            comp.lost = sum((x.lost for x in comp.lines), Decimal(0))
        data.deductions = [(line, d) for line in lines for d in line.deductions]
        data.explanations = [line for line in lines if line.self_explanation]
    return data
