"""Pure rules of the targets: a target's status against a result, and a proposal from last year.

Status (documented in the README):
- met: the result reaches the target; exactly at the target is met (rank: the place reached or
  better);
- at risk: the result is below the target but still provisional (the period's results are not
  published), so the gap can still be closed before publication;
- missed: the published result is below the target;
- no data: no result yet.
The gap is result − target in points or percent (rank: target − place, in places); positive means
ahead of the target.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Status(StrEnum):
    MET = "met"
    AT_RISK = "at_risk"
    MISSED = "missed"
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.MET: _("Đạt"),
    Status.AT_RISK: _("Có nguy cơ không đạt"),
    Status.MISSED: _("Không đạt"),
    Status.NO_DATA: _("Chưa có kết quả"),
}


def target_gap(*, metric: str, target: Decimal, actual: Decimal | None) -> Decimal | None:
    if actual is None:
        return None
    if metric == "rank":
        return target - actual
    return actual - target


def target_status(
    *, metric: str, target: Decimal, actual: Decimal | None, final: bool
) -> tuple[Status, Decimal | None]:
    """The status and the gap (positive: ahead) of a target against a result."""
    gap = target_gap(metric=metric, target=target, actual=actual)
    if gap is None:
        return Status.NO_DATA, None
    if gap >= 0:
        return Status.MET, gap
    return (Status.MISSED if final else Status.AT_RISK), gap


def proposed_value(
    *, metric: str, last: Decimal, step: Decimal, maximum: Decimal | None
) -> Decimal:
    """Last year's result improved by `step` (points, percent, or places for the rank), never
    beyond the maximum (rank: never above first place)."""
    if metric == "rank":
        return max(Decimal(1), last - step)
    value = last + step
    if maximum is not None:
        value = min(value, maximum)
    return value.quantize(Decimal("0.01"))


def points_needed(*, metric: str, gap: Decimal | None, max_points: Decimal) -> Decimal | None:
    """Points a unit still needs to reach a points or percent target (0 once met; None for the
    other measures or without a result). A percent gap becomes points of the unit's maximum,
    rounded up: 0,01 short is still short."""
    if gap is None or metric not in ("points", "percent"):
        return None
    if gap >= 0:
        return Decimal(0)
    if metric == "points":
        return -gap
    return (-gap * max_points / 100).quantize(Decimal("0.01"), rounding="ROUND_UP")
