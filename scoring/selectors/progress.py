"""A period's round as it stands: per group, how many units are in each state and how many are late,
the explanations and reopen requests waiting for a decision, and each person's queue of what is
theirs to do next (staff: appraise, decide, chase the late; a unit head: their own sheet).

A handful of grouped queries whatever the number of units; the late ones are found in Python from
the period's deadlines (and each unit's extension), on the day given (`today`, the local date by
default), so that the page, the reminders and the tests agree on one day.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from core.permissions import Action, can
from core.roles import unit_id_of
from indicators.models import Criterion, ScoringMethod
from units.models import GroupMembership

from ..models import Assessment, CriterionScore, Deduction, Explanation, Period, ReopenRequest
from ..workflow import APPRAISED_STATES, FROZEN, State

NOT_SUBMITTED = (State.DRAFT, State.SELF_ASSESSED)


@dataclass(frozen=True)
class Late:
    """An assessment behind its deadline: the self-assessment (not yet submitted) or the appraisal
    (not yet appraised)."""

    assessment_id: int
    unit_name: str
    group_name: str
    state: State
    deadline: dt.date
    days_late: int
    appraisal: bool  # False: the self-assessment is late; True: the appraisal is


@dataclass
class GroupProgress:
    name: str
    counts: list[tuple[State, int]]  # every state, in workflow order
    total: int = 0
    late: int = 0
    explanations_pending: int = 0
    reopen_open: int = 0


@dataclass(frozen=True)
class Task:
    """One thing for the user to do on one sheet. `kind` names the task for the template."""

    kind: str  # appraise, explanations, reopen, late, self_assess, unscored, deductions, submit
    assessment_id: int
    unit_name: str
    count: int = 0
    days_late: int = 0


@dataclass
class RoundProgress:
    period: Period
    groups: list[GroupProgress] = field(default_factory=list)  # late groups first
    late: list[Late] = field(default_factory=list)  # most days late first
    explanations_pending: int = 0
    reopen_open: int = 0
    queue: list[Task] = field(default_factory=list)
    sees_all: bool = False  # staff and leadership: every group; a unit head: only their unit
    ready_to_publish: bool = False


def _late(row: dict, period: Period, day: dt.date) -> tuple[dt.date, bool] | None:
    """The deadline an assessment is behind (and whether it is the appraisal's), or None."""
    state = State(row["state"])
    own = period.self_assessment_deadline
    extension = row["self_deadline_extended_to"]
    if own is not None and extension is not None and extension > own:
        own = extension
    appraisal = period.appraisal_deadline
    if appraisal is not None and day > appraisal and state not in APPRAISED_STATES:
        return appraisal, True
    if own is not None and day > own and state in NOT_SUBMITTED:
        return own, False
    return None


def round_progress(user, period: Period, *, today: dt.date | None = None) -> RoundProgress:
    """The progress page of `period` as `user` may see it (a unit head: only their own unit)."""
    day = today or timezone.localdate()
    progress = RoundProgress(period=period, sees_all=can(user, Action.VIEW_ALL_UNITS))
    assessments = Assessment.objects.filter(period=period)
    if not progress.sees_all:
        assessments = assessments.filter(unit_id=unit_id_of(user))
    rows = list(
        assessments.order_by("unit__name").values(
            "pk", "unit_id", "unit__name", "state", "self_deadline_extended_to", "framework_id"
        )
    )
    groups = {
        unit_id: (order, name)
        for unit_id, order, name in GroupMembership.objects.filter(
            year=period.year, unit_id__in=[r["unit_id"] for r in rows]
        ).values_list("unit_id", "group__order", "group__name")
    }
    explanations = Counter(
        dict(
            Explanation.objects.filter(
                deduction__score__assessment__in=assessments, status=Explanation.Status.PENDING
            )
            .values_list("deduction__score__assessment_id")
            .annotate(n=Count("pk"))
        )
    )
    reopens = Counter(
        dict(
            ReopenRequest.objects.filter(
                assessment__in=assessments, status=ReopenRequest.Status.PENDING
            )
            .values_list("assessment_id")
            .annotate(n=Count("pk"))
        )
    )
    by_group: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for row in rows:
        by_group[groups.get(row["unit_id"], (10**6, ""))].append(row)
        found = _late(row, period, day)
        if found is not None:
            deadline, appraisal = found
            progress.late.append(
                Late(
                    assessment_id=row["pk"],
                    unit_name=row["unit__name"],
                    group_name=groups.get(row["unit_id"], (0, ""))[1],
                    state=State(row["state"]),
                    deadline=deadline,
                    days_late=(day - deadline).days,
                    appraisal=appraisal,
                )
            )
    late_ids = {item.assessment_id: item for item in progress.late}
    for (_order, name), members in sorted(by_group.items()):
        states = Counter(State(r["state"]) for r in members)
        progress.groups.append(
            GroupProgress(
                name=name,
                counts=[(state, states.get(state, 0)) for state in State],
                total=len(members),
                late=sum(1 for r in members if r["pk"] in late_ids),
                explanations_pending=sum(explanations[r["pk"]] for r in members),
                reopen_open=sum(reopens[r["pk"]] for r in members),
            )
        )
    # Late groups first (the most late units first), then in the groups' own order.
    progress.groups.sort(key=lambda g: -g.late)
    progress.late.sort(key=lambda item: (-item.days_late, item.unit_name))
    progress.explanations_pending = sum(explanations.values())
    progress.reopen_open = sum(reopens.values())
    progress.ready_to_publish = bool(rows) and all(
        State(r["state"]) in APPRAISED_STATES for r in rows
    )
    if can(user, Action.APPRAISE):
        progress.queue = _staff_queue(rows, late_ids, explanations, reopens)
    elif unit_id_of(user) is not None and rows:
        progress.queue = _unit_queue(rows[0], late_ids.get(rows[0]["pk"]))
    return progress


def _staff_queue(rows, late_ids, explanations, reopens) -> list[Task]:
    """Staff: decide reopen requests and explanations, appraise what was submitted, chase the
    units behind their self-assessment deadline; the late ones first within each kind."""
    queue = []
    for row in rows:
        pk, name = row["pk"], row["unit__name"]
        late = late_ids.get(pk)
        days = late.days_late if late else 0
        if reopens[pk]:
            queue.append(Task("reopen", pk, name, reopens[pk], days))
        if explanations[pk]:
            queue.append(Task("explanations", pk, name, explanations[pk], days))
        if row["state"] == State.SUBMITTED:
            queue.append(Task("appraise", pk, name, 0, days))
        elif late is not None and not late.appraisal:
            queue.append(Task("late", pk, name, 0, days))
    kinds = ["reopen", "explanations", "appraise", "late"]
    queue.sort(key=lambda t: (kinds.index(t.kind), -t.days_late, t.unit_name))
    return queue


def _unit_queue(row: dict, late: Late | None) -> list[Task]:
    """A unit head: the criteria of their sheet not yet scored, the deductions not yet answered,
    and finishing or submitting the self-assessment."""
    pk, name, state = row["pk"], row["unit__name"], State(row["state"])
    days = late.days_late if late else 0
    queue = []
    if state == State.DRAFT:
        leaves = Criterion.objects.filter(framework_id=row["framework_id"], is_leaf=True).exclude(
            method=ScoringMethod.NOT_APPLICABLE
        )
        scored = CriterionScore.objects.filter(assessment_id=pk, criterion__in=leaves).filter(
            Q(self_points__isnull=False) | Q(not_applicable=True) | Q(measured_value__isnull=False)
        )
        unscored = leaves.count() - scored.count()
        if unscored:
            queue.append(Task("unscored", pk, name, unscored, days))
        queue.append(Task("self_assess", pk, name, 0, days))
    elif state == State.SELF_ASSESSED:
        queue.append(Task("submit", pk, name, 0, days))
    if state not in FROZEN:
        answered = Explanation.objects.filter(deduction=OuterRef("pk"))
        to_answer = (
            Deduction.objects.active()
            .filter(score__assessment_id=pk)
            .exclude(Exists(answered))
            .count()
        )
        if to_answer:
            queue.append(Task("deductions", pk, name, to_answer, 0))
    return queue
