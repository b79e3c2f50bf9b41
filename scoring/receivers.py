"""Scoring listens to the apps below it, which never import scoring: units announce group
memberships written, surveys announce results written (units.signals, surveys.signals). Every
writer announces, so every write re-ranks. Connected in ScoringConfig.ready()."""

from __future__ import annotations

from django.dispatch import receiver

from surveys.signals import results_changed
from units.signals import memberships_changed

from .models import Period
from .recompute import recompute_on_commit
from .survey_points import survey_points_apply


@receiver(memberships_changed, dispatch_uid="scoring.memberships_recompute")
def memberships_recompute(sender, *, year: int, unit_ids: list[int], **kwargs) -> None:
    """Units moved between ranking groups for a year: their old and new groups are re-ranked in
    that year's periods, after the transaction commits."""
    for period_id in Period.objects.filter(year=year).values_list("pk", flat=True):
        recompute_on_commit(period_id, unit_ids)


@receiver(results_changed, dispatch_uid="scoring.survey_points_apply")
def survey_points_update(sender, *, survey, **kwargs) -> None:
    """A survey's results changed: its survey-derived points follow (and their recompute)."""
    survey_points_apply(survey=survey)
