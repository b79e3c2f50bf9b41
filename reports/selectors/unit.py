"""A unit: its lineage (predecessors of merged units) and its assessment's criterion scores."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from django.db.models import F

from core.permissions import Action, can
from indicators.models import Criterion, ScoringMethod
from scoring.models import Assessment, CriterionScore, Deduction, Period
from scoring.permissions import assessments_visible_to
from units.models import Unit


def predecessor_map(unit_ids: list[int] | None = None) -> dict[int, list[int]]:
    """unit id → ids of its direct predecessors (one query over the few merged units)."""
    edges = Unit.predecessors.through.objects.all()
    if unit_ids is not None:
        edges = edges.filter(from_unit_id__in=unit_ids)
    out: dict[int, list[int]] = defaultdict(list)
    for successor, predecessor in edges.values_list("from_unit_id", "to_unit_id"):
        out[successor].append(predecessor)
    return dict(out)


def unit_lineage(unit: Unit) -> list[int]:
    """The unit's id and every predecessor's, transitively, the unit first (one query)."""
    edges = predecessor_map()
    seen = [unit.pk]
    frontier = [unit.pk]
    while frontier:
        frontier = [p for u in frontier for p in edges.get(u, []) if p not in seen]
        seen.extend(frontier)
    return seen


def scores_visible(user, assessment_id: int | None) -> bool:
    """Whether the user may read an assessment's criterion scores (a published snapshot's row is
    visible to everyone; the scores behind it only as scoring.permissions says). No query for
    those who see every unit."""
    if assessment_id is None:
        return False
    if can(user, Action.VIEW_ALL_UNITS):
        return True
    return assessments_visible_to(user).filter(pk=assessment_id).exists()


def visible_assessment(user, *, unit: Unit, period: Period) -> Assessment | None:
    return (
        assessments_visible_to(user)
        .filter(unit=unit, period=period)
        .select_related("framework", "period", "unit")
        .first()
    )


class Explanation(TypedDict):
    text: str
    status: str


class LineDeduction(TypedDict):
    """An active deduction on a criterion score, with the unit's explanations of it."""

    id: int
    score_id: int
    points: Decimal
    note: str
    created_at: datetime
    reason_label: str | None
    explanations: list[Explanation]


@dataclass
class CriterionLine:
    score_id: int | None  # None: the criterion has not been scored yet (it counts 0 points)
    criterion_id: int
    code: str
    name: str
    component_code: str
    method: str
    max_points: Decimal
    points: Decimal
    self_points: Decimal | None
    not_applicable: bool
    self_explanation: str
    comment: str
    deductions: list[LineDeduction] = field(default_factory=list)
    detail_url: str | None = None
    position: int = 0
    typed: bool = False  # a value typed in some round, or measured

    @property
    def unscored(self) -> bool:
        """Nothing typed, measured or deducted, whether a score row exists or not ("chưa chấm")."""
        if self.score_id is None:
            return True
        return not (self.typed or self.deductions or self.not_applicable or self.points)

    @property
    def lost(self) -> Decimal:
        if self.not_applicable or self.method == ScoringMethod.NOT_APPLICABLE:
            return Decimal(0)  # out of the maximum: nothing to lose
        return self.max_points - self.points


def unit_scores(assessment: Assessment) -> list[CriterionLine]:
    """Every criterion of an assessment with its deductions, in framework order (three queries).
    A criterion not scored yet is a line with no score and 0 points: it loses its maximum, as the
    stored results count it.

    The caller has already checked the assessment is visible (visible_assessment).
    """
    lines = {
        s["id"]: CriterionLine(
            score_id=s["id"],
            criterion_id=s["criterion_id"],
            code=s["criterion__code"],
            name=s["criterion__name"],
            component_code=s["component__code"],
            method=s["criterion__method"],
            max_points=s["max_points"],
            points=s["points"],
            self_points=s["self_points"],
            not_applicable=s["not_applicable"],
            self_explanation=s["self_explanation"],
            comment=s["comment"],
            position=s["criterion__order"],
            typed=any(
                s[name] is not None
                for name in ("self_points", "appraised_points", "final_points", "measured_value")
            ),
        )
        for s in CriterionScore.objects.filter(assessment=assessment)
        .order_by("criterion__order")
        .values(
            "id",
            "criterion__order",
            "criterion_id",
            "criterion__code",
            "criterion__name",
            "criterion__method",
            "component__code",
            "max_points",
            "points",
            "self_points",
            "appraised_points",
            "final_points",
            "measured_value",
            "not_applicable",
            "self_explanation",
            "comment",
        )
    }
    seen: dict[int, dict] = {}
    # Deductions with the unit's explanations (giải trình) joined in: one query, a row per
    # explanation (or one with nulls when there is none).
    for d in (
        Deduction.objects.active()
        .filter(score__assessment=assessment)
        .order_by("created_at", "pk", "explanations__created_at")
        .values(
            "id",
            "score_id",
            "points",
            "note",
            "created_at",
            reason_label=F("reason__label"),
            explanation=F("explanations__text"),
            explanation_status=F("explanations__status"),
        )
    ):
        deduction = seen.get(d["id"])
        if deduction is None:
            deduction = {**d, "explanations": []}
            del deduction["explanation"], deduction["explanation_status"]
            seen[d["id"]] = deduction
            lines[d["score_id"]].deductions.append(deduction)
        if d["explanation"]:
            deduction["explanations"].append(
                {"text": d["explanation"], "status": d["explanation_status"]}
            )
    scored = {line.criterion_id for line in lines.values()}
    unscored = [
        CriterionLine(
            score_id=None,
            criterion_id=c["pk"],
            code=c["code"],
            name=c["name"],
            component_code=c["component__code"] or c["code"],
            method=c["method"],
            max_points=c["max_points"],
            points=Decimal(0),
            self_points=None,
            not_applicable=False,
            self_explanation="",
            comment="",
            position=c["order"],
        )
        for c in Criterion.objects.filter(framework_id=assessment.framework_id, is_leaf=True)
        .exclude(pk__in=scored)
        .values("pk", "code", "name", "component__code", "method", "max_points", "order")
    ]
    return sorted([*lines.values(), *unscored], key=lambda line: line.position)
