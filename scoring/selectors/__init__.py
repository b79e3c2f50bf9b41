"""Reads of the scoring app, one module per topic: the sheet, the assessment list and gap report
(lists), a criterion's history, the recompute status and the published results (publication).
Each returns what the page needs already fetched. The public names are re-exported here."""

from .history import HistoryEntry, criterion_history
from .lists import APPRAISED_STATES, assessments_listed, gap_report, with_list_figures
from .publication import PublishedResults, period_published_results
from .recompute_status import RecomputeStatus, period_recompute_status
from .sheet import (
    ComponentTotal,
    Sheet,
    SheetRow,
    current_values,
    sheet_criteria,
    sheet_for,
    with_round,
)

__all__ = [
    "APPRAISED_STATES",
    "ComponentTotal",
    "HistoryEntry",
    "PublishedResults",
    "RecomputeStatus",
    "Sheet",
    "SheetRow",
    "assessments_listed",
    "criterion_history",
    "current_values",
    "gap_report",
    "period_published_results",
    "period_recompute_status",
    "sheet_criteria",
    "sheet_for",
    "with_list_figures",
    "with_round",
]
