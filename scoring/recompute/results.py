"""The first two steps of a recompute: component results, then each assessment's totals.

Each stored row is written once, and only if a value changed (an UPDATE joined on the key for rows
that exist, an INSERT for the missing ones): a nightly recompute of an unchanged period writes
nothing.
"""

from __future__ import annotations

from django.db import connection

from indicators.models import Criterion, Framework, RatingBand, ScoringMethod
from units.models import GroupMembership

from ..models import Adjustment, Assessment, ComponentResult, CriterionScore
from .scope import COMPONENTS_TABLE, TOTALS_TABLE, Scope, drop, sql_functions, table


def _score_sums() -> str:
    if connection.vendor == "postgresql":
        # Not-applicable scores are rare: filtered aggregates cost almost nothing.
        return (
            "SUM(s.points) - COALESCE(SUM(s.points) FILTER (WHERE s.not_applicable), 0)"
            " AS points, SUM(s.max_points) FILTER (WHERE s.not_applicable) AS na_maximum"
        )
    return (
        "SUM(CASE WHEN s.not_applicable THEN 0 ELSE s.points END) AS points, "
        "SUM(CASE WHEN s.not_applicable THEN s.max_points ELSE 0 END) AS na_maximum"
    )


def _not_applicable_criteria(cursor, scope: Scope) -> list[int]:
    """The leaves of the period's frameworks whose method is `not_applicable` (usually none)."""
    cursor.execute(
        f"""
        SELECT c.id FROM {table(Criterion)} c
        WHERE c.is_leaf AND c.method = %s
          AND c.framework_id IN (SELECT framework_id FROM {table(Assessment)} WHERE period_id = %s)
        """,
        [ScoringMethod.NOT_APPLICABLE.value, scope.period.pk],
    )
    return [row[0] for row in cursor.fetchall()]


def component_results(cursor, scope: Scope) -> int:
    """Step 1: `sum(points)` per assessment and component from the stored criterion points
    (already clamped by the score services), with the component's applicable maximum (the
    framework's leaf maxima less the criteria not applicable: by their framework method, or
    flagged on the unit's score) and its percent. A criterion without a score row adds nothing to
    the points and its maximum to the maximum, as indicators.computation says of an unscored one.

    Computed once into a temporary table (kept for the totals), then written where they differ:
    an UPDATE joined on the key and an INSERT of the missing rows cost far less than ON CONFLICT's
    per-row speculative insertion. Returns the number of component rows written or removed."""
    fn = sql_functions()
    a_t, s_t, c_t, cr_t = (
        table(Assessment),
        table(CriterionScore),
        table(Criterion),
        table(ComponentResult),
    )
    ufilter, uparams = scope.unit_filter("a")
    scores_where, scores_params = scope.of("s.assessment_id")
    # Criteria not applicable by their method take no points and leave the maximum: their leaves
    # are left out of the framework's maximum and their scores (flagged or not) out of the sums.
    # A literal list, not a join: it is nearly always empty and keeps the big aggregate parallel.
    method_na = _not_applicable_criteria(cursor, scope)
    if method_na:
        scores_where += f" AND s.criterion_id NOT IN ({', '.join(['%s'] * len(method_na))})"
        scores_params = [*scores_params, *method_na]
    # A percent is a function of points and maximum: computed only for the rows written.
    component_pct = (
        f"CASE WHEN t.maximum > 0 THEN ROUND(t.points * 100.0 / t.maximum{fn['eps']}, 2) ELSE 0 END"
    )
    drop(cursor, COMPONENTS_TABLE, if_exists=True)
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {COMPONENTS_TABLE}{scope.temp_suffix} AS
        SELECT y.*, c.id AS stored_id, c.id IS NOT NULL AS present,
               (c.id IS NULL OR c.points IS DISTINCT FROM y.points
                OR c.max_points IS DISTINCT FROM y.maximum) AS changed
        FROM (
            SELECT a.id AS assessment_id, cm.component_id,
                   {fn["exact"].format("COALESCE(s.points, 0)")} AS points,
                   {fn["exact"].format("cm.maximum - COALESCE(s.na_maximum, 0)")} AS maximum
            FROM {a_t} a
            JOIN (
                SELECT framework_id, component_id,
                       SUM(CASE WHEN method = %s THEN 0 ELSE max_points END) AS maximum
                FROM {c_t} WHERE is_leaf GROUP BY framework_id, component_id
            ) cm ON cm.framework_id = a.framework_id
            LEFT JOIN (
                SELECT s.assessment_id, s.component_id, {_score_sums()}
                FROM {s_t} s
                WHERE {scores_where}
                GROUP BY s.assessment_id, s.component_id
            ) s ON s.assessment_id = a.id AND s.component_id = cm.component_id
            WHERE a.period_id = %s{ufilter}
        ) y
        LEFT JOIN {cr_t} c
            ON c.assessment_id = y.assessment_id AND c.component_id = y.component_id
        """,
        [ScoringMethod.NOT_APPLICABLE.value, *scores_params, scope.period.pk, *uparams],
    )
    cursor.execute(
        f"""
        UPDATE {cr_t} SET points = t.points, max_points = t.maximum, percent = {component_pct}
        FROM {COMPONENTS_TABLE} t
        WHERE t.present AND t.changed AND {cr_t}.id = t.stored_id
        """
    )
    changed = max(cursor.rowcount, 0)
    cursor.execute(
        f"""
        INSERT INTO {cr_t} (assessment_id, component_id, points, max_points, percent)
        SELECT t.assessment_id, t.component_id, t.points, t.maximum, {component_pct}
        FROM {COMPONENTS_TABLE} t WHERE NOT t.present
        """
    )
    inserted = max(cursor.rowcount, 0)
    changed += inserted
    # Rows stored before this run in scope, against those this run found: equal counts mean
    # no stored row is left over; otherwise remove components that left the framework.
    cr_where, cr_params = scope.of("c.assessment_id")
    cursor.execute(
        f"""
        SELECT (SELECT COUNT(*) FROM {cr_t} c WHERE {cr_where}),
               (SELECT COUNT(*) FROM {COMPONENTS_TABLE} WHERE present)
        """,
        cr_params,
    )
    stored, found = cursor.fetchone()
    if stored != found + inserted:
        in_scope, in_scope_params = scope.assessments()
        cursor.execute(
            f"""
            DELETE FROM {cr_t}
            WHERE assessment_id IN ({in_scope})
              AND NOT EXISTS (
                SELECT 1 FROM {COMPONENTS_TABLE} t
                WHERE t.assessment_id = {cr_t}.assessment_id
                  AND t.component_id = {cr_t}.component_id
              )
            """,
            in_scope_params,
        )
        changed += max(cursor.rowcount, 0)
    return changed


def totals(cursor, scope: Scope) -> int:
    """Step 2: each assessment's total (the sum of its components plus the capped bonus minus the
    capped penalty, never below zero), its percent of the applicable maximum (two decimals, at most
    100), its rating band and its ranking group of the period's year, into a temporary table for
    the ranks. Drops the components' table. Returns the number of assessments in scope."""
    fn = sql_functions()
    a_t, f_t, adj_t = table(Assessment), table(Framework), table(Adjustment)
    b_t, gm_t = table(RatingBand), table(GroupMembership)
    ufilter, uparams = scope.unit_filter("a")
    adj_where, adj_params = scope.of("j.assessment_id")
    pct = (
        f"CASE WHEN t.maximum > 0 THEN {fn['least']}(100, "
        f"ROUND(t.total * 100.0 / t.maximum{fn['eps']}, 2)) ELSE 0 END"
    )
    drop(cursor, TOTALS_TABLE, if_exists=True)
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {TOTALS_TABLE}{scope.temp_suffix} AS
        SELECT u.id AS assessment_id, u.unit_id, gm.group_id, u.total, u.maximum, u.percent,
               COALESCE(b.label, '') AS band
        FROM (
            SELECT t.id, t.unit_id, t.framework_id, t.total, t.maximum, {pct} AS percent
            FROM (
                SELECT a.id, a.unit_id, a.framework_id,
                       ROUND({fn["greatest"]}(0,
                           COALESCE(c.points, 0)
                           + {fn["least"]}(COALESCE(adj.bonus, 0), f.max_bonus)
                           - {fn["least"]}(COALESCE(adj.penalty, 0), f.max_penalty)
                       ){fn["eps"]}, 2) AS total,
                       COALESCE(c.maximum, 0) AS maximum
                FROM {a_t} a
                JOIN {f_t} f ON f.id = a.framework_id
                LEFT JOIN (
                    SELECT assessment_id, SUM(points) AS points, SUM(maximum) AS maximum
                    FROM {COMPONENTS_TABLE} GROUP BY assessment_id
                ) c ON c.assessment_id = a.id
                LEFT JOIN (
                    SELECT assessment_id,
                           SUM(CASE WHEN kind = 'bonus' THEN points ELSE 0 END) AS bonus,
                           SUM(CASE WHEN kind = 'penalty' THEN points ELSE 0 END) AS penalty
                    FROM {adj_t} j WHERE {adj_where}
                    GROUP BY assessment_id
                ) adj ON adj.assessment_id = a.id
                WHERE a.period_id = %s{ufilter}
            ) t
            {fn["fence"]}
        ) u
        LEFT JOIN {gm_t} gm ON gm.unit_id = u.unit_id AND gm.year = %s
        LEFT JOIN (
            SELECT framework_id, label, min_percent,
                   LEAD(min_percent) OVER (
                       PARTITION BY framework_id ORDER BY min_percent
                   ) AS next_percent
            FROM {b_t}
        ) b ON b.framework_id = u.framework_id AND b.min_percent <= u.percent
            AND (b.next_percent IS NULL OR u.percent < b.next_percent)
        """,
        [*adj_params, scope.period.pk, *uparams, scope.period.year],
    )
    drop(cursor, COMPONENTS_TABLE)
    cursor.execute(f"SELECT COUNT(*) FROM {TOTALS_TABLE}")
    return cursor.fetchone()[0]
