"""Writing a checked answers file: one transaction that replaces the answers of the units in the
file (PostgreSQL COPY; bulk_create elsewhere, for the SQLite demo), counts them per unit, question
and level, and refreshes the survey's results (which announces them to scoring)."""

from __future__ import annotations

import numpy as np
from django.db import connection, transaction
from django.utils.translation import gettext as _

from .answers_check import Checked, Progress, _quiet
from .models import SurveyImport, SurveyQuestionStat, SurveyResponse
from .services import results_refresh

CHUNK = 100_000
COPY_SQL = (
    "COPY surveys_surveyresponse (survey_id, unit_id, respondent, answered_on, answers) FROM STDIN"
)


def already_imported(checked: Checked) -> bool:
    """The last file applied to this survey is this very file: importing it changes nothing."""
    last = (
        SurveyImport.objects.filter(
            survey=checked.survey,
            status__in=[SurveyImport.Status.APPLIED, SurveyImport.Status.UNCHANGED],
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    return last is not None and last.digest == checked.digest


def _escape(values: np.ndarray) -> np.ndarray:
    text = values.astype(str)
    if any(("\\" in v or "\t" in v or "\n" in v or "\r" in v) for v in text):
        return np.array(
            [
                v.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
                for v in text
            ],
            dtype=object,
        )
    return values


def _answer_bytes(matrix: np.ndarray) -> np.ndarray:
    """Each row as its answers text: '1'..'9', '.' for no answer."""
    return np.ascontiguousarray(np.where(matrix == 0, 46, matrix + 48).astype(np.uint8))


def _copy(checked: Checked, progress: Progress) -> None:
    survey_id, q = checked.survey.pk, checked.matrix.shape[1]
    answers = _answer_bytes(checked.matrix)
    respondents = _escape(checked.respondents)
    n = checked.rows
    with connection.cursor() as cursor, cursor.cursor.copy(COPY_SQL) as copy:
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            text = answers[start:stop].tobytes().decode("ascii")
            lines = [
                f"{survey_id}\t{u}\t{r}\t{d}\t{text[k * q : k * q + q]}\n"
                for k, (u, r, d) in enumerate(
                    zip(
                        checked.unit_ids[start:stop].tolist(),
                        respondents[start:stop],
                        checked.dates[start:stop],
                        strict=True,
                    )
                )
            ]
            copy.write("".join(lines).encode())
            progress(
                55 + 30 * stop // n,
                _("Đang ghi %(done)s/%(rows)s phiếu") % {"done": stop, "rows": n},
            )


def _bulk(checked: Checked, progress: Progress) -> None:
    q = checked.matrix.shape[1]
    text = _answer_bytes(checked.matrix).tobytes().decode("ascii")
    n = checked.rows
    for start in range(0, n, CHUNK // 10):
        stop = min(n, start + CHUNK // 10)
        SurveyResponse.objects.bulk_create(
            SurveyResponse(
                survey_id=checked.survey.pk,
                unit_id=int(checked.unit_ids[k]),
                respondent=str(checked.respondents[k]),
                answered_on=None if checked.dates[k] == "\\N" else checked.dates[k],
                answers=text[k * q : k * q + q],
            )
            for k in range(start, stop)
        )
        progress(
            55 + 30 * stop // n, _("Đang ghi %(done)s/%(rows)s phiếu") % {"done": stop, "rows": n}
        )


def count_levels(checked: Checked) -> list[SurveyQuestionStat]:
    """Counts per unit, question and level, from the checked matrix (no query)."""
    units = np.unique(checked.unit_ids)
    position = np.searchsorted(units, checked.unit_ids)
    width = checked.survey.scale_max + 1
    favourable_from = checked.survey.favourable_from
    stats = []
    for j, question_id in enumerate(checked.question_ids):
        table = np.bincount(
            position * width + checked.matrix[:, j], minlength=len(units) * width
        ).reshape(len(units), width)[:, 1:]
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
def write_answers(checked: Checked, progress: Progress = _quiet) -> int:
    """Replace the answers of the file's units with the file's; returns rows written."""
    if not checked.ok:
        raise ValueError("refusing to write a file with errors")
    survey = checked.survey
    unit_ids = np.unique(checked.unit_ids).tolist()
    progress(52, _("Đang xoá phiếu cũ của các đơn vị trong tệp"))
    SurveyResponse.objects.filter(survey=survey, unit_id__in=unit_ids)._raw_delete(
        SurveyResponse.objects.db
    )
    if connection.vendor == "postgresql":
        _copy(checked, progress)
    else:
        _bulk(checked, progress)
    progress(88, _("Đang tổng hợp kết quả"))
    SurveyQuestionStat.objects.filter(survey=survey, unit_id__in=unit_ids).delete()
    SurveyQuestionStat.objects.bulk_create(count_levels(checked), batch_size=2000)
    results_refresh(survey=survey)
    progress(100, _("Đã nhập"))
    return checked.rows
