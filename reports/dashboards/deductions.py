"""The deduction analysis: which criteria lost the most points (Pareto), by component and reason,
down to the units of one criterion."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .. import computation
from ..selectors.deductions import (
    CriterionLoss,
    ReasonTotal,
    UnitLoss,
    criterion_losses,
    lost_points_by_criterion,
    reasons_summary,
)
from .filters import Filters, cached


class ParetoRow(CriterionLoss):
    """A criterion's lost points with its share of the total (computation.pareto)."""

    share: Decimal  # percent of every point lost
    cumulative: Decimal  # running share, most lost first


@dataclass
class ComponentLoss:
    code: str
    name: str
    lost: Decimal = Decimal(0)
    criteria: int = 0  # how many of its criteria lost points
    share: Decimal = Decimal(0)  # percent of every point lost


@dataclass
class Drill:
    """The units that lost points on one criterion, those that lost most first."""

    code: str
    units: list[UnitLoss]
    name: str = ""
    more: bool = False  # the page shows the first ones only; the export has them all


@dataclass
class DeductionAnalysis:
    criteria: list[ParetoRow] = field(default_factory=list)  # per criterion, most lost first
    components: list[ComponentLoss] = field(default_factory=list)
    reasons: list[ReasonTotal] = field(default_factory=list)
    total_lost: Decimal | None = None
    drill: Drill | None = None


def _deduction_aggregates(user, f: Filters) -> tuple[list[CriterionLoss], list[ReasonTotal]]:
    """Lost points per criterion and per reason (cached, see filters.cached)."""
    return cached(
        "deductions",
        user,
        f,
        lambda: (
            lost_points_by_criterion(user, period=f.period, group=f.group),
            reasons_summary(user, period=f.period, group=f.group),
        ),
    )


def deduction_analysis(
    user, f: Filters, *, criterion: str | None = None, drill_limit: int | None = None
) -> DeductionAnalysis:
    if f.period is None:
        return DeductionAnalysis()
    every, reasons = _deduction_aggregates(user, f)
    # The component filter narrows the Pareto, not the by-component table (one query for both).
    criteria = computation.pareto(
        [r for r in every if not f.component or r["component_code"] == f.component]
    )
    components: dict[str, ComponentLoss] = {}
    for row in every:
        comp = components.setdefault(
            row["component_code"], ComponentLoss(row["component_code"], row["component_name"])
        )
        comp.lost += row["lost"]
        comp.criteria += 1
    total = sum((c.lost for c in components.values()), Decimal(0))
    for comp in components.values():
        comp.share = computation.percent(comp.lost, total) if total else Decimal(0)
    drill = None
    if criterion:
        limit = drill_limit + 1 if drill_limit else None
        # Cached like the aggregates: the units of one criterion across the group.
        units = cached(
            f"drill:{limit}:{criterion}",
            user,
            f,
            lambda: criterion_losses(
                user, period=f.period, group=f.group, criterion_code=criterion, limit=limit
            ),
        )
        drill = Drill(criterion, units, units[0]["criterion_name"] if units else "")
    return DeductionAnalysis(
        criteria=criteria,
        components=sorted(components.values(), key=lambda c: computation._code_key(c.code)),
        reasons=reasons,
        total_lost=total,
        drill=drill,
    )
