"""The answer sheets as stored: one SurveyUnitAnswers row per survey and unit, its sheets in three
parallel text columns (ids and dates one a line, the answers fixed-width). Encoding for the
import's writer, decoding for the readers."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Survey, SurveyUnitAnswers

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r"}


def ids_text(ids: list[str]) -> str:
    """The ids one a line; a backslash or a line end within an id escaped."""
    joined = "\n".join(ids)
    if "\\" not in joined and "\r" not in joined and joined.count("\n") == len(ids) - 1:
        return joined
    escaped = []
    for value in ids:
        for char, code in _ESCAPES.items():
            value = value.replace(char, code)
        escaped.append(value)
    return "\n".join(escaped)


def ids_of(text: str) -> list[str]:
    """The ids written by ids_text."""
    if not text:
        return []
    lines = text.split("\n")
    if "\\" not in text:
        return lines
    decoded = []
    for line in lines:
        out, i = [], 0
        while i < len(line):
            if line[i] == "\\" and i + 1 < len(line):
                out.append({"\\": "\\", "n": "\n", "r": "\r"}.get(line[i + 1], line[i + 1]))
                i += 2
            else:
                out.append(line[i])
                i += 1
        decoded.append("".join(out))
    return decoded


@dataclass(frozen=True)
class Sheet:
    unit_id: int
    respondent: str
    answered_on: str | None  # ISO date
    answers: str  # one character per question, '.' for no answer


def block_sheets(block: SurveyUnitAnswers) -> list[Sheet]:
    """The sheets of one unit's block, in the order written."""
    ids = ids_of(block.respondents)
    if not ids:
        return []
    dates = block.dates.split("\n")
    q = len(block.answers) // len(ids)
    return [
        Sheet(block.unit_id, r, dates[k] or None, block.answers[k * q : (k + 1) * q])
        for k, r in enumerate(ids)
    ]


def survey_sheets(survey: Survey | None = None, unit_ids=None) -> list[Sheet]:
    """The survey's answer sheets (every survey's without one; of the units `unit_ids`), unit by
    unit."""
    blocks = SurveyUnitAnswers.objects.order_by("survey_id", "unit_id")
    if survey is not None:
        blocks = blocks.filter(survey=survey)
    if unit_ids is not None:
        blocks = blocks.filter(unit_id__in=list(unit_ids))
    return [sheet for block in blocks for sheet in block_sheets(block)]


def survey_respondents(survey: Survey, unit_ids) -> set[str]:
    """The ids of the sheets the survey holds under the units `unit_ids`."""
    texts = SurveyUnitAnswers.objects.filter(survey=survey, unit_id__in=list(unit_ids))
    return {r for text in texts.values_list("respondents", flat=True) for r in ids_of(text)}
