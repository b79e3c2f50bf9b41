"""Targets with their status against the latest results."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from scoring.models import Period

from ..computation import Status, target_status
from ..models import Metric, Target
from ..permissions import visible_unit_ids
from .results import (
    average,
    component_actuals,
    latest_snapshot_id,
    period_actuals,
    sipas_actuals,
    sipas_province_average,
)


@dataclass
class TargetStatus:
    target: Target
    actual: Decimal | None
    gap: Decimal | None
    status: Status
    final: bool

    @property
    def who(self) -> str:
        return self.target.unit.name if self.target.unit_id else ""

    @property
    def below(self) -> bool:
        return self.status in (Status.AT_RISK, Status.MISSED)


def targets_visible_to(user, period: Period):
    """Staff and leadership see every target; a unit head their unit's and the province's."""
    qs = Target.objects.filter(period=period).select_related("unit", "period")
    ids = visible_unit_ids(user)
    if ids is not None:
        qs = qs.filter(Q(unit__isnull=True) | Q(unit_id__in=ids))
    return qs


def target_statuses(
    user, period: Period, *, unit_ids: list[int] | None = None
) -> list[TargetStatus]:
    """Each visible target (only `unit_ids`' and the province's when given) with its status.

    The province's targets are measured on the average of its units' results. A unit head sees
    them only once the period is published: before that the average holds other units'
    provisional figures.
    """
    qs = targets_visible_to(user, period)
    if unit_ids is not None:
        qs = qs.filter(Q(unit__isnull=True) | Q(unit_id__in=unit_ids))
    targets = list(qs)
    if not targets:
        return []
    wanted = None if any(t.unit_id is None for t in targets) else [t.unit_id for t in targets]
    actuals = period_actuals(user, period, unit_ids=wanted)
    needs_components = any(t.metric == Metric.COMPONENT for t in targets)
    components = component_actuals(user, period, unit_ids=wanted) if needs_components else {}
    sipas = (
        sipas_actuals(period.year, unit_ids=wanted)
        if any(t.metric == Metric.SIPAS for t in targets)
        else {}
    )
    everyone = visible_unit_ids(user) is None
    all_final = bool(actuals) and all(a.final for a in actuals.values())
    # Published: every unit's row comes from the snapshot, whoever reads it.
    published = everyone or latest_snapshot_id(period) is not None
    out = []
    for t in targets:
        actual, final = _actual(t, actuals, components, sipas, period)
        if t.unit_id is None and not everyone and not published:
            actual = None  # a unit head: no average of provisional (or only some) figures
        if t.unit_id is None:
            final = all_final
        status, gap = target_status(metric=t.metric, target=t.value, actual=actual, final=final)
        out.append(TargetStatus(t, actual, gap, status, final))
    out.sort(key=lambda s: (s.target.unit_id is not None, s.who, s.target.metric))
    return out


def _actual(t: Target, actuals, components, sipas, period) -> tuple[Decimal | None, bool]:
    if t.unit_id is None:
        rows = list(actuals.values())
        if t.metric == Metric.POINTS:
            return average(r.total_points for r in rows), False
        if t.metric == Metric.PERCENT:
            return average(r.percent for r in rows), False
        if t.metric == Metric.SIPAS:
            return sipas_province_average(period.year), False  # final once the period is
        if t.metric == Metric.COMPONENT:
            return average(
                p for (u, c), (p, _f) in components.items() if c == t.component_code
            ), False
        return None, False  # a rank is a unit's
    row = actuals.get(t.unit_id)
    if t.metric == Metric.SIPAS:
        # Survey results are not published on their own: final with the unit's published result.
        return sipas.get(t.unit_id), (row.final if row is not None else False)
    if row is None:
        return None, False
    if t.metric == Metric.POINTS:
        return row.total_points, row.final
    if t.metric == Metric.PERCENT:
        return row.percent, row.final
    if t.metric == Metric.RANK:
        return (Decimal(row.rank) if row.rank is not None else None), row.final
    found = components.get((t.unit_id, t.component_code))
    return (found[0], found[1]) if found else (None, False)


def unit_targets(user, period: Period, unit_id: int) -> list[TargetStatus]:
    """A unit's own targets with their status (the unit profile, the climb page)."""
    return [s for s in target_statuses(user, period, unit_ids=[unit_id]) if s.target.unit_id]


def percent_target_of(period: Period, unit_id: int | None) -> Decimal | None:
    """The unit's percent target, else the province's (the ranking chart's target line)."""
    found = dict(
        Target.objects.filter(period=period, metric=Metric.PERCENT)
        .filter(Q(unit_id=unit_id) | Q(unit__isnull=True))
        .values_list("unit_id", "value")
    )
    return found.get(unit_id) if unit_id in found else found.get(None)


def percent_targets(period: Period) -> dict[int | None, Decimal]:
    """Unit id (None: the province) → percent target: who is below them on the ranking."""
    return dict(
        Target.objects.filter(period=period, metric=Metric.PERCENT).values_list("unit_id", "value")
    )


def percent_targets_by_year(unit_id: int) -> dict[int, Decimal]:
    """Year → the unit's percent target (the province's where the unit has none): the unit's
    trend line with its targets."""
    found: dict[int, Decimal] = {}
    rows = Target.objects.filter(metric=Metric.PERCENT).filter(
        Q(unit_id=unit_id) | Q(unit__isnull=True)
    )
    for year, unit, value in rows.order_by("unit_id").values_list(
        "period__year", "unit_id", "value"
    ):
        if unit is not None or year not in found:
            found[year] = value
    return found
