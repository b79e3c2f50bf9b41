"""Writes to surveys. Each write of results announces surveys.signals.results_changed, so that the
scoring app sets the survey-derived points of the survey's year."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from indicators.models import Criterion

from .computation import Share, mean_of
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


def _percent(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return min(Decimal(100), max(Decimal(0), Decimal(str(value)).quantize(CENT)))


def _feeds(survey: Survey) -> dict[str, list[tuple[str, object]]]:
    """criterion code -> what feeds it: ("index", None), ("element", position) or ("question",
    question id), in the definition's order."""
    feeds: dict[str, list[tuple[str, object]]] = defaultdict(list)
    if survey.criterion_code:
        feeds[survey.criterion_code].append(("index", None))
    for position, element in enumerate(survey.elements.order_by("order", "code")):
        if element.criterion_code:
            feeds[element.criterion_code].append(("element", position))
    for q in survey.questions.exclude(criterion_code="").order_by("order", "code"):
        feeds[q.criterion_code].append(("question", q.pk))
    return feeds


def _read_feed(figure, kind: str, key) -> tuple[str, Share | None]:
    """(what it is called, its Share) for one feed of a unit's figure."""
    if kind == "index":
        if figure.index is None:
            return _("chỉ số chung"), None
        share = Share(
            figure.respondents, 0, figure.index, figure.low, figure.high, None, figure.index
        )
        return _("chỉ số chung"), share
    if kind == "element":
        element = figure.elements[key]
        return element.element.code, element.share
    for element in figure.elements:
        for q in element.questions:
            if q.question.pk == key:
                return q.question.code, q.share
    return "", None


def _desired(survey: Survey, figures) -> dict[tuple[int, int | None], dict]:
    """The results the figures give: each unit's index, and the percent of every criterion the
    survey, its elements or its questions feed (the mean when several feed one)."""
    feeds = _feeds(survey)
    criteria = {
        (kind, code): pk
        for pk, code, kind in Criterion.objects.filter(
            framework__year=survey.year, code__in=list(feeds), method="survey"
        ).values_list("pk", "code", "framework__unit_kind")
    }
    desired = {}
    for f in figures:
        desired[(f.unit.pk, None)] = {
            "percent": _percent(f.index),
            "low": _percent(f.low),
            "high": _percent(f.high),
            "respondents": f.respondents,
            "short": f.short,
            "basis": "",
        }
        for code, sources in feeds.items():
            criterion_id = criteria.get((f.unit.kind, code))
            read = [_read_feed(f, kind, key) for kind, key in sources]
            read = [(name, share) for name, share in read if share and share.score is not None]
            if criterion_id is None or not read:
                continue
            desired[(f.unit.pk, criterion_id)] = {
                "percent": _percent(mean_of([s.score for _n, s in read])),
                "low": _percent(mean_of([s.low for _n, s in read])),
                "high": _percent(mean_of([s.high for _n, s in read])),
                "respondents": f.respondents,
                "short": f.short,
                "basis": ", ".join(name for name, _s in read)[:255],
            }
    return desired


def _update_results(results: list[SurveyResult]) -> None:
    """One UPDATE … FROM unnest(…) for the changed results (bulk_update builds a CASE per row and
    field: seconds for a thousand rows)."""
    if not results:
        return
    if connection.vendor != "postgresql":  # the SQLite demo: a few hundred rows
        fields = ["percent", "low", "high", "respondents", "short", "basis"]
        SurveyResult.objects.bulk_update(results, fields)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE surveys_surveyresult r SET percent = v.percent, low = v.low, high = v.high, "
            "respondents = v.respondents, short = v.short, basis = v.basis "
            "FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[], "
            "%s::integer[], %s::boolean[], %s::text[]) "
            "AS v(id, percent, low, high, respondents, short, basis) WHERE r.id = v.id",
            [
                [r.pk for r in results],
                [r.percent for r in results],
                [r.low for r in results],
                [r.high for r in results],
                [r.respondents for r in results],
                [r.short for r in results],
                [r.basis for r in results],
            ],
        )


@transaction.atomic
def results_refresh(*, survey: Survey, counted=None) -> int:
    """The survey's stored results from its counted answers, for every unit with answers: its
    index and the percent of each survey-derived criterion it feeds, with the interval, the
    sheets, the short-sample flag and what it was computed from. Only rows that change are
    written; when any did, they are announced, so the criterion points, totals and ranks follow.
    Returns the number of results written or deleted. `counted`: the counts an import has just
    stored, (unit ids, question ids, units × questions × levels), used instead of reading them."""
    figures = [f for f in survey_figures(survey, counted=counted) if f.index is not None]
    desired = _desired(survey, figures)
    existing = {
        (r.unit_id, r.criterion_id): r
        for r in SurveyResult.objects.filter(
            survey=survey, unit_id__in=[f.unit.pk for f in figures]
        )
    }
    create, update = [], []
    for (unit_id, criterion_id), values in desired.items():
        result = existing.pop((unit_id, criterion_id), None)
        if result is None:
            create.append(
                SurveyResult(survey=survey, unit_id=unit_id, criterion_id=criterion_id, **values)
            )
        elif any(getattr(result, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(result, k, v)
            update.append(result)
    SurveyResult.objects.bulk_create(create)
    _update_results(update)
    SurveyResult.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
    written = len(create) + len(update) + len(existing)
    if written:
        survey_results_changed(survey=survey)
    return written


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
        continues_from=survey,
    )
    elements = {}
    for e in survey.elements.all():
        elements[e.pk] = SurveyElement.objects.create(
            survey=new,
            code=e.code,
            name=e.name,
            order=e.order,
            criterion_code=e.criterion_code,
            in_index=e.in_index,
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
