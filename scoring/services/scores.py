"""A criterion score's effective points, from its typed values, measurement and deductions."""

from __future__ import annotations

from django.db.models import Sum

from indicators.computation import ZERO, CriterionRule, criterion_points, entered_points

from ..models import CriterionScore


def score_refresh_points(*, score: CriterionScore) -> CriterionScore:
    """Recompute a score's effective points from its values, deductions and not-applicable flag."""
    deducted = score.deductions.active().aggregate(total=Sum("points"))["total"] or ZERO
    score.points = criterion_points(
        CriterionRule.of(score.criterion),
        entered=entered_points(score),
        measured=score.measured_value,
        deducted=deducted,
        not_applicable=score.not_applicable,
    )
    return score
