"""What each role needs first on the home page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Window
from django.db.models.functions import Rank

from core.roles import Role, primary_role, unit_id_of
from scoring.models import Assessment, AssessmentResult, Period
from scoring.permissions import PUBLISHED_STATES
from scoring.services.deadlines import deadlines_of
from units.models import Unit

from .glance import Glance, glance_for_readers, glance_for_unit
from .results import RANKED_STATES, appraised_ranks
from .snapshots import Edition, latest_edition, snapshot_rows


@dataclass
class HomeSummary:
    period: Period | None  # the most recent period (None: none yet)
    unit: Unit | None = None  # a unit head's unit
    assessments: list[Assessment] = field(default_factory=list)  # a unit head's, every year
    state_counts: list[dict] = field(default_factory=list)  # {"state", "n"} of the period
    edition: Edition | None = None  # the published version the leaders come from
    top_results: list = field(default_factory=list)  # the first three of each group
    deadlines: list = field(default_factory=list)  # the period's, with days left (a unit's own)
    glance: Glance = field(default_factory=Glance)  # each role's answers at a glance
    # A unit head's assessments with the rank the ranking shows (None: kept apart, not appraised).
    own_ranks: list[tuple[Assessment, int | None]] = field(default_factory=list)


def home_summary(user) -> HomeSummary:
    """What each role needs first on the home page."""
    role = primary_role(user)
    period = Period.objects.order_by("-year").first()
    summary = HomeSummary(period)
    if period is None:
        return summary
    if role == Role.UNIT_HEAD:
        unit_id = unit_id_of(user)
        summary.unit = Unit.objects.filter(pk=unit_id).first()
        summary.assessments = list(
            Assessment.objects.filter(unit_id=unit_id)
            .select_related("period", "result")
            .order_by("-period__year")
        )
        summary.own_ranks = _own_ranks(summary.assessments)
        current = next((a for a in summary.assessments if a.period_id == period.pk), None)
        summary.deadlines = deadlines_of(period, assessment=current)
        summary.glance = glance_for_unit(user, period, unit_id)
    else:
        summary.deadlines = deadlines_of(period)
        summary.glance = glance_for_readers(
            user, period, staff=role in (Role.INTERIOR_STAFF, Role.ADMIN)
        )
        summary.state_counts = list(
            Assessment.objects.filter(period=period)
            .values("state")
            .annotate(n=Count("id"))
            .order_by("state")
        )
        edition = latest_edition(period)
        if edition is not None:
            # A published period: the leaders as published (the latest version), not live.
            summary.edition = edition
            summary.top_results = list(
                snapshot_rows([edition.snapshot_id])
                .filter(rank__lte=3)
                .select_related("group")
                .order_by("group__order", "rank", "unit_name")
            )
        else:
            summary.top_results = _provisional_leaders(period)
    return summary


def _provisional_leaders(period: Period) -> list[AssessmentResult]:
    """Before publication, the leaders are the first three of each group among the appraised
    units only: a unit still drafting is never shown as leading (see results.RANKED_STATES)."""
    return list(
        AssessmentResult.objects.filter(
            period=period, group__isnull=False, assessment__state__in=RANKED_STATES
        )
        .annotate(
            appraised_rank=Window(
                Rank(), partition_by=[F("group_id")], order_by=F("percent").desc()
            )
        )
        .filter(appraised_rank__lte=3)
        .select_related("assessment__unit", "group")
        .order_by("group__order", "group_id", "appraised_rank", "assessment__unit__name")
    )


def _own_ranks(assessments: list[Assessment]) -> list[tuple[Assessment, int | None]]:
    """Each of a unit's assessments with its rank as the ranking shows it: published ones as
    stored, appraised ones among the appraised of their group, the others none (kept apart)."""
    live = [
        a
        for a in assessments
        if a.state not in PUBLISHED_STATES and a.state in RANKED_STATES and hasattr(a, "result")
    ]
    ranks = {}
    for a in live:
        ranks.update(appraised_ranks(years={a.period.year}, group_ids={a.result.group_id} - {None}))
    out = []
    for a in assessments:
        result = getattr(a, "result", None)
        if a.state in PUBLISHED_STATES:
            out.append((a, result.rank if result else None))
        else:
            out.append((a, ranks.get(a.pk)))
    return out
