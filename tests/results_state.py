"""The stored results of a period as lists to compare: every computed column of its assessments'
and components' results but the time of computing (tests of the recompute and of its faults)."""

from __future__ import annotations

from scoring.models import AssessmentResult, ComponentResult


def database_state(period) -> tuple[list, list]:
    results = sorted(
        AssessmentResult.objects.filter(period=period).values_list(
            "assessment_id",
            "group_id",
            "total_points",
            "max_points",
            "percent",
            "rank",
            "rank_change",
            "band",
        )
    )
    components = sorted(
        ComponentResult.objects.filter(assessment__period=period).values_list(
            "assessment_id", "component_id", "points", "max_points", "percent"
        )
    )
    return results, components
