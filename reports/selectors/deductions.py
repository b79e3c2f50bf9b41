"""The deduction analysis: points lost per criterion, component and reason over the assessments the
user may see, and the drill-down of one criterion."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.db.models import Count, F, Q, Sum

from indicators.models import Criterion
from scoring.models import Assessment, CriterionScore, Deduction, Period
from scoring.permissions import assessments_visible_to
from units.models import RankingGroup

from .components import component_order


class CriterionLoss(TypedDict):
    """Points lost on one criterion (merged by code) over the visible assessments."""

    code: str
    name: str
    component_code: str
    component_name: str
    lost: Decimal
    maximum: Decimal
    units: int  # assessments that lost points on it
    assessments: int  # assessments scored on it


class ComponentLossTotal(TypedDict):
    code: str
    name: str
    lost: Decimal
    maximum: Decimal


class DeductionNote(TypedDict):
    score_id: int
    points: Decimal
    note: str
    reason_label: str | None


class UnitLoss(TypedDict):
    """A unit that lost points on the criterion of a drill-down."""

    id: int  # the criterion score
    max_points: Decimal
    points: Decimal
    self_explanation: str
    unit_id: int
    unit_name: str
    state: str
    criterion_name: str
    lost: Decimal
    deductions: list[DeductionNote]


class ReasonTotal(TypedDict):
    label: str | None
    n: int  # deductions
    points: Decimal


def _visible_scores(user, *, period: Period, group: RankingGroup | None):
    assessments = assessments_visible_to(
        user, Assessment.objects.filter(period=period, result__isnull=False)
    )
    if group is not None:
        assessments = assessments.filter(result__group=group)
    return CriterionScore.objects.filter(assessment__in=assessments, not_applicable=False)


def lost_points_by_criterion(
    user, *, period: Period, group: RankingGroup | None
) -> list[CriterionLoss]:
    """Points lost (maximum − points) per criterion over the visible assessments, most first.

    A hash aggregate over a million scores grouped by the criterion id alone (no join per score);
    the hundred criteria's codes and names are read after, and criteria of two frameworks in one
    group are merged by code.
    """
    scores = _visible_scores(user, period=period, group=group)
    totals = list(
        scores.values("criterion_id")
        .annotate(
            lost=Sum(F("max_points") - F("points")),
            maximum=Sum("max_points"),
            units=Count("id", filter=Q(points__lt=F("max_points"))),
            assessments=Count("id"),
        )
        .order_by()
    )
    names = {
        c["pk"]: c
        for c in Criterion.objects.filter(pk__in=[t["criterion_id"] for t in totals]).values(
            "pk",
            "code",
            "name",
            component_code=F("component__code"),
            component_name=F("component__name"),
        )
    }
    merged: dict[str, dict] = {}
    for row in totals:
        about = names[row.pop("criterion_id")]
        entry = merged.get(about["code"])
        if entry is None:
            merged[about["code"]] = {**{k: v for k, v in about.items() if k != "pk"}, **row}
        else:
            for key in ("lost", "maximum", "units", "assessments"):
                entry[key] += row[key]
    return sorted(
        (r for r in merged.values() if r["lost"] > 0),
        key=lambda r: (-r["lost"], component_order(r["code"])),
    )


def lost_points_by_component(
    user, *, period: Period, group: RankingGroup | None
) -> list[ComponentLossTotal]:
    scores = _visible_scores(user, period=period, group=group)
    return sorted(
        scores.values(code=F("component__code"))
        .annotate(
            name=F("component__name"),
            lost=Sum(F("max_points") - F("points")),
            maximum=Sum("max_points"),
        )
        .order_by(),
        key=lambda r: component_order(r["code"]),
    )


def criterion_losses(
    user,
    *,
    period: Period,
    group: RankingGroup | None,
    criterion_code: str,
    limit: int | None = None,
) -> list[UnitLoss]:
    """The drill-down of one criterion: each unit that lost points on it, with its deductions,
    those that lost most first; `limit` keeps the first ones (a page), the export takes all."""
    # The criterion of this period's frameworks only: each year's framework has a criterion of
    # that code, and an index scan of the other year's ten thousand scores costs as much again.
    # Their ids first (a small query): as a subquery the planner misjudges the join.
    criteria = list(
        Criterion.objects.filter(
            code=criterion_code,
            framework__in=Assessment.objects.filter(period=period).values("framework_id"),
        ).values_list("pk", flat=True)
    )
    scores = (
        _visible_scores(user, period=period, group=group)
        .filter(criterion_id__in=criteria, points__lt=F("max_points"))
        .values(
            "id",
            "max_points",
            "points",
            "self_explanation",
            unit_id=F("assessment__unit_id"),
            unit_name=F("assessment__unit__name"),
            state=F("assessment__state"),
            criterion_name=F("criterion__name"),
        )
        .order_by((F("points") - F("max_points")).asc(), "assessment__unit__name")
    )
    if limit is not None:
        scores = scores[:limit]
    rows = {s["id"]: {**s, "lost": s["max_points"] - s["points"], "deductions": []} for s in scores}
    for d in (
        Deduction.objects.active()
        .filter(score_id__in=list(rows))
        .order_by("created_at", "pk")
        .values("score_id", "points", "note", reason_label=F("reason__label"))
    ):
        rows[d["score_id"]]["deductions"].append(d)
    return sorted(rows.values(), key=lambda r: (-r["lost"], r["unit_name"]))


def reasons_summary(user, *, period: Period, group: RankingGroup | None) -> list[ReasonTotal]:
    """How many deductions and points each reason accounts for."""
    assessments = assessments_visible_to(
        user, Assessment.objects.filter(period=period, result__isnull=False)
    )
    if group is not None:
        assessments = assessments.filter(result__group=group)
    return list(
        Deduction.objects.active()
        .filter(score__assessment__in=assessments)
        .values(label=F("reason__label"))
        .annotate(n=Count("id"), points=Sum("points"))
        .order_by("-points")
    )
