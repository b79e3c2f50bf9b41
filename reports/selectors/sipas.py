"""SIPAS beside the PAR Index: each unit's satisfaction index of a year (the overall result of the
year's SIPAS survey), for the units whose rows a page already shows (the caller has applied who may
see what)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from surveys.models import Survey, SurveyResult


def sipas_of(year: int, unit_ids: list[int]) -> dict[int, Decimal]:
    """unit id → SIPAS (%) of `year`; units without a result are left out. One query."""
    if not unit_ids:
        return {}
    return dict(
        SurveyResult.objects.filter(
            survey__year=year,
            survey__kind=Survey.Kind.SIPAS,
            criterion__isnull=True,
            unit_id__in=unit_ids,
        )
        .order_by("survey__pk")  # several SIPAS surveys in a year: the last one counts
        .values_list("unit_id", "percent")
    )


def sipas_survey_code(year: int) -> str | None:
    """The code of the year's SIPAS survey (for links to its pages)."""
    return (
        Survey.objects.filter(year=year, kind=Survey.Kind.SIPAS)
        .order_by("-pk")
        .values_list("code", flat=True)
        .first()
    )


def sipas_history(unit_ids: list[int]) -> dict[tuple[int, int], Decimal]:
    """(year, unit id) → SIPAS (%), over every year. One query."""
    return {
        (year, unit_id): percent
        for year, unit_id, percent in SurveyResult.objects.filter(
            survey__kind=Survey.Kind.SIPAS, criterion__isnull=True, unit_id__in=unit_ids
        )
        .order_by("survey__pk")
        .values_list("survey__year", "unit_id", "percent")
    }


@dataclass(frozen=True)
class SipasSummary:
    count: int
    average: Decimal
    best: tuple[str, Decimal]  # (unit name, SIPAS)
    worst: tuple[str, Decimal]


def sipas_summary(year: int, rows) -> SipasSummary | None:
    """SIPAS over the units of shown result rows (the PDF's ranking): average, best and worst."""
    sipas = sipas_of(year, [r.unit_id for r in rows])
    found = [(r.unit_name, sipas[r.unit_id]) for r in rows if r.unit_id in sipas]
    if not found:
        return None
    average = (sum(p for _n, p in found) / len(found)).quantize(Decimal("0.01"))
    return SipasSummary(
        count=len(found),
        average=average,
        best=max(found, key=lambda x: x[1]),
        worst=min(found, key=lambda x: x[1]),
    )
