"""The last steps of a recompute: ranks within each group, rank changes against the previous
period, and the next period's rank changes, which are measured against this one.

Ranks are RANK() OVER (PARTITION BY group ORDER BY percent DESC), i.e. competition ranks 1, 2, 2,
4. A unit with no result in the previous period inherits the best (lowest) previous rank among its
predecessors (a merger takes the best rank of what it merged), so the change compares the new unit
with the strongest of the units it replaced.
"""

from __future__ import annotations

from django.db import connection

from units.models import Unit

from ..models import Assessment, AssessmentResult, Period, ResultSnapshot, ResultSnapshotRow
from .scope import RANKED_TABLE, TOTALS_TABLE, Scope, drop, table


def previous_period(period: Period) -> Period | None:
    return Period.objects.filter(year__lt=period.year).order_by("-year").first()


def next_period(period: Period) -> Period | None:
    return Period.objects.filter(year__gt=period.year).order_by("year").first()


def groups_in_scope(cursor, scope: Scope) -> set[int | None]:
    """The groups the stored results in scope are ranked in now (read before a partial recompute:
    a unit that moved leaves a group to re-rank)."""
    in_scope, params = scope.assessments()
    cursor.execute(
        f"SELECT DISTINCT group_id FROM {table(AssessmentResult)} WHERE assessment_id IN ({in_scope})",
        params,
    )
    return {row[0] for row in cursor.fetchall()}


def _others(cursor, scope: Scope, groups_before: set[int | None]) -> tuple[str, list]:
    """A partial recompute ranks its units with the stored figures of the other members of the
    groups concerned (old and new)."""
    if not scope.partial:
        return "", []
    cursor.execute(f"SELECT DISTINCT group_id FROM {TOTALS_TABLE}")
    groups = sorted(
        g for g in groups_before | {row[0] for row in cursor.fetchall()} if g is not None
    )
    if not groups:
        return "", []
    r_t, a_t = table(AssessmentResult), table(Assessment)
    sql = f"""
        UNION ALL
        SELECT r.assessment_id, a.unit_id, r.group_id, r.total_points, r.max_points,
               r.percent, r.band
        FROM {r_t} r JOIN {a_t} a ON a.id = r.assessment_id
        WHERE r.period_id = %s AND r.group_id IN ({", ".join(["%s"] * len(groups))})
          AND r.assessment_id NOT IN (SELECT assessment_id FROM {TOTALS_TABLE})
    """
    return sql, [scope.period.pk, *groups]


def ranks(cursor, scope: Scope, *, groups_before: set[int | None]) -> tuple[int, int]:
    """Step 3: ranks within each group concerned and rank changes, then one write per result row
    (a row updated twice in one transaction would have its foreign keys checked again). Drops the
    totals' table. Returns the number of results written and of ranks that changed."""
    r_t = table(AssessmentResult)
    others, others_params = _others(cursor, scope, groups_before)
    before = previous_period(scope.period)
    previous_sql, previous_params = _previous_rank_sql(before.pk if before else None, "y")
    drop(cursor, RANKED_TABLE, if_exists=True)
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {RANKED_TABLE}{scope.temp_suffix} AS
        SELECT y.*, {previous_sql} AS previous_rank,
               r.assessment_id IS NOT NULL AS present, r."rank" AS old_rank,
               r.group_id AS old_group_id, r.total_points AS old_total,
               r.max_points AS old_maximum, r.percent AS old_percent, r.band AS old_band,
               r.rank_change AS old_rank_change
        FROM (
            SELECT v.*,
                   CASE WHEN v.group_id IS NULL THEN NULL ELSE
                       RANK() OVER (PARTITION BY v.group_id ORDER BY v.percent DESC)
                   END AS new_rank
            FROM (
                SELECT assessment_id, unit_id, group_id, total, maximum, percent, band
                FROM {TOTALS_TABLE}
                {others}
            ) v
        ) y
        LEFT JOIN {r_t} r ON r.assessment_id = y.assessment_id
        """,
        [*previous_params, *others_params],
    )
    cursor.execute(
        f"""
        UPDATE {r_t} SET group_id = x.group_id, total_points = x.total,
            max_points = x.maximum, percent = x.percent, band = x.band,
            "rank" = x.new_rank, rank_change = x.previous_rank - x.new_rank, computed_at = %s
        FROM {RANKED_TABLE} x
        WHERE {r_t}.assessment_id = x.assessment_id AND x.present
          AND (x.old_group_id IS DISTINCT FROM x.group_id
               OR x.old_total IS DISTINCT FROM x.total
               OR x.old_maximum IS DISTINCT FROM x.maximum
               OR x.old_percent IS DISTINCT FROM x.percent
               OR x.old_band IS DISTINCT FROM x.band
               OR x.old_rank IS DISTINCT FROM x.new_rank
               OR x.old_rank_change IS DISTINCT FROM x.previous_rank - x.new_rank)
        """,
        [scope.now],
    )
    results_changed = max(cursor.rowcount, 0)
    cursor.execute(
        f"""
        INSERT INTO {r_t} (assessment_id, period_id, group_id, total_points, max_points,
                           percent, "rank", rank_change, band, computed_at)
        SELECT x.assessment_id, %s, x.group_id, x.total, x.maximum, x.percent, x.new_rank,
               x.previous_rank - x.new_rank, x.band, %s
        FROM {RANKED_TABLE} x WHERE NOT x.present
        """,
        [scope.period.pk, scope.now],
    )
    results_changed += max(cursor.rowcount, 0)
    cursor.execute(f"SELECT COUNT(*) FROM {RANKED_TABLE} WHERE old_rank IS DISTINCT FROM new_rank")
    ranks_changed = cursor.fetchone()[0]
    drop(cursor, TOTALS_TABLE)
    drop(cursor, RANKED_TABLE)
    return results_changed, ranks_changed


def _previous_rank_sql(previous_id: int | None, alias: str) -> tuple[str, list]:
    """SQL for the previous period's rank of the unit `{alias}.unit_id`: its own, else the best
    (lowest) rank among its predecessors (a merged unit is compared with the strongest of the units
    it replaced).

    A published previous period is read from its latest published version: a rank change is
    measured against the rank the province announced (and corrected), not against live results
    that may have moved since (an assessment reopened for a correction not yet published)."""
    if previous_id is None:
        return "CAST(NULL AS INTEGER)", []
    pred_t = connection.ops.quote_name(Unit.predecessors.through._meta.db_table)
    snapshot_id = (
        ResultSnapshot.objects.filter(period_id=previous_id)
        .order_by("-version")
        .values_list("pk", flat=True)
        .first()
    )
    if snapshot_id is not None:
        sr_t = table(ResultSnapshotRow)
        sql = f"""COALESCE(
            (SELECT sr."rank" FROM {sr_t} sr
             WHERE sr.snapshot_id = %s AND sr.unit_id = {alias}.unit_id),
            (SELECT MIN(sr."rank") FROM {pred_t} up
             JOIN {sr_t} sr ON sr.unit_id = up.to_unit_id
             WHERE sr.snapshot_id = %s AND up.from_unit_id = {alias}.unit_id))"""
        return sql, [snapshot_id, snapshot_id]
    r_t, a_t = table(AssessmentResult), table(Assessment)
    sql = f"""COALESCE(
        (SELECT pr."rank" FROM {a_t} pa JOIN {r_t} pr ON pr.assessment_id = pa.id
         WHERE pa.period_id = %s AND pa.unit_id = {alias}.unit_id),
        (SELECT MIN(pr."rank") FROM {pred_t} up
         JOIN {a_t} pa ON pa.unit_id = up.to_unit_id
         JOIN {r_t} pr ON pr.assessment_id = pa.id
         WHERE pa.period_id = %s AND up.from_unit_id = {alias}.unit_id))"""
    return sql, [previous_id, previous_id]


def refresh_rank_changes(cursor, *, period_id: int, previous_id: int) -> None:
    """Step 4: rank changes of a period against the (just recomputed) period before it."""
    r_t, a_t = table(AssessmentResult), table(Assessment)
    previous_sql, previous_params = _previous_rank_sql(previous_id, "a")
    cursor.execute(
        f"""
        UPDATE {r_t} SET rank_change = x.change
        FROM (
            SELECT cur.assessment_id, {previous_sql} - cur."rank" AS change
            FROM {r_t} cur JOIN {a_t} a ON a.id = cur.assessment_id
            WHERE cur.period_id = %s
        ) x
        WHERE {r_t}.assessment_id = x.assessment_id
          AND {r_t}.rank_change IS DISTINCT FROM x.change
        """,
        [*previous_params, period_id],
    )
