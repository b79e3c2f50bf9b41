"""Publishing a period: its results frozen as an immutable, versioned snapshot.

Version 1 is written when the period is published; each correction writes a new dated version with
its reason. Existing versions are never changed: what leadership and the public saw stays on record,
and dashboards say which version they show (scoring.selectors.publication.period_published_results).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from units.models import RankingGroup, Unit

from .models import (
    Assessment,
    AssessmentResult,
    ComponentResult,
    Period,
    RecomputeRun,
    ResultSnapshot,
    ResultSnapshotComponent,
    ResultSnapshotRow,
)
from .recompute import recompute_now
from .recompute.engine import next_period_rank_changes_refresh


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _freeze(*, period: Period, user, kind: str, reason: str) -> ResultSnapshot:
    # Fresh figures first, in this transaction: the snapshot is exactly what the scores say now.
    recompute_now(period, trigger=RecomputeRun.Trigger.PUBLISH)
    # Lock the period row: two publications of one period cannot pick the same version number.
    Period.objects.select_for_update().get(pk=period.pk)
    last = ResultSnapshot.objects.filter(period=period).aggregate(v=Max("version"))["v"] or 0
    snapshot = ResultSnapshot.objects.create(
        period=period, version=last + 1, kind=kind, reason=reason, created_by=user
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_t(ResultSnapshotRow)} (snapshot_id, assessment_id, unit_id, unit_name,
                group_id, group_name, total_points, max_points, percent, "rank", rank_change, band)
            SELECT %s, r.assessment_id, a.unit_id, u.name, r.group_id, COALESCE(g.name, ''),
                   r.total_points, r.max_points, r.percent, r."rank", r.rank_change, r.band
            FROM {_t(AssessmentResult)} r
            JOIN {_t(Assessment)} a ON a.id = r.assessment_id
            JOIN {_t(Unit)} u ON u.id = a.unit_id
            LEFT JOIN {_t(RankingGroup)} g ON g.id = r.group_id
            WHERE r.period_id = %s
            """,
            [snapshot.pk, period.pk],
        )
        cursor.execute(
            f"""
            INSERT INTO {_t(ResultSnapshotComponent)} (row_id, component_id, points, max_points,
                percent)
            SELECT sr.id, c.component_id, c.points, c.max_points, c.percent
            FROM {_t(ResultSnapshotRow)} sr
            JOIN {_t(ComponentResult)} c ON c.assessment_id = sr.assessment_id
            WHERE sr.snapshot_id = %s
            """,
            [snapshot.pk],
        )
    # The next year's rank changes are measured against this version's ranks from now on.
    next_period_rank_changes_refresh(period)
    return snapshot


@transaction.atomic
def period_publish(*, period: Period, user) -> ResultSnapshot:
    """Publish a period's results: recompute, freeze them as version 1, mark the period published.
    Assessment states are the workflow's business (scoring.services.assessment_transition)."""
    require(user, Action.PUBLISH)
    if ResultSnapshot.objects.filter(period=period).exists():
        raise DomainError(
            _("Kết quả %(period)s đã được công bố; muốn sửa thì lập bản đính chính kèm lý do.")
            % {"period": period.name}
        )
    if not Assessment.objects.filter(period=period).exists():
        raise DomainError(
            _("%(period)s chưa có bản đánh giá nào để công bố.") % {"period": period.name}
        )
    snapshot = _freeze(period=period, user=user, kind=ResultSnapshot.Kind.PUBLICATION, reason="")
    Period.objects.filter(pk=period.pk).update(status=Period.Status.PUBLISHED)
    period.status = Period.Status.PUBLISHED
    return snapshot


@transaction.atomic
def snapshot_correct(*, period: Period, user, reason: str) -> ResultSnapshot:
    """A correction of published results: a new version from the current scores, with its reason.
    Earlier versions stay as they were."""
    require(user, Action.PUBLISH)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Cần nêu lý do đính chính kết quả đã công bố."))
    if not ResultSnapshot.objects.filter(period=period).exists():
        raise DomainError(
            _("Kết quả %(period)s chưa được công bố nên chưa thể đính chính.")
            % {"period": period.name}
        )
    return _freeze(period=period, user=user, kind=ResultSnapshot.Kind.CORRECTION, reason=reason)
