"""Old names of the recompute, kept only while scoring.services and scoring.views_recompute still
call them. Delete this module once those call sites use the entry points of the package."""

from __future__ import annotations

from collections.abc import Iterable

from ..models import Period, RecomputeRun
from .jobs import recompute_now, recompute_queue
from .scope import merge_unit_ids

# recompute_request(period_id=..., unit_ids=..., trigger=..., user=...) -> RecomputeRun
recompute_request = recompute_queue


def recompute_results(
    *,
    period: Period,
    unit_ids: Iterable[int] | None = None,
    trigger: str = RecomputeRun.Trigger.DIRECT,
) -> int:
    """Deprecated: recompute_now(period, unit_ids, trigger=...).assessments."""
    return recompute_now(period, unit_ids, trigger=trigger).assessments


__all__ = ["merge_unit_ids", "recompute_request", "recompute_results"]
