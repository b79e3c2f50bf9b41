"""Celery tasks of the targets app: thin, safe to repeat."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def plan_tasks_mark_overdue() -> None:
    """Daily: open plan tasks past their deadline become overdue; their unit heads are told."""
    from .services.plans import tasks_mark_overdue

    tasks_mark_overdue()
