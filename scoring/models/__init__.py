"""The scoring app's models, by topic: assessments and their scores, the sheet's attachments and
conversations, stored results with recompute jobs and published snapshots."""

from .assessments import (
    Adjustment,
    Assessment,
    CriterionScore,
    Deduction,
    DeductionQuerySet,
    DeductionReason,
    Period,
    StateChange,
)
from .results import (
    AssessmentResult,
    ComponentResult,
    RecomputeRun,
    ResultSnapshot,
    ResultSnapshotComponent,
    ResultSnapshotRow,
)
from .sheet import Evidence, Explanation, ReopenRequest, evidence_upload_to

__all__ = [
    "Adjustment",
    "Assessment",
    "AssessmentResult",
    "ComponentResult",
    "CriterionScore",
    "Deduction",
    "DeductionQuerySet",
    "DeductionReason",
    "Evidence",
    "Explanation",
    "Period",
    "RecomputeRun",
    "ReopenRequest",
    "ResultSnapshot",
    "ResultSnapshotComponent",
    "ResultSnapshotRow",
    "StateChange",
    "evidence_upload_to",
]
