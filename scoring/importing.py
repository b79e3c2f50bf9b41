"""Importing appraisal scores from the Excel template or a CSV file: validate everything first
(a preview listing what will change and every error with its sheet, row and column), then apply
all of it in one transaction, or nothing.

Columns (Vietnamese template headers or the machine names): unit_code (Mã đơn vị), criterion_code
(Mã tiêu chí), points (Điểm thẩm định), deduction (Điểm bị trừ), reason (Lý do trừ điểm); the other
template columns (names, maxima, self score) are information and are ignored. An empty cell leaves
the stored value as it is; a deduction of 0 removes the criterion's deductions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.errors import DomainError
from core.numbers import fmt_number, parse_decimal
from core.tabular import Problem, TableError, cell, column_index, nfc, read_tables
from indicators.computation import (
    ZERO,
    CriterionRule,
    criterion_points,
    entered_points,
    points_problem,
)
from indicators.models import Criterion

from .models import Assessment, CriterionScore, Deduction, DeductionReason, Period
from .recompute import recompute_on_commit
from .workflow import APPRAISAL_EDITABLE, State

COLUMNS: dict[str, tuple[str, ...]] = {
    "unit_code": ("Mã đơn vị", "ma don vi", "unit"),
    "criterion_code": ("Mã tiêu chí", "ma tieu chi", "criterion"),
    "points": ("Điểm thẩm định", "Điểm", "diem"),
    "deduction": ("Điểm bị trừ", "diem bi tru"),
    "reason": ("Lý do trừ điểm", "Lý do", "ly do"),
}
HEADERS = {
    "unit_code": "Mã đơn vị",
    "unit_name": "Tên đơn vị",
    "criterion_code": "Mã tiêu chí",
    "criterion_name": "Tên tiêu chí",
    "max_points": "Điểm tối đa",
    "self_points": "Điểm tự đánh giá",
    "points": "Điểm thẩm định",
    "deduction": "Điểm bị trừ",
    "reason": "Lý do trừ điểm",
}
ROUND_FIELD = {1: "appraised_points", 2: "final_points"}


def deduction_text(deductions) -> str:
    """How a criterion's deductions read in one cell; importing the same text changes nothing."""
    parts = []
    for d in deductions:
        label = d.reason.label if d.reason_id else ""
        note = (d.note or "").strip()
        parts.append(f"{label} — {note}" if label and note else label or note)
    return "; ".join(p for p in parts if p)


@dataclass
class Change:
    sheet: str
    row: int
    unit_code: str
    unit_name: str
    criterion_code: str
    what: str
    old: object
    new: object


@dataclass
class _Row:
    sheet: str
    row: int
    assessment: Assessment
    criterion: Criterion
    points: Decimal | None
    deduction: Decimal | None
    reason: str
    unit_column: str = ""


@dataclass
class ScoreImport:
    """The validated content of a file: apply it only when `errors` is empty."""

    period: Period
    round: int
    rows: list[_Row] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    checked_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _reason_lookup() -> dict[str, DeductionReason]:
    lookup = {}
    for r in DeductionReason.objects.all():
        lookup[nfc(r.label).lower()] = r
        lookup[nfc(r.code).lower()] = r
    return lookup


def scores_plan(*, period: Period, data: bytes, filename: str = "", round: int = 1) -> ScoreImport:
    """Read and validate a scores file against the database; nothing is written."""
    plan = ScoreImport(period=period, round=round)
    try:
        sheets = read_tables(data, filename)
    except TableError as exc:
        plan.errors.append(Problem("", None, "", str(exc)))
        return plan
    assessments = {
        a.unit.code.lower(): a
        for a in Assessment.objects.filter(period=period).select_related("unit", "framework")
    }
    leaves: dict[tuple[int, str], Criterion] = {}
    non_leaves: set[tuple[int, str]] = set()
    for c in Criterion.objects.filter(
        framework_id__in={a.framework_id for a in assessments.values()}
    ):
        key = (c.framework_id, nfc(c.code).lower())
        (leaves.__setitem__(key, c) if c.is_leaf else non_leaves.add(key))
    from units.models import Unit

    known_units = {code.lower() for code in Unit.objects.values_list("code", flat=True)}
    seen: dict[tuple[int, int], tuple[str, int]] = {}
    point_field = ROUND_FIELD[round]
    data_rows = 0
    for sheet in sheets:
        if not sheet.header and not sheet.rows:
            continue
        cols = column_index(sheet, COLUMNS)
        missing = [k for k in ("unit_code", "criterion_code") if k not in cols]
        if "points" not in cols and "deduction" not in cols:
            missing.append("points")
        if missing:
            plan.errors.append(
                Problem(
                    sheet.name,
                    1,
                    ", ".join(HEADERS[k] for k in missing),
                    _(
                        "Thiếu cột bắt buộc. Các cột cần có: Mã đơn vị (unit_code), Mã tiêu chí "
                        "(criterion_code), Điểm thẩm định (points), Điểm bị trừ (deduction), Lý do "
                        "trừ điểm (reason)."
                    ),
                )
            )
            continue
        label = {k: sheet.labels[i] for k, i in cols.items()}
        for number, values in sheet.rows:
            data_rows += 1
            problems: list[Problem] = []

            def problem(
                key: str, message: str, number=number, sheet=sheet, problems=problems, label=label
            ) -> None:
                problems.append(Problem(sheet.name, number, label.get(key, HEADERS[key]), message))

            unit_code = nfc(cell(values, cols["unit_code"]))
            crit_code = nfc(cell(values, cols["criterion_code"]))
            assessment = assessments.get(unit_code.lower())
            criterion = None
            if not unit_code:
                problem("unit_code", _("Thiếu mã đơn vị."))
            elif assessment is None:
                if unit_code.lower() in known_units:
                    problem(
                        "unit_code",
                        _("Đơn vị “%(code)s” không có bản đánh giá trong kỳ %(year)s.")
                        % {"code": unit_code, "year": period.year},
                    )
                else:
                    problem("unit_code", _("Không có đơn vị mã “%(code)s”.") % {"code": unit_code})
            if assessment is not None:
                key = (assessment.framework_id, crit_code.lower())
                criterion = leaves.get(key)
                if not crit_code:
                    problem("criterion_code", _("Thiếu mã tiêu chí."))
                elif criterion is None and key in non_leaves:
                    problem(
                        "criterion_code",
                        _("Tiêu chí “%(code)s” có tiêu chí con: hãy nhập điểm ở các tiêu chí con.")
                        % {"code": crit_code},
                    )
                elif criterion is None:
                    problem(
                        "criterion_code",
                        _("Không có tiêu chí mã “%(code)s” trong bộ chỉ số của đơn vị.")
                        % {"code": crit_code},
                    )
            parsed: dict[str, Decimal | None] = {}
            for key in ("points", "deduction"):
                raw = cell(values, cols.get(key))
                try:
                    parsed[key] = parse_decimal(raw)
                except ValueError:
                    parsed[key] = None
                    problem(key, _("“%(value)s” không phải là số.") % {"value": nfc(raw)})
            reason = nfc(cell(values, cols.get("reason")))
            if criterion is not None:
                pts = parsed["points"]
                if pts is not None:
                    bounds = points_problem(
                        pts, max_points=criterion.max_points, step=criterion.step
                    )
                    if bounds == "range":
                        problem(
                            "points",
                            _(
                                "Điểm %(value)s ngoài khoảng 0 đến %(max)s (điểm tối đa của tiêu chí %(code)s)."
                            )
                            % {
                                "value": fmt_number(pts),
                                "max": fmt_number(criterion.max_points),
                                "code": criterion.code,
                            },
                        )
                    elif bounds == "step":
                        problem(
                            "points",
                            _("Điểm %(value)s không là bội số của %(step)s.")
                            % {"value": fmt_number(pts), "step": fmt_number(criterion.step)},
                        )
                ded = parsed["deduction"]
                if ded is not None:
                    if ded < 0 or ded > criterion.max_points:
                        problem(
                            "deduction",
                            _("Điểm bị trừ %(value)s ngoài khoảng 0 đến %(max)s.")
                            % {"value": fmt_number(ded), "max": fmt_number(criterion.max_points)},
                        )
                    elif ded > 0 and not reason:
                        problem("reason", _("Cần nêu lý do trừ điểm."))
                key = (assessment.pk, criterion.pk)
                if key in seen:
                    first_sheet, first_row = seen[key]
                    problem(
                        "criterion_code",
                        _(
                            "Dòng trùng: đơn vị %(unit)s, tiêu chí %(code)s đã có ở trang “%(sheet)s” dòng %(row)s."
                        )
                        % {
                            "unit": unit_code,
                            "code": crit_code,
                            "sheet": first_sheet,
                            "row": first_row,
                        },
                    )
                else:
                    seen[key] = (sheet.name, number)
            if problems:
                plan.errors.extend(problems)
                continue
            plan.rows.append(
                _Row(
                    sheet.name,
                    number,
                    assessment,
                    criterion,
                    parsed["points"],
                    parsed["deduction"],
                    reason,
                    label.get("unit_code", HEADERS["unit_code"]),
                )
            )
    plan.checked_rows = data_rows
    if not data_rows and not plan.errors:
        plan.errors.append(Problem("", None, "", _("Tệp không có dòng dữ liệu nào.")))
    _plan_changes(plan, point_field)
    return plan


def _plan_changes(plan: ScoreImport, point_field: str) -> None:
    scores = {
        (s.assessment_id, s.criterion_id): s
        for s in CriterionScore.objects.filter(assessment__period=plan.period)
    }
    deductions = defaultdict(list)
    for d in (
        Deduction.objects.active()
        .filter(score__assessment__period=plan.period)
        .select_related("reason")
    ):
        deductions[d.score_id].append(d)
    label = {
        "appraised_points": _("Điểm thẩm định lần 1"),
        "final_points": _("Điểm thẩm định lần 2"),
    }[point_field]
    kept: list[_Row] = []
    for r in plan.rows:
        score = scores.get((r.assessment.pk, r.criterion.pk))
        current = getattr(score, point_field) if score else None
        changes: list[Change] = []
        if r.points is not None and r.points != current:
            changes.append(
                Change(
                    r.sheet,
                    r.row,
                    r.assessment.unit.code,
                    r.assessment.unit.name,
                    r.criterion.code,
                    label,
                    current,
                    r.points,
                )
            )
        if r.deduction is not None:
            existing = deductions.get(score.pk, []) if score else []
            total = sum((d.points for d in existing), ZERO)
            text = deduction_text(existing)
            new_text = r.reason if r.deduction > 0 else ""
            if total != r.deduction or (r.deduction > 0 and text != new_text):
                changes.append(
                    Change(
                        r.sheet,
                        r.row,
                        r.assessment.unit.code,
                        r.assessment.unit.name,
                        r.criterion.code,
                        _("Điểm bị trừ"),
                        f"{fmt_number(total)} ({text})" if existing else None,
                        f"{fmt_number(r.deduction)} ({new_text})" if r.deduction > 0 else "0",
                    )
                )
        if not changes:
            continue  # an unchanged row is fine whatever the assessment's state
        if State(r.assessment.state) not in APPRAISAL_EDITABLE:
            plan.errors.append(
                Problem(
                    r.sheet,
                    r.row,
                    r.unit_column,
                    _(
                        "Bản đánh giá của %(unit)s đang ở trạng thái “%(state)s”, không nhập điểm "
                        "thẩm định được."
                    )
                    % {"unit": r.assessment.unit.name, "state": State(r.assessment.state).label},
                )
            )
            continue
        plan.changes.extend(changes)
        kept.append(r)
    plan.rows = kept
    if plan.errors:
        plan.changes = []
        # In the order of the file: sheets as they come, then rows.
        sheets = {name: i for i, name in enumerate(dict.fromkeys(p.sheet for p in plan.errors))}
        plan.errors.sort(key=lambda p: (sheets[p.sheet], p.row or 0))


def scores_apply(*, plan: ScoreImport, user=None) -> int:
    """Write a validated import, all of it or nothing; returns the number of criterion scores
    changed. Recomputes each touched score's points as the services do and queues one recompute."""
    if not plan.ok:
        raise DomainError([str(p) for p in plan.errors])
    point_field = ROUND_FIELD[plan.round]
    reasons = _reason_lookup()
    reason_text = _("Nhập từ tệp")
    now = timezone.now()
    with transaction.atomic():
        # Lock the period's assessments, then check their states again: they may have moved since
        # the preview.
        locked = {
            a.pk: a
            for a in Assessment.objects.select_for_update().filter(
                pk__in={r.assessment.pk for r in plan.rows}
            )
        }
        for r in plan.rows:
            if State(locked[r.assessment.pk].state) not in APPRAISAL_EDITABLE:
                raise DomainError(
                    _("Bản đánh giá của %(unit)s đã chuyển trạng thái; hãy kiểm tra lại tệp.")
                    % {"unit": r.assessment.unit.name}
                )
        scores = {
            (s.assessment_id, s.criterion_id): s
            for s in CriterionScore.objects.filter(assessment__period=plan.period)
        }
        existing_deductions = defaultdict(list)
        for d in (
            Deduction.objects.active()
            .filter(score__assessment__period=plan.period)
            .select_related("reason")
        ):
            existing_deductions[d.score_id].append(d)
        touched = {}
        for r in plan.rows:
            key = (r.assessment.pk, r.criterion.pk)
            score = scores.get(key)
            if score is None:
                score = CriterionScore(
                    assessment_id=r.assessment.pk,
                    criterion=r.criterion,
                    component_id=r.criterion.component_id,
                    max_points=r.criterion.max_points,
                )
                scores[key] = score
            changed = False
            if r.points is not None and getattr(score, point_field) != r.points:
                setattr(score, point_field, r.points)
                changed = True
            if r.deduction is not None:
                changed |= _deduction_changes(score, r, existing_deductions, reasons)
            if changed:
                touched[key] = (score, r)
        # Points of every touched score, with the deductions it will have after the import.
        for score, r in touched.values():
            planned = getattr(score, "_import_deductions", None)
            current = existing_deductions.get(score.pk, []) if score.pk else []
            deducted = sum(
                (d["points"] for d in planned)
                if planned is not None
                else (d.points for d in current),
                ZERO,
            )
            score.points = criterion_points(
                CriterionRule.of(r.criterion),
                entered=entered_points(score),
                measured=score.measured_value,
                deducted=deducted,
            )
            score.updated_at = now
        created = [s for s, _r in touched.values() if s.pk is None]
        updated = [s for s, _r in touched.values() if s.pk is not None]
        if created:
            bulk_create_with_history(
                created, CriterionScore, default_user=user, default_change_reason=reason_text
            )
        if updated:
            bulk_update_with_history(
                updated,
                CriterionScore,
                [point_field, "points", "updated_at"],
                default_user=user,
                default_change_reason=reason_text,
            )
        to_create = []
        for score, _r in touched.values():
            planned = getattr(score, "_import_deductions", None)
            if planned is None:
                continue
            for d in existing_deductions.get(score.pk, []):
                d._history_user = user  # simple-history records who removed it
                d.delete()
            to_create.extend(Deduction(score=score, created_by=user, **kw) for kw in planned)
        if to_create:
            bulk_create_with_history(
                to_create, Deduction, default_user=user, default_change_reason=reason_text
            )
        if touched:
            touched_assessments = Assessment.objects.filter(
                pk__in={s.assessment_id for s, _r in touched.values()}
            )
            touched_assessments.update(version=F("version") + 1, updated_at=now)
            recompute_on_commit(
                plan.period.pk, touched_assessments.values_list("unit_id", flat=True).distinct()
            )
    return len(touched)


def _deduction_changes(score, r: _Row, existing, reasons) -> bool:
    current = existing.get(score.pk, []) if score.pk else []
    total = sum((d.points for d in current), ZERO)
    text = deduction_text(current)
    if r.deduction == 0:
        if not current:
            return False
        score._import_deductions = []
        return True
    if total == r.deduction and text == r.reason:
        return False
    reason = reasons.get(r.reason.lower())
    score._import_deductions = [
        {"points": r.deduction, "reason": reason, "note": "" if reason else r.reason}
    ]
    return True
