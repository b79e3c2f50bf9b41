"""The improvement plan as pages read it: overview by unit and status, overdue first."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Value, When

from scoring.models import Period

from ..models import OPEN_STATUSES, PlanTask, TaskStatus
from ..permissions import tasks_visible_to

STATUS_ORDER = Case(
    When(status=TaskStatus.OVERDUE, then=Value(0)),
    When(status=TaskStatus.NOT_STARTED, then=Value(1)),
    When(status=TaskStatus.IN_PROGRESS, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


@dataclass
class UnitPlanRow:
    unit_id: int
    unit_name: str
    counts: dict = field(default_factory=dict)  # status → n
    total: int = 0


def plan_tasks(user, period: Period, *, unit_id: int | None = None, status: str = ""):
    """The tasks the user may see, overdue first, then by deadline and unit."""
    qs = tasks_visible_to(user, PlanTask.objects.filter(period=period))
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("unit", "criterion").order_by(
        STATUS_ORDER, "deadline", "unit__name", "criterion__order"
    )


def plan_by_unit(user, period: Period) -> list[UnitPlanRow]:
    """Per unit, how many tasks in each status; units with overdue tasks first. One query."""
    rows: dict[int, UnitPlanRow] = {}
    found = (
        tasks_visible_to(user, PlanTask.objects.filter(period=period))
        .values("unit_id", "unit__name", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in found:
        row = rows.setdefault(r["unit_id"], UnitPlanRow(r["unit_id"], r["unit__name"]))
        row.counts[r["status"]] = r["n"]
        row.total += r["n"]
    return sorted(
        rows.values(),
        key=lambda r: (-r.counts.get(TaskStatus.OVERDUE, 0), -r.total, r.unit_name),
    )


def overdue_tasks(user, *, limit: int = 10) -> list[PlanTask]:
    return list(
        tasks_visible_to(user, PlanTask.objects.filter(status=TaskStatus.OVERDUE))
        .select_related("unit", "period")
        .order_by("deadline", "unit__name")[:limit]
    )


def tasks_due(user, *, unit_id: int) -> list[PlanTask]:
    """A unit's open tasks: overdue, then those due soonest."""
    return list(
        tasks_visible_to(user, PlanTask.objects.filter(unit_id=unit_id, status__in=OPEN_STATUSES))
        .select_related("period", "criterion")
        .order_by(STATUS_ORDER, "deadline")
    )


def open_tasks(
    user, period: Period, *, unit_ids: list[int] | None = None, limit: int = 50
) -> list[PlanTask]:
    """Open tasks of a period's plan the user may see, overdue first (the PDF's
    recommendations)."""
    qs = tasks_visible_to(user, PlanTask.objects.filter(period=period, status__in=OPEN_STATUSES))
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return list(qs.select_related("unit").order_by(STATUS_ORDER, "deadline", "unit__name")[:limit])


def unit_tasks(user, unit_id: int, *, years: tuple[int, ...]) -> list[PlanTask]:
    """A unit's tasks of the given periods' plans, with their criterion (the unit profile)."""
    return list(
        tasks_visible_to(user, PlanTask.objects.filter(unit_id=unit_id, period__year__in=years))
        .select_related("period", "criterion")
        .order_by(STATUS_ORDER, "deadline")
    )
