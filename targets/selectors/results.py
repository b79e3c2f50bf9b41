"""The results targets are measured against: a period's latest published version, else the live
stored results the user may see. Reads scoring's models directly (reports depends on this app, not
the other way round)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg

from scoring.models import (
    AssessmentResult,
    ComponentResult,
    Period,
    ResultSnapshot,
    ResultSnapshotComponent,
    ResultSnapshotRow,
)
from scoring.permissions import PUBLISHED_STATES, results_visible_to
from surveys.models import Survey, SurveyResult

TWO = Decimal("0.01")


@dataclass(frozen=True)
class Actual:
    unit_id: int
    unit_name: str
    group_id: int | None
    total_points: Decimal
    max_points: Decimal
    percent: Decimal
    rank: int | None
    final: bool  # published (cannot change any more without a correction)


def latest_snapshot_id(period: Period) -> int | None:
    return (
        ResultSnapshot.objects.filter(period=period)
        .order_by("-version")
        .values_list("pk", flat=True)
        .first()
    )


def period_actuals(user, period: Period, *, unit_ids: list[int] | None = None) -> dict[int, Actual]:
    """Each unit's result in the period, by unit id (user None: every unit, for services). One
    query."""
    snapshot_id = latest_snapshot_id(period)
    if snapshot_id is not None:
        qs = ResultSnapshotRow.objects.filter(snapshot_id=snapshot_id, not_assessed_reason="")
        if unit_ids is not None:
            qs = qs.filter(unit_id__in=unit_ids)
        values = qs.values_list(
            "unit_id", "unit_name", "group_id", "total_points", "max_points", "percent", "rank"
        )
        return {v[0]: Actual(*v, final=True) for v in values}
    qs = AssessmentResult.objects.filter(period=period)
    if user is not None:
        qs = results_visible_to(user, qs)
    if unit_ids is not None:
        qs = qs.filter(assessment__unit_id__in=unit_ids)
    values = qs.values_list(
        "assessment__unit_id",
        "assessment__unit__name",
        "group_id",
        "total_points",
        "max_points",
        "percent",
        "rank",
        "assessment__state",
    )
    return {v[0]: Actual(*v[:-1], final=v[-1] in PUBLISHED_STATES) for v in values}


def component_actuals(
    user, period: Period, *, unit_ids: list[int] | None = None
) -> dict[tuple[int, str], tuple[Decimal, bool]]:
    """(unit id, component code) → (percent, final). One query."""
    snapshot_id = latest_snapshot_id(period)
    if snapshot_id is not None:
        qs = ResultSnapshotComponent.objects.filter(row__snapshot_id=snapshot_id)
        if unit_ids is not None:
            qs = qs.filter(row__unit_id__in=unit_ids)
        return {
            (u, code): (p, True)
            for u, code, p in qs.values_list("row__unit_id", "component__code", "percent")
        }
    qs = ComponentResult.objects.filter(assessment__period=period)
    if user is not None:
        visible = results_visible_to(user, AssessmentResult.objects.filter(period=period))
        qs = qs.filter(assessment_id__in=visible.values("assessment_id"))
    if unit_ids is not None:
        qs = qs.filter(assessment__unit_id__in=unit_ids)
    return {
        (u, code): (p, state in PUBLISHED_STATES)
        for u, code, p, state in qs.values_list(
            "assessment__unit_id", "component__code", "percent", "assessment__state"
        )
    }


def sipas_actuals(year: int, *, unit_ids: list[int] | None = None) -> dict[int, Decimal]:
    """Each unit's overall SIPAS satisfaction of the year (%). Survey results are published as
    imported: no provisional state."""
    qs = SurveyResult.objects.filter(
        survey__year=year, survey__kind=Survey.Kind.SIPAS, criterion__isnull=True
    )
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return dict(qs.values_list("unit_id", "percent"))


def average(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(TWO, ROUND_HALF_UP)


def sipas_province_average(year: int) -> Decimal | None:
    found = SurveyResult.objects.filter(
        survey__year=year, survey__kind=Survey.Kind.SIPAS, criterion__isnull=True
    ).aggregate(a=Avg("percent"))["a"]
    return None if found is None else Decimal(found).quantize(TWO, ROUND_HALF_UP)
