"""The filter bar's choices: the periods (each with its latest published version), the groups,
and the group a user sees first."""

from __future__ import annotations

from dataclasses import dataclass

from core.roles import unit_id_of
from scoring.models import AssessmentResult, Period
from units.models import GroupMembership, RankingGroup

from .snapshots import Edition, periods_with_latest


@dataclass(frozen=True)
class FilterChoices:
    periods: list[Period]  # most recent first
    groups: list[RankingGroup]  # in display order
    latest: dict[int, Edition | None]  # period id → its latest published version (None: never)


def periods_and_groups() -> FilterChoices:
    """The choices of the filter bar (two small queries), each period's latest published version
    read in the same query as the periods."""
    choices = periods_with_latest()
    return FilterChoices(
        periods=[c.period for c in choices],
        groups=list(RankingGroup.objects.order_by("order")),
        latest={c.period.pk: c.latest for c in choices},
    )


def default_group_id(user, period: Period) -> int | None:
    """The unit head's own group, else the first group (in display order) with results."""
    unit_id = unit_id_of(user)
    if unit_id is not None:
        own = (
            GroupMembership.objects.filter(unit_id=unit_id, year=period.year)
            .values_list("group_id", flat=True)
            .first()
        )
        if own is not None:
            return own
    return (
        AssessmentResult.objects.filter(period=period, group__isnull=False)
        .order_by("group__order", "group__code")
        .values_list("group_id", flat=True)
        .first()
    )
