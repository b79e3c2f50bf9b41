"""The climb analysis of one unit: the points to pass the units above it and the cheapest
criteria to recover them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.permissions import Action, can

from .. import computation
from ..selectors.climb import LostCriterion, climb_rows, count_higher, unit_losses_for_climb
from ..selectors.results import ResultRow, ranking_page
from ..selectors.unit import scores_visible
from .filters import Filters, cached

PICKER_CAP = 400


@dataclass
class ClimbAnalysis:
    choices: list[ResultRow] = field(default_factory=list)  # the picker's units
    row: ResultRow | None = None  # the unit's result (None: no unit, or none the user may see)
    unit: computation.Standing | None = None
    targets: list[computation.ClimbTarget] = field(default_factory=list)
    losses: list[computation.Loss] = field(default_factory=list)  # cheapest recoveries first
    # Units ranked above this one the user may not see (provisional results).
    hidden_above: int | None = None


def _losses_and_peer_shares(
    user, f: Filters, row: ResultRow
) -> tuple[list[LostCriterion], dict[int, Decimal]]:
    """The unit's lost criteria and, per criterion, the share of the other units of its group at
    full marks. Those who see every unit count the group's current results, provisional ones
    included, as the page's other figures; a unit head the published ones. One cache entry per
    kind of viewer serves the whole group (see filters.cached); one query either way, the counts
    riding along when they are not cached."""
    if row.assessment_id is None:  # a published row whose assessment was since deleted
        return [], {}
    everything = can(user, Action.VIEW_ALL_UNITS)
    found: list = []

    def losses_and_counts() -> dict:
        losses, counts = unit_losses_for_climb(
            row.assessment_id, peers_of=(f.period.pk, row.group_id), provisional=everything
        )
        found.append(losses)
        return counts

    kind = "peer-full-all" if everything else "peer-full-published"
    counts = cached(kind, None, f, losses_and_counts, per_user=False)
    if found:
        losses = found[0]
    else:
        losses, _none = unit_losses_for_climb(row.assessment_id)
    # The unit itself lost points on each of these criteria: counted, it is one of the units not
    # at full marks, and the share is of the others.
    own = 1 if everything or row.published else 0
    shares = {}
    for criterion_id, (full, total) in counts.items():
        others = total - own
        shares[criterion_id] = Decimal(full) / others if others > 0 else Decimal(0)
    return losses, shares


def standing(r: ResultRow) -> computation.Standing:
    return computation.Standing(
        r.unit_id, r.unit_name, r.total_points, r.max_points, r.percent, r.rank
    )


def climb(user, f: Filters, *, unit_id: int | None) -> ClimbAnalysis:
    """The climb analysis of one unit. Reads the unit, the three units above it and a window of
    the ranking for the picker, and counts the rest in the database: never the whole group."""
    if f.period is None or f.group is None:
        return ClimbAnalysis()
    found = (
        climb_rows(
            user,
            period=f.period,
            group=f.group,
            unit_id=unit_id,
            window=PICKER_CAP,
            edition=f.edition,
        )
        if unit_id
        else None
    )
    row = found.row if found is not None else None
    if row is None:
        # No unit chosen (or none of this group the user may see): the picker starts at the top.
        top = ranking_page(
            user, period=f.period, group=f.group, limit=PICKER_CAP, edition=f.edition
        )
        return ClimbAnalysis(choices=top)
    me = standing(row)
    # Published figures are public, the scoring sheet behind them is not (an assessment reopened
    # for a correction): then the targets come without the criteria to recover.
    if f.edition is None or scores_visible(user, row.assessment_id):
        lost, shares = _losses_and_peer_shares(user, f, row)
    else:
        lost, shares = [], {}
    losses = [
        computation.Loss(
            code=x["code"],
            name=x["name"],
            lost=x["max_points"] - x["points"],
            method=x["method"],
            deducted=x["deductions"] > 0,
            peers_full_share=Decimal(shares.get(x["criterion_id"]) or 0),
        )
        for x in lost
    ]
    targets = computation.climb_targets(me, [standing(r) for r in found.above], losses)
    # New ranks, and how many units above this one the user may not see (provisional): one count.
    reached = [t.new_percent for t in targets if t.new_percent is not None]
    counts = count_higher(
        user,
        period=f.period,
        group=f.group,
        unit_id=unit_id,
        percents=[me.percent, *reached],
        edition=f.edition,
    )
    for t, n in zip((t for t in targets if t.new_percent is not None), counts[1:], strict=True):
        t.new_rank = n + 1
    return ClimbAnalysis(
        choices=found.window,
        row=row,
        unit=me,
        targets=targets,
        losses=computation.rank_losses(losses),
        hidden_above=max(0, (row.rank or 1) - 1 - counts[0]),
    )
