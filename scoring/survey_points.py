"""Survey-derived points: a survey's results set the appraised points of its survey-derived
criteria for the survey's year (scoring.receivers calls this when surveys announce a change)."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from indicators.computation import ZERO, CriterionRule, clamp, criterion_points, entered_points
from surveys.models import Survey, SurveyResult

from .models import Assessment, CriterionScore, Deduction
from .recompute import recompute_on_commit
from .workflow import State


@transaction.atomic
def survey_points_apply(*, survey: Survey) -> int:
    """Each result tied to a survey-derived criterion sets that unit's appraised points for the
    survey's year: the maximum × the result's percent, within the criterion's bounds (its
    deductions, as the criterion's rule says, then give the points). Frozen (published, locked)
    assessments are left alone. Set-based: a few queries whatever the number of units, and only
    the scores whose values change are written (computed values, like the recompute's results,
    carry no per-row history: the survey result they come from is stored with its basis). The
    assessments written are recomputed when the transaction commits. Returns the scores written."""
    results = list(
        SurveyResult.objects.filter(
            survey=survey, criterion__isnull=False, criterion__method="survey"
        ).select_related("criterion")
    )
    if not results:
        return 0
    assessments = {
        (a.unit_id, a.framework_id): a
        for a in Assessment.objects.filter(
            period__year=survey.year, unit_id__in={r.unit_id for r in results}
        ).exclude(state__in=[State.PUBLISHED, State.LOCKED])
    }
    wanted = {}
    for result in results:
        assessment = assessments.get((result.unit_id, result.criterion.framework_id))
        if assessment is not None:
            wanted[(assessment.pk, result.criterion_id)] = (assessment, result)
    if not wanted:
        return 0
    assessment_ids = {a for a, _c in wanted}
    criterion_ids = {c for _a, c in wanted}
    scores = {
        (s.assessment_id, s.criterion_id): s
        for s in CriterionScore.objects.select_for_update().filter(
            assessment_id__in=assessment_ids, criterion_id__in=criterion_ids
        )
    }
    deducted = {
        (row["score__assessment_id"], row["score__criterion_id"]): row["total"]
        for row in Deduction.objects.active()
        .filter(score__assessment_id__in=assessment_ids, score__criterion_id__in=criterion_ids)
        .values("score__assessment_id", "score__criterion_id")
        .annotate(total=Sum("points"))
    }
    create, update, touched, now = [], [], set(), timezone.now()
    for key, (assessment, result) in wanted.items():
        criterion = result.criterion
        score = scores.get(key)
        if score is None:
            score = CriterionScore(
                assessment=assessment,
                criterion=criterion,
                component_id=criterion.component_id,
                max_points=criterion.max_points,
            )
        appraised = clamp(
            criterion.max_points * result.percent / Decimal(100), criterion.max_points
        )
        before = (score.appraised_points, score.points)
        score.appraised_points = appraised
        score.points = criterion_points(
            CriterionRule.of(criterion),
            entered=entered_points(score),
            measured=score.measured_value,
            deducted=deducted.get(key) or ZERO,
        )
        if score.pk is None:
            create.append(score)
        elif (score.appraised_points, score.points) != before:
            score.updated_at = now
            update.append(score)
        else:
            continue
        touched.add(assessment)
    CriterionScore.objects.bulk_create(create)
    if update and connection.vendor != "postgresql":  # the SQLite demo
        CriterionScore.objects.bulk_update(update, ["appraised_points", "points", "updated_at"])
    elif update:  # one UPDATE … FROM unnest(…): bulk_update's CASE per row takes seconds
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE scoring_criterionscore s SET appraised_points = v.appraised, "
                "points = v.points, updated_at = %s FROM unnest(%s::bigint[], %s::numeric[], "
                "%s::numeric[]) AS v(id, appraised, points) WHERE s.id = v.id",
                [
                    now,
                    [s.pk for s in update],
                    [s.appraised_points for s in update],
                    [s.points for s in update],
                ],
            )
    units_by_period: dict[int, set[int]] = {}
    for assessment in touched:  # one request per period: each merges into the queued run's row
        units_by_period.setdefault(assessment.period_id, set()).add(assessment.unit_id)
    for period_id, unit_ids in units_by_period.items():
        recompute_on_commit(period_id, sorted(unit_ids))
    return len(create) + len(update)
