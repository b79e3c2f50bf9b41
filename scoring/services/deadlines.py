"""The period's deadlines as they count: the self-assessment deadline (with a per-unit extension
set by staff) closes the unit head's edits, and a daily job reminds who is late or soon late.

Dates are the province's local dates (timezone.localdate). Every function takes `today=` so that
tests and the daily job agree on one day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from core.roles import Role

from ..models import Assessment, Period
from ..permissions import self_deadline
from ..workflow import State

# Days before the self-assessment deadline on which unit heads with a draft are reminded.
REMINDER_DAYS = (7, 3, 1)
NOT_APPRAISED = (State.DRAFT, State.SELF_ASSESSED, State.SUBMITTED)


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


@dataclass(frozen=True)
class Deadline:
    label: str
    date: dt.date
    days_left: int  # negative once past

    @property
    def passed(self) -> bool:
        return self.days_left < 0

    @property
    def days_late(self) -> int:
        return max(0, -self.days_left)

    @property
    def soon(self) -> bool:
        return 0 <= self.days_left <= REMINDER_DAYS[0]


def deadlines_of(
    period: Period, *, assessment: Assessment | None = None, today: dt.date | None = None
) -> list[Deadline]:
    """The period's deadlines with the days left (the unit's own when an assessment is given)."""
    day = _today(today)
    found = []
    own = self_deadline(assessment) if assessment is not None else period.self_assessment_deadline
    if own is not None:
        label = _("Hạn tự đánh giá")
        if assessment is not None and own != period.self_assessment_deadline:
            label = _("Hạn tự đánh giá (đã gia hạn)")
        found.append(Deadline(label, own, (own - day).days))
    if period.appraisal_deadline is not None:
        found.append(
            Deadline(
                _("Hạn thẩm định"),
                period.appraisal_deadline,
                (period.appraisal_deadline - day).days,
            )
        )
    return found


@transaction.atomic
def deadline_extend(*, assessment: Assessment, user, until: dt.date | None) -> Assessment:
    """Staff let one unit self-assess until `until` (None withdraws the extension)."""
    require(user, Action.APPRAISE)
    period = assessment.period
    if until is not None:
        if period.self_assessment_deadline is None:
            raise DomainError(_("Kỳ đánh giá chưa có hạn tự đánh giá nên không cần gia hạn."))
        if until <= period.self_assessment_deadline:
            raise DomainError(
                _("Ngày gia hạn phải sau hạn tự đánh giá của kỳ (%(date)s).")
                % {"date": date_format(period.self_assessment_deadline, "d/m/Y")}
            )
    assessment.self_deadline_extended_to = until
    assessment._change_reason = _("Gia hạn tự đánh giá")
    assessment.save(update_fields=["self_deadline_extended_to", "updated_at"])
    return assessment


def _emails(users) -> list[str]:
    return sorted({u.email for u in users if u.email})


def _staff_emails() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, groups__name=Role.INTERIOR_STAFF.value)
    return _emails(users)


@dataclass
class ReminderReport:
    unit_heads: int = 0  # emails sent to unit heads
    staff: int = 0  # emails sent to staff


def reminders_send(*, today: dt.date | None = None) -> ReminderReport:
    """Remind unit heads whose assessment is still a draft 7, 3 and 1 days before their
    self-assessment deadline, and staff of the assessments not appraised after the appraisal
    deadline. Open periods only; one email per unit and one to staff per period."""
    day = _today(today)
    report = ReminderReport()
    for period in Period.objects.filter(status=Period.Status.OPEN):
        drafts = (
            Assessment.objects.filter(period=period, state=State.DRAFT)
            .select_related("unit", "period")
            .prefetch_related("unit__heads__user")
        )
        for assessment in drafts:
            deadline = self_deadline(assessment)
            if deadline is None or (deadline - day).days not in REMINDER_DAYS:
                continue
            to = _emails(link.user for link in assessment.unit.heads.all() if link.user.is_active)
            if not to:
                continue
            days = (deadline - day).days
            send_mail(
                _("[CCHC] Còn %(days)s ngày đến hạn tự đánh giá %(period)s")
                % {"days": days, "period": period.name},
                _(
                    "Bản đánh giá của %(unit)s trong %(period)s vẫn đang soạn. Hạn tự đánh giá là "
                    "%(date)s (còn %(days)s ngày); sau hạn, đơn vị không sửa được bảng điểm nữa."
                )
                % {
                    "unit": assessment.unit.name,
                    "period": period.name,
                    "date": date_format(deadline, "d/m/Y"),
                    "days": days,
                },
                settings.DEFAULT_FROM_EMAIL,
                to,
            )
            report.unit_heads += 1
        if period.appraisal_deadline is None or day <= period.appraisal_deadline:
            continue
        late = list(
            Assessment.objects.filter(period=period, state__in=NOT_APPRAISED)
            .order_by("unit__name")
            .values_list("unit__name", flat=True)
        )
        to = _staff_emails()
        if not late or not to:
            continue
        send_mail(
            _("[CCHC] %(n)s bản đánh giá %(period)s quá hạn thẩm định")
            % {"n": len(late), "period": period.name},
            _("Hạn thẩm định %(date)s đã qua; các đơn vị chưa được thẩm định:\n%(units)s")
            % {
                "date": date_format(period.appraisal_deadline, "d/m/Y"),
                "units": "\n".join(f"- {name}" for name in late),
            },
            settings.DEFAULT_FROM_EMAIL,
            to,
        )
        report.staff += 1
    return report
