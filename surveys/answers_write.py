"""Writing a checked answers file: one transaction that rewrites the answers of the file's units
whose content changed, a block of sheets per unit (SurveyUnitAnswers: PostgreSQL COPY, one line a
unit; bulk_create elsewhere, for the SQLite demo), counts them
per unit, question and level from the checked matrix, and refreshes the survey's results (which
announces them to scoring). A unit whose answers are the same as stored (its fingerprint) is not
touched, so the same answers imported again write nothing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from django.db import connection, transaction
from django.utils.translation import gettext as _
from psycopg.copy import QueuedLibpqWriter

from core.numbers import fmt_count

from . import respondents
from .answers_check import Checked, Progress, quiet
from .fingerprints import by_unit, row_hashes
from .models import Survey, SurveyImport, SurveyQuestionStat, SurveyUnitAnswers, SurveyUnitLoad
from .services import results_refresh
from .sheets import ids_text

COPY_SQL = (
    "COPY surveys_surveyunitanswers (survey_id, unit_id, sheets, respondents, dates, answers) "
    "FROM STDIN"
)
STATS_COPY_SQL = (
    "COPY surveys_surveyquestionstat (survey_id, unit_id, question_id, answers, favourable, "
    "counts) FROM STDIN"
)


BLOCK_ROWS = 1 << 17  # the sheets cut at a time for writing
ANSWER_CHARS = np.frombuffer(b".123456789", dtype=np.uint8)  # a level's character; "." none


@dataclass
class UnitChanges:
    """Which of the file's units would be rewritten (their answers differ from the stored ones)."""

    fingerprints: dict[int, tuple[int, str]]  # unit id -> (sheets, fingerprint) in the file
    changed: list[int]
    unchanged: list[int]
    order: np.ndarray | None = None  # the rows by unit, in the file's order within a unit


def unit_changes(checked: Checked) -> UnitChanges:
    """Fingerprint each unit's rows in the file (surveys.fingerprints) and compare with the stored
    ones."""
    hashes = row_hashes(checked.id_hashes, checked.dates, checked.matrix)
    order, fingerprints = by_unit(checked.unit_ids, hashes)
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
        order=order,
    )


def _blocks(checked: Checked, index: np.ndarray, copy: bool = False):
    """(unit, sheets, ids, dates, answers) of each unit among the rows `index` (sorted by unit),
    as SurveyUnitAnswers stores them, in UTF-8. With `copy`, the ids and dates are escaped for
    COPY's text format (their line ends written as \\n). Cut a slice of units (about BLOCK_ROWS
    sheets) at a time: the first are being written while the next are cut, and the memory is a
    slice's."""
    unit_ids = checked.unit_ids[index]
    starts = [0, *(np.flatnonzero(np.diff(unit_ids)) + 1).tolist()] if len(index) else []
    bounds = [*starts, len(index)]  # unit k: rows bounds[k]..bounds[k + 1] - 1
    first = 0
    while first < len(starts):
        last = first + 1  # the slice: units first..last - 1
        while last < len(starts) and bounds[last + 1] - bounds[first] <= BLOCK_ROWS:
            last += 1
        cuts = [b - bounds[first] for b in bounds[first : last + 1]]
        texts = _slice_texts(checked, index[bounds[first] : bounds[last]], cuts, copy)
        for k, (ids, dates, answers) in enumerate(texts, start=first):
            yield int(unit_ids[bounds[k]]), bounds[k + 1] - bounds[k], ids, dates, answers
        first = last


def _slice_texts(checked: Checked, rows: np.ndarray, cuts: list[int], copy: bool):
    """(ids, dates, answers) of each unit of a slice: rows cuts[k]..cuts[k + 1] - 1 of `rows`;
    the ids and dates cut from one buffer of lines that Arrow joins, the answers straight from
    the matrix's bytes."""
    taken = pa.array(rows)
    ids = checked.respondents.take(taken)
    separator = "\\n" if copy else "\n"
    cut = len(separator)
    plain = respondents.plain(ids)  # else an id is escaped (ids_text), a unit at a time
    id_offsets, id_bytes = respondents.lines(ids, separator) if plain else ([], b"")
    dates = checked.dates.take(taken).cast(pa.string())
    date_offsets, date_bytes = respondents.lines(dates, separator)
    chars = ANSWER_CHARS[np.take(checked.matrix, rows, axis=0)]
    for start, end in itertools.pairwise(cuts):
        if plain:
            unit_ids_text = id_bytes[id_offsets[start] : id_offsets[end] - cut]
        else:
            text = ids_text(ids[start:end].to_pylist())
            unit_ids_text = (_copy_field(text) if copy else text).encode()
        yield (
            unit_ids_text,
            date_bytes[date_offsets[start] : date_offsets[end] - cut],
            chars[start:end].tobytes(),
        )


def _copy_field(text: str) -> str:
    """A text field in COPY's text format (backslash, tab and line ends escaped)."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    return text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def _copy(checked: Checked, index: np.ndarray, progress: Progress, meanwhile):
    """The blocks by COPY, a line a unit; psycopg's queued writer sends them while the next are
    cut. Returns meanwhile(), called once every line is sent: its work (no query) overlaps the
    server's storing of the last lines."""
    survey_id, n, done, said = checked.survey.pk, len(index), 0, 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(COPY_SQL, writer=QueuedLibpqWriter(cursor.cursor)) as copy,
    ):
        for unit, sheets, ids, dates, answers in _blocks(checked, index, copy=True):
            copy.write(b"%d\t%d\t%d\t%s\t%s\t%s\n" % (survey_id, unit, sheets, ids, dates, answers))
            done += sheets
            if 35 * done // n > said:  # a step of the bar, not a line per unit
                said = 35 * done // n
                progress(
                    50 + said,
                    _("Đang ghi %(done)s/%(rows)s phiếu")
                    % {"done": fmt_count(done), "rows": fmt_count(n)},
                )
        return meanwhile()


def _bulk(checked: Checked, index: np.ndarray, progress: Progress) -> None:
    SurveyUnitAnswers.objects.bulk_create(
        SurveyUnitAnswers(
            survey_id=checked.survey.pk,
            unit_id=unit,
            sheets=sheets,
            respondents=ids.decode(),
            dates=dates.decode(),
            answers=answers.decode(),
        )
        for unit, sheets, ids, dates, answers in _blocks(checked, index)
    )
    written = fmt_count(len(index))
    progress(85, _("Đang ghi %(done)s/%(rows)s phiếu") % {"done": written, "rows": written})


def level_counts(checked: Checked, unit_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(the units in order, their counts: units × questions × levels, level 1 first) of the units
    `unit_ids`, from the checked matrix: one bincount over (unit, question, level)."""
    units = np.array(sorted(unit_ids), dtype=np.int64)
    width = checked.survey.scale_max + 1
    low, high = int(checked.unit_ids.min()), int(checked.unit_ids.max())
    if high - low < 1 << 22:  # a table of places, indexed by unit id
        position = np.full(high - low + 1, -1, dtype=np.int32)
        position[units - low] = np.arange(len(units), dtype=np.int32)
        place = position[checked.unit_ids - low]
    else:
        place = np.searchsorted(units, checked.unit_ids).astype(np.int32)
        place[units[np.minimum(place, len(units) - 1)] != checked.unit_ids] = -1
    matrix = checked.matrix
    if (place < 0).any():  # some units unchanged: not counted
        mask = place >= 0
        place, matrix = place[mask], matrix[mask]
    base = place * np.int32(width)
    table = np.stack(
        [
            np.bincount(base + matrix[:, j], minlength=len(units) * width)
            for j in range(matrix.shape[1])
        ],
        axis=1,
    )  # units · levels × questions
    return units, table.reshape(len(units), width, -1).transpose(0, 2, 1)[:, :, 1:]


def count_levels(
    checked: Checked, units: np.ndarray, table: np.ndarray
) -> list[SurveyQuestionStat]:
    """Counts per unit, question and level (`level_counts`), as unsaved rows (SQLite)."""
    favourable_from = checked.survey.favourable_from
    return [
        SurveyQuestionStat(
            survey_id=checked.survey.pk,
            unit_id=u,
            question_id=question_id,
            answers=sum(counts),
            favourable=sum(counts[favourable_from - 1 :]),
            counts=counts,
        )
        for u, per_question in zip(units.tolist(), table.tolist(), strict=True)
        for question_id, counts in zip(checked.question_ids, per_question, strict=True)
    ]


def _stats_text(checked: Checked, units: np.ndarray, table: np.ndarray) -> bytes:
    """The counts (units × questions rows; `level_counts`) in COPY's text format, built by numpy:
    ten thousand rows for 500 units, no model instance each."""
    n_units, questions, levels = table.shape
    answers = table.sum(axis=2)
    favourable = table[:, :, checked.survey.favourable_from - 1 :].sum(axis=2)
    text = lambda a: np.asarray(a, dtype=np.int64).astype("S")  # noqa: E731
    counts = np.strings.add(b"[", text(table[:, :, 0]))
    for level in range(1, levels):
        counts = np.strings.add(np.strings.add(counts, b", "), text(table[:, :, level]))
    columns = [
        np.full((n_units, questions), str(checked.survey.pk).encode()),
        text(np.repeat(units[:, None], questions, axis=1)),
        text(np.broadcast_to(np.array(checked.question_ids), (n_units, questions))),
        text(answers),
        text(favourable),
        np.strings.add(counts, b"]"),
    ]
    line = columns[0]
    for column in columns[1:]:
        line = np.strings.add(np.strings.add(line, b"\t"), column)
    return b"\n".join(line.ravel().tolist()) + b"\n"


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
    # One import of a survey writes at a time (a second waits here for the first to commit).
    Survey.objects.select_for_update().filter(pk=survey.pk).first()
    progress(47, _("Đang xoá phiếu cũ của các đơn vị có thay đổi"))
    # No signal or cascade hangs on answer blocks: Django deletes them in one DELETE.
    SurveyUnitAnswers.objects.filter(survey=survey, unit_id__in=changes.changed).delete()
    index = changes.order  # unit by unit, in the file's order
    if len(changes.changed) < len(changes.fingerprints):
        index = index[np.isin(checked.unit_ids[index], changes.changed)]
    if connection.vendor == "postgresql":

        def counted():  # while the server stores the last blocks
            progress(87, _("Đang tổng hợp kết quả"))
            units, table = level_counts(checked, changes.changed)
            return units, table, _stats_text(checked, units, table)

        units, table, stats = _copy(checked, index, progress, counted)
        SurveyQuestionStat.objects.filter(survey=survey, unit_id__in=changes.changed).delete()
        with connection.cursor() as cursor, cursor.cursor.copy(STATS_COPY_SQL) as copy:
            copy.write(stats)
    else:
        _bulk(checked, index, progress)
        progress(87, _("Đang tổng hợp kết quả"))
        SurveyQuestionStat.objects.filter(survey=survey, unit_id__in=changes.changed).delete()
        units, table = level_counts(checked, changes.changed)
        SurveyQuestionStat.objects.bulk_create(count_levels(checked, units, table), 5000)
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
    # The counts just written, as they were written: the results need not read them back.
    results_refresh(survey=survey, counted=(units, checked.question_ids, table))
    progress(100, _("Đã nhập"))
    return len(index)
