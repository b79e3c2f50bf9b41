"""Reading surveys: a unit's figures per element and question (answers, share satisfied with its
95 % Wilson interval, mean on the scale), the unit's index, the province's, the sample plan and
who is short of it. Computed from the stored counts (units × questions rows), never from the
million answer sheets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from units.models import Unit

from .computation import Share, add_counts, mean_of, sample_size, share_of
from .models import (
    Survey,
    SurveyElement,
    SurveyImport,
    SurveyPlan,
    SurveyQuestion,
    SurveyQuestionStat,
    SurveyResponse,
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
        """Fewer answers than the plan asks for (or no plan at all): not ranked as if sure."""
        return self.planned is None or self.respondents < self.planned

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
    shares = [e.share for e in element_figures]
    return UnitFigure(
        unit=unit,
        respondents=respondents,
        index=mean_of([s.score for s in shares]),
        low=mean_of([s.low for s in shares]),
        high=mean_of([s.high for s in shares]),
        elements=element_figures,
    )


def survey_figures(survey: Survey, unit_ids: list[int] | None = None) -> list[UnitFigure]:
    """Every unit with answers (or a plan), ranked by its index; short samples unranked."""
    elements, questions = survey_structure(survey)
    stats = SurveyQuestionStat.objects.filter(survey=survey)
    responses = SurveyResponse.objects.filter(survey=survey)
    plans = SurveyPlan.objects.filter(survey=survey)
    if unit_ids is not None:
        stats = stats.filter(unit_id__in=unit_ids)
        responses = responses.filter(unit_id__in=unit_ids)
        plans = plans.filter(unit_id__in=unit_ids)
    counts: dict[int, dict[int, list[int]]] = defaultdict(dict)
    for unit_id, question_id, c in stats.values_list("unit_id", "question_id", "counts"):
        counts[unit_id][question_id] = c
    answered = dict(responses.values("unit_id").annotate(n=Count("pk")).values_list("unit_id", "n"))
    plan_of = {p.unit_id: p for p in plans}
    units = Unit.objects.in_bulk(set(counts) | set(plan_of))
    figures = []
    for unit_id, unit in units.items():
        figure = _figure(
            survey, unit, counts.get(unit_id, {}), elements, questions, answered.get(unit_id, 0)
        )
        plan = plan_of.get(unit_id)
        if plan:
            figure.population = plan.population
            figure.planned = plan.quota or sample_size(plan.population, survey.margin)
        figures.append(figure)
    figures.sort(key=lambda f: (f.index is None, -(f.index or 0), f.unit.name))
    rank = 0
    for f in figures:
        if f.index is not None and not f.short:
            rank += 1
            f.rank = rank
    return figures


def province_figure(survey: Survey) -> UnitFigure:
    """The province: every unit's answers pooled."""
    elements, questions = survey_structure(survey)
    pooled: dict[int, list[int]] = {}
    for question_id, c in SurveyQuestionStat.objects.filter(survey=survey).values_list(
        "question_id", "counts"
    ):
        pooled[question_id] = add_counts([pooled.get(question_id, []), c], survey.scale_max)
    respondents = SurveyResponse.objects.filter(survey=survey).count()
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


def import_job(job_id: int) -> SurveyImport | None:
    return SurveyImport.objects.select_related("survey").filter(pk=job_id).first()
