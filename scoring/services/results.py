"""The recompute triggers: a write asks for its period's results to be recomputed on commit, and
writes made elsewhere (group memberships, survey results) come through here."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from indicators.computation import CriterionRule, criterion_points

from .. import generation
from ..models import Assessment, CriterionScore, Period
from ..workflow import State
from .scores import score_refresh_points


def _queue_recompute(period_id: int, unit_ids: Iterable[int] | None = None) -> None:
    """Ask for a recompute of the period once the current transaction commits.

    At most one callback per period and transaction: later calls add their units to the callback
    already registered (a rolled-back savepoint drops its callbacks, so the live list is the truth).
    Across transactions, scoring.recompute.recompute_request merges requests into the period's
    queued run. `unit_ids` limits the work to those units' assessments (and their groups' ranks).
    """
    from ..recompute import merge_unit_ids, recompute_request

    conn = transaction.get_connection()
    for _sids, func, _robust in getattr(conn, "run_on_commit", []) if conn.in_atomic_block else []:
        if getattr(func, "recompute_period_id", None) == period_id:
            func.unit_ids = merge_unit_ids(func.unit_ids, unit_ids)
            return

    def callback() -> None:
        # The scores changed: cached aggregates over them go stale now, not at the recompute.
        generation.bump()
        recompute_request(period_id=period_id, unit_ids=callback.unit_ids)

    callback.recompute_period_id = period_id
    callback.unit_ids = None if unit_ids is None else sorted(set(unit_ids))
    transaction.on_commit(callback, robust=True)


def results_recompute(*, period: Period, unit_ids: list[int] | None = None) -> int:
    """Recompute and store the results of a period (or of `unit_ids`' assessments, with their
    groups' ranks), set-based in the database and in one transaction; see scoring.recompute.
    Returns the number of assessments recomputed."""
    from ..recompute import recompute_results

    return recompute_results(period=period, unit_ids=unit_ids)


def memberships_changed(*, year: int, unit_ids: Iterable[int]) -> None:
    """Units moved between ranking groups for a year: their old and new groups are re-ranked."""
    unit_ids = list(unit_ids)
    for period_id in Period.objects.filter(year=year).values_list("pk", flat=True):
        _queue_recompute(period_id, unit_ids)


@transaction.atomic
def survey_results_apply(*, survey) -> int:
    """Survey-derived points: each result tied to a survey-derived criterion sets that unit's
    appraised points for the survey's year (maximum × share of favourable answers, clamped).
    Frozen (published, locked) assessments are left alone. Returns the number of scores written."""
    from surveys.models import SurveyResult

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
        score.appraised_points = criterion_points(
            CriterionRule.of(criterion),
            entered=criterion.max_points * result.percent / Decimal(100),
        )
        score_refresh_points(score=score)
        score.save()
        _queue_recompute(assessment.period_id, [assessment.unit_id])
        written += 1
    return written
