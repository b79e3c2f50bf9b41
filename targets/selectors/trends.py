"""A group's average and spread across the years, with the province's percent target."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scoring.models import Period

from ..models import Metric, Target
from .results import average, period_actuals


@dataclass(frozen=True)
class YearSpread:
    year: int
    count: int
    average: Decimal | None
    lowest: Decimal | None
    highest: Decimal | None
    target: Decimal | None  # the province's percent target of the year
    final: bool


def group_trend(user, *, group_id: int | None, last: int = 8) -> list[YearSpread]:
    """Per year (oldest first): how many results the user may see in the group (every group when
    None), their average, lowest and highest percent, and the province's percent target."""
    periods = list(Period.objects.order_by("-year")[:last])
    targets = dict(
        Target.objects.filter(
            period__in=periods, unit__isnull=True, metric=Metric.PERCENT
        ).values_list("period_id", "value")
    )
    out = []
    for period in reversed(periods):
        rows = [
            a
            for a in period_actuals(user, period).values()
            if group_id is None or a.group_id == group_id
        ]
        percents = [a.percent for a in rows]
        out.append(
            YearSpread(
                period.year,
                len(rows),
                average(percents),
                min(percents) if percents else None,
                max(percents) if percents else None,
                targets.get(period.pk),
                bool(rows) and all(a.final for a in rows),
            )
        )
    return out
