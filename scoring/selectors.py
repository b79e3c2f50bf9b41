"""Reads for the scoring sheet, the assessment list, the gap report and the change history.

Each returns rows with what the page needs already fetched: the sheet of a 100-criterion framework
is a fixed number of queries whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Sum,
)
from django.utils.translation import gettext as _

from indicators.computation import ZERO, CriterionRule, base_points
from indicators.models import Criterion
from units.models import GroupMembership

from .models import (
    Assessment,
    CriterionScore,
    Deduction,
    DeductionReason,
    Evidence,
    Explanation,
    Period,
    ReopenRequest,
    StateChange,
)
from .permissions import assessments_visible_to
from .workflow import State

APPRAISED_STATES = (State.APPRAISED, State.PUBLISHED, State.LOCKED)


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


def _rule(c: Criterion) -> CriterionRule:
    return CriterionRule(max_points=c.max_points, method=c.method, bands=tuple(c.bands))


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
    scores = {s.criterion_id: s for s in CriterionScore.objects.filter(assessment=assessment)}
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
            row.base = base_points(_rule(criterion), entered=None, measured=score.measured_value)
            row.points = score.points
        total = totals.get(criterion.component_id)
        if total is not None and not (score and score.not_applicable):
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


@dataclass
class HistoryEntry:
    at: object
    user: object
    what: str
    field: str
    old: object
    new: object
    reason: str = ""


_TRACKED = {
    "self_points": CriterionScore._meta.get_field("self_points").verbose_name,
    "appraised_points": CriterionScore._meta.get_field("appraised_points").verbose_name,
    "final_points": CriterionScore._meta.get_field("final_points").verbose_name,
    "measured_value": CriterionScore._meta.get_field("measured_value").verbose_name,
    "not_applicable": CriterionScore._meta.get_field("not_applicable").verbose_name,
    "points": CriterionScore._meta.get_field("points").verbose_name,
    "comment": CriterionScore._meta.get_field("comment").verbose_name,
    "self_explanation": CriterionScore._meta.get_field("self_explanation").verbose_name,
}


def _yes_no(value):
    """A flag reads as a tick or a cross in the history, in any language."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return value


def _diff(records, labels: dict, what: str) -> list[HistoryEntry]:
    """Old → new per field from consecutive historical records of one object."""
    entries: list[HistoryEntry] = []
    previous = None
    for rec in records:
        reason = rec.history_change_reason or ""
        if rec.history_type == "-":
            first = next(iter(labels))
            entries.append(
                HistoryEntry(
                    rec.history_date,
                    rec.history_user,
                    what,
                    str(_("đã xóa")),
                    getattr(rec, first),
                    None,
                    reason,
                )
            )
        else:
            for name, label in labels.items():
                old = getattr(previous, name) if previous is not None else None
                new = getattr(rec, name)
                if previous is None and new in (None, "", False):
                    continue
                if old != new:
                    entries.append(
                        HistoryEntry(
                            rec.history_date,
                            rec.history_user,
                            what,
                            label,
                            _yes_no(old),
                            _yes_no(new),
                            reason,
                        )
                    )
        previous = rec
    return entries


def criterion_history(assessment: Assessment, criterion: Criterion) -> list[HistoryEntry]:
    """Every change to this criterion's score, deductions and evidence: who, when, old → new."""
    entries: list[HistoryEntry] = []
    score_records = list(
        CriterionScore.history.filter(assessment_id=assessment.pk, criterion_id=criterion.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    entries += _diff(score_records, _TRACKED, str(CriterionScore._meta.verbose_name))
    score_ids = {r.id for r in score_records}
    deduction_labels = {
        "points": Deduction._meta.get_field("points").verbose_name,
        "reason_id": Deduction._meta.get_field("reason").verbose_name,
        "note": Deduction._meta.get_field("note").verbose_name,
    }
    reasons = dict(DeductionReason.objects.values_list("pk", "label"))
    by_deduction = defaultdict(list)
    for rec in (
        Deduction.history.filter(score_id__in=score_ids)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        by_deduction[rec.id].append(rec)
    for records in by_deduction.values():
        for e in _diff(records, deduction_labels, str(Deduction._meta.verbose_name)):
            if e.field == deduction_labels["reason_id"]:
                e.old, e.new = reasons.get(e.old, e.old), reasons.get(e.new, e.new)
            entries.append(e)
    evidence_labels = {"original_name": Evidence._meta.get_field("original_name").verbose_name}
    by_evidence = defaultdict(list)
    for rec in (
        Evidence.history.filter(score_id__in=score_ids)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        by_evidence[rec.id].append(rec)
    for records in by_evidence.values():
        entries += _diff(records, evidence_labels, str(Evidence._meta.verbose_name))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
