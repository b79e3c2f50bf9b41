"""Survey-derived points: a survey's results set the appraised points of its survey-derived
criteria for the survey's year (scoring.receivers calls this when surveys announce a change)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from indicators.computation import clamp
from surveys.models import Survey, SurveyResult

from .models import Assessment, CriterionScore
from .recompute import recompute_on_commit
from .services import score_refresh_points
from .workflow import State


@transaction.atomic
def survey_points_apply(*, survey: Survey) -> int:
    """Each result tied to a survey-derived criterion sets that unit's appraised points for the
    survey's year: the maximum × the share of favourable answers, within the criterion's bounds.
    Frozen (published, locked) assessments are left alone; each assessment written is recomputed
    when the transaction commits. Returns the number of scores written."""
    written = 0
    results = SurveyResult.objects.filter(
        survey=survey, criterion__isnull=False, criterion__method="survey"
    ).select_related("criterion")
    assessments = {
        (a.unit_id, a.framework_id): a
        for a in Assessment.objects.filter(period__year=survey.year).exclude(
            state__in=[State.PUBLISHED, State.LOCKED]
        )
    }
    for result in results:
        criterion = result.criterion
        assessment = assessments.get((result.unit_id, criterion.framework_id))
        if assessment is None:
            continue
        score, _created = CriterionScore.objects.select_for_update().get_or_create(
            assessment=assessment,
            criterion=criterion,
            defaults={"component_id": criterion.component_id, "max_points": criterion.max_points},
        )
        # A typed appraisal, as the survey's figure stands for one: the criterion's rule (its
        # deductions, its bounds) then gives the points.
        score.appraised_points = clamp(
            criterion.max_points * result.percent / Decimal(100), criterion.max_points
        )
        score_refresh_points(score=score)
        score.save()
        recompute_on_commit(assessment.period_id, [assessment.unit_id])
        written += 1
    return written
