"""Celery tasks: thin wrappers around scoring.recompute.jobs (which sends them by name and never
imports this module). Each takes ids and is safe to repeat."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .importing.jobs import score_import_run  # noqa: F401 (registers the score import job)
from .models import Period, RecomputeRun
from .recompute.jobs import recompute_queue, run_job, runs_prune, runs_stale_resend
from .recompute.locks import RecomputeBusy

# Retry a busy period every few seconds for up to ten minutes.
BUSY_RETRY_SECONDS = 3
BUSY_MAX_RETRIES = 200
# A database that did not answer is tried again this many seconds later.
DATABASE_RETRY_SECONDS = 5


@shared_task(bind=True, ignore_result=True, acks_late=True, max_retries=BUSY_MAX_RETRIES)
def recompute_period(self, period_id: int, run_id: int | None = None) -> None:
    """Run the queued recompute `run_id` of a period (a new full one if no run is given).

    Never two at once on one period: when another worker holds the period, retry shortly; the run
    stays queued meanwhile, so later edits keep joining it.
    """
    try:
        # Run eagerly (the demo, no broker) there is no later: wait for the period instead.
        run_job(period_id=period_id, run_id=run_id, wait=bool(self.request.is_eager))
    except RecomputeBusy as exc:
        raise self.retry(exc=exc, countdown=BUSY_RETRY_SECONDS) from exc
    except (OperationalError, InterfaceError) as exc:
        # The database could not be reached (restarting, failing over): the run is still queued,
        # or left running, and later edits join it without sending it again, so try again here
        # rather than leave it to the stale sweep minutes later.
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=DATABASE_RETRY_SECONDS) from exc


@shared_task(ignore_result=True)
def recompute_open_periods() -> None:
    """Nightly: a full recompute of every open period, and old runs pruned."""
    for period_id in Period.objects.filter(status=Period.Status.OPEN).values_list("pk", flat=True):
        recompute_queue(period_id, None, trigger=RecomputeRun.Trigger.NIGHTLY)
    runs_prune()


@shared_task(ignore_result=True)
def recompute_stale_queued() -> None:
    """Every minute: queued runs whose message was lost (broker down at the edit), and runs left
    running by a worker that died, are sent again."""
    runs_stale_resend()


@shared_task(ignore_result=True)
def evidence_orphans_remove() -> None:
    """Nightly: evidence files left on disk by uploads whose transaction rolled back."""
    from .services.evidence_orphans import evidence_orphans_remove as remove

    remove()


@shared_task(ignore_result=True)
def deadline_reminders() -> None:
    """Daily: remind unit heads of a draft 7, 3 and 1 days before their self-assessment deadline,
    and staff of the assessments not appraised after the appraisal deadline."""
    from .services.deadlines import reminders_send

    reminders_send()
