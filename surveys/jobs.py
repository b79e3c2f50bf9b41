"""The upload page's jobs: check an uploaded answers file (the preview), then apply it. Each job's
state, progress and errors live in its SurveyImport row, which the page polls. Run by the
Celery tasks in surveys.tasks (eagerly in the demo and the tests)."""

from __future__ import annotations

from celery import signature
from django.core.cache import cache
from django.db import transaction

from .importing import import_answers
from .models import SurveyImport
from .selectors import PROGRESS_SECONDS, progress_key

S = SurveyImport.Status
# The Celery tasks of surveys.tasks, sent by name (that module imports this one).
CHECK_TASK = "surveys.tasks.survey_import_check"
APPLY_TASK = "surveys.tasks.survey_import_apply"


def job_send(task: str, job: SurveyImport) -> None:
    """Queue `task` for the job once the current transaction commits."""
    transaction.on_commit(lambda: signature(task, args=(job.pk,)).apply_async())


def _progress(job: SurveyImport):
    """Progress goes to the cache, not the job's row: the import writes inside one transaction
    (the row's update would not be seen before the commit) and on a connection busy with COPY."""

    def report(percent: int, message: str) -> None:
        cache.set(progress_key(job.pk), (percent, message[:255]), PROGRESS_SECONDS)

    return report


def _read(job: SurveyImport) -> bytes:
    with job.file.open("rb") as f:
        return f.read()


def _finish(job: SurveyImport, outcome, status) -> None:
    job.status = status
    job.rows = outcome.rows
    job.error_count = outcome.error_count
    job.errors = outcome.errors[:200] + (
        [f"… +{outcome.error_count - len(outcome.errors)}"]
        if outcome.error_count > len(outcome.errors)
        else []
    )
    job.preview = outcome.preview
    job.digest = outcome.digest
    job.progress = 100
    job.message = ""
    job.save(
        update_fields=[
            *("status", "rows", "errors", "error_count", "preview", "digest", "progress"),
            "message",
        ]
    )
    cache.delete(progress_key(job.pk))


def import_check(job_id: int) -> None:
    job = SurveyImport.objects.select_related("survey").get(pk=job_id)
    SurveyImport.objects.filter(pk=job.pk).update(status=S.CHECKING)
    outcome = import_answers(
        survey=job.survey,
        data=_read(job),
        filename=job.filename,
        dry_run=True,
        progress=_progress(job),
    )
    _finish(job, outcome, S.CHECKED if outcome.status == "checked" else S.INVALID)


def import_apply(job_id: int) -> None:
    # Claimed by one conditional UPDATE: a second run of the task (a retry, a double click)
    # finds nothing to do.
    if not SurveyImport.objects.filter(pk=job_id, status=S.CHECKED).update(
        status=S.APPLYING, progress=0
    ):
        return
    job = SurveyImport.objects.select_related("survey").get(pk=job_id)
    outcome = import_answers(
        survey=job.survey,
        data=_read(job),
        filename=job.filename,
        progress=_progress(job),
        job=job,
    )
    status = {"applied": S.APPLIED, "unchanged": S.UNCHANGED}.get(outcome.status, S.INVALID)
    _finish(job, outcome, status)


def job_start(*, survey, upload, user) -> SurveyImport:
    """Store the upload and queue its check once the row is committed."""
    job = SurveyImport.objects.create(
        survey=survey, file=upload, filename=upload.name[:255], created_by=user
    )
    job_send(CHECK_TASK, job)
    return job
