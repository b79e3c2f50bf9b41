"""A criterion's change history: who changed what, when, old → new."""

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
)


@dataclass
class HistoryEntry:
    at: object
    user: object
    what: str
    field: str
    old: object
    new: object
    reason: str = ""


_TRACKED = {
    "self_points": CriterionScore._meta.get_field("self_points").verbose_name,
    "appraised_points": CriterionScore._meta.get_field("appraised_points").verbose_name,
    "final_points": CriterionScore._meta.get_field("final_points").verbose_name,
    "measured_value": CriterionScore._meta.get_field("measured_value").verbose_name,
    "not_applicable": CriterionScore._meta.get_field("not_applicable").verbose_name,
    "points": CriterionScore._meta.get_field("points").verbose_name,
    "comment": CriterionScore._meta.get_field("comment").verbose_name,
    "self_explanation": CriterionScore._meta.get_field("self_explanation").verbose_name,
}


def _yes_no(value):
    """A flag reads as a tick or a cross in the history, in any language."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return value


def _diff(records, labels: dict, what: str) -> list[HistoryEntry]:
    """Old → new per field from consecutive historical records of one object."""
    entries: list[HistoryEntry] = []
    previous = None
    for rec in records:
        reason = rec.history_change_reason or ""
        if rec.history_type == "-":
            first = next(iter(labels))
            entries.append(
                HistoryEntry(
                    rec.history_date,
                    rec.history_user,
                    what,
                    str(_("đã xóa")),
                    getattr(rec, first),
                    None,
                    reason,
                )
            )
        else:
            for name, label in labels.items():
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
                            label,
                            _yes_no(old),
                            _yes_no(new),
                            reason,
                        )
                    )
        previous = rec
    return entries


def criterion_history(assessment: Assessment, criterion: Criterion) -> list[HistoryEntry]:
    """Every change to this criterion's score, deductions and evidence: who, when, old → new."""
    entries: list[HistoryEntry] = []
    score_records = list(
        CriterionScore.history.filter(assessment_id=assessment.pk, criterion_id=criterion.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    entries += _diff(score_records, _TRACKED, str(CriterionScore._meta.verbose_name))
    score_ids = {r.id for r in score_records}
    deduction_labels = {
        "points": Deduction._meta.get_field("points").verbose_name,
        "reason_id": Deduction._meta.get_field("reason").verbose_name,
        "note": Deduction._meta.get_field("note").verbose_name,
    }
    reasons = dict(DeductionReason.objects.values_list("pk", "label"))
    by_deduction = defaultdict(list)
    for rec in (
        Deduction.history.filter(score_id__in=score_ids)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        by_deduction[rec.id].append(rec)
    for records in by_deduction.values():
        for e in _diff(records, deduction_labels, str(Deduction._meta.verbose_name)):
            if e.field == deduction_labels["reason_id"]:
                e.old, e.new = reasons.get(e.old, e.old), reasons.get(e.new, e.new)
            entries.append(e)
    evidence_labels = {"original_name": Evidence._meta.get_field("original_name").verbose_name}
    by_evidence = defaultdict(list)
    for rec in (
        Evidence.history.filter(score_id__in=score_ids)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        by_evidence[rec.id].append(rec)
    for records in by_evidence.values():
        entries += _diff(records, evidence_labels, str(Evidence._meta.verbose_name))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
