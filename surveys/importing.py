"""Importing an answers file: checked whole, then the changed units written at once, or nothing.
Used by `manage.py import_survey` and by the upload page's jobs (surveys.jobs). Every applied file
is logged as a SurveyImport (the page's job, or a row made here for the command)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from units.models import Unit

from .answers_check import Checked, Progress, check_answers, quiet
from .answers_write import UnitChanges, unit_changes, write_answers
from .models import Survey, SurveyImport


@dataclass
class Outcome:
    status: str  # "invalid", "checked" (dry run), "unchanged", "applied"
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    preview: dict = field(default_factory=dict)
    digest: str = ""
    written: int = 0  # answer sheets written (those of the changed units)


def preview_of(checked: Checked, changes: UnitChanges) -> dict:
    """What the page shows before applying: sheets and answers, units new, changed or the same,
    and the columns not used. Plain JSON (it is stored on the job)."""
    matrix = checked.matrix
    answered = int(np.count_nonzero(matrix))
    names = dict(Unit.objects.filter(pk__in=list(changes.fingerprints)).values_list("pk", "name"))
    changed = set(changes.changed)
    return {
        "rows": checked.rows,
        "questions": matrix.shape[1],
        "answers": answered,
        "blank": int(matrix.size - answered),
        "units_changed": len(changes.changed),
        "units_unchanged": len(changes.unchanged),
        "ignored_columns": checked.ignored,
        "units": [
            {"name": names.get(pk, ""), "rows": n, "changed": pk in changed}
            for pk, (n, _f) in sorted(changes.fingerprints.items(), key=lambda x: -x[1][0])
        ],
    }


def _outcome(checked: Checked, status: str, preview: dict | None = None, written=0) -> Outcome:
    return Outcome(
        status=status,
        rows=checked.rows,
        # In the file's order: by row (the file's own problems, without a row, first).
        errors=[str(p) for p in sorted(checked.errors, key=lambda p: p.row or 0)],
        error_count=checked.error_count,
        preview=preview or {},
        digest=checked.digest,
        written=written,
    )


def import_answers(
    *,
    survey: Survey,
    data: bytes,
    filename: str = "",
    dry_run: bool = False,
    progress: Progress = quiet,
    job: SurveyImport | None = None,
) -> Outcome:
    """Check the whole file; unless it has errors or this is a dry run, write the units whose
    answers changed and refresh the results (points, totals and ranks follow)."""
    checked = check_answers(survey, data, filename, progress)
    if not checked.ok:
        return _outcome(checked, "invalid")
    changes = unit_changes(checked)
    preview = preview_of(checked, changes)
    if dry_run:
        progress(100, _("Đã kiểm tra"))
        return _outcome(checked, "checked", preview)
    if not changes.changed:
        progress(100, _("Các phiếu trong tệp đã có sẵn: không có gì thay đổi."))
        return _outcome(checked, "unchanged", preview)
    with transaction.atomic():
        if job is None:  # the command: the log row is written with the answers, or not at all
            job = SurveyImport.objects.create(
                survey=survey,
                filename=filename[:255],
                digest=checked.digest,
                status=SurveyImport.Status.APPLIED,
                rows=checked.rows,
                progress=100,
                preview=preview,
            )
        written = write_answers(checked, changes, job, progress)
    return _outcome(checked, "applied", preview, written)
