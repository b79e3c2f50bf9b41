"""The scoring sheet's writes: the whole sheet in one save (with optimistic locking), who may
write which field, and what must be done before the sheet is submitted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.errors import DomainError
from indicators.computation import (
    NOT_APPLICABLE,
    ZERO,
    CriterionRule,
    check_points,
    criterion_points,
    entered_points,
)
from indicators.models import Criterion

from ..models import Assessment, CriterionScore, StateChange
from ..permissions import may_appraise, may_self_assess
from ..recompute import recompute_on_commit
from ..workflow import State

SELF_FIELDS = ("self_points", "self_explanation")
APPRAISAL_FIELDS = (
    "appraised_points",
    "final_points",
    "measured_value",
    "not_applicable",
    "comment",
)
POINT_FIELDS = ("self_points", "appraised_points", "final_points")
SCORE_FIELDS = SELF_FIELDS + APPRAISAL_FIELDS


class StaleSheet(DomainError):
    """Someone else saved the sheet after this user loaded it; nothing was written."""

    def __init__(self, message, *, current_version: int, changed_by=None, changed_at=None):
        super().__init__(message)
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at


class SheetRefused(DomainError):
    """A save refused for its values; nothing was written. `cells` maps each refused cell (the
    sheet's field name, scoring.forms.sheet_field_name: "self_points-12") to its messages, so the
    page marks the cells themselves."""

    def __init__(self, message, *, cells: dict[str, list[str]]):
        super().__init__(message)
        self.cells = cells


@dataclass
class SheetSaveResult:
    changed_scores: int
    version: int
    changed_criteria: list[str] = field(default_factory=list)


def appraisal_round(assessment: Assessment) -> int:
    """2 once the assessment has been sent back from "appraised" for a second appraisal, else 1.
    Uses the `second_round` annotation (scoring.selectors.sheet.with_round) when the caller fetched it."""
    annotated = getattr(assessment, "second_round", None)
    if annotated is not None:
        return 2 if annotated else 1
    returned = StateChange.objects.filter(
        assessment=assessment, from_state=State.APPRAISED, to_state=State.SUBMITTED
    ).exists()
    return 2 if returned else 1


def editable_fields(user, assessment: Assessment, *, round_: int | None = None) -> set[str]:
    """The score fields this user may write on this assessment now."""
    fields: set[str] = set()
    if may_self_assess(user, assessment):
        fields.update(SELF_FIELDS)
    if may_appraise(user, assessment):
        round_ = (
            round_ or getattr(assessment, "appraisal_round", None) or appraisal_round(assessment)
        )
        fields.update(APPRAISAL_FIELDS)
        fields.discard("appraised_points" if round_ == 2 else "final_points")
    return fields


def _normalise(name: str, value: Any) -> Any:
    if name in ("comment", "self_explanation"):
        return (value or "").strip()
    if name == "not_applicable":
        return bool(value)
    return value


def stale_message(*, changed_by, changed_at) -> str:
    who = (changed_by.get_full_name() or changed_by.username) if changed_by else _("người khác")
    when = timezone.localtime(changed_at).strftime("%H:%M %d/%m/%Y") if changed_at else ""
    return _(
        "Bảng điểm đã được %(who)s lưu lúc %(when)s, sau khi bạn mở trang. Không có thay đổi nào "
        "của bạn được lưu: hãy xem các giá trị hiện tại bên dưới, rồi nhập lại nếu cần."
    ) % {"who": who, "when": when}


def _last_change(assessment: Assessment):
    record = (
        CriterionScore.history.filter(assessment_id=assessment.pk)
        .select_related("history_user")
        .order_by("-history_date")
        .first()
    )
    if record is None:
        return None, None
    return record.history_user, record.history_date


def sheet_save(
    *,
    assessment: Assessment,
    user,
    version: int,
    rows: dict[int, dict[str, Any]],
    criteria: list[Criterion] | None = None,
    change_reason: str = "",
) -> SheetSaveResult:
    """Save every row of the scoring sheet at once.

    `rows` maps a leaf criterion id to the values typed for it (any of SCORE_FIELDS). The save is
    refused whole when the sheet was saved by someone else since `version` was loaded (StaleSheet),
    when a value is out of bounds or not a multiple of the criterion's step, or when the user may not
    write a field in the assessment's state; every error is listed. Only values that really changed
    are written (with history: who, when, old and new value), the version is bumped, and one
    recompute of the period is queued.
    """
    now = timezone.now()
    with transaction.atomic():
        # Optimistic locking in one statement: the row is locked by the UPDATE until commit, and
        # matches only if nobody saved (version) or moved the workflow (state) since the page loaded.
        bumped = Assessment.objects.filter(
            pk=assessment.pk, version=version, state=assessment.state
        ).update(version=F("version") + 1, updated_at=now)
        if not bumped:
            current = Assessment.objects.get(pk=assessment.pk)
            if current.version != version:
                who, when = _last_change(current)
                raise StaleSheet(
                    stale_message(changed_by=who, changed_at=when),
                    current_version=current.version,
                    changed_by=who,
                    changed_at=when,
                )
            raise DomainError(
                _("Bản đánh giá vừa chuyển sang trạng thái “%(state)s”; hãy tải lại trang.")
                % {"state": State(current.state).label}
            )
        locked = assessment
        allowed = editable_fields(user, locked)
        if criteria is None:
            criteria = list(
                Criterion.objects.filter(framework_id=locked.framework_id, is_leaf=True)
            )
        criteria = {
            c.pk: c for c in criteria if c.framework_id == locked.framework_id and c.is_leaf
        }
        existing = {
            s.criterion_id: s
            for s in CriterionScore.objects.filter(assessment_id=locked.pk).annotate(
                deducted=Sum("deductions__points", filter=Q(deductions__withdrawn_at__isnull=True)),
                recorded=Count("deductions"),
            )
        }
        deducted = {cid: s.deducted or ZERO for cid, s in existing.items()}
        errors: list[str] = []
        cells: dict[str, list[str]] = {}

        def refuse(criterion_id: int, name: str, *messages: str) -> None:
            errors.extend(messages)
            cells.setdefault(f"{name}-{criterion_id}", []).extend(messages)

        to_create: list[CriterionScore] = []
        to_update: list[CriterionScore] = []
        changed_fields: set[str] = set()
        changed_codes: list[str] = []
        for criterion_id, values in rows.items():
            criterion = criteria.get(criterion_id)
            if criterion is None:
                errors.append(_("Tiêu chí không thuộc bộ chỉ số của bản đánh giá này."))
                continue
            score = existing.get(criterion_id) or CriterionScore(
                assessment=locked,
                criterion=criterion,
                component_id=criterion.component_id,
                max_points=criterion.max_points,
            )
            row_changed = []
            for name, raw in values.items():
                if name not in SCORE_FIELDS:
                    continue
                value = _normalise(name, raw)
                if value == _normalise(name, getattr(score, name)):
                    continue
                if name not in allowed:
                    refuse(
                        criterion_id,
                        name,
                        _("Tiêu chí %(code)s: bạn không được sửa “%(field)s” lúc này.")
                        % {
                            "code": criterion.code,
                            "field": CriterionScore._meta.get_field(name).verbose_name,
                        },
                    )
                    continue
                if name in POINT_FIELDS:
                    if criterion.method == NOT_APPLICABLE and value is not None:
                        errors.append(
                            _("Tiêu chí %(code)s không áp dụng, không nhận điểm.")
                            % {"code": criterion.code}
                        )
                        continue
                    if name == "self_points" and criterion.method == "survey" and value is not None:
                        refuse(
                            criterion_id,
                            name,
                            _("Tiêu chí %(code)s lấy điểm từ điều tra, đơn vị không tự chấm.")
                            % {"code": criterion.code},
                        )
                        continue
                    try:
                        check_points(
                            value, criterion, str(CriterionScore._meta.get_field(name).verbose_name)
                        )
                    except DomainError as exc:
                        refuse(criterion_id, name, *exc.messages)
                        continue
                if name == "measured_value" and value is not None and value < 0:
                    refuse(
                        criterion_id,
                        name,
                        _("Tiêu chí %(code)s: giá trị đo không được âm.")
                        % {"code": criterion.code},
                    )
                    continue
                setattr(score, name, value)
                row_changed.append(name)
            if not row_changed:
                continue
            score.points = criterion_points(
                CriterionRule.of(criterion),
                entered=entered_points(score),
                measured=score.measured_value,
                deducted=deducted.get(criterion_id, ZERO),
                not_applicable=score.not_applicable,
                deduction_recorded=bool(getattr(score, "recorded", 0)),
            )
            score.updated_at = now
            changed_fields.update(row_changed)
            changed_codes.append(criterion.code)
            (to_update if score.pk else to_create).append(score)
        if errors:
            raise SheetRefused(errors, cells=cells)
        reason = change_reason or _("Lưu bảng chấm điểm")
        if to_create:
            bulk_create_with_history(
                to_create, CriterionScore, default_user=user, default_change_reason=reason
            )
        if to_update:
            bulk_update_with_history(
                to_update,
                CriterionScore,
                sorted(changed_fields | {"points", "updated_at"}),
                default_user=user,
                default_change_reason=reason,
            )
        changed = len(to_create) + len(to_update)
        if changed:
            new_version = version + 1
            recompute_on_commit(locked.period_id, [locked.unit_id])
        else:
            # Nothing changed: give the version back so that other open pages stay valid.
            new_version = version
            Assessment.objects.filter(pk=locked.pk).update(version=version)
    assessment.version = new_version
    return SheetSaveResult(
        changed_scores=changed, version=new_version, changed_criteria=changed_codes
    )


def ready_to_submit_errors(assessment: Assessment) -> list[str]:
    """Criteria self-scored without evidence and without a written explanation (the unit must
    explain how it scored them before submitting)."""
    missing = (
        CriterionScore.objects.filter(
            assessment=assessment,
            self_points__isnull=False,
            criterion__evidence_required=True,
            self_explanation="",
            evidence__isnull=True,
        )
        .order_by("criterion__order")
        .values_list("criterion__code", flat=True)
    )
    codes = list(missing)
    if not codes:
        return []
    return [
        _(
            "Các tiêu chí %(codes)s đã tự chấm nhưng chưa có tài liệu kiểm chứng: cần viết giải "
            "thích cách tự chấm trước khi gửi thẩm định."
        )
        % {"codes": ", ".join(codes)}
    ]
