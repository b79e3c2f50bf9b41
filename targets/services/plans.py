"""The improvement plan: tasks created from the previous period's deductions, updated by the unit
head, reviewed and closed by staff, marked overdue by the daily job."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from scoring.models import Deduction, Period
from scoring.services.evidence import evidence_check
from units.models import UnitHead

from ..models import PlanTask, TaskStatus
from ..permissions import may_manage, may_update
from .targets import previous_period

log = logging.getLogger(__name__)

TITLE_CHARS = 500
NAME_CHARS = 255


@transaction.atomic
def plan_create_from_deductions(
    *, period: Period, deadline: dt.date, unit_ids: list[int] | None = None
) -> int:
    """One task per unit and criterion that lost points (active deductions only) in the period
    before `period` (only `unit_ids`' units when given). Running it again adds none: tasks
    already there are left as they are. Returns how many tasks were added."""
    last = previous_period(period)
    if last is None:
        raise DomainError(_("Chưa có kỳ đánh giá năm trước để lập kế hoạch khắc phục."))
    lost = (
        Deduction.objects.active()
        .filter(score__assessment__period=last)
        .values(
            "score__assessment__unit_id",
            "score__criterion_id",
            "score__criterion__code",
            "score__criterion__name",
        )
        .annotate(points=Sum("points"))
        .order_by()
    )
    if unit_ids is not None:
        lost = lost.filter(score__assessment__unit_id__in=unit_ids)
    existing = set(PlanTask.objects.filter(period=period).values_list("unit_id", "criterion_id"))
    new = []
    for row in lost:
        key = (row["score__assessment__unit_id"], row["score__criterion_id"])
        if key in existing:
            continue
        title = _("Khắc phục tiêu chí %(code)s — %(name)s") % {
            "code": row["score__criterion__code"],
            "name": row["score__criterion__name"],
        }
        new.append(
            PlanTask(
                period=period,
                unit_id=key[0],
                criterion_id=key[1],
                title=title[:TITLE_CHARS],
                points_lost=row["points"],
                deadline=deadline,
            )
        )
    # ignore_conflicts: a second run at the same moment adds none either (the unique constraint).
    PlanTask.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _open_status(status: str, deadline: dt.date, today: dt.date) -> str:
    # An open task past its deadline stays overdue until staff move the deadline.
    if status in (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS) and deadline < today:
        return TaskStatus.OVERDUE
    return status


@transaction.atomic
def task_update(
    *,
    task: PlanTask,
    user,
    status: str,
    progress_note: str,
    evidence: str,
    deadline: dt.date | None = None,
    upload: UploadedFile | None = None,
) -> PlanTask:
    """The unit head (their own unit's tasks) or staff report progress; only staff move the
    deadline. A closed task changes no more."""
    if task.closed_at is not None:
        raise DomainError(_("Nhiệm vụ đã được nghiệm thu, không sửa được nữa."))
    if not may_update(user, task):
        raise DomainError(_("Bạn không được cập nhật nhiệm vụ này."))
    if status not in TaskStatus.values or status == TaskStatus.OVERDUE:
        raise DomainError(_("Trạng thái không hợp lệ."))
    if deadline is not None and deadline != task.deadline:
        if not may_manage(user):
            raise DomainError(_("Chỉ cán bộ Sở Nội vụ được đổi hạn hoàn thành."))
        task.deadline = deadline
    today = timezone.localdate()
    task.status = _open_status(status, task.deadline, today)
    task.progress_note = progress_note
    task.evidence = evidence
    if upload is not None:
        # The scoring sheet's checks: size, accepted kinds, the content matching the extension.
        task._checked_extension = evidence_check(upload)
        old = task.evidence_file.name
        task.evidence_file = upload
        task.evidence_file_name = (upload.name or "")[-NAME_CHARS:]
        if old:
            storage = task.evidence_file.storage
            transaction.on_commit(lambda: storage.delete(old))
    task.save()
    return task


@transaction.atomic
def task_close(*, task: PlanTask, user) -> PlanTask:
    """Staff review a task and close it: done, closed by them."""
    if not may_manage(user):
        raise DomainError(_("Chỉ cán bộ Sở Nội vụ được nghiệm thu nhiệm vụ."))
    if task.closed_at is not None:
        raise DomainError(_("Nhiệm vụ đã được nghiệm thu."))
    task.status = TaskStatus.DONE
    task.closed_by = user
    task.closed_at = timezone.now()
    task.save()
    return task


def tasks_mark_overdue(*, today: dt.date | None = None) -> int:
    """Daily: open tasks past their deadline become overdue and their unit heads get one e-mail
    per unit. Safe to repeat: a task is claimed by one conditional UPDATE and mailed once."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            PlanTask.objects.select_for_update(skip_locked=True)
            .filter(status__in=(TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS), deadline__lt=today)
            .values_list("pk", flat=True)
        )
        PlanTask.objects.filter(pk__in=claimed).update(
            status=TaskStatus.OVERDUE, overdue_notified_at=now
        )
    if not claimed:
        return 0
    by_unit: dict[int, list[PlanTask]] = {}
    for task in PlanTask.objects.filter(pk__in=claimed).select_related("unit"):
        by_unit.setdefault(task.unit_id, []).append(task)
    heads = UnitHead.objects.filter(unit_id__in=by_unit).select_related("user")
    for head in heads:
        if not head.user.email or not head.user.is_active:
            continue
        tasks = by_unit[head.unit_id]
        lines = "\n".join(f"- {t.title} ({t.deadline:%d/%m/%Y})" for t in tasks)
        send_mail(
            _("Nhiệm vụ khắc phục quá hạn: %(unit)s") % {"unit": tasks[0].unit.name},
            _("Các nhiệm vụ sau đã quá hạn hoàn thành:\n%(lines)s") % {"lines": lines},
            settings.DEFAULT_FROM_EMAIL,
            [head.user.email],
            fail_silently=True,
        )
    log.info("plan tasks marked overdue: %s", len(claimed))
    return len(claimed)
