"""Setting targets: one at a time, or proposed for every unit from last year's results."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from scoring.models import Period
from units.models import Unit

from ..computation import proposed_value
from ..models import Metric, Target
from ..selectors.results import average, period_actuals, sipas_actuals

HUNDRED = Decimal(100)


def target_check(*, metric: str, unit: Unit | None, component_code: str, value: Decimal) -> None:
    """Refuse a target that cannot be measured; the message says why."""
    if metric not in Metric.values:
        raise DomainError(_("Chỉ tiêu không hợp lệ."))
    if metric == Metric.RANK and unit is None:
        raise DomainError(_("Mục tiêu thứ hạng chỉ đặt cho một đơn vị."))
    if metric == Metric.COMPONENT and not component_code:
        raise DomainError(_("Hãy ghi mã chỉ số thành phần."))
    if metric != Metric.COMPONENT and component_code:
        raise DomainError(_("Mã chỉ số thành phần chỉ dùng với chỉ tiêu chỉ số thành phần."))
    if value < 0:
        raise DomainError(_("Mức mục tiêu không được âm."))
    if metric in (Metric.PERCENT, Metric.SIPAS, Metric.COMPONENT) and value > HUNDRED:
        raise DomainError(_("Mức mục tiêu theo tỷ lệ không được quá 100%."))
    if metric == Metric.RANK and (value < 1 or value != value.to_integral_value()):
        raise DomainError(_("Thứ hạng mục tiêu là một số nguyên từ 1."))


def target_set(
    *,
    period: Period,
    unit: Unit | None,
    metric: str,
    value: Decimal,
    component_code: str = "",
    note: str = "",
    user=None,
) -> Target:
    """Create or change the target of a unit (or the province) on one metric."""
    target_check(metric=metric, unit=unit, component_code=component_code, value=value)
    target, _created = Target.objects.update_or_create(
        period=period,
        unit=unit,
        metric=metric,
        component_code=component_code,
        defaults={"value": value, "note": note, "set_by": user},
    )
    return target


def previous_period(period: Period) -> Period | None:
    return Period.objects.filter(year__lt=period.year).order_by("-year").first()


@transaction.atomic
def targets_propose(*, period: Period, metric: str, step: Decimal, user=None) -> int:
    """Targets for every unit with a result last year (and the province), as last year's result
    plus `step` (points, percent, or places for the rank), capped at the maximum. Targets already
    set are kept: the proposal fills the gaps, staff edit afterwards. Returns how many were added."""
    if metric not in (Metric.POINTS, Metric.PERCENT, Metric.RANK, Metric.SIPAS):
        raise DomainError(_("Chỉ đề xuất được cho tổng điểm, chỉ số, thứ hạng hoặc SIPAS."))
    if step < 0:
        raise DomainError(_("Mức tăng không được âm."))
    last = previous_period(period)
    if last is None:
        raise DomainError(_("Chưa có kỳ đánh giá năm trước để đề xuất."))
    existing = set(
        Target.objects.filter(period=period, metric=metric, component_code="").values_list(
            "unit_id", flat=True
        )
    )
    values: dict[int | None, Decimal] = {}
    if metric == Metric.SIPAS:
        found = sipas_actuals(last.year)
        for unit_id, pct in found.items():
            values[unit_id] = proposed_value(metric=metric, last=pct, step=step, maximum=HUNDRED)
        if found:
            values[None] = proposed_value(
                metric=metric, last=average(found.values()), step=step, maximum=HUNDRED
            )
    else:
        actuals = period_actuals(None, last)  # staff propose for every unit
        for unit_id, a in actuals.items():
            if metric == Metric.RANK:
                if a.rank is not None:
                    values[unit_id] = proposed_value(
                        metric=metric, last=Decimal(a.rank), step=step, maximum=None
                    )
                continue
            last_value, maximum = (
                (a.total_points, a.max_points) if metric == Metric.POINTS else (a.percent, HUNDRED)
            )
            values[unit_id] = proposed_value(
                metric=metric, last=last_value, step=step, maximum=maximum
            )
        if actuals and metric != Metric.RANK:
            rows = list(actuals.values())
            last_avg = average(
                r.total_points if metric == Metric.POINTS else r.percent for r in rows
            )
            cap = min(r.max_points for r in rows) if metric == Metric.POINTS else HUNDRED
            values[None] = proposed_value(metric=metric, last=last_avg, step=step, maximum=cap)
    alive = set(
        Unit.objects.filter(pk__in=[u for u in values if u is not None])
        .filter(active_from_year__lte=period.year)
        .exclude(active_to_year__lt=period.year)
        .values_list("pk", flat=True)
    )
    new = [
        Target(
            period=period,
            unit_id=unit_id,
            metric=metric,
            value=value,
            note=_("Đề xuất từ kết quả năm %(year)s") % {"year": last.year},
            set_by=user,
        )
        for unit_id, value in values.items()
        if unit_id not in existing and (unit_id is None or unit_id in alive)
    ]
    Target.objects.bulk_create(new)
    return len(new)
