"""What the three stages of the score import share: the columns, the way a reason and a header are
matched (case- and accent-insensitively), the rows and the plan."""

from __future__ import annotations

import gc
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from core.tabular import Problem

# Machine names and the headers a template writes (Vietnamese first); matched without case or
# accents. "points" is the round of the import; "points_1"/"points_2" name their round.
COLUMNS: dict[str, tuple[str, ...]] = {
    "unit_code": ("Mã đơn vị", "unit"),
    "unit_name": ("Tên đơn vị",),
    "criterion_code": ("Mã tiêu chí", "criterion"),
    "criterion_name": ("Tên tiêu chí",),
    "max_points": ("Điểm tối đa",),
    "self_points": ("Điểm tự đánh giá",),
    "points": ("Điểm thẩm định", "Điểm"),
    "points_1": ("Điểm thẩm định lần 1", "appraised_points"),
    "points_2": ("Điểm thẩm định lần 2", "final_points"),
    "deduction": ("Điểm bị trừ",),
    "reason": ("Lý do trừ điểm", "Lý do"),
    "not_applicable": ("Không áp dụng", "KAD"),
}
HEADERS = {
    "unit_code": "Mã đơn vị",
    "unit_name": "Tên đơn vị",
    "criterion_code": "Mã tiêu chí",
    "criterion_name": "Tên tiêu chí",
    "max_points": "Điểm tối đa",
    "self_points": "Điểm tự đánh giá",
    "points": "Điểm thẩm định",
    "points_1": "Điểm thẩm định lần 1",
    "points_2": "Điểm thẩm định lần 2",
    "deduction": "Điểm bị trừ",
    "reason": "Lý do trừ điểm",
    "not_applicable": "Không áp dụng",
}
ROUND_FIELD = {1: "appraised_points", 2: "final_points"}
PLACES = 2  # decimals a points field keeps
PREVIEW_LIMIT = 1000

NOT_APPLICABLE_WORDS = {"kad", "khong ap dung", "n/a", "na"}
FLAG_TRUE = {"1", "x", "co", "yes", "true", "kad", "khong ap dung"}
FLAG_FALSE = {"0", "khong", "no", "false", ""}


@contextmanager
def gc_paused():
    """Pause Python's cycle collector while a stage builds its hundreds of thousands of small
    objects (none of them in a cycle): each collection would walk them all again, for nothing.
    Reference counting still frees memory; the collector's state is restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@lru_cache(maxsize=65536, typed=True)
def fold(value) -> str:
    """Text for matching: NFC, no accents (đ → d), lower case, single spaces."""
    text = unicodedata.normalize("NFD", "" if value is None else str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("đ", "d").replace("Đ", "D").replace("_", " ")
    return " ".join(text.casefold().split())


def deduction_text(deductions) -> str:
    """How a criterion's deductions read in one cell; importing the same text changes nothing.
    `deductions` are objects with `reason` (or None) and `note`."""
    parts = []
    for d in deductions:
        label = d.reason.label if getattr(d, "reason", None) else ""
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
    warning: str = ""


@dataclass(slots=True)
class Row:
    """One checked line of the file."""

    sheet: str
    row: int
    assessment_id: int
    unit_code: str
    unit_name: str
    state: str
    criterion: object
    points: Decimal | None
    not_applicable: bool | None
    deduction: Decimal | None
    reason_text: str
    reason_id: int | None
    note: str | None  # None: keep the deduction's note
    unit_column: str = ""
    points_column: str = ""


@dataclass
class ScoreImport:
    """The checked content of a file and everything applying it will do: apply it only when
    `errors` is empty. `changes` holds the first PREVIEW_LIMIT effects, `change_count` all."""

    period: object
    round: int
    rows: list[Row] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    change_count: int = 0
    checked_rows: int = 0
    explained: int = 0  # deductions touched that carry an explanation from the unit
    # What apply writes, filled by the plan stage:
    score_ops: list[tuple] = field(default_factory=list)
    deduction_edits: list[tuple] = field(default_factory=list)
    deduction_withdrawals: list[int] = field(default_factory=list)
    # (score id, or None for a score the import creates; assessment id, criterion id, points,
    # reason id, note)
    deduction_adds: list[tuple] = field(default_factory=list)
    assessment_ids: set = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def truncated(self) -> bool:
        return self.change_count > len(self.changes)

    @property
    def preview_full(self) -> bool:
        return len(self.changes) >= PREVIEW_LIMIT

    def add_change(self, change: Change) -> None:
        self.change_count += 1
        if not self.preview_full:
            self.changes.append(change)
