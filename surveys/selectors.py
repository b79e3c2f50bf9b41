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

from django.core.cache import cache

from units.models import Unit

from .computation import Share, add_counts, mean_of, ranks, sample_required, share_of
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


def _figure(survey, unit, counts_by_question, elements, questions, respondents) -> UnitFigure:
    levels = survey.scale_max
    weights = survey.weights if survey.formula == Survey.Formula.WEIGHTED else None
    element_figures = []
    for element in elements:
        rows = []
        for q in questions.get(element.pk, []):
            counts = counts_by_question.get(q.pk, [0] * levels)
            rows.append((q, counts))
        pooled = add_counts([c for _q, c in rows], levels)
        element_figures.append(
            ElementFigure(
                element=element,
                share=share_of(pooled, survey.favourable_from, weights),
                questions=[
                    QuestionFigure(q, share_of(c, survey.favourable_from, weights)) for q, c in rows
                ],
            )
        )
    shares = [f.share for f in element_figures if f.element.in_index]
    return UnitFigure(
        unit=unit,
        respondents=respondents,
        index=mean_of([s.score for s in shares]),
        low=mean_of([s.low for s in shares]),
        high=mean_of([s.high for s in shares]),
        elements=element_figures,
    )


def survey_figures(survey: Survey, unit_ids: list[int] | None = None) -> list[UnitFigure]:
    """Every unit with answers (or a plan), best index first; the units whose sample is complete
    ranked (1, 2, 2, 4), the short ones flagged and unranked."""
    elements, questions = survey_structure(survey)
    stats = SurveyQuestionStat.objects.filter(survey=survey)
    loads = SurveyUnitLoad.objects.filter(survey=survey)
    plans = SurveyPlan.objects.filter(survey=survey)
    if unit_ids is not None:
        stats = stats.filter(unit_id__in=unit_ids)
        loads = loads.filter(unit_id__in=unit_ids)
        plans = plans.filter(unit_id__in=unit_ids)
    counts: dict[int, dict[int, list[int]]] = defaultdict(dict)
    for unit_id, question_id, c in stats.values_list("unit_id", "question_id", "counts"):
        counts[unit_id][question_id] = c
    answered = dict(loads.values_list("unit_id", "respondents"))
    plan_of = {p.unit_id: p for p in plans}
    units = Unit.objects.in_bulk(set(counts) | set(plan_of))
    figures = []
    for unit_id, unit in units.items():
        figure = _figure(
            survey, unit, counts.get(unit_id, {}), elements, questions, answered.get(unit_id, 0)
        )
        plan = plan_of.get(unit_id)
        figure.population = plan.population if plan else None
        figure.planned = (plan.quota if plan else None) or sample_required(
            figure.population, survey.margin
        )
        figures.append(figure)
    figures.sort(key=lambda f: (f.index is None, -(f.index or 0), f.unit.name))
    sure = ranks([f.index if not f.short else None for f in figures])
    for figure, rank in zip(figures, sure, strict=True):
        figure.rank = rank
    return figures


def province_figure(survey: Survey) -> UnitFigure:
    """The province: every unit's answers pooled."""
    elements, questions = survey_structure(survey)
    pooled: dict[int, list[int]] = {}
    for question_id, c in SurveyQuestionStat.objects.filter(survey=survey).values_list(
        "question_id", "counts"
    ):
        pooled[question_id] = add_counts([pooled.get(question_id, []), c], survey.scale_max)
    respondents = sum(
        SurveyUnitLoad.objects.filter(survey=survey).values_list("respondents", flat=True)
    )
    return _figure(survey, None, pooled, elements, questions, respondents)


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
