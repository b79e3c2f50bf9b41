"""What each role needs first on the home page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from core.roles import Role, primary_role, unit_id_of
from scoring.models import Assessment, AssessmentResult, Period
from scoring.services.deadlines import deadlines_of
from units.models import Unit

from .glance import Glance, glance_for_readers, glance_for_unit
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
            summary.top_results = list(
                AssessmentResult.objects.filter(period=period, rank__lte=3)
                .select_related("assessment__unit", "group")
                .order_by("group__order", "rank")
            )
    return summary
