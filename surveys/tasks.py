"""Celery tasks: thin wrappers around surveys.jobs."""

from __future__ import annotations

from celery import shared_task

from .jobs import import_apply, import_check


@shared_task(name="surveys.tasks.survey_import_check", ignore_result=True)
def survey_import_check(job_id: int) -> None:
    import_check(job_id)


@shared_task(name="surveys.tasks.survey_import_apply", ignore_result=True)
def survey_import_apply(job_id: int) -> None:
    import_apply(job_id)
