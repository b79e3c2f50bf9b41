"""Writes to assessments, scores, deductions, explanations, evidence and reopen requests; nothing
else saves these models. One module per topic; the public names are re-exported here."""

from .assessments import assessment_create, assessment_transition
from .deductions import deduction_add, deduction_delete, deduction_edit
from .evidence import (
    EVIDENCE_TYPES,
    evidence_add,
    evidence_check,
    evidence_delete,
    may_attach,
)
from .evidence_orphans import evidence_orphans_remove
from .explanations import explanation_decide, explanation_submit
from .reopen import reopen_decide, reopen_request
from .scores import score_refresh_points
from .sheet import (
    SheetSaveResult,
    StaleSheet,
    appraisal_round,
    editable_fields,
    ready_to_submit_errors,
    sheet_save,
    stale_message,
)

__all__ = [
    "EVIDENCE_TYPES",
    "SheetSaveResult",
    "StaleSheet",
    "appraisal_round",
    "assessment_create",
    "assessment_transition",
    "deduction_add",
    "deduction_delete",
    "deduction_edit",
    "editable_fields",
    "evidence_add",
    "evidence_check",
    "evidence_delete",
    "evidence_orphans_remove",
    "explanation_decide",
    "explanation_submit",
    "may_attach",
    "ready_to_submit_errors",
    "reopen_decide",
    "reopen_request",
    "score_refresh_points",
    "sheet_save",
    "stale_message",
]
