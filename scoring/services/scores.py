"""A criterion score's effective points, from its typed values, measurement and deductions."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from indicators.computation import ZERO, CriterionRule, criterion_points, entered_points

from ..models import CriterionScore


def score_refresh_points(*, score: CriterionScore) -> CriterionScore:
    """Recompute a score's effective points from its values, deductions (the active ones are taken
    off; any one recorded, even withdrawn, makes it appraised by deduction) and not-applicable
    flag."""
    deductions = score.deductions.aggregate(
        active=Sum("points", filter=Q(withdrawn_at__isnull=True)), recorded=Count("pk")
    )
    score.points = criterion_points(
        CriterionRule.of(score.criterion),
        entered=entered_points(score),
        measured=score.measured_value,
        deducted=deductions["active"] or ZERO,
        not_applicable=score.not_applicable,
        deduction_recorded=bool(deductions["recorded"]),
    )
    return score
