"""A criterion's change history, told as events: a score typed, a deduction added, changed,
withdrawn or deleted, an explanation sent or decided, evidence uploaded or removed, the assessment
moved to another state; each with who and when, and the old and new value where there is one."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from indicators.models import Criterion

from ..models import (
    Assessment,
    CriterionScore,
    Deduction,
    DeductionReason,
    Evidence,
    Explanation,
    StateChange,
)
from ..workflow import State


@dataclass
class HistoryEntry:
    at: object
    user: object
    what: str  # the event: "Nhập điểm", "Ghi điểm bị trừ", "Gửi giải trình"...
    field: str  # what it touched: a field's name, a reason, a file name
    old: object
    new: object
    reason: str = ""  # the note that goes with it: a deduction's note, a decision, a move's reason


def _field(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _yes_no(value):
    """A flag reads as a tick or a cross in the history, in any language."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return value


# The typed values of a score and the event each change is. `points` is left out: it follows from
# the typed values and the deductions, whose own events tell why it moved.
def _score_events() -> dict[str, str]:
    typed = _("Nhập điểm")
    return {
        "self_points": _("Tự chấm điểm"),
        "appraised_points": typed,
        "final_points": typed,
        "measured_value": typed,
        "not_applicable": typed,
        "comment": _("Nhận xét"),
        "self_explanation": _("Giải thích cách tự chấm"),
    }


def _score_entries(records) -> list[HistoryEntry]:
    events = _score_events()
    entries: list[HistoryEntry] = []
    previous = None
    for rec in records:
        if rec.history_type == "~" and previous is None:
            # A row written without history (an old bulk load): its earlier values are unknown,
            # so this record is the baseline, not a change from nothing.
            previous = rec
            continue
        for name, what in events.items():
            old = getattr(previous, name) if previous is not None else None
            new = getattr(rec, name)
            if previous is None and new in (None, "", False):
                continue
            if old != new:
                entries.append(
                    HistoryEntry(
                        rec.history_date,
                        rec.history_user,
                        what,
                        _field(CriterionScore, name),
                        _yes_no(old),
                        _yes_no(new),
                        rec.history_change_reason or "",
                    )
                )
        previous = rec
    return entries


def _deduction_entries(records, reasons: dict) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    previous = None
    for rec in records:
        label = reasons.get(rec.reason_id, "")
        if rec.history_type == "+":
            entries.append(
                HistoryEntry(
                    rec.history_date,
                    rec.history_user or rec.created_by,
                    _("Ghi điểm bị trừ"),
                    label,
                    None,
                    rec.points,
                    rec.note,
                )
            )
        elif rec.history_type == "-":
            entries.append(
                HistoryEntry(
                    rec.history_date,
                    rec.history_user,
                    _("Xóa điểm bị trừ"),
                    label,
                    rec.points,
                    None,
                    rec.note,
                )
            )
        elif previous is not None and previous.withdrawn_at is None and rec.withdrawn_at:
            entries.append(
                HistoryEntry(
                    rec.withdrawn_at,
                    rec.withdrawn_by or rec.history_user,
                    _("Gỡ điểm bị trừ"),
                    label,
                    rec.points,
                    None,
                    _("Chấp nhận giải trình, điểm được hoàn trả"),
                )
            )
        elif previous is not None:
            for name in ("points", "reason_id", "note"):
                old, new = getattr(previous, name), getattr(rec, name)
                if old == new:
                    continue
                if name == "reason_id":
                    old, new = reasons.get(old, old), reasons.get(new, new)
                entries.append(
                    HistoryEntry(
                        rec.history_date,
                        rec.history_user,
                        _("Sửa điểm bị trừ"),
                        _field(Deduction, "reason" if name == "reason_id" else name),
                        old,
                        new,
                    )
                )
        previous = rec
    return entries


def _explanation_entries(records) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    previous = None
    for rec in records:
        if rec.history_type == "+":
            entries.append(
                HistoryEntry(
                    rec.history_date,
                    rec.author or rec.history_user,
                    _("Gửi giải trình"),
                    _field(Explanation, "text"),
                    None,
                    rec.text,
                )
            )
        elif rec.history_type == "~" and previous is not None:
            if previous.status == Explanation.Status.PENDING and rec.status != previous.status:
                accepted = rec.status == Explanation.Status.ACCEPTED
                entries.append(
                    HistoryEntry(
                        rec.decided_at or rec.history_date,
                        rec.decided_by or rec.history_user,
                        _("Chấp nhận giải trình") if accepted else _("Không chấp nhận giải trình"),
                        _field(Explanation, "status"),
                        Explanation.Status(previous.status).label,
                        Explanation.Status(rec.status).label,
                        rec.decision_note,
                    )
                )
            elif rec.text != previous.text:
                entries.append(
                    HistoryEntry(
                        rec.history_date,
                        rec.author or rec.history_user,
                        _("Sửa giải trình"),
                        _field(Explanation, "text"),
                        previous.text,
                        rec.text,
                    )
                )
        previous = rec
    return entries


def _evidence_entries(records) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    for rec in records:
        if rec.history_type == "+":
            entries.append(
                HistoryEntry(
                    rec.history_date,
                    rec.history_user or rec.uploaded_by,
                    _("Tải lên tài liệu kiểm chứng"),
                    rec.original_name,
                    None,
                    None,
                    rec.note,
                )
            )
        elif rec.history_type == "-":
            entries.append(
                HistoryEntry(
                    rec.history_date,
                    rec.history_user,
                    _("Xóa tài liệu kiểm chứng"),
                    rec.original_name,
                    None,
                    None,
                    rec.note,
                )
            )
    return entries


def _grouped(history_qs, key: str) -> list[list]:
    groups = defaultdict(list)
    for rec in history_qs.select_related("history_user").order_by("history_date", "history_id"):
        groups[getattr(rec, key)].append(rec)
    return list(groups.values())


def criterion_history(assessment: Assessment, criterion: Criterion) -> list[HistoryEntry]:
    """Every event of this criterion (its score, deductions, explanations, evidence) and every
    state change of the assessment, newest first: one entry per event, or per typed value."""
    score_records = list(
        CriterionScore.history.filter(assessment_id=assessment.pk, criterion_id=criterion.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    # The live row's id too: a score created without history still owns deductions and evidence.
    score_ids = {r.id for r in score_records} | set(
        CriterionScore.objects.filter(
            assessment_id=assessment.pk, criterion_id=criterion.pk
        ).values_list("pk", flat=True)
    )
    entries = _score_entries(score_records)
    reasons = dict(DeductionReason.objects.values_list("pk", "label"))
    deduction_history = Deduction.history.filter(score_id__in=score_ids).select_related(
        "created_by", "withdrawn_by"
    )
    deduction_ids = set()
    for records in _grouped(deduction_history, "id"):
        deduction_ids.add(records[0].id)
        entries += _deduction_entries(records, reasons)
    explanation_history = Explanation.history.filter(deduction_id__in=deduction_ids).select_related(
        "author", "decided_by"
    )
    for records in _grouped(explanation_history, "id"):
        entries += _explanation_entries(records)
    for records in _grouped(
        Evidence.history.filter(score_id__in=score_ids).select_related("uploaded_by"), "id"
    ):
        entries += _evidence_entries(records)
    for move in StateChange.objects.filter(assessment=assessment).select_related("by"):
        entries.append(
            HistoryEntry(
                move.at,
                move.by,
                _("Chuyển trạng thái"),
                "",
                State(move.from_state).label,
                State(move.to_state).label,
                move.reason,
            )
        )
    entries.sort(key=lambda e: e.at)
    entries.reverse()  # newest first; events of one moment keep their order, reversed
    return entries
