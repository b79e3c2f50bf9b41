"""The demo's targets and improvement plan for its open round, so that the home page, the ranking
and the unit profiles show something: the province aims at 85 % and SIPAS above 88 %, every unit at
last year's result + 2 points (capped), two districts at a place; the districts' plan is made from
their 2023 deductions, a few tasks started, a few already overdue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.utils import timezone

from scoring.models import Period
from targets.models import Metric, PlanTask, TaskStatus
from targets.services.plans import plan_create_from_deductions, tasks_mark_overdue
from targets.services.targets import target_set, targets_propose
from units.models import Unit, UnitKind


def load_targets(*, user, log: Callable[[str], None] = print) -> None:
    period = Period.objects.order_by("-year").first()
    if period is None or not Period.objects.filter(year__lt=period.year).exists():
        return
    target_set(period=period, unit=None, metric=Metric.PERCENT, value=Decimal(85), user=user)
    target_set(period=period, unit=None, metric=Metric.SIPAS, value=Decimal(88), user=user)
    targets_propose(period=period, metric=Metric.PERCENT, step=Decimal(2), user=user)
    for code, place in (("huyen-an-lac", 3), ("huyen-binh-son", 5)):
        unit = Unit.objects.filter(code=code).first()
        if unit is not None:
            target_set(
                period=period, unit=unit, metric=Metric.RANK, value=Decimal(place), user=user
            )
    today = timezone.localdate()
    districts = list(Unit.objects.filter(kind=UnitKind.DISTRICT).values_list("pk", flat=True))
    plan_create_from_deductions(
        period=period, deadline=today + dt.timedelta(days=90), unit_ids=districts
    )
    tasks = list(PlanTask.objects.filter(period=period).order_by("unit__name", "criterion__order"))
    for i, task in enumerate(tasks):
        if i % 4 == 1:
            task.status = TaskStatus.IN_PROGRESS
            task.progress_note = "Đã ban hành văn bản chỉ đạo khắc phục; đang triển khai."
        if i % 5 == 0:
            task.deadline = today - dt.timedelta(days=10)  # left late: the daily job marks it
        task.save()
    overdue = tasks_mark_overdue(today=today)
    log(f"Mục tiêu: {period.targets.count()}, nhiệm vụ khắc phục: {len(tasks)} ({overdue} quá hạn)")
