"""Celery tasks of the core app."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Every minute (beat): record that a worker runs the periodic jobs; /health/ reports its age."""
    from .health import heartbeat_write

    heartbeat_write()
