"""Importing an answers file: checked whole, then written at once, or nothing. Used by
`manage.py import_survey` and by the upload page's jobs (surveys.jobs)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .answers_check import Checked, Progress, _quiet, check_answers
from .answers_write import already_imported, write_answers
from .models import Survey


@dataclass
class Outcome:
    status: str  # "invalid", "checked" (dry run), "unchanged", "applied"
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    preview: dict = field(default_factory=dict)
    digest: str = ""


def outcome_of(checked: Checked, status: str) -> Outcome:
    return Outcome(
        status=status,
        rows=checked.rows,
        errors=[str(p) for p in checked.errors],
        error_count=checked.error_count,
        preview=checked.preview,
        digest=checked.digest,
    )


def import_answers(
    *,
    survey: Survey,
    data: bytes,
    filename: str = "",
    dry_run: bool = False,
    progress: Progress = _quiet,
) -> Outcome:
    checked = check_answers(survey, data, filename, progress)
    if not checked.ok:
        return outcome_of(checked, "invalid")
    if dry_run:
        return outcome_of(checked, "checked")
    if already_imported(checked):
        progress(100, _("Tệp này đã được nhập: không có gì thay đổi."))
        return outcome_of(checked, "unchanged")
    write_answers(checked, progress)
    return outcome_of(checked, "applied")
