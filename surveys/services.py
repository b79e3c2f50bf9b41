"""Writes to survey results. Each write announces surveys.signals.results_changed, so that the
scoring app sets the survey-derived points of the survey's year."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from .models import Survey, SurveyResult
from .signals import results_changed


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
