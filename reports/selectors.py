"""Reads for the home page and the dashboards."""

from __future__ import annotations

from django.db.models import Count

from core.roles import Role, primary_role, unit_id_of
from scoring.models import Assessment, AssessmentResult, Period
from units.models import Unit


def home_summary(user) -> dict:
    """What each role needs first on the home page."""
    role = primary_role(user)
    period = Period.objects.order_by("-year").first()
    summary: dict = {"period": period}
    if period is None:
        return summary
    if role == Role.UNIT_HEAD:
        unit_id = unit_id_of(user)
        summary["unit"] = Unit.objects.filter(pk=unit_id).first()
        summary["assessments"] = list(
            Assessment.objects.filter(unit_id=unit_id)
            .select_related("period", "result")
            .order_by("-period__year")
        )
    else:
        summary["state_counts"] = list(
            Assessment.objects.filter(period=period)
            .values("state")
            .annotate(n=Count("id"))
            .order_by("state")
        )
        summary["top_results"] = list(
            AssessmentResult.objects.filter(period=period, rank__lte=3)
            .select_related("assessment__unit", "group")
            .order_by("group__order", "rank")
        )
    return summary
