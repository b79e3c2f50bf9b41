"""Writing a checked answers file: one transaction that rewrites the answers of the file's units
whose content changed (PostgreSQL COPY; bulk_create elsewhere, for the SQLite demo), counts them
per unit, question and level from the checked matrix, and refreshes the survey's results (which
announces them to scoring). A unit whose answers are the same as stored (its fingerprint) is not
touched, so the same answers imported again write nothing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils.translation import gettext as _

from .answers_check import Checked, Progress, quiet
from .models import SurveyImport, SurveyQuestionStat, SurveyResponse, SurveyUnitLoad
from .services import results_refresh

CHUNK = 200_000
COPY_SQL = (
    "COPY surveys_surveyresponse (survey_id, unit_id, respondent, answered_on, answers) FROM STDIN"
)


@dataclass
class UnitChanges:
    """Which of the file's units would be rewritten (their answers differ from the stored ones)."""

    fingerprints: dict[int, tuple[int, str]]  # unit id -> (sheets, fingerprint) in the file
    changed: list[int]
    unchanged: list[int]


def _escape(values: np.ndarray) -> pd.Series:
    """Text for COPY's text format: backslash, tab and line ends escaped."""
    text = pd.Series(values, dtype=object)
    if text.str.contains(r"[\\\t\n\r]", regex=True).any():
        text = (
            text.str.replace("\\", "\\\\", regex=False)
            .str.replace("\t", "\\t", regex=False)
            .str.replace("\n", "\\n", regex=False)
            .str.replace("\r", "\\r", regex=False)
        )
    return text


def _answer_text(matrix: np.ndarray) -> pd.Series:
    """Each row's answers as text, one character per question: '1'..'9', '.' for none."""
    q = matrix.shape[1]
    chars = np.ascontiguousarray(np.where(matrix == 0, 46, matrix + 48).astype(np.uint8))
    return pd.Series(chars.view(f"S{q}").ravel().astype(f"U{q}"), dtype=object)


def _lines(checked: Checked, index: np.ndarray) -> pd.Series:
    """The rows `index` as COPY lines, without the survey id: unit, respondent, date, answers."""
    return (
        pd.Series(checked.unit_ids[index].astype(str), dtype=object)
        + "\t"
        + _escape(checked.respondents[index])
        + "\t"
        + pd.Series(checked.dates[index], dtype=object)
        + "\t"
        + _answer_text(checked.matrix[index])
    )


def unit_changes(checked: Checked) -> UnitChanges:
    """Fingerprint each unit's rows in the file (a sum of row hashes: the order of the rows does
    not count) and compare with the stored ones."""
    hashes = pd.util.hash_pandas_object(_lines(checked, np.arange(checked.rows)), index=False)
    hashes = hashes.to_numpy()
    order = np.argsort(checked.unit_ids, kind="stable")
    units, starts, counts = np.unique(
        checked.unit_ids[order], return_index=True, return_counts=True
    )
    high = np.add.reduceat((hashes[order] >> np.uint64(32)).astype(np.int64), starts)
    low = np.add.reduceat((hashes[order] & np.uint64(0xFFFFFFFF)).astype(np.int64), starts)
    fingerprints = {
        int(u): (int(c), f"{int(h):x}-{int(lo):x}")
        for u, c, h, lo in zip(units, counts, high, low, strict=True)
    }
    stored = dict(
        SurveyUnitLoad.objects.filter(
            survey=checked.survey, unit_id__in=list(fingerprints)
        ).values_list("unit_id", "fingerprint")
    )
    changed = [u for u, (_n, f) in fingerprints.items() if stored.get(u) != f]
    return UnitChanges(
        fingerprints=fingerprints,
        changed=changed,
        unchanged=[u for u in fingerprints if u not in set(changed)],
    )


def _copy(checked: Checked, index: np.ndarray, progress: Progress) -> None:
    prefix = f"{checked.survey.pk}\t"
    n = len(index)
    with connection.cursor() as cursor, cursor.cursor.copy(COPY_SQL) as copy:
        for start in range(0, n, CHUNK):
            lines = _lines(checked, index[start : start + CHUNK])
            copy.write((prefix + ("\n" + prefix).join(lines.tolist()) + "\n").encode())
            done = min(n, start + CHUNK)
            progress(
                50 + 35 * done // n,
                _("Đang ghi %(done)s/%(rows)s phiếu") % {"done": done, "rows": n},
            )


def _bulk(checked: Checked, index: np.ndarray, progress: Progress) -> None:
    answers = _answer_text(checked.matrix[index]).tolist()
    n = len(index)
    for start in range(0, n, CHUNK // 20):
        part = index[start : start + CHUNK // 20]
        SurveyResponse.objects.bulk_create(
            SurveyResponse(
                survey_id=checked.survey.pk,
                unit_id=int(checked.unit_ids[k]),
                respondent=str(checked.respondents[k]),
                answered_on=None if checked.dates[k] == "\\N" else checked.dates[k],
                answers=answers[start + i],
            )
            for i, k in enumerate(part.tolist())
        )
        done = min(n, start + CHUNK // 20)
        progress(
            50 + 35 * done // n, _("Đang ghi %(done)s/%(rows)s phiếu") % {"done": done, "rows": n}
        )


def count_levels(checked: Checked, unit_ids: list[int]) -> list[SurveyQuestionStat]:
    """Counts per unit, question and level of the units `unit_ids`, from the checked matrix."""
    units = np.array(sorted(unit_ids), dtype=np.int64)
    mask = np.isin(checked.unit_ids, units)
    position = np.searchsorted(units, checked.unit_ids[mask])
    matrix = checked.matrix[mask]
    width = checked.survey.scale_max + 1
    favourable_from = checked.survey.favourable_from
    stats = []
    for j, question_id in enumerate(checked.question_ids):
        table = np.bincount(position * width + matrix[:, j], minlength=len(units) * width).reshape(
            len(units), width
        )[:, 1:]
        for u, counts in zip(units.tolist(), table.tolist(), strict=True):
            stats.append(
                SurveyQuestionStat(
                    survey_id=checked.survey.pk,
                    unit_id=u,
                    question_id=question_id,
                    answers=sum(counts),
                    favourable=sum(counts[favourable_from - 1 :]),
                    counts=counts,
                )
            )
    return stats


@transaction.atomic
def write_answers(
    checked: Checked,
    changes: UnitChanges,
    job: SurveyImport | None = None,
    progress: Progress = quiet,
) -> int:
    """Rewrite the answers of the changed units with the file's; returns the sheets written."""
    if not checked.ok:
        raise ValueError("refusing to write a file with errors")
    survey = checked.survey
    if not changes.changed:
        return 0
    progress(47, _("Đang xoá phiếu cũ của các đơn vị có thay đổi"))
    # No signal or cascade hangs on answer sheets: Django deletes them in one DELETE.
    SurveyResponse.objects.filter(survey=survey, unit_id__in=changes.changed).delete()
    index = np.flatnonzero(np.isin(checked.unit_ids, changes.changed))
    if connection.vendor == "postgresql":
        _copy(checked, index, progress)
    else:
        _bulk(checked, index, progress)
    progress(87, _("Đang tổng hợp kết quả"))
    SurveyQuestionStat.objects.filter(survey=survey, unit_id__in=changes.changed).delete()
    SurveyQuestionStat.objects.bulk_create(count_levels(checked, changes.changed), batch_size=5000)
    SurveyUnitLoad.objects.bulk_create(
        [
            SurveyUnitLoad(
                survey=survey,
                unit_id=u,
                respondents=changes.fingerprints[u][0],
                fingerprint=changes.fingerprints[u][1],
                job=job,
            )
            for u in changes.changed
        ],
        update_conflicts=True,
        unique_fields=["survey", "unit"],
        update_fields=["respondents", "fingerprint", "job", "updated_at"],
    )
    progress(93, _("Đang tính điểm các tiêu chí"))
    results_refresh(survey=survey)
    progress(100, _("Đã nhập"))
    return len(index)
