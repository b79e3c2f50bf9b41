"""A period's published results: one snapshot version with the versions that exist."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from indicators.models import Criterion, ScoringMethod
from surveys.models import SurveyResult

from ..models import (
    Assessment,
    CriterionScore,
    Explanation,
    Period,
    ReopenRequest,
    ResultSnapshot,
    ResultSnapshotComponent,
    ResultSnapshotRow,
)
from ..workflow import APPRAISED_STATES


@dataclass(frozen=True)
class PublishedResults:
    """One version of a period's published results, with the versions that exist."""

    snapshot: ResultSnapshot
    rows: QuerySet[ResultSnapshotRow]
    versions: list[ResultSnapshot] = field(default_factory=list)

    @property
    def version(self) -> int:
        return self.snapshot.version

    @property
    def is_latest(self) -> bool:
        return self.snapshot.version == self.versions[0].version


def period_published_results(period: Period, version: int | None = None) -> PublishedResults | None:
    """The published results of a period: the latest version, or `version`; None if the period was
    never published (or that version does not exist). Rows come ordered by group and rank, with
    their unit, group and component rows (with the component criterion) fetched."""
    versions = list(
        ResultSnapshot.objects.filter(period=period)
        .select_related("created_by")
        .order_by("-version")
    )
    if not versions:
        return None
    if version is None:
        snapshot = versions[0]
    else:
        snapshot = next((s for s in versions if s.version == version), None)
        if snapshot is None:
            return None
    rows = (
        ResultSnapshotRow.objects.filter(snapshot=snapshot)
        .select_related("unit", "group")
        .prefetch_related(
            Prefetch(
                "components",
                queryset=ResultSnapshotComponent.objects.select_related("component").order_by(
                    "component__order"
                ),
            )
        )
        .order_by("group__order", "group_name", "rank", "unit_name")
    )
    return PublishedResults(snapshot=snapshot, rows=rows, versions=versions)


@dataclass
class PublicationChecklist:
    """What stands between a period and its publication. Only `not_appraised` blocks it (unless
    each such unit is left out with a reason); the rest are warnings staff read before confirming."""

    period: Period
    not_appraised: list[Assessment]
    explanations_pending: int
    reopen_open: int
    unscored: list[tuple[str, int]]  # (unit name, leaf criteria with nothing typed)
    surveys_missing: list[tuple[str, int]]  # (unit name, survey criteria without a result)
    next_version: int
    appraised: int

    @property
    def blocked(self) -> bool:
        return bool(self.not_appraised)


def publication_checklist(period: Period) -> PublicationChecklist:
    """The checklist shown before a period is published. A handful of grouped queries."""
    assessments = Assessment.objects.filter(period=period)
    not_appraised = list(
        assessments.exclude(state__in=APPRAISED_STATES)
        .select_related("unit")
        .order_by("unit__name")
    )
    leaves = Criterion.objects.filter(framework_id=OuterRef("framework_id"), is_leaf=True).exclude(
        method=ScoringMethod.NOT_APPLICABLE
    )
    scored = CriterionScore.objects.filter(assessment_id=OuterRef("pk")).filter(
        Q(not_applicable=True)
        | Q(self_points__isnull=False)
        | Q(appraised_points__isnull=False)
        | Q(final_points__isnull=False)
        | Q(measured_value__isnull=False)
    )
    surveyed = SurveyResult.objects.filter(
        survey__year=period.year, unit_id=OuterRef("unit_id"), criterion__isnull=False
    )
    rows = assessments.annotate(
        leaves=_count(leaves),
        scored=_count(scored.exclude(criterion__method=ScoringMethod.NOT_APPLICABLE)),
        surveys=_count(leaves.filter(method=ScoringMethod.SURVEY)),
        surveyed=_count(
            surveyed.filter(
                criterion__framework_id=OuterRef("framework_id"),
                criterion__method=ScoringMethod.SURVEY,
            ),
            "criterion_id",
        ),
    ).values_list("unit__name", "leaves", "scored", "surveys", "surveyed")
    unscored, surveys_missing = [], []
    for name, n_leaves, n_scored, n_surveys, n_surveyed in rows.order_by("unit__name"):
        if n_leaves > n_scored:
            unscored.append((name, n_leaves - n_scored))
        if n_surveys > n_surveyed:
            surveys_missing.append((name, n_surveys - n_surveyed))
    last = ResultSnapshot.objects.filter(period=period).order_by("-version").first()
    return PublicationChecklist(
        period=period,
        not_appraised=not_appraised,
        explanations_pending=Explanation.objects.filter(
            deduction__score__assessment__period=period, status=Explanation.Status.PENDING
        ).count(),
        reopen_open=ReopenRequest.objects.filter(
            assessment__period=period, status=ReopenRequest.Status.PENDING
        ).count(),
        unscored=unscored,
        surveys_missing=surveys_missing,
        next_version=(last.version if last else 0) + 1,
        appraised=assessments.filter(state__in=APPRAISED_STATES).count(),
    )


def _count(qs, distinct: str = "") -> Coalesce:
    """COUNT(*) of a correlated queryset (COUNT(DISTINCT `distinct`) when given), as a subquery."""
    if distinct:
        n = Func(F(distinct), function="COUNT", template="COUNT(DISTINCT %(expressions)s)")
    else:
        n = Func(F("pk"), function="COUNT")
    return Coalesce(Subquery(qs.order_by().annotate(n=n).values("n")[:1]), 0)
