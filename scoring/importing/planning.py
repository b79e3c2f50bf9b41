"""Stage two of the score import: compare the checked rows with what is stored and list every effect
applying them will have (points, the not-applicable flag, each deduction edited, added or withdrawn,
and whether that deduction carries an explanation from the unit). Only reads."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

from django.db import connection
from django.utils.translation import gettext as _

from core.numbers import fmt_number
from core.tabular import Problem
from indicators.computation import (
    NOT_APPLICABLE,
    ZERO,
    CriterionRule,
    criterion_points,
    entered_points,
)

from ..models import CriterionScore, Deduction, DeductionReason, Explanation
from ..workflow import APPRAISAL_EDITABLE, State
from .common import ROUND_FIELD, Change, ScoreImport, deduction_text, fold

CHUNK = 1000


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _current(assessment_ids: list[int]):
    """The stored scores and active deductions of the assessments, read as plain tuples."""
    score_t = CriterionScore._meta.db_table
    ded_t = Deduction._meta.db_table
    expl_t = Explanation._meta.db_table
    scores = {}
    deductions = defaultdict(list)
    labels = dict(DeductionReason.objects.values_list("pk", "label"))
    with connection.cursor() as cur:
        for chunk in _chunks(assessment_ids):
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(
                f"SELECT id, assessment_id, criterion_id, self_points, appraised_points, "
                f"final_points, measured_value, not_applicable, "
                f"EXISTS (SELECT 1 FROM {ded_t} d WHERE d.score_id = {score_t}.id) "
                f"FROM {score_t} WHERE assessment_id IN ({marks})",
                chunk,
            )
            for sid, aid, cid, sp, ap, fp, mv, na, recorded in cur.fetchall():
                scores[(aid, cid)] = SimpleNamespace(
                    pk=sid,
                    self_points=sp,
                    appraised_points=ap,
                    final_points=fp,
                    measured_value=mv,
                    not_applicable=bool(na),
                    deduction_recorded=bool(recorded),  # any deduction, even withdrawn
                )
            cur.execute(
                f"SELECT d.id, d.score_id, d.points, d.reason_id, d.note, "
                f"EXISTS (SELECT 1 FROM {expl_t} e WHERE e.deduction_id = d.id) "
                f"FROM {ded_t} d JOIN {score_t} s ON s.id = d.score_id "
                f"WHERE d.withdrawn_at IS NULL AND s.assessment_id IN ({marks}) "
                f"ORDER BY d.created_at, d.id",
                chunk,
            )
            for did, sid, pts, rid, note, explained in cur.fetchall():
                reason = SimpleNamespace(label=labels[rid]) if rid else None
                deductions[sid].append(
                    SimpleNamespace(
                        pk=did,
                        points=Decimal(pts),
                        reason_id=rid,
                        reason=reason,
                        note=note or "",
                        explained=bool(explained),
                    )
                )
    return scores, deductions, labels


class _Shown(tuple):
    """A deduction (points, reason id, note) to be written as text if the preview shows it."""


def _text(value, labels):
    return _shown(*value, labels) if isinstance(value, _Shown) else value


def _shown(points: Decimal, reason_id, note: str, labels) -> str:
    label = labels.get(reason_id, "") if reason_id else ""
    text = f"{label} — {note}" if label and note else label or note
    return f"{fmt_number(points)} ({text})" if text else fmt_number(points)


def plan_changes(plan: ScoreImport) -> None:
    """Fill the plan's changes and the operations apply will run; refuse rows that would change an
    assessment that is not being appraised, or give points to a criterion marked not applicable."""
    point_field = ROUND_FIELD[plan.round]
    scores, deductions, labels = _current(sorted({r.assessment_id for r in plan.rows}))
    point_label = {1: _("Điểm thẩm định lần 1"), 2: _("Điểm thẩm định lần 2")}[plan.round]
    explained_note = _("Điểm bị trừ này có giải trình của đơn vị; giải trình được giữ lại.")
    for r in plan.rows:
        c = r.criterion
        score = scores.get((r.assessment_id, c.pk))
        changes: list[tuple[str, object, object, str]] = []
        current = getattr(score, point_field) if score else None
        stored_na = score.not_applicable if score else False
        new_na = stored_na if r.not_applicable is None else r.not_applicable
        if c.method == NOT_APPLICABLE:
            # Not applicable by the framework for every unit: the export writes KAD, and reading
            # it back (or a flag) changes nothing.
            new_na = stored_na
        if r.points is not None and new_na:
            plan.errors.append(
                Problem(
                    r.sheet,
                    r.row,
                    r.points_column,
                    _(
                        "Dòng %(row)s: tiêu chí %(code)s của %(unit)s đang đánh dấu không áp dụng, "
                        "không nhận điểm %(value)s."
                    )
                    % {
                        "row": r.row,
                        "code": c.code,
                        "unit": r.unit_code,
                        "value": fmt_number(r.points),
                    },
                )
            )
            continue
        set_points = r.points is not None and r.points != current
        if set_points:
            changes.append((point_label, current, r.points, ""))
        set_na = new_na != stored_na
        if set_na:
            changes.append(
                (
                    _("Không áp dụng"),
                    _("có") if stored_na else _("không"),
                    _("có") if new_na else _("không"),
                    "",
                )
            )
        existing = deductions.get(score.pk, []) if score else []
        edits, withdrawals, adds = [], [], []
        if r.deduction is not None:
            total = sum((d.points for d in existing), ZERO)
            if r.deduction == 0:
                withdrawals = list(existing)
            elif not _same(r, existing, total):
                if existing:
                    first = existing[0]
                    note = r.note
                    if note is None:
                        note = first.note if r.reason_id == first.reason_id else ""
                    edits.append((first, r.deduction, r.reason_id, note))
                    withdrawals = existing[1:]
                else:
                    adds.append((r.deduction, r.reason_id, r.note or ""))
        for first, pts, rid, note in edits:
            changes.append(
                (
                    _("Sửa điểm bị trừ"),
                    _Shown((first.points, first.reason_id, first.note)),
                    _Shown((pts, rid, note)),
                    explained_note if first.explained else "",
                )
            )
        for d in withdrawals:
            changes.append(
                (
                    _("Gỡ điểm bị trừ"),
                    _Shown((d.points, d.reason_id, d.note)),
                    None,
                    explained_note if d.explained else "",
                )
            )
        for pts, rid, note in adds:
            changes.append((_("Thêm điểm bị trừ"), None, _Shown((pts, rid, note)), ""))
        if not changes:
            continue  # an unchanged row is fine whatever the assessment's state
        if State(r.state) not in APPRAISAL_EDITABLE:
            plan.errors.append(
                Problem(
                    r.sheet,
                    r.row,
                    r.unit_column,
                    _(
                        "Bản đánh giá của %(unit)s đang ở trạng thái “%(state)s”, không nhập điểm "
                        "thẩm định được."
                    )
                    % {"unit": r.unit_name, "state": State(r.state).label},
                )
            )
            continue
        for what, old, new, warning in changes:
            if not plan.preview_full:  # the text of a change is written only for the preview
                old, new = _text(old, labels), _text(new, labels)
            plan.add_change(
                Change(r.sheet, r.row, r.unit_code, r.unit_name, c.code, what, old, new, warning)
            )
        plan.explained += sum(1 for w in changes if w[3])
        # What the score will hold after the apply, and its effective points.
        after = SimpleNamespace(
            self_points=score.self_points if score else None,
            appraised_points=score.appraised_points if score else None,
            final_points=score.final_points if score else None,
        )
        if set_points:
            setattr(after, point_field, r.points)
        gone = {d.pk for d in withdrawals} | {e[0].pk for e in edits}
        deducted = sum((d.points for d in existing if d.pk not in gone), ZERO)
        deducted += sum((e[1] for e in edits), ZERO) + sum((a[0] for a in adds), ZERO)
        points = criterion_points(
            CriterionRule.of(c),
            entered=entered_points(after),
            measured=score.measured_value if score else None,
            deducted=deducted,
            not_applicable=new_na,
            deduction_recorded=bool(score and score.deduction_recorded) or bool(adds or edits),
        )
        plan.score_ops.append(
            (
                score.pk if score else None,
                r.assessment_id,
                c.pk,
                c.component_id,
                c.max_points,
                set_points,
                r.points if set_points else None,
                new_na,
                points,
            )
        )
        plan.deduction_edits.extend((e[0].pk, e[1], e[2], e[3]) for e in edits)
        plan.deduction_withdrawals.extend(d.pk for d in withdrawals)
        plan.deduction_adds.extend((r.assessment_id, c.pk, *a) for a in adds)
        plan.assessment_ids.add(r.assessment_id)
    if plan.errors:
        plan.changes, plan.change_count = [], 0
        plan.score_ops, plan.deduction_edits, plan.deduction_adds = [], [], []
        plan.deduction_withdrawals = []
        sheets = {name: i for i, name in enumerate(dict.fromkeys(p.sheet for p in plan.errors))}
        plan.errors.sort(key=lambda p: (sheets[p.sheet], p.row or 0))


def _same(r, existing, total: Decimal) -> bool:
    """Whether the row says what is stored: the same total, and the same reason (by its code or
    label, any case or accents) or the same text as the export writes."""
    if total != r.deduction:
        return False
    if fold(r.reason_text) == fold(deduction_text(existing)):
        return True
    if len(existing) == 1 and r.reason_id and existing[0].reason_id == r.reason_id:
        return r.note is None or fold(r.note) == fold(existing[0].note)
    return False
