"""The home page's answers at a glance, per role (called by home.home_summary):

- leadership (and staff): where we stand against the targets, who pulls the average down, what
  moved since last year, overdue tasks of the improvement plan;
- staff: the queue of assessments waiting for appraisal and explanations waiting for a decision;
- unit head: their result, the deductions still to answer, their tasks due.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef

from core.permissions import Action, can
from scoring import generation
from scoring.models import Assessment, Deduction, Explanation, Period
from scoring.workflow import State
from targets.selectors.plans import overdue_tasks, tasks_due
from targets.selectors.results import Actual, average, latest_snapshot_id, period_actuals
from targets.selectors.targets import TargetStatus, target_statuses

from .results import ResultRow, period_rows

SHOWN = 5


@dataclass(frozen=True)
class PullDown:
    """A unit below its group's average, by how much (percentage points)."""

    actual: Actual
    group_average: Decimal
    below_by: Decimal


@dataclass
class Glance:
    province_targets: list[TargetStatus] = field(default_factory=list)
    units_below_target: list[TargetStatus] = field(default_factory=list)
    pull_down: list[PullDown] = field(default_factory=list)
    rose: list[ResultRow] = field(default_factory=list)
    fell: list[ResultRow] = field(default_factory=list)
    overdue: list = field(default_factory=list)  # PlanTask
    to_appraise: int = 0
    explanations_pending: int = 0
    own_targets: list[TargetStatus] = field(default_factory=list)
    to_answer: int = 0  # the unit head's active deductions without an explanation
    tasks_due: list = field(default_factory=list)


def pulling_down(actuals: dict[int, Actual], limit: int = SHOWN) -> list[PullDown]:
    """The units furthest below their group's average percent."""
    by_group: dict[int | None, list[Actual]] = {}
    for a in actuals.values():
        by_group.setdefault(a.group_id, []).append(a)
    out = []
    for rows in by_group.values():
        avg = average(r.percent for r in rows)
        out += [PullDown(r, avg, avg - r.percent) for r in rows if r.percent < avg]
    return heapq.nsmallest(limit, out, key=lambda p: (-p.below_by, p.actual.unit_name))


def _movers(user, period: Period) -> tuple[list[PullDown], list[ResultRow], list[ResultRow]]:
    """Who pulls the average down, who rose and who fell most: over every unit's result."""
    pull_down = pulling_down(period_actuals(user, period))
    rows = [r for r in period_rows(user, period=period) if r.rank_change]
    rose = sorted((r for r in rows if r.rank_change > 0), key=lambda r: -r.rank_change)[:3]
    fell = sorted((r for r in rows if r.rank_change < 0), key=lambda r: r.rank_change)[:3]
    return pull_down, rose, fell


def _movers_cached(user, period: Period):
    """_movers for the readers who see every unit, cached until the results next change (the
    key holds the results generation and the latest published version): at national scale it
    reads and sorts 10,000 results, over a second of every leader's and staff's home page."""
    if not can(user, Action.VIEW_ALL_UNITS):
        return _movers(user, period)
    key = "reports:glance-movers:{}:{}:{}".format(
        generation.current(), period.pk, latest_snapshot_id(period) or "live"
    )
    movers = cache.get(key)
    if movers is None:
        movers = _movers(user, period)
        cache.set(key, movers, 15 * 60)
    return movers


def glance_for_readers(user, period: Period, *, staff: bool) -> Glance:
    g = Glance()
    statuses = target_statuses(user, period)
    g.province_targets = [s for s in statuses if s.target.unit_id is None]
    g.units_below_target = [s for s in statuses if s.target.unit_id and s.below][:10]
    g.pull_down, g.rose, g.fell = _movers_cached(user, period)
    g.overdue = overdue_tasks(user)
    if staff:
        g.to_appraise = Assessment.objects.filter(period=period, state=State.SUBMITTED).count()
        g.explanations_pending = Explanation.objects.filter(
            status=Explanation.Status.PENDING, deduction__score__assessment__period=period
        ).count()
    return g


def glance_for_unit(user, period: Period, unit_id: int | None) -> Glance:
    g = Glance()
    if unit_id is None:
        return g
    g.own_targets = [
        s for s in target_statuses(user, period, unit_ids=[unit_id]) if s.target.unit_id
    ]
    g.to_answer = (
        Deduction.objects.active()
        .filter(score__assessment__period=period, score__assessment__unit_id=unit_id)
        .annotate(answered=Exists(Explanation.objects.filter(deduction=OuterRef("pk"))))
        .filter(answered=False)
        .aggregate(n=Count("pk"))["n"]
    )
    g.tasks_due = tasks_due(user, unit_id=unit_id)[:10]
    return g
