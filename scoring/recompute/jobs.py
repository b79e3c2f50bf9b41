"""Recompute runs: each recompute is a RecomputeRun row, queued by edits and run by a Celery worker
(or run at once, in this process, by the publication and the operators' command).

A burst of edits is one recompute: the database allows one queued run per period (a partial unique
constraint), requests merge their units into it, and its task is sent once, a few seconds later.
The worker claims the run with a conditional UPDATE under the period's job lock, so a duplicated or
retried message changes nothing. That lock is held by the worker's database session for the whole
job: a worker killed mid-recompute loses it with its connection (its transaction rolls back, the old
results stay), and the sweep (`runs_stale_resend`, beat, every minute) sends the run again, to be
redone by the next worker, without waiting for the broker's redelivery of the unacknowledged message
(an hour with Redis). The Celery tasks (scoring.tasks) are thin wrappers around
`run_job` and `runs_prune`; this module sends them by name and never imports them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from celery import signature
from django.core.cache import cache
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from ..models import Period, RecomputeRun
from .engine import Progress, RecomputeStats, compute
from .locks import period_job_lock, periods_held
from .scope import merge_unit_ids

logger = logging.getLogger(__name__)

# The Celery task that runs a queued run (scoring.tasks.recompute_period).
RUN_TASK = "scoring.tasks.recompute_period"
# Edits arriving within this many seconds of the first one join the same run.
COALESCE_SECONDS = 2
# A queued run older than this whose message may have been lost is enqueued again.
STALE_QUEUED = timedelta(minutes=5)
# A run still "running" this long after its claim, whose period's lock nobody holds, lost its
# worker. Only the operators' recompute_now records its run before it takes the lock, for moments.
STALE_RUNNING = timedelta(seconds=10)
# What a query raises when the database connection is lost mid-job.
DATABASE_GONE = (OperationalError, InterfaceError)
# What a send raises when the broker cannot be reached.
BROKER_DOWN = (KombuOperationalError, RedisError, OSError)


def _sorted_units(unit_ids: Iterable[int] | None) -> list[int] | None:
    return None if unit_ids is None else sorted({int(u) for u in unit_ids})


def _user_or_none(user):
    return user if getattr(user, "is_authenticated", False) else None


def recompute_now(
    period: Period,
    unit_ids: Iterable[int] | None = None,
    *,
    trigger: str = RecomputeRun.Trigger.DIRECT,
    progress: Progress | None = None,
    user=None,
) -> RecomputeStats:
    """Recompute the stored results of `period` (or of `unit_ids`' assessments, with their groups'
    ranks) now, in this process, waiting for the period's lock; the run is recorded. Inside the
    caller's transaction if there is one (the publication freezes exactly what it computed)."""
    units = _sorted_units(unit_ids)
    run = RecomputeRun.objects.create(
        period=period,
        status=RecomputeRun.Status.RUNNING,
        trigger=trigger,
        unit_ids=units,
        requested_by=_user_or_none(user),
        started_at=timezone.now(),
        attempts=1,
    )
    try:
        stats = compute(period=period, unit_ids=units, progress=progress)
    except Exception as exc:
        _finish(run, error=exc)
        raise
    _finish(run, stats=stats)
    return stats


def recompute_queue(
    period_id: int,
    unit_ids: Iterable[int] | None = None,
    *,
    trigger: str = RecomputeRun.Trigger.EDIT,
    user=None,
) -> RecomputeRun:
    """Queue a recompute of a period for a worker, merging into the run already waiting for it if
    there is one, and return that run.

    Concurrent requests end in one run; the task is sent once per run, COALESCE_SECONDS later, so
    that a burst of edits is one recompute: when this transaction commits, or at once outside one.
    Idempotent: asking twice costs nothing more."""
    units = _sorted_units(unit_ids)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                run, send = _queued_run(period_id, units, trigger=trigger, user=user)
        except IntegrityError:
            continue  # another request created the queued run first: merge into it
        if send:
            transaction.on_commit(lambda run=run: _send(run), robust=True)
        return run
    raise RuntimeError(f"could not queue a recompute of period {period_id}")


def _queued_run(
    period_id: int, units: list[int] | None, *, trigger: str, user
) -> tuple[RecomputeRun, bool]:
    """The period's queued run with `units` merged in (created if none), and whether its task must
    be sent."""
    run = (
        RecomputeRun.objects.select_for_update()
        .filter(period_id=period_id, status=RecomputeRun.Status.QUEUED)
        .first()
    )
    if run is None:
        run = RecomputeRun.objects.create(
            period_id=period_id, trigger=trigger, unit_ids=units, requested_by=_user_or_none(user)
        )
        return run, True
    merged = merge_unit_ids(run.unit_ids, units)
    if merged != run.unit_ids:
        run.unit_ids = merged
        run.save(update_fields=["unit_ids"])
    # A message lost on the way (broker restarted) must not block the period.
    return run, run.created_at < timezone.now() - STALE_QUEUED


def _send(run: RecomputeRun) -> None:
    """Send the run's task. The run is already committed as queued: if the broker cannot be
    reached, it stays queued and `runs_stale_resend` (beat, every minute) sends it later."""
    try:
        signature(RUN_TASK, args=(run.period_id, run.pk)).apply_async(countdown=COALESCE_SECONDS)
    except BROKER_DOWN as exc:
        logger.warning(
            "Recompute run %s of period %s stays queued: its task could not be sent (%s: %s)",
            run.pk,
            run.period_id,
            type(exc).__name__,
            exc,
        )


def runs_stale_resend(
    *, older_than: timedelta = STALE_QUEUED, running_older_than: timedelta = STALE_RUNNING
) -> int:
    """Send again the task of every run queued for longer than `older_than` (its message was lost:
    broker down or restarted), and of every run left running by a worker that died (claimed longer
    than `running_older_than` ago, its period's lock held by nobody: the dead worker's session
    released it). A duplicate changes nothing (the worker claims a run once, and takes over a run
    left running only under the period's lock). Returns how many were sent."""
    now = timezone.now()
    runs = list(
        RecomputeRun.objects.filter(
            status=RecomputeRun.Status.QUEUED, created_at__lt=now - older_than
        )
    )
    running = list(
        RecomputeRun.objects.filter(
            status=RecomputeRun.Status.RUNNING, started_at__lt=now - running_older_than
        )
    )
    held = periods_held(run.period_id for run in running)
    orphaned = [run for run in running if run.period_id not in held]
    for run in orphaned:
        logger.warning(
            "Recompute run %s of period %s was left running by a worker that stopped; sent again",
            run.pk,
            run.period_id,
        )
    for run in [*runs, *orphaned]:
        _send(run)
    return len(runs) + len(orphaned)


def run_job(*, period_id: int, run_id: int | None, wait: bool = False) -> RecomputeRun | None:
    """The body of the Celery task: claim the run, recompute, record the outcome.

    Raises RecomputeBusy (the task retries later) when another worker holds the period. A run that
    is already done or failed is left alone, so a duplicated or retried message changes nothing; a
    run left "running" by a worker that died is taken over, since holding the lock proves nobody
    else is working on it.
    """
    period = Period.objects.filter(pk=period_id).first()
    if period is None:
        return None
    with period_job_lock(period_id, wait=wait):
        if run_id is None:
            run = RecomputeRun.objects.create(
                period=period,
                trigger=RecomputeRun.Trigger.MANUAL,
                status=RecomputeRun.Status.QUEUED,
            )
            run_id = run.pk
        claimed = RecomputeRun.objects.filter(
            pk=run_id,
            period_id=period_id,
            status__in=[RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING],
        ).update(
            status=RecomputeRun.Status.RUNNING,
            started_at=timezone.now(),
            attempts=F("attempts") + 1,
            progress=0,
        )
        if not claimed:
            return RecomputeRun.objects.filter(pk=run_id).first()
        run = RecomputeRun.objects.get(pk=run_id)

        def progress(step: int, total: int, label: str) -> None:
            cache.set(progress_key(run.pk), step * 100 // total, timeout=15 * 60)

        try:
            stats = compute(period=period, unit_ids=run.unit_ids, progress=progress)
        except Exception as exc:
            if isinstance(exc, DATABASE_GONE) and not connection.is_usable():
                # The connection died (restart, failover): nothing of this run was written, and it
                # is no failure of the run. Left "running" and claimable, it is taken again by the
                # task's retry, or by the stale sweep once the dead session's lock is gone.
                logger.warning(
                    "Recompute of period %s lost its database (run %s)", period_id, run_id
                )
                raise
            logger.exception("Recompute of period %s failed (run %s)", period_id, run_id)
            _finish(run, error=exc)
            raise
        _finish(run, stats=stats)
        return run


def _finish(run: RecomputeRun, *, stats: RecomputeStats | None = None, error=None) -> None:
    run.finished_at = timezone.now()
    if stats is not None:
        run.status = RecomputeRun.Status.DONE
        run.progress = 100
        run.assessments = stats.assessments
        run.results_changed = stats.results_changed
        run.components_changed = stats.components_changed
        run.ranks_changed = stats.ranks_changed
        run.duration_ms = stats.duration_ms
        run.error = ""
    else:
        run.status = RecomputeRun.Status.FAILED
        run.error = f"{type(error).__name__}: {error}"[:2000]
    # An UPDATE, not save(): a run's row may be reused as the claim token by the worker.
    RecomputeRun.objects.filter(pk=run.pk).update(
        status=run.status,
        finished_at=run.finished_at,
        progress=run.progress,
        assessments=run.assessments,
        results_changed=run.results_changed,
        components_changed=run.components_changed,
        ranks_changed=run.ranks_changed,
        duration_ms=run.duration_ms,
        error=run.error,
    )
    cache.delete(progress_key(run.pk))


def progress_key(run_id: int) -> str:
    return f"recompute:progress:{run_id}"


def run_progress(run: RecomputeRun) -> int:
    """Progress in percent of a running run (kept in the cache: the run's row is only written
    outside the recompute's transaction)."""
    if run.status == RecomputeRun.Status.DONE:
        return 100
    value = cache.get(progress_key(run.pk))
    return int(value) if value is not None else run.progress


def runs_prune(*, keep_days: int = 30) -> int:
    """Delete finished runs older than `keep_days`, keeping each period's latest finished run."""
    cutoff = timezone.now() - timedelta(days=keep_days)
    latest = [
        run_id
        for run_id in (
            RecomputeRun.objects.filter(period_id=period_id, status=RecomputeRun.Status.DONE)
            .order_by("-finished_at")
            .values_list("pk", flat=True)
            .first()
            for period_id in Period.objects.values_list("pk", flat=True)
        )
        if run_id is not None
    ]
    deleted, _ = (
        RecomputeRun.objects.filter(
            status__in=[RecomputeRun.Status.DONE, RecomputeRun.Status.FAILED],
            created_at__lt=cutoff,
        )
        .exclude(pk__in=latest)
        .delete()
    )
    return deleted
