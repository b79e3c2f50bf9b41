"""A period's published results: one snapshot version with the versions that exist."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from ..models import (
    Period,
    ResultSnapshot,
    ResultSnapshotComponent,
    ResultSnapshotRow,
)


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
