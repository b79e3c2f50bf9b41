"""The list of assessments of a period and the gap report (self scores above the appraisal)."""

from __future__ import annotations

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    Sum,
)

from units.models import GroupMembership

from ..models import (
    CriterionScore,
    Explanation,
    Period,
)
from ..permissions import assessments_visible_to
from ..workflow import State

APPRAISED_STATES = (State.APPRAISED, State.PUBLISHED, State.LOCKED)


def assessment_list(
    user, *, period: Period | None, group_id: int | None = None, state: str | None = None
):
    """Assessments of a period the user may see, with unit, group, result and counts."""
    qs = assessments_visible_to(user).select_related("unit", "period", "result")
    if period is not None:
        qs = qs.filter(period=period)
    if state:
        qs = qs.filter(state=state)
    if group_id and period is not None:
        units = GroupMembership.objects.filter(year=period.year, group_id=group_id).values(
            "unit_id"
        )
        qs = qs.filter(unit_id__in=units)
    qs = qs.annotate(
        n_scores=Count("scores", filter=Q(scores__self_points__isnull=False), distinct=True),
        n_pending=Count(
            "scores__deductions__explanations",
            filter=Q(scores__deductions__explanations__status=Explanation.Status.PENDING),
            distinct=True,
        ),
    ).order_by("unit__kind", "unit__name")
    rows = list(qs)
    if period is not None:
        groups = dict(
            GroupMembership.objects.filter(year=period.year)
            .select_related("group")
            .values_list("unit_id", "group__name")
        )
        for a in rows:
            a.group_name = groups.get(a.unit_id, "")
    return rows


_GAP = ExpressionWrapper(F("self_points") - F("points"), output_field=DecimalField())


def gap_report(user, *, period: Period, limit: int = 20) -> dict:
    """Where units scored themselves above the appraisal most: by criterion and by unit, over the
    period's appraised assessments the user may see."""
    visible = assessments_visible_to(user).filter(period=period, state__in=APPRAISED_STATES)
    scores = CriterionScore.objects.filter(
        assessment__in=visible, self_points__isnull=False, not_applicable=False
    )
    by_criterion = list(
        scores.values("criterion__code", "criterion__name", "criterion__max_points")
        .annotate(
            gap=Sum(_GAP),
            units=Count("assessment", filter=Q(self_points__gt=F("points"))),
            worst=Max(_GAP),
        )
        .filter(gap__gt=0)
        .order_by("-gap", "criterion__code")[:limit]
    )
    by_unit = list(
        scores.values("assessment_id", "assessment__unit__name", "assessment__unit__code")
        .annotate(
            gap=Sum(_GAP),
            self_total=Sum("self_points"),
            total=Sum("points"),
            criteria=Count("id", filter=Q(self_points__gt=F("points"))),
        )
        .filter(gap__gt=0)
        .order_by("-gap", "assessment__unit__name")[:limit]
    )
    return {"by_criterion": by_criterion, "by_unit": by_unit}
