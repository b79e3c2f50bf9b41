"""Reading surveys: a unit's figures per element and question (answers, share satisfied with its
95 % Wilson interval, mean on the scale), the unit's index, the province's, the sample plan and
who is short of it, and the stored results that the ranking, the trend and the scoring sheet
read. Computed from the stored counts (units × questions rows) and the per-unit loads, never from
the million answer sheets.

A unit's index is the mean of its elements that count in the index (SIPAS: the five; policy
groups are reported beside it); its interval is the mean of the elements' bounds, which is
conservative (it assumes the elements move together). The province pools every unit's answers.
A unit is short when it has fewer answer sheets than its plan asks (without a plan: 1 / e², the
most any plan asks); short units are listed and flagged but not ranked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache

from units.models import Unit

from .computation import Share, add_counts, mean_of, ranks, sample_required, shares_of
from .models import (
    Survey,
    SurveyElement,
    SurveyImport,
    SurveyPlan,
    SurveyQuestion,
    SurveyQuestionStat,
    SurveyResult,
    SurveyUnitLoad,
)


@dataclass
class QuestionFigure:
    question: SurveyQuestion
    share: Share


@dataclass
class ElementFigure:
    element: SurveyElement
    share: Share
    questions: list[QuestionFigure] = field(default_factory=list)


@dataclass
class UnitFigure:
    unit: Unit | None  # None: the province
    respondents: int
    index: float | None  # the survey's formula, mean of the elements (%)
    low: float | None
    high: float | None
    elements: list[ElementFigure]
    population: int | None = None
    planned: int | None = None
    rank: int | None = None

    @property
    def short(self) -> bool:
        """Fewer answers than the plan asks for: flagged, not ranked as if sure."""
        return self.planned is not None and self.respondents < self.planned

    @property
    def missing(self) -> int:
        return max(0, (self.planned or 0) - self.respondents)

    @property
    def progress(self) -> float:
        return min(100.0, 100 * self.respondents / self.planned) if self.planned else 0.0


def surveys_of_year(year: int | None = None):
    qs = Survey.objects.all()
    return qs.filter(year=year) if year else qs


def survey_by_code(code: str) -> Survey | None:
    return Survey.objects.filter(code=code).first()


def survey_structure(survey: Survey) -> tuple[list[SurveyElement], dict[int, list[SurveyQuestion]]]:
    elements = list(survey.elements.order_by("order", "code"))
    questions: dict[int, list[SurveyQuestion]] = defaultdict(list)
    for q in survey.questions.order_by("order", "code"):
        questions[q.element_id].append(q)
    return elements, questions


def _figures(survey, units: list, table, elements, questions, respondents: list[int]):
    """The figures of `units` from their counts `table` (units × the questions in `questions`'
    order × levels), shares for every unit, element and question computed at once (numpy)."""
    levels = survey.scale_max
    weights = survey.weights if survey.formula == Survey.Formula.WEIGHTED else None
    columns, start = [], 0
    for element in elements:
        size = len(questions.get(element.pk, []))
        columns.append((element, start, size))
        start += size
    pooled = np.zeros((len(units), len(elements), levels), dtype=np.int64)
    for e, (_element, first, size) in enumerate(columns):
        pooled[:, e, :] = table[:, first : first + size, :levels].sum(axis=1)
    question_shares = shares_of(table, survey.favourable_from, weights)
    element_shares = shares_of(pooled, survey.favourable_from, weights)
    figures = []
    for u, unit in enumerate(units):
        element_figures = [
            ElementFigure(
                element=element,
                share=element_shares[u][e],
                questions=[
                    QuestionFigure(q, question_shares[u][first + i])
                    for i, q in enumerate(questions.get(element.pk, []))
                ],
            )
            for e, (element, first, _size) in enumerate(columns)
        ]
        shares = [f.share for f in element_figures if f.element.in_index]
        figures.append(
            UnitFigure(
                unit=unit,
                respondents=respondents[u],
                index=mean_of([s.score for s in shares]),
                low=mean_of([s.low for s in shares]),
                high=mean_of([s.high for s in shares]),
                elements=element_figures,
            )
        )
    return figures


def _table(units: list[int], rows, elements, questions, levels: int, counted=None) -> np.ndarray:
    """Counts (unit id, question id, counts per level) as units × questions (in `questions`'
    order by element) × levels; a question without a row counts nothing. `counted`: (unit ids,
    question ids, their counts: units × questions × levels) already in memory."""
    order = [q.pk for e in elements for q in questions.get(e.pk, [])]
    unit_at = {u: i for i, u in enumerate(units)}
    question_at = {q: j for j, q in enumerate(order)}
    rows = [(unit_at[u], question_at[q], c) for u, q, c in rows if q in question_at]
    width = max([levels, *(len(c) for _u, _q, c in rows)])
    table = np.zeros((len(units), len(order), width), dtype=np.int64)
    for i, j, c in rows:
        table[i, j, : len(c)] = c
    if counted is not None:
        unit_ids, question_ids, counts = counted
        at = [unit_at[int(u)] for u in unit_ids]
        for k, question_id in enumerate(question_ids):
            if question_id in question_at:
                table[at, question_at[question_id], : counts.shape[2]] = counts[:, k, :]
    return table


def survey_figures(
    survey: Survey, unit_ids: list[int] | None = None, counted=None
) -> list[UnitFigure]:
    """Every unit with answers (or a plan), best index first; the units whose sample is complete
    ranked (1, 2, 2, 4), the short ones flagged and unranked. `counted`: (unit ids, question ids,
    counts: units × questions × levels), the stored counts of those units as the caller has just
    written them (an import), which are then not read again."""
    elements, questions = survey_structure(survey)
    stats = SurveyQuestionStat.objects.filter(survey=survey)
    loads = SurveyUnitLoad.objects.filter(survey=survey)
    plans = SurveyPlan.objects.filter(survey=survey)
    if unit_ids is not None:
        stats = stats.filter(unit_id__in=unit_ids)
        loads = loads.filter(unit_id__in=unit_ids)
        plans = plans.filter(unit_id__in=unit_ids)
    known: set[int] = set()
    if counted is not None:
        if unit_ids is not None:
            raise ValueError("counted is for the figures of every unit")
        known = {int(u) for u in counted[0]}
        stats = stats.exclude(unit_id__in=sorted(known))
    rows = list(stats.values_list("unit_id", "question_id", "counts"))
    answered = dict(loads.values_list("unit_id", "respondents"))
    plan_of = {p.unit_id: p for p in plans}
    units = Unit.objects.in_bulk({u for u, _q, _c in rows} | known | set(plan_of))
    table = _table(list(units), rows, elements, questions, survey.scale_max, counted)
    figures = _figures(
        survey,
        list(units.values()),
        table,
        elements,
        questions,
        [answered.get(unit_id, 0) for unit_id in units],
    )
    for figure in figures:
        plan = plan_of.get(figure.unit.pk)
        figure.population = plan.population if plan else None
        figure.planned = (plan.quota if plan else None) or sample_required(
            figure.population, survey.margin
        )
    figures.sort(key=lambda f: (f.index is None, -(f.index or 0), f.unit.name))
    sure = ranks([f.index if not f.short else None for f in figures])
    for figure, rank in zip(figures, sure, strict=True):
        figure.rank = rank
    return figures


def province_figure(survey: Survey) -> UnitFigure:
    """The province: every unit's answers pooled."""
    elements, questions = survey_structure(survey)
    levels = survey.scale_max
    pooled: dict[int, list[int]] = {}
    for question_id, c in SurveyQuestionStat.objects.filter(survey=survey).values_list(
        "question_id", "counts"
    ):
        pooled[question_id] = add_counts([pooled.get(question_id, []), c], levels)
    respondents = sum(
        SurveyUnitLoad.objects.filter(survey=survey).values_list("respondents", flat=True)
    )
    table = _table([0], [(0, q, c) for q, c in pooled.items()], elements, questions, levels)
    return _figures(survey, [None], table, elements, questions, [respondents])[0]


def unit_figure(survey: Survey, unit: Unit) -> UnitFigure | None:
    figures = survey_figures(survey, [unit.pk])
    return figures[0] if figures else None


def weakest_first(figure: UnitFigure) -> list[ElementFigure]:
    """Elements, and each element's questions, weakest share first."""

    def key(share: Share):
        return (share.score is None, share.score or 0)

    elements = sorted(figure.elements, key=lambda e: key(e.share))
    for e in elements:
        e.questions.sort(key=lambda q: key(q.share))
    return elements


def recent_imports(survey: Survey, limit: int = 10):
    return SurveyImport.objects.filter(survey=survey).select_related("created_by")[:limit]


PROGRESS_SECONDS = 3600


def progress_key(job_id: int) -> str:
    return f"surveys:import:{job_id}:progress"


def import_progress(job: SurveyImport) -> tuple[int, str]:
    """(percent, message) of a running job, as its worker last reported (kept in the cache), or
    the job's own row once it is done."""
    live = cache.get(progress_key(job.pk))
    if live is not None and job.status not in FINISHED:
        return live
    return job.progress, job.message


FINISHED = (
    SurveyImport.Status.CHECKED,
    SurveyImport.Status.INVALID,
    SurveyImport.Status.APPLIED,
    SurveyImport.Status.UNCHANGED,
)


def import_job(job_id: int) -> SurveyImport | None:
    return SurveyImport.objects.select_related("survey").filter(pk=job_id).first()


@dataclass
class PlanRow:
    """A unit's sample: the population N, the sheets planned, received and still missing."""

    unit: Unit
    population: int | None
    planned: int
    received: int

    @property
    def missing(self) -> int:
        return max(0, self.planned - self.received)

    @property
    def short(self) -> bool:
        return self.received < self.planned

    @property
    def progress(self) -> float:
        return min(100.0, 100 * self.received / self.planned) if self.planned else 100.0


def sample_plan(survey: Survey) -> list[PlanRow]:
    """Every unit with a plan or answers: the sample it needs (the plan's quota, else
    n = N / (1 + N·e²), else 1 / e²), the sheets received; the shortest first."""
    plans = {p.unit_id: p for p in SurveyPlan.objects.filter(survey=survey)}
    received = dict(
        SurveyUnitLoad.objects.filter(survey=survey).values_list("unit_id", "respondents")
    )
    units = Unit.objects.in_bulk(set(plans) | set(received))
    rows = []
    for unit_id, unit in units.items():
        plan = plans.get(unit_id)
        population = plan.population if plan else None
        planned = (plan.quota if plan else None) or sample_required(population, survey.margin)
        rows.append(PlanRow(unit, population, planned, received.get(unit_id, 0)))
    rows.sort(key=lambda r: (-r.missing, r.progress, r.unit.name))
    return rows


def units_short(survey: Survey) -> list[PlanRow]:
    """The units that have not yet received the sample they need."""
    return [row for row in sample_plan(survey) if row.short]


def unit_indexes(*, year: int, kind: str = Survey.Kind.SIPAS) -> dict[int, SurveyResult]:
    """Each unit's index (stored result) in the year's survey of that kind, by unit id: what the
    ranking shows beside the PAR Index. With two surveys of a kind in a year, the latest made."""
    results = (
        SurveyResult.objects.filter(survey__year=year, survey__kind=kind, criterion__isnull=True)
        .select_related("survey")
        .order_by("survey__created_at", "survey_id")
    )
    return {r.unit_id: r for r in results}


def unit_trend(*, unit_id: int, kind: str = Survey.Kind.SIPAS) -> list[SurveyResult]:
    """A unit's index year by year in the surveys of a kind (oldest first)."""
    return list(
        SurveyResult.objects.filter(unit_id=unit_id, survey__kind=kind, criterion__isnull=True)
        .select_related("survey")
        .order_by("survey__year", "survey__created_at")
    )


def criterion_sources(*, unit_id: int, year: int) -> dict[int, SurveyResult]:
    """Where a unit's survey-derived points come from, by criterion id: the stored result (survey,
    percent, its interval, the sheets, what it was computed from, short sample or not)."""
    results = (
        SurveyResult.objects.filter(unit_id=unit_id, survey__year=year, criterion__isnull=False)
        .select_related("survey", "criterion")
        .order_by("survey__created_at", "survey_id")
    )
    return {r.criterion_id: r for r in results}
