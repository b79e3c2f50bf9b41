"""Stage two of the score import: compare the checked rows with what is stored and list every effect
applying them will have (points, the not-applicable flag, each deduction edited, added or withdrawn,
and whether that deduction carries an explanation from the unit). Only reads."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace
from typing import NamedTuple

from django.db import connection
from django.utils.translation import gettext as _

from core.numbers import fmt_number
from core.tabular import Problem
from indicators.computation import NOT_APPLICABLE, ZERO, CriterionRule, criterion_points

from ..models import CriterionScore, Deduction, DeductionReason, Explanation
from ..workflow import APPRAISAL_EDITABLE, State
from .common import PREVIEW_LIMIT, Change, ScoreImport, deduction_text, fold, gc_paused

# Assessments read per query: one pass over the scores serves a province's file (20% of a
# national table is read fastest by one sequential scan, not by five).
CHUNK = 5000


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


class _Deduction(NamedTuple):
    pk: int
    points: Decimal
    reason_id: int | None
    note: str
    explained: bool  # the unit has explained it


def _current(assessment_ids: list[int]):
    """The stored scores and active deductions of the assessments, read as plain tuples in one
    query: a score is (id, self_points, appraised_points, final_points, measured_value,
    not_applicable, deduction recorded: any, even withdrawn) by (assessment id, criterion id); the deductions are lists by score id,
    oldest first."""
    score_t = CriterionScore._meta.db_table
    ded_t = Deduction._meta.db_table
    expl_t = Explanation._meta.db_table
    # A deduction's time only puts them in order: on PostgreSQL as microseconds, an integer that
    # reads several times faster than a timestamp (74,000 of them in a national file).
    created = (
        "(extract(epoch FROM d.created_at) * 1000000)::bigint"
        if connection.vendor == "postgresql"
        else "d.created_at"
    )
    scores = {}
    deductions = defaultdict(list)
    with connection.cursor() as cur:
        for chunk in _chunks(assessment_ids):
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(
                f"SELECT s.assessment_id, s.criterion_id, s.id, s.self_points, "
                f"s.appraised_points, s.final_points, s.measured_value, s.not_applicable, "
                f"d.id, d.points, d.reason_id, d.note, {created}, e.deduction_id, "
                f"EXISTS (SELECT 1 FROM {ded_t} r WHERE r.score_id = s.id) "
                f"FROM {score_t} s LEFT JOIN {ded_t} d ON d.score_id = s.id "
                f"AND d.withdrawn_at IS NULL LEFT JOIN (SELECT DISTINCT deduction_id "
                f"FROM {expl_t}) e ON e.deduction_id = d.id WHERE s.assessment_id IN ({marks})",
                chunk,
            )
            for row in cur.fetchall():
                aid, cid, sid, sp, ap, fp, mv, na, did, pts, rid, note, at, ex, recorded = row
                scores[(aid, cid)] = (sid, sp, ap, fp, mv, bool(na), bool(recorded))
                if did is not None:
                    deductions[sid].append(
                        (at, did, _Deduction(did, Decimal(pts), rid, note or "", ex is not None))
                    )
    return scores, {sid: [d for _at, _id, d in sorted(found)] for sid, found in deductions.items()}


class _Shown(tuple):
    """A deduction (points, reason id, note) to be written as text if the preview shows it."""


def _text(value, labels):
    return _shown(*value, labels) if isinstance(value, _Shown) else value


def _shown(points: Decimal, reason_id, note: str, labels) -> str:
    label = labels.get(reason_id, "") if reason_id else ""
    text = f"{label} — {note}" if label and note else label or note
    return f"{fmt_number(points)} ({text})" if text else fmt_number(points)


def _deductions_text(existing: list[_Deduction], labels) -> str:
    """deduction_text of stored deductions: what the export writes in the reason cell."""
    return deduction_text(
        SimpleNamespace(
            reason=SimpleNamespace(label=labels[d.reason_id]) if d.reason_id else None,
            note=d.note,
        )
        for d in existing
    )


def plan_changes(plan: ScoreImport) -> None:
    """Fill the plan's changes and the operations apply will run; refuse rows that would change an
    assessment that is not being appraised, or give points to a criterion marked not applicable.
    One pass over the rows with the stored values in dictionaries: no query per row."""
    with gc_paused():
        _plan_changes(plan)


def _plan_changes(plan: ScoreImport) -> None:
    round_two = plan.round == 2
    scores, deductions = _current(sorted({r.assessment_id for r in plan.rows}))
    labels = dict(DeductionReason.objects.values_list("pk", "label"))
    point_label = {1: _("Điểm thẩm định lần 1"), 2: _("Điểm thẩm định lần 2")}[plan.round]
    explained_note = _("Điểm bị trừ này có giải trình của đơn vị; giải trình được giữ lại.")
    na_label, yes, no = _("Không áp dụng"), _("có"), _("không")
    edit_label, withdraw_label = _("Sửa điểm bị trừ"), _("Gỡ điểm bị trừ")
    add_label = _("Thêm điểm bị trừ")
    editable = {s.value for s in APPRAISAL_EDITABLE}
    rules: dict[int, tuple[CriterionRule, int]] = {}
    computed: dict[tuple, Decimal] = {}  # criterion_points by its arguments
    no_score = (None, None, None, None, None, False, False)
    score_ops, assessment_ids = plan.score_ops, plan.assessment_ids
    for r in plan.rows:
        c = r.criterion
        score = scores.get((r.assessment_id, c.id), no_score)
        score_id, self_points, appraised, final, measured, stored_na, recorded = score
        current = final if round_two else appraised
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
        changes: list[tuple[str, object, object, str]] = []
        set_points = r.points is not None and r.points != current
        if set_points:
            changes.append((point_label, current, r.points, ""))
        if new_na != stored_na:
            changes.append((na_label, yes if stored_na else no, yes if new_na else no, ""))
        existing = deductions.get(score_id, ()) if score_id else ()
        edits, withdrawals, adds = [], [], []
        if r.deduction is not None:
            if r.deduction == 0:
                withdrawals = list(existing)
            elif not _same(r, existing, labels):
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
                        edit_label,
                        _Shown((first.points, first.reason_id, first.note)),
                        _Shown((pts, rid, note)),
                        explained_note if first.explained else "",
                    )
                )
            for d in withdrawals:
                changes.append(
                    (
                        withdraw_label,
                        _Shown((d.points, d.reason_id, d.note)),
                        None,
                        explained_note if d.explained else "",
                    )
                )
            for pts, rid, note in adds:
                changes.append((add_label, None, _Shown((pts, rid, note)), ""))
        if not changes:
            continue  # an unchanged row is fine whatever the assessment's state
        if r.state not in editable:
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
        if plan.errors:
            continue  # the plan is refused: only the errors are still wanted
        if len(plan.changes) >= PREVIEW_LIMIT:
            plan.change_count += len(changes)
        else:
            for what, old, new, warning in changes:
                if not plan.preview_full:  # the text of a change is written only for the preview
                    old, new = _text(old, labels), _text(new, labels)
                plan.add_change(
                    Change(
                        r.sheet, r.row, r.unit_code, r.unit_name, c.code, what, old, new, warning
                    )
                )
        if edits or withdrawals:
            plan.explained += sum(1 for w in changes if w[3])
        # What the score will hold after the apply, and its effective points.
        if set_points:
            if round_two:
                final = r.points
            else:
                appraised = r.points
        rule, component_id = rules.get(c.id) or rules.setdefault(
            c.id, (CriterionRule.of(c), c.component_id)
        )
        if new_na:
            points = ZERO  # a criterion marked not applicable counts 0 (its maximum leaves too)
        else:
            if existing or adds:
                gone = {d.pk for d in withdrawals} | {e[0].pk for e in edits}
                deducted = sum((d.points for d in existing if d.pk not in gone), ZERO)
                deducted += sum((e[1] for e in edits), ZERO) + sum((a[0] for a in adds), ZERO)
            else:
                deducted = ZERO
            entered = final if final is not None else appraised
            if entered is None:
                entered = self_points
            recorded_after = recorded or bool(adds or edits)
            key = (c.id, entered, measured, deducted, recorded_after)
            points = computed.get(key)
            if points is None:
                points = computed[key] = criterion_points(
                    rule,
                    entered=entered,
                    measured=measured,
                    deducted=deducted,
                    deduction_recorded=recorded_after,
                )
        score_ops.append(
            (
                score_id,
                r.assessment_id,
                c.id,
                component_id,
                rule.max_points,
                set_points,
                r.points if set_points else None,
                new_na,
                points,
            )
        )
        if edits:
            plan.deduction_edits.extend((e[0].pk, e[1], e[2], e[3]) for e in edits)
        if withdrawals:
            plan.deduction_withdrawals.extend(d.pk for d in withdrawals)
        if adds:
            plan.deduction_adds.extend((score_id, r.assessment_id, c.id, *a) for a in adds)
        assessment_ids.add(r.assessment_id)
    if plan.errors:
        plan.changes, plan.change_count, plan.explained = [], 0, 0
        plan.score_ops, plan.deduction_edits, plan.deduction_adds = [], [], []
        plan.deduction_withdrawals, plan.assessment_ids = [], set()
        sheets = {name: i for i, name in enumerate(dict.fromkeys(p.sheet for p in plan.errors))}
        plan.errors.sort(key=lambda p: (sheets[p.sheet], p.row or 0))


def _same(r, existing, labels) -> bool:
    """Whether the row says what is stored: the same total, and the same reason (by its code or
    label, any case or accents) or the same text as the export writes."""
    if sum((d.points for d in existing), ZERO) != r.deduction:
        return False
    if fold(r.reason_text) == fold(_deductions_text(existing, labels)):
        return True
    if len(existing) == 1 and r.reason_id and existing[0].reason_id == r.reason_id:
        return r.note is None or fold(r.note) == fold(existing[0].note)
    return False
