"""The scoring sheet's reads: every row with its score, deductions and evidence, the component
totals and the workflow's history, in a fixed number of queries whatever the framework's size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
)

from indicators.computation import ZERO, CriterionRule, base_points, is_applicable
from indicators.models import Criterion

from ..models import (
    Assessment,
    CriterionScore,
    Deduction,
    Evidence,
    Explanation,
    ReopenRequest,
    StateChange,
)
from ..workflow import State


@dataclass
class SheetRow:
    criterion: Criterion
    depth: int
    score: CriterionScore | None = None
    deductions: list[Deduction] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    deducted: Decimal = ZERO
    base: Decimal = ZERO  # points before deductions when nothing is typed (see base_points)
    points: Decimal = ZERO
    fields: dict = field(default_factory=dict)  # bound form fields, set by the view

    @property
    def is_leaf(self) -> bool:
        return self.criterion.is_leaf

    @property
    def gap(self) -> Decimal | None:
        """Self score minus the appraisal result (positive: the unit scored itself higher)."""
        if self.score is None or self.score.self_points is None:
            return None
        return self.score.self_points - self.points

    @property
    def not_applicable(self) -> bool:
        """Dropped for this unit: by the criterion's framework method, or flagged on its score."""
        return not is_applicable(
            CriterionRule.of(self.criterion),
            not_applicable=bool(self.score and self.score.not_applicable),
        )

    @property
    def pending_explanations(self) -> int:
        return sum(getattr(d, "n_pending", 0) for d in self.deductions)

    @property
    def needs_explanation(self) -> bool:
        """Self-scored without evidence and without a written explanation."""
        s = self.score
        return bool(
            s is not None
            and s.self_points is not None
            and self.criterion.evidence_required
            and not self.evidence
            and not s.self_explanation.strip()
        )


@dataclass
class ComponentTotal:
    component: Criterion
    max_points: Decimal = ZERO
    self_points: Decimal = ZERO
    points: Decimal = ZERO


@dataclass
class Sheet:
    assessment: Assessment
    rows: list[SheetRow]
    components: list[ComponentTotal]
    state_changes: list[StateChange]
    reopen_requests: list[ReopenRequest]
    appraisal_round: int
    approved_at: object | None
    changed_since_approval: int
    max_points: Decimal = ZERO
    self_total: Decimal = ZERO
    total: Decimal = ZERO

    @property
    def leaves(self) -> list[SheetRow]:
        return [r for r in self.rows if r.is_leaf]

    @property
    def blank_self_scores(self) -> list[str]:
        """The codes of the criteria the unit has not self-scored: no points typed and not marked
        not applicable (criteria scored from surveys are not the unit's to score)."""
        return [
            r.criterion.code
            for r in self.leaves
            if r.criterion.method != "survey"
            and (r.score is None or (r.score.self_points is None and not r.score.not_applicable))
        ]

    @property
    def unexplained(self) -> list[str]:
        """The codes of the criteria self-scored without evidence nor explanation."""
        return [r.criterion.code for r in self.leaves if r.needs_explanation]

    @property
    def pending_reopen(self) -> ReopenRequest | None:
        return next((r for r in self.reopen_requests if r.status == r.Status.PENDING), None)


def with_round(queryset):
    """Annotate `second_round`: whether the assessment came back from "appraised" for a second
    appraisal (saves a query on every sheet request)."""
    return queryset.annotate(
        second_round=Exists(
            StateChange.objects.filter(
                assessment=OuterRef("pk"), from_state=State.APPRAISED, to_state=State.SUBMITTED
            )
        )
    )


def _tree_order(criteria: list[Criterion]) -> list[tuple[Criterion, int]]:
    children: dict[int | None, list[Criterion]] = defaultdict(list)
    for c in criteria:
        children[c.parent_id].append(c)
    out: list[tuple[Criterion, int]] = []

    def walk(node: Criterion, depth: int) -> None:
        out.append((node, depth))
        for child in sorted(children[node.pk], key=lambda c: (c.order, c.code)):
            walk(child, depth + 1)

    for root in sorted(children[None], key=lambda c: (c.order, c.code)):
        walk(root, 0)
    return out


def sheet_criteria(assessment: Assessment) -> list[Criterion]:
    """The scored (leaf) criteria of the assessment's framework, in document order."""
    return list(
        Criterion.objects.filter(framework_id=assessment.framework_id, is_leaf=True).order_by(
            "order", "code"
        )
    )


def sheet_for(assessment: Assessment) -> Sheet:
    """Everything the scoring sheet shows, in a fixed number of queries (about nine)."""
    criteria = list(Criterion.objects.filter(framework_id=assessment.framework_id))
    scores = {
        s.criterion_id: s
        for s in CriterionScore.objects.filter(assessment=assessment).annotate(
            # Any deduction, even withdrawn: the appraisal is then by deduction (base_points).
            recorded=Exists(Deduction.objects.filter(score_id=OuterRef("pk")))
        )
    }
    deductions: dict[int, list[Deduction]] = defaultdict(list)
    for d in (
        Deduction.objects.active()
        .filter(score__assessment=assessment)
        .select_related("reason")
        .annotate(
            n_pending=Count(
                "explanations", filter=Q(explanations__status=Explanation.Status.PENDING)
            )
        )
        .order_by("created_at")
    ):
        deductions[d.score_id].append(d)
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    for e in Evidence.objects.filter(score__assessment=assessment).order_by("created_at"):
        evidence[e.score_id].append(e)
    state_changes = list(
        StateChange.objects.filter(assessment=assessment).select_related("by").order_by("at")
    )
    reopen_requests = list(
        ReopenRequest.objects.filter(assessment=assessment).select_related(
            "requested_by", "decided_by"
        )
    )
    appraisal_round = (
        2
        if any(
            (c.from_state, c.to_state) == (State.APPRAISED, State.SUBMITTED) for c in state_changes
        )
        else 1
    )
    approved_at = max(
        (c.at for c in state_changes if c.to_state in (State.PUBLISHED,)), default=None
    )
    changed = 0
    if approved_at is not None:
        changed = (
            CriterionScore.history.filter(assessment_id=assessment.pk, history_date__gt=approved_at)
            .values("id")
            .distinct()
            .count()
        )

    rows: list[SheetRow] = []
    totals: dict[int, ComponentTotal] = {}
    sheet = Sheet(
        assessment=assessment,
        rows=rows,
        components=[],
        state_changes=state_changes,
        reopen_requests=reopen_requests,
        appraisal_round=appraisal_round,
        approved_at=approved_at,
        changed_since_approval=changed,
    )
    for criterion, depth in _tree_order(criteria):
        row = SheetRow(criterion=criterion, depth=depth)
        rows.append(row)
        if criterion.parent_id is None:
            totals[criterion.pk] = ComponentTotal(component=criterion)
            sheet.components.append(totals[criterion.pk])
        if not criterion.is_leaf:
            continue
        score = scores.get(criterion.pk)
        row.score = score
        if score is not None:
            row.deductions = deductions.get(score.pk, [])
            row.evidence = evidence.get(score.pk, [])
            row.deducted = sum((d.points for d in row.deductions), ZERO)
        # Without a stored score a criterion counts nothing, as in the stored results.
        if score is not None:
            row.base = base_points(
                CriterionRule.of(criterion),
                entered=None,
                measured=score.measured_value,
                deduction_recorded=score.recorded,
            )
            row.points = score.points
        total = totals.get(criterion.component_id)
        if total is not None and not row.not_applicable:
            total.max_points += criterion.max_points
            total.points += row.points
            if score and score.self_points is not None:
                total.self_points += score.self_points
    sheet.max_points = sum((t.max_points for t in sheet.components), ZERO)
    sheet.total = sum((t.points for t in sheet.components), ZERO)
    sheet.self_total = sum((t.self_points for t in sheet.components), ZERO)
    return sheet


def current_values(assessment: Assessment) -> dict[int, CriterionScore]:
    """The stored scores by criterion id: what the other person saved, for the stale-save page."""
    return {
        s.criterion_id: s
        for s in CriterionScore.objects.filter(assessment=assessment).select_related("criterion")
    }
