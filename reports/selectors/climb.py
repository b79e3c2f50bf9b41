"""The climb analysis: the unit, the units above it, a window of the ranking, the criteria where it
lost points, and how many units a score would pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    IntegerField,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)

from indicators.models import ScoringMethod
from scoring.models import CriterionScore, Period
from scoring.permissions import PUBLISHED_STATES
from units.models import RankingGroup

from .results import ResultRow, source
from .snapshots import LATEST, Edition, EditionChoice


class LostCriterion(TypedDict):
    """A criterion where the assessment lost points."""

    criterion_id: int
    max_points: Decimal
    points: Decimal
    code: str
    name: str
    method: str
    ccode: str  # its component's code
    n: int  # active deductions on it
    deductions: int  # the same count, by its name


_LOSS_COLUMNS = ("criterion_id", "max_points", "points", "code", "name", "method", "ccode", "n")


def unit_losses_for_climb(
    assessment_id: int,
    *,
    peers_of: tuple[int, int | None] | None = None,
    provisional: bool = False,
) -> tuple[list[LostCriterion], dict[int, tuple[int, int]] | None]:
    """The criteria where an assessment lost points and whether a deduction explains the loss,
    in criterion order; with `peers_of` = (period id, group id), also, per criterion, how many of
    that group's assessments are at full marks and how many count (else None). One query either
    way: the counts ride along as a UNION ALL (an aggregate grouped by criterion id; their rows
    carry no code), so the caller can cache them and ask for the losses alone next time.

    The caller read the assessment's result through the results reader, so it is visible. The
    counts take the group's current results, provisional ones included, with `provisional` (for
    those who see every unit, as the rest of the page does), else published assessments only, so
    that a unit head never reads other units' provisional figures. (As a subquery per lost
    criterion it rescanned the period's 10,000 assessments eighty times: 130 ms.)
    """
    share_field = DecimalField(max_digits=12, decimal_places=0)
    losses = (
        CriterionScore.objects.filter(
            assessment_id=assessment_id, not_applicable=False, points__lt=F("max_points")
        )
        .exclude(criterion__method=ScoringMethod.NOT_APPLICABLE)
        .annotate(
            code=F("criterion__code"),
            name=F("criterion__name"),
            method=F("criterion__method"),
            ccode=F("component__code"),
            position=F("criterion__order"),
            n=Count("deductions", filter=Q(deductions__withdrawn_at__isnull=True)),
            share=Value(None, output_field=share_field),
        )
        .values_list(*_LOSS_COLUMNS, "position", "share")
        .order_by()
    )
    if peers_of is None:
        found = losses
    else:
        period_id, group_id = peers_of
        nothing = Value(None, output_field=DecimalField(max_digits=9, decimal_places=2))
        text = Value(None, output_field=CharField())
        number = Value(None, output_field=IntegerField())
        peers = CriterionScore.objects.filter(
            assessment__period_id=period_id,
            assessment__result__group_id=group_id,
            not_applicable=False,
        )
        if not provisional:
            peers = peers.filter(assessment__state__in=PUBLISHED_STATES)
        shares = (
            peers.values("criterion_id")
            .annotate(
                mp=nothing,
                pt=nothing,
                cd=text,
                nm=text,
                me=text,
                cc=text,
                k=Count("id"),
                position=number,
                share=Sum(
                    Case(
                        When(points__gte=F("max_points"), then=Value(Decimal(1))),
                        default=Value(Decimal(0)),
                        output_field=share_field,
                    )
                ),
            )
            .values_list(
                "criterion_id", "mp", "pt", "cd", "nm", "me", "cc", "k", "position", "share"
            )
            .order_by()
        )
        found = losses.union(shares, all=True)
    rows, peer_shares = [], ({} if peers_of is not None else None)
    for values in found:
        if values[3] is None:
            peer_shares[values[0]] = (int(values[-1] or 0), int(values[7] or 0))
        else:
            rows.append(values)
    rows.sort(key=lambda v: (v[-2], v[3]))
    return (
        [{**dict(zip(_LOSS_COLUMNS, v[:-2], strict=True)), "deductions": v[7]} for v in rows],
        peer_shares,
    )


# --- climb: the unit, the units above it, a window of the ranking ------------------------------


@dataclass
class ClimbRows:
    row: ResultRow | None  # the unit's result (None: none the user may see)
    above: list[ResultRow] = field(default_factory=list)  # strictly higher percent, nearest first
    window: list[ResultRow] = field(default_factory=list)  # the ranking around the unit
    edition: Edition | None = None


def climb_rows(
    user,
    *,
    period: Period,
    group: RankingGroup,
    unit_id: int,
    above: int = 3,
    window: int = 400,
    edition: EditionChoice = LATEST,
) -> ClimbRows:
    """What the climb analysis needs of a group's ranking, without reading all of it: two queries
    that walk the ranking table from the unit, up and down, `window` rows each at most.

    - Down: the unit itself, then the units after it in the table (rank, then name).
    - Up: the units before it, nearest first. Within a group a better rank is a strictly higher
      percent, so the first `above` of those ranked better are the units to pass (nearest first;
      of tied units, the one just above in the table). Only when more than `window` units tie
      with the unit ahead of it does that take a third query.
    The picker gets `window` rows of both around the unit (all of a group that small).
    """
    src = source(user, period=period, edition=edition, group=group)
    tail = (period.year, group.code)
    mine = src.qs.filter(**{src.unit: unit_id}).order_by()
    rank, name = Subquery(mine.values("rank")[:1]), Subquery(mine.values(src.name)[:1])
    tied_before = Q(rank=rank, **{f"{src.name}__lt": name}) | Q(
        rank=rank, **{src.name: name, f"{src.unit}__lt": unit_id}
    )
    up = src.qs.filter(Q(rank__lt=rank) | tied_before).order_by(
        F("rank").desc(), F("percent").asc(), F(src.name).desc(), F(src.unit).desc()
    )
    down = src.qs.filter(
        Q(rank=rank, **{src.name: name, f"{src.unit}__gte": unit_id})
        | Q(rank=rank, **{f"{src.name}__gt": name})
        | Q(rank__gt=rank)
        | Q(rank__isnull=True)
    ).order_by(*src.in_order)
    after = src.rows(down[:window], tail)
    higher_by_percent = src.qs.order_by("percent", F(src.name).desc(), F(src.unit).desc())
    if not after or after[0].unit_id != unit_id:
        # Not visible, or unranked (rare): the unit alone, its betters by percent, no window.
        me = src.rows(mine[:1], tail)
        if not me:
            return ClimbRows(None, edition=src.edition)
        higher = higher_by_percent.filter(percent__gt=me[0].percent)[:above]
        return ClimbRows(me[0], above=src.rows(higher, tail), window=me, edition=src.edition)
    row = after[0]
    before = src.rows(up[:window], tail)
    better = [r for r in before if r.rank < row.rank][:above]
    if len(better) < above and len(before) == window:
        better = src.rows(higher_by_percent.filter(percent__gt=row.percent)[:above], tail)
    around = before[::-1] + after
    lo = max(0, min(len(before) - window // 2, len(around) - window))
    return ClimbRows(row, above=better, window=around[lo : lo + window], edition=src.edition)


def count_higher(
    user,
    *,
    period: Period,
    group: RankingGroup,
    unit_id: int,
    percents: list[Decimal],
    edition: EditionChoice = LATEST,
) -> list[int]:
    """For each percent, how many of the group's other units the user may see score strictly
    higher (one aggregate query)."""
    if not percents:
        return []
    src = source(user, period=period, edition=edition, group=group)
    found = src.qs.exclude(**{src.unit: unit_id}).aggregate(
        **{f"n{i}": Count("pk", filter=Q(percent__gt=p)) for i, p in enumerate(percents)}
    )
    return [found[f"n{i}"] for i in range(len(percents))]
