"""What a page says about a period's stored results: when they were computed, and any recompute
under way or failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max

from ..models import (
    AssessmentResult,
    Period,
    RecomputeRun,
)
from ..recompute.jobs import run_progress


@dataclass(frozen=True)
class RecomputeStatus:
    """What a page says about a period's stored results."""

    period: Period
    computed_at: datetime | None  # when the stored results were last brought up to date
    last_run: RecomputeRun | None  # the last finished run (done)
    pending: RecomputeRun | None  # queued or running
    progress: int  # percent, for a running run
    failed: RecomputeRun | None  # a failure newer than the last success

    @property
    def is_pending(self) -> bool:
        return self.pending is not None

    @property
    def is_running(self) -> bool:
        return self.pending is not None and self.pending.status == RecomputeRun.Status.RUNNING


def period_recompute_status(period: Period) -> RecomputeStatus:
    runs = RecomputeRun.objects.filter(period=period)
    last = runs.filter(status=RecomputeRun.Status.DONE).order_by("-finished_at").first()
    # A running run first (it is the one moving), else the queued one.
    pending = (
        runs.filter(status=RecomputeRun.Status.RUNNING).order_by("-started_at").first()
        or runs.filter(status=RecomputeRun.Status.QUEUED).first()
    )
    failed_qs = runs.filter(status=RecomputeRun.Status.FAILED)
    if last is not None:
        failed_qs = failed_qs.filter(finished_at__gt=last.finished_at)
    failed = failed_qs.order_by("-finished_at").first()
    computed_at = last.finished_at if last is not None else None
    if computed_at is None:
        # Results stored before runs were recorded (or loaded by hand): their own stamp.
        computed_at = AssessmentResult.objects.filter(period=period).aggregate(
            at=Max("computed_at")
        )["at"]
    return RecomputeStatus(
        period=period,
        computed_at=computed_at,
        last_run=last,
        pending=pending,
        progress=run_progress(pending) if pending is not None else 100,
        failed=failed,
    )
