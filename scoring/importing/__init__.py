"""Importing appraisal scores from the Excel template or a CSV file, in three stages: check every
cell (checking), list every effect the apply will have (planning: the preview), then write it all in
one transaction, set-based, or nothing (applying).

Columns (Vietnamese template headers or the machine names, matched without case or accents):
unit_code (Mã đơn vị), criterion_code (Mã tiêu chí), points (Điểm thẩm định; "Điểm thẩm định lần 1"
or "lần 2" name their round and must match the round imported), deduction (Điểm bị trừ), reason
(Lý do trừ điểm), not_applicable (Không áp dụng). The template's information columns (names, maxima,
self score) are recognised and not written; any other header is an error.

- An empty points or deduction cell leaves the stored value as it is. Values keep at most two
  decimals; more is refused at its cell, never rounded.
- The points cell may say the criterion is not applicable: KAD, không áp dụng, N/A or NA. The
  not_applicable column sets the flag with 1, x, có, yes and clears it with 0, không, no or an empty
  cell. Points for a criterion marked not applicable are refused.
- A deduction edits the criterion's deduction (or adds one); 0 withdraws its deductions. Nothing is
  deleted: a deduction a unit has explained keeps its explanation, and the preview says so. The
  reason is a reason's code or label (any case, with or without accents), "label — note", or free
  text kept as the note. A reason without a deduction is an error.
"""

from .applying import IMPORT_USERNAME, import_account, scores_apply
from .checking import check_file
from .common import (
    COLUMNS,
    HEADERS,
    PREVIEW_LIMIT,
    ROUND_FIELD,
    Change,
    ScoreImport,
    deduction_text,
)
from .planning import plan_changes

__all__ = [
    "COLUMNS",
    "HEADERS",
    "IMPORT_USERNAME",
    "PREVIEW_LIMIT",
    "ROUND_FIELD",
    "Change",
    "ScoreImport",
    "deduction_text",
    "import_account",
    "scores_apply",
    "scores_plan",
]


def scores_plan(*, period, data: bytes, filename: str = "", round: int = 1) -> ScoreImport:
    """Read, check and plan a scores file against the database; nothing is written."""
    plan = ScoreImport(period=period, round=round)
    check_file(plan, data, filename)
    plan_changes(plan)
    return plan
