"""Published snapshots: which version of a period's results the pages show.

A published period reads its snapshot's rows (the latest version unless an earlier one was chosen
with ?version=): what was published never changes behind the reader's back. A period never
published reads the live stored results (provisional).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.db.models import OuterRef, Subquery

from scoring.models import Period, ResultSnapshot, ResultSnapshotRow


@dataclass(frozen=True)
class Edition:
    """Which published version of a period's results a page shows."""

    snapshot_id: int
    version: int
    latest_version: int  # versions are numbered 1..latest
    published_at: datetime
    reason: str  # the correction's reason; empty for the first publication

    @property
    def is_latest(self) -> bool:
        return self.version == self.latest_version

    @property
    def versions(self) -> list[int]:
        return list(range(self.latest_version, 0, -1))


# What a reader of a period's results is told to show: an edition, None (live results), or
# LATEST (look the period's latest published version up: one query).
LATEST: Literal["latest"] = "latest"
EditionChoice = Edition | None | Literal["latest"]


@dataclass(frozen=True)
class PeriodChoice:
    """A period of the filter bar with its latest published version (None: never published)."""

    period: Period
    latest: Edition | None


def _edition(snapshot_id, version, created_at, reason) -> Edition | None:
    if snapshot_id is None:
        return None
    return Edition(snapshot_id, version, version, created_at, reason or "")


def periods_with_latest() -> list[PeriodChoice]:
    """Every period, most recent first, with its latest published snapshot read in the same query,
    so that no page pays a query to know whether it shows a snapshot."""
    latest = ResultSnapshot.objects.filter(period=OuterRef("pk")).order_by("-version")[:1]
    found = Period.objects.annotate(
        latest_snapshot_id=Subquery(latest.values("pk")),
        latest_snapshot_version=Subquery(latest.values("version")),
        latest_snapshot_at=Subquery(latest.values("created_at")),
        latest_snapshot_reason=Subquery(latest.values("reason")),
    ).order_by("-year")
    return [
        PeriodChoice(
            p,
            _edition(
                p.latest_snapshot_id,
                p.latest_snapshot_version,
                p.latest_snapshot_at,
                p.latest_snapshot_reason,
            ),
        )
        for p in found
    ]


def latest_edition(period: Period) -> Edition | None:
    """The latest published version of `period` (one query); None when never published."""
    found = (
        ResultSnapshot.objects.filter(period=period)
        .order_by("-version")
        .values_list("pk", "version", "created_at", "reason")
        .first()
    )
    return _edition(*found) if found else None


def resolve_edition(period: Period, edition: EditionChoice) -> Edition | None:
    """The edition a reader was told to show, LATEST looked up."""
    return latest_edition(period) if isinstance(edition, str) else edition


def choose_version(period: Period, version: int, *, latest: Edition | None) -> Edition | None:
    """An earlier (or the latest) published version of `period`, whose latest is `latest`: one
    query. None when the period has no such version."""
    if latest is None:
        return None
    found = (
        ResultSnapshot.objects.filter(period=period, version=version)
        .values_list("pk", "version", "created_at", "reason")
        .first()
    )
    if found is None:
        return None
    return Edition(found[0], found[1], latest.latest_version, found[2], found[3] or "")


def snapshot_rows(snapshot_ids: list[int], *, group=None, unit_ids=None):
    """Published rows: everyone who may see the dashboards sees them (they are public), so no
    visibility filter."""
    qs = ResultSnapshotRow.objects.filter(snapshot_id__in=snapshot_ids)
    if group is not None:
        qs = qs.filter(group=group)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return qs
