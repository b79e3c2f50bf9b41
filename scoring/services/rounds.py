"""Opening a year's round: the period, the year's ranking groups, one draft assessment per unit.

`round_plan` says what opening would do and what stops it, without writing; `round_open` does it in
one transaction, and creates nothing that exists already, so running it twice is harmless.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.errors import DomainError
from indicators.models import Framework
from units.models import GroupMembership, Unit, UnitKind
from units.services import memberships_changed_send

from ..models import Assessment, Period
from ..recompute import recompute_on_commit


def kind_label(kind: str) -> str:
    return UnitKind.objects.label(kind)


@dataclass
class KindFramework:
    """A kind of unit with units to assess this year, and the framework they are scored by."""

    kind: str
    units: int
    framework: Framework | None
    # When there is none: the latest earlier framework of the kind, to copy forward.
    copy_source: Framework | None = None

    @property
    def label(self) -> str:
        return kind_label(self.kind)


@dataclass
class RoundPlan:
    year: int
    period: Period | None
    copy_from: int | None = None
    self_deadline: datetime.date | None = None
    appraisal_deadline: datetime.date | None = None
    # Group memberships of the year already there, and those to copy from `copy_from`.
    memberships_kept: int = 0
    memberships_to_copy: list[GroupMembership] = field(default_factory=list)
    # Members of `copy_from` that no longer exist in `year`: not copied.
    not_copied: list[Unit] = field(default_factory=list)
    # Members of the year's groups that do not exist that year: not assessed.
    inactive_members: list[Unit] = field(default_factory=list)
    # Units active that year and in no group: not assessed until they are given one.
    ungrouped: list[Unit] = field(default_factory=list)
    kinds: list[KindFramework] = field(default_factory=list)
    # Kinds of unit staff chose not to assess this year, and the units left out for it.
    leave_out_kinds: list[str] = field(default_factory=list)
    left_out: list[Unit] = field(default_factory=list)
    to_create: list[Unit] = field(default_factory=list)
    existing: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def missing_kinds(self) -> list[KindFramework]:
        return [k for k in self.kinds if k.framework is None]

    @property
    def deadlines_change(self) -> bool:
        if self.period is None:
            return False
        return (
            self.self_deadline is not None
            and self.self_deadline != self.period.self_assessment_deadline
        ) or (
            self.appraisal_deadline is not None
            and self.appraisal_deadline != self.period.appraisal_deadline
        )

    @property
    def nothing_to_do(self) -> bool:
        return (
            self.period is not None
            and not self.memberships_to_copy
            and not self.to_create
            and not self.deadlines_change
        )

    @property
    def token(self) -> str:
        """Fingerprint of what would be written: a confirmation of an older preview is refused."""
        parts = [
            self.year,
            self.period.pk if self.period else None,
            sorted((m.unit_id, m.group_id) for m in self.memberships_to_copy),
            sorted(u.pk for u in self.to_create),
            sorted((k.kind, k.framework.pk if k.framework else None) for k in self.kinds),
            self.self_deadline,
            self.appraisal_deadline,
            self.leave_out_kinds,
        ]
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def round_plan(
    *,
    year: int,
    copy_groups_from: int | None = None,
    self_deadline: datetime.date | None = None,
    appraisal_deadline: datetime.date | None = None,
    leave_out_kinds: Iterable[str] = (),
) -> RoundPlan:
    """What opening the round of `year` would write, and the reasons it cannot (plan.errors).
    Units of the kinds in `leave_out_kinds` are not assessed this year (staff chose so)."""
    period = Period.objects.filter(year=year).first()
    plan = RoundPlan(
        year=year,
        period=period,
        copy_from=copy_groups_from,
        self_deadline=self_deadline,
        appraisal_deadline=appraisal_deadline,
        leave_out_kinds=sorted(set(leave_out_kinds)),
    )
    if period is not None and period.status != Period.Status.OPEN:
        plan.errors.append(
            _("Kỳ đánh giá năm %(year)s đã %(status)s, không mở lại được.")
            % {"year": year, "status": period.get_status_display().lower()}
        )
    known = set(UnitKind.objects.values_list("code", flat=True))
    unknown = [k for k in plan.leave_out_kinds if k not in known]
    if unknown:
        plan.errors.append(
            _("Loại đơn vị không hợp lệ: %(kinds)s.") % {"kinds": ", ".join(unknown)}
        )
    if self_deadline and appraisal_deadline and appraisal_deadline < self_deadline:
        plan.errors.append(_("Hạn thẩm định không được trước hạn tự đánh giá."))
    members = {
        m.unit_id: m for m in GroupMembership.objects.filter(year=year).select_related("unit")
    }
    plan.memberships_kept = len(members)
    if copy_groups_from is not None:
        if copy_groups_from == year:
            plan.errors.append(_("Năm sao chép khối phải khác năm của kỳ đánh giá."))
        else:
            source = list(
                GroupMembership.objects.filter(year=copy_groups_from)
                .select_related("unit")
                .order_by("unit__code")
            )
            if not source:
                plan.errors.append(
                    _("Năm %(year)s không có đơn vị nào thuộc khối xếp hạng để sao chép.")
                    % {"year": copy_groups_from}
                )
            for old in source:
                if old.unit_id in members:
                    continue
                if not old.unit.exists_in(year):
                    plan.not_copied.append(old.unit)
                    continue
                copy = GroupMembership(unit=old.unit, group_id=old.group_id, year=year)
                plan.memberships_to_copy.append(copy)
                members[old.unit_id] = copy
    if not members and not plan.errors:
        plan.errors.append(
            _(
                "Năm %(year)s chưa có đơn vị nào thuộc khối xếp hạng: nhập đơn vị kèm năm xếp "
                "khối, hoặc sao chép khối của năm trước."
            )
            % {"year": year}
        )
    assessed = (
        set(Assessment.objects.filter(period=period).values_list("unit_id", flat=True))
        if period
        else set()
    )
    for m in sorted(members.values(), key=lambda m: m.unit.code):
        if not m.unit.exists_in(year):
            plan.inactive_members.append(m.unit)
        elif m.unit_id in assessed:
            plan.existing += 1
        elif m.unit.kind in plan.leave_out_kinds:
            plan.left_out.append(m.unit)
        else:
            plan.to_create.append(m.unit)
    plan.ungrouped = list(
        Unit.objects.filter(Q(active_to_year__isnull=True) | Q(active_to_year__gte=year))
        .filter(active_from_year__lte=year)
        .exclude(pk__in=GroupMembership.objects.filter(year=year).values("unit_id"))
        .exclude(pk__in=[m.unit_id for m in plan.memberships_to_copy])
        .order_by("code")
    )
    frameworks = {f.unit_kind: f for f in Framework.objects.filter(year=year)}
    needed = Counter(u.kind for u in plan.to_create)
    plan.kinds = [
        KindFramework(kind=kind, units=n, framework=frameworks.get(kind))
        for kind, n in sorted(needed.items())
    ]
    for k in plan.missing_kinds:
        k.copy_source = (
            Framework.objects.filter(unit_kind=k.kind, year__lt=year).order_by("-year").first()
        )
        plan.errors.append(
            _(
                "Chưa có bộ chỉ số năm %(year)s cho loại đơn vị “%(kind)s” (%(n)s đơn vị cần "
                "đánh giá): nhập hoặc sao chép bộ chỉ số trước, hoặc chọn không đánh giá loại đơn vị "
                "này năm nay."
            )
            % {"year": year, "kind": k.label, "n": k.units}
        )
    return plan


class PlanChanged(DomainError):
    """The data changed between the preview and its confirmation."""


@dataclass
class RoundOpenResult:
    period: Period
    period_created: bool
    memberships_copied: int
    assessments_created: int
    deadlines_changed: bool
    plan: RoundPlan

    @property
    def created_nothing(self) -> bool:
        return not (
            self.period_created
            or self.memberships_copied
            or self.assessments_created
            or self.deadlines_changed
        )


def round_open(
    *,
    year: int,
    copy_groups_from: int | None = None,
    self_deadline: datetime.date | None = None,
    appraisal_deadline: datetime.date | None = None,
    leave_out_kinds: Iterable[str] = (),
    user=None,
    expected_token: str | None = None,
) -> RoundOpenResult:
    """Open (or complete) the round of `year`, all or nothing: create the period (or set the
    deadlines given), copy the previous year's group memberships of units still active, and create
    one draft assessment for every active unit in a group that has none (but those of the kinds
    left out). Refused, writing nothing, when a kind of unit to assess has no framework for the
    year (plan.errors)."""
    try:
        return _round_open(
            year=year,
            copy_groups_from=copy_groups_from,
            self_deadline=self_deadline,
            appraisal_deadline=appraisal_deadline,
            leave_out_kinds=leave_out_kinds,
            user=user,
            expected_token=expected_token,
        )
    except IntegrityError:
        # Another opening of the same year committed first: its rows won the unique constraints.
        raise DomainError(
            _("Kỳ đánh giá năm %(year)s đang được mở ở nơi khác; hãy thử lại.") % {"year": year}
        ) from None


def _round_open(
    *,
    year,
    copy_groups_from,
    self_deadline,
    appraisal_deadline,
    leave_out_kinds,
    user,
    expected_token,
):
    with transaction.atomic():
        # Two openings of the same year wait for each other (the period row, or its unique year).
        Period.objects.select_for_update().filter(year=year).first()
        plan = round_plan(
            year=year,
            copy_groups_from=copy_groups_from,
            self_deadline=self_deadline,
            appraisal_deadline=appraisal_deadline,
            leave_out_kinds=leave_out_kinds,
        )
        if expected_token is not None and plan.token != expected_token:
            raise PlanChanged(
                _("Dữ liệu đã thay đổi từ lúc xem trước; hãy xem lại trước khi xác nhận.")
            )
        if plan.errors:
            raise DomainError(plan.errors)
        period, created = plan.period, plan.period is None
        if period is None:
            period = Period.objects.create(
                year=year,
                name=f"Chỉ số CCHC năm {year}",  # data, in Vietnamese whoever opens it
                self_assessment_deadline=self_deadline,
                appraisal_deadline=appraisal_deadline,
            )
        elif plan.deadlines_change:
            period.self_assessment_deadline = self_deadline or period.self_assessment_deadline
            period.appraisal_deadline = appraisal_deadline or period.appraisal_deadline
            period.save(update_fields=["self_assessment_deadline", "appraisal_deadline"])
        if plan.memberships_to_copy:
            GroupMembership.objects.bulk_create(plan.memberships_to_copy)
            memberships_changed_send(changes=[(year, m.unit_id) for m in plan.memberships_to_copy])
        frameworks = {k.kind: k.framework for k in plan.kinds}
        new = [
            Assessment(period=period, unit=u, framework=frameworks[u.kind]) for u in plan.to_create
        ]
        if new:
            bulk_create_with_history(new, Assessment, batch_size=500, default_user=user)
            recompute_on_commit(period.pk, [u.pk for u in plan.to_create])
    return RoundOpenResult(
        period=period,
        period_created=created,
        memberships_copied=len(plan.memberships_to_copy),
        assessments_created=len(new),
        deadlines_changed=plan.deadlines_change,
        plan=plan,
    )


def _names(units: list[Unit], limit: int = 10) -> str:
    shown = ", ".join(u.code for u in units[:limit])
    more = len(units) - limit
    return shown + (_(" và %(n)s đơn vị khác") % {"n": more} if more > 0 else "")


def round_plan_notes(plan: RoundPlan) -> list[str]:
    """What the plan leaves aside, as sentences: units not copied, not active, in no group."""
    notes = []
    if plan.not_copied:
        notes.append(
            _("Không sao chép khối của %(n)s đơn vị không còn tồn tại năm %(year)s: %(units)s.")
            % {"n": len(plan.not_copied), "year": plan.year, "units": _names(plan.not_copied)}
        )
    if plan.inactive_members:
        notes.append(
            _(
                "Không tạo bản đánh giá cho %(n)s đơn vị thuộc khối nhưng không tồn tại năm %(year)s: %(units)s."
            )
            % {
                "n": len(plan.inactive_members),
                "year": plan.year,
                "units": _names(plan.inactive_members),
            }
        )
    if plan.left_out:
        notes.append(
            _(
                "Không đánh giá năm nay %(n)s đơn vị thuộc loại %(kinds)s (đã chọn bỏ qua): %(units)s."
            )
            % {
                "n": len(plan.left_out),
                "kinds": ", ".join(f"“{kind_label(k)}”" for k in plan.leave_out_kinds),
                "units": _names(plan.left_out),
            }
        )
    if plan.ungrouped:
        notes.append(
            _(
                "%(n)s đơn vị tồn tại năm %(year)s nhưng chưa thuộc khối nào, không được đánh giá: %(units)s."
            )
            % {"n": len(plan.ungrouped), "year": plan.year, "units": _names(plan.ungrouped)}
        )
    return notes


def round_open_summary(result: RoundOpenResult) -> str:
    """One sentence on what opening wrote."""
    year = result.period.year
    if result.created_nothing:
        return _(
            "Kỳ đánh giá năm %(year)s đã mở từ trước; không có gì mới để tạo (%(n)s bản đánh giá "
            "đã có)."
        ) % {"year": year, "n": result.plan.existing}
    return _(
        "Kỳ đánh giá năm %(year)s: %(period)s, %(memberships)s lượt xếp khối sao chép, "
        "%(created)s bản đánh giá mới (đang soạn), %(existing)s bản đã có."
    ) % {
        "year": year,
        "period": _("đã tạo kỳ") if result.period_created else _("kỳ đã có"),
        "memberships": result.memberships_copied,
        "created": result.assessments_created,
        "existing": result.plan.existing,
    }
