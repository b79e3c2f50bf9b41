"""Publishing a period: its results frozen as an immutable, versioned snapshot.

Version 1 is written when the period is published; each correction writes a new dated version with
its reason. Existing versions are never changed: what leadership and the public saw stays on record,
and dashboards say which version they show (scoring.selectors.publication.period_published_results).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
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
    StateChange,
)
from .recompute import recompute_now
from .recompute.engine import next_period_rank_changes_refresh
from .workflow import APPRAISED_STATES, State


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _freeze(
    *, period: Period, user, kind: str, reason: str, left_out: dict[int, str] | None = None
) -> ResultSnapshot:
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
    if left_out:
        # Their figures are not published: the rows copied above go, a "not assessed" row each
        # comes instead (an IN list through the ORM, which SQLite takes as PostgreSQL does).
        ResultSnapshotRow.objects.filter(snapshot=snapshot, assessment_id__in=left_out).delete()
        _left_out_rows(snapshot, period, left_out)
    # The next year's rank changes are measured against this version's ranks from now on.
    next_period_rank_changes_refresh(period)
    return snapshot


def _left_out_rows(snapshot: ResultSnapshot, period: Period, left_out: dict[int, str]) -> None:
    """Units left out of the publication: a row each, "not assessed" with the reason, no figures
    and no rank; the others are ranked again among themselves (competition ranks, as the engine)."""
    left = (
        Assessment.objects.filter(pk__in=left_out, period=period)
        .select_related("unit", "result__group")
        .order_by("unit__name")
    )
    rows = []
    for a in left:
        result = getattr(a, "result", None)
        group = result.group if result is not None else None
        rows.append(
            ResultSnapshotRow(
                snapshot=snapshot,
                assessment=a,
                unit=a.unit,
                unit_name=a.unit.name,
                group=group,
                group_name=group.name if group else "",
                total_points=0,
                max_points=0,
                percent=0,
                rank=None,
                rank_change=None,
                band="",
                not_assessed_reason=left_out[a.pk],
            )
        )
    ResultSnapshotRow.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {_t(ResultSnapshotRow)} sr
            SET "rank" = x.new_rank,
                rank_change = CASE WHEN sr.rank_change IS NULL THEN NULL
                                   ELSE sr."rank" + sr.rank_change - x.new_rank END
            FROM (
                SELECT id, RANK() OVER (PARTITION BY group_id ORDER BY percent DESC) AS new_rank
                FROM {_t(ResultSnapshotRow)}
                WHERE snapshot_id = %s AND "rank" IS NOT NULL
            ) x
            WHERE sr.id = x.id AND sr."rank" IS DISTINCT FROM x.new_rank
            """,
            [snapshot.pk],
        )


def _check_left_out(period: Period, left_out: dict[int, str]) -> dict[int, str]:
    """Every assessment of the period not appraised must be left out with a reason; appraised ones
    are published, never left out."""
    left_out = {int(pk): (reason or "").strip() for pk, reason in left_out.items()}
    errors = []
    pending = (
        Assessment.objects.filter(period=period)
        .exclude(state__in=APPRAISED_STATES)
        .select_related("unit")
        .order_by("unit__name")
    )
    pending_ids = set()
    for a in pending:
        pending_ids.add(a.pk)
        if a.pk not in left_out:
            errors.append(
                _(
                    "%(unit)s chưa được thẩm định (%(state)s): cần thẩm định xong hoặc để ra ngoài "
                    "kỳ công bố kèm lý do."
                )
                % {"unit": a.unit.name, "state": a.get_state_display()}
            )
        elif not left_out[a.pk]:
            errors.append(
                _("Cần nêu lý do để %(unit)s ra ngoài kỳ công bố.") % {"unit": a.unit.name}
            )
    if set(left_out) - pending_ids:
        errors.append(_("Chỉ để ra ngoài kỳ công bố các đơn vị chưa được thẩm định."))
    if errors:
        raise DomainError(errors)
    return left_out


@transaction.atomic
def period_publish(
    *, period: Period, user, left_out: dict[int, str] | None = None
) -> ResultSnapshot:
    """Publish a period's results: recompute, freeze them as version 1, mark the period published
    and move its appraised assessments to published (each move in the state history).

    Refused while an assessment of the period is not appraised, unless it is in `left_out`
    (assessment id → reason): it is then published as not assessed, without figures or a rank, and
    the others are ranked among themselves; its own state does not move."""
    require(user, Action.PUBLISH)
    left_out = _check_left_out(period, left_out or {})
    if ResultSnapshot.objects.filter(period=period).exists():
        raise DomainError(
            _("Kết quả %(period)s đã được công bố; muốn sửa thì lập bản đính chính kèm lý do.")
            % {"period": period.name}
        )
    if not Assessment.objects.filter(period=period).exists():
        raise DomainError(
            _("%(period)s chưa có bản đánh giá nào để công bố.") % {"period": period.name}
        )
    snapshot = _freeze(
        period=period,
        user=user,
        kind=ResultSnapshot.Kind.PUBLICATION,
        reason="",
        left_out=left_out,
    )
    _publish_states(period, user)
    Period.objects.filter(pk=period.pk).update(status=Period.Status.PUBLISHED)
    period.status = Period.Status.PUBLISHED
    return snapshot


def _publish_states(period: Period, user) -> None:
    """Appraised → published, with the state history, in one UPDATE and one INSERT."""
    moving = list(
        Assessment.objects.filter(period=period, state=State.APPRAISED).values_list("pk", flat=True)
    )
    reason = _("Công bố kết quả")
    StateChange.objects.bulk_create(
        StateChange(
            assessment_id=pk,
            from_state=State.APPRAISED,
            to_state=State.PUBLISHED,
            by=user,
            reason=reason,
        )
        for pk in moving
    )
    Assessment.objects.filter(pk__in=moving).update(
        state=State.PUBLISHED, updated_at=timezone.now()
    )


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
