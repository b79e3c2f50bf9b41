"""Writes to surveys. Each write of results announces surveys.signals.results_changed, so that the
scoring app sets the survey-derived points of the survey's year."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from indicators.models import Criterion

from .models import Survey, SurveyElement, SurveyPlan, SurveyQuestion, SurveyResult
from .selectors import survey_figures
from .signals import results_changed

CENT = Decimal("0.01")


def survey_results_changed(*, survey: Survey) -> None:
    """Announce that results of `survey` were written (by a form that saved them itself)."""
    results_changed.send(sender=SurveyResult, survey=survey)


@transaction.atomic
def survey_result_save(*, result: SurveyResult) -> SurveyResult:
    """Create or change a unit's result in a survey."""
    result.save()
    survey_results_changed(survey=result.survey)
    return result


@transaction.atomic
def survey_results_delete(*, results: QuerySet[SurveyResult]) -> int:
    """Delete survey results; returns how many."""
    surveys = list(Survey.objects.filter(results__in=results).distinct())
    deleted, _ = results.delete()
    for survey in surveys:
        survey_results_changed(survey=survey)
    return deleted


def _percent(value: float) -> Decimal:
    return min(Decimal(100), max(Decimal(0), Decimal(str(value)).quantize(CENT)))


@transaction.atomic
def results_refresh(*, survey: Survey) -> int:
    """The survey's results from its counted answers: each unit's index (criterion empty) and the
    percent of every criterion the survey, its elements or its questions feed (the mean when
    several feed one), replacing the results of the units that have answers. Announces them, so
    the points, totals and ranks follow. Returns the number of results written."""
    figures = [f for f in survey_figures(survey) if f.index is not None]
    feeds: dict[str, list] = defaultdict(list)  # criterion code -> how to read its percent
    if survey.criterion_code:
        feeds[survey.criterion_code].append(lambda f: f.index)
    for position, element in enumerate(survey.elements.order_by("order", "code")):
        if element.criterion_code:
            feeds[element.criterion_code].append(lambda f, i=position: f.elements[i].share.score)
    for q in survey.questions.exclude(criterion_code=""):
        feeds[q.criterion_code].append(
            lambda f, pk=q.pk: next(
                (x.share.score for e in f.elements for x in e.questions if x.question.pk == pk),
                None,
            )
        )
    criteria = {
        (kind, code): pk
        for pk, code, kind in Criterion.objects.filter(
            framework__year=survey.year, code__in=list(feeds), method="survey"
        ).values_list("pk", "code", "framework__unit_kind")
    }
    results = []
    for f in figures:
        results.append(
            SurveyResult(
                survey=survey, unit=f.unit, percent=_percent(f.index), respondents=f.respondents
            )
        )
        for code, readers in feeds.items():
            criterion_id = criteria.get((f.unit.kind, code))
            values = [v for v in (read(f) for read in readers) if v is not None]
            if criterion_id and values:
                results.append(
                    SurveyResult(
                        survey=survey,
                        unit=f.unit,
                        criterion_id=criterion_id,
                        percent=_percent(sum(values) / len(values)),
                        respondents=f.respondents,
                    )
                )
    SurveyResult.objects.filter(survey=survey, unit__in=[f.unit for f in figures]).delete()
    SurveyResult.objects.bulk_create(results)
    survey_results_changed(survey=survey)
    return len(results)


@transaction.atomic
def plan_set(*, survey: Survey, unit, population: int, quota: int | None = None) -> SurveyPlan:
    plan, _created = SurveyPlan.objects.update_or_create(
        survey=survey, unit=unit, defaults={"population": population, "quota": quota}
    )
    return plan


@transaction.atomic
def survey_copy_forward(*, survey: Survey, year: int) -> Survey:
    """The survey's definition (settings, elements, questions, criteria fed, sample plans) as a
    new survey of `year`, without answers."""
    new = Survey.objects.create(
        year=year,
        kind=survey.kind,
        name=survey.name.replace(str(survey.year), str(year)),
        scale_max=survey.scale_max,
        favourable_from=survey.favourable_from,
        formula=survey.formula,
        weights=survey.weights,
        margin=survey.margin,
        criterion_code=survey.criterion_code,
    )
    elements = {}
    for e in survey.elements.all():
        elements[e.pk] = SurveyElement.objects.create(
            survey=new, code=e.code, name=e.name, order=e.order, criterion_code=e.criterion_code
        )
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(
            survey=new,
            element=elements[q.element_id],
            code=q.code,
            text=q.text,
            order=q.order,
            criterion_code=q.criterion_code,
        )
        for q in survey.questions.all()
    )
    SurveyPlan.objects.bulk_create(
        SurveyPlan(survey=new, unit_id=p.unit_id, population=p.population, quota=p.quota)
        for p in survey.plans.all()
    )
    return new
