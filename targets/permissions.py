"""Who may see and change targets and plan tasks; built on core.permissions and core.roles."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from core.permissions import Action, can
from core.roles import unit_id_of

from .models import PlanTask


def may_manage(user) -> bool:
    """Staff set targets, create plans, review and close tasks."""
    return can(user, Action.MANAGE_TARGETS)


def sees_every_unit(user) -> bool:
    return can(user, Action.VIEW_ALL_UNITS)


def visible_unit_ids(user) -> list[int] | None:
    """None: every unit; else the one unit a unit head answers for (empty: none)."""
    if sees_every_unit(user):
        return None
    unit_id = unit_id_of(user)
    return [unit_id] if unit_id else []


def tasks_visible_to(user, queryset=None):
    qs = PlanTask.objects.all() if queryset is None else queryset
    ids = visible_unit_ids(user)
    return qs if ids is None else qs.filter(unit_id__in=ids)


def get_task_for_user(user, task_id: int) -> PlanTask:
    """The task if the user may see it; 403 for another unit's task (a unit head), 404 if none."""
    task = get_object_or_404(
        PlanTask.objects.select_related("unit", "period", "criterion"), pk=task_id
    )
    ids = visible_unit_ids(user)
    if ids is not None and task.unit_id not in ids:
        raise PermissionDenied
    return task


def may_update(user, task: PlanTask) -> bool:
    """The unit head of the task's unit (not once closed), or staff."""
    if may_manage(user):
        return True
    return (
        can(user, Action.ANSWER_DEDUCTION)
        and unit_id_of(user) == task.unit_id
        and task.closed_at is None
    )
