"""The recompute engine: stored results of a period computed set-based in the database.

`recompute_results` is the one writer of AssessmentResult and ComponentResult (scoring.services.
results_recompute delegates here). A handful of SQL statements in one transaction do the work,
whatever the size of the period, through temporary tables (not WAL-logged, dropped at commit):

1. component results: `sum(points)` per assessment and component from the stored criterion points
   (already clamped by the score services), with the component's applicable maximum (the
   framework's leaf maxima less the criteria marked not applicable) and its percent;
2. totals: the sum of the components plus the capped bonus minus the capped penalty (never below
   zero), percent of the applicable maximum (two decimals, at most 100), the rating band and the
   ranking group of the period's year;
3. ranks: RANK() OVER (PARTITION BY group ORDER BY percent DESC), i.e. competition ranks 1, 2, 2, 4,
   and the rank change against the previous period. A unit with no result there inherits the best
   (lowest) previous rank among its predecessors (a merger takes the best rank of what it merged),
   so the change compares the new unit with the strongest of the units it replaced.

Each stored row is written once, and only if a value changed (an UPDATE joined on the key for rows
that exist, an INSERT for the missing ones): a nightly recompute of an unchanged period writes
nothing, and readers (READ COMMITTED) see either the old results or the new ones, never a mix.
With `unit_ids` only those units' assessments are recomputed, and their groups (old and new) are
re-ranked with the other members' stored figures: a single score edit costs a few milliseconds.
A full recompute also refreshes the next period's rank changes, which are measured against it.

One recompute per period at a time: a PostgreSQL advisory lock (transaction level in the service,
session level around a whole Celery job). SQLite, used by the demo, serialises writers itself.

The job side (RecomputeRun rows, coalescing, claiming) is at the bottom of this module; the Celery
tasks in scoring.tasks are thin wrappers around it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from indicators.models import Criterion, Framework, RatingBand
from units.models import GroupMembership, Unit

from . import generation
from .models import (
    Adjustment,
    Assessment,
    AssessmentResult,
    ComponentResult,
    CriterionScore,
    Period,
    RecomputeRun,
    ResultSnapshot,
    ResultSnapshotRow,
)

logger = logging.getLogger(__name__)

# Advisory lock namespace ("recompute"), the second key is the period id.
LOCK_NAMESPACE = 7_301
# Edits arriving within this many seconds of the first one join the same run.
COALESCE_SECONDS = 2
# A queued run older than this whose message may have been lost is enqueued again.
STALE_QUEUED = timedelta(minutes=5)
# Above this many units a partial recompute is not worth it: recompute the period.
MAX_PARTIAL_UNITS = 500
STEPS = 4
# Eager mode (the demo) waits this long for another recompute of the period instead of retrying.
LOCK_WAIT_SECONDS = 60
TEMP_TABLE = "recompute_components"
TOTALS_TABLE = "recompute_totals"
RANKED_TABLE = "recompute_ranked"

Progress = Callable[[int, int, str], None]


class RecomputeBusy(Exception):
    """Another recompute of the same period holds the lock; try again shortly."""


@dataclass(frozen=True)
class RecomputeStats:
    assessments: int
    components_changed: int
    results_changed: int
    ranks_changed: int
    duration_ms: int


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _sql_functions() -> dict[str, str]:
    pg = connection.vendor == "postgresql"
    return {
        "greatest": "GREATEST" if pg else "MAX",
        "least": "LEAST" if pg else "MIN",
        # SQLite computes in binary floating point: nudge exact halves up, as ROUND_HALF_UP does.
        "eps": "" if pg else " + 1e-9",
        # Sums of two-decimal points: exact numerics in PostgreSQL, floats to round in SQLite.
        "exact": "{}" if pg else "ROUND({} + 1e-9, 2)",
        # Keeps a subquery from being flattened, so its expressions are computed once per row
        # rather than again in every join condition that uses them.
        "fence": "OFFSET 0" if pg else "LIMIT -1 OFFSET 0",
    }


def _unit_filter(alias: str, unit_ids: list[int] | None) -> tuple[str, list]:
    if unit_ids is None:
        return "", []
    placeholders = ", ".join(["%s"] * len(unit_ids)) or "NULL"
    return f" AND {alias}.unit_id IN ({placeholders})", list(unit_ids)


def _lock(cursor, period_id: int, *, wait: bool) -> None:
    if connection.vendor != "postgresql":
        return
    if wait:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, period_id])
        return
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, period_id])
    if not cursor.fetchone()[0]:
        raise RecomputeBusy(period_id)


def _drop(cursor, table: str, *, if_exists: bool = False) -> None:
    """Drop a temporary table when done (a caller's transaction may recompute twice). The leftover
    check before creating one is for SQLite only: in PostgreSQL a failed recompute's tables vanish
    with its rolled-back transaction or savepoint."""
    if if_exists and connection.vendor == "postgresql":
        return
    cursor.execute(f"DROP TABLE {'IF EXISTS ' if if_exists else ''}{table}")


def previous_period(period: Period) -> Period | None:
    return Period.objects.filter(year__lt=period.year).order_by("-year").first()


def next_period(period: Period) -> Period | None:
    return Period.objects.filter(year__gt=period.year).order_by("year").first()


def compute(
    *,
    period: Period,
    unit_ids: Iterable[int] | None = None,
    wait: bool = True,
    progress: Progress | None = None,
) -> RecomputeStats:
    """Recompute the stored results of `period` (or of `unit_ids`' assessments and their groups'
    ranks) in one transaction. Raises RecomputeBusy when `wait` is false and the period is locked."""
    started = time.perf_counter()
    units = None if unit_ids is None else sorted({int(u) for u in unit_ids})
    if units is not None:
        # Assessments that never had results (new ones, or the period's first edits) are always
        # part of the work: a partial recompute must not leave them without a row and a rank.
        never_computed = Assessment.objects.filter(period=period, result__isnull=True)
        units = merge_unit_ids(units, never_computed.values_list("unit_id", flat=True))
    report = progress or (lambda step, total, label: None)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    fn = _sql_functions()
    a_t, s_t, c_t = _t(Assessment), _t(CriterionScore), _t(Criterion)
    cr_t, r_t, adj_t = _t(ComponentResult), _t(AssessmentResult), _t(Adjustment)
    f_t, b_t, gm_t = _t(Framework), _t(RatingBand), _t(GroupMembership)
    ufilter, uparams = _unit_filter("a", units)
    scope = f"SELECT a.id FROM {a_t} a WHERE a.period_id = %s{ufilter}"
    scope_params = [period.pk, *uparams]

    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor, period.pk, wait=wait)
        temp_on_commit = ""
        if connection.vendor == "postgresql":
            # The per-(assessment, component) aggregate of a national period stays in memory.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # Stored results are derived data: a crash losing the last recompute loses nothing
            # that the next one (or the nightly one) does not rebuild, so skip the WAL flush wait.
            cursor.execute("SET LOCAL synchronous_commit = off")
            temp_on_commit = " ON COMMIT DROP"
            # Let the one big aggregate use parallel workers: scores are stored assessment by
            # assessment, so the workers' partial groups hardly overlap and gathering them is cheap
            # (the default costs assume the opposite and keep the plan on one core).
            if units is None:
                cursor.execute("SET LOCAL parallel_setup_cost = 100")
                cursor.execute("SET LOCAL parallel_tuple_cost = 0.001")
        groups_before: set[int | None] = set()
        if units is not None:
            cursor.execute(
                f"SELECT DISTINCT group_id FROM {r_t} WHERE assessment_id IN ({scope})",
                scope_params,
            )
            groups_before = {row[0] for row in cursor.fetchall()}

        # Rows of other tables are picked by assessment. For a whole period the assessments' ids
        # form a range (created together), and a range test is far cheaper than a semi-join over a
        # million scores; rows of another period's assessments inside the range are dropped by the
        # join with this period's assessments below.
        if units is None:
            cursor.execute(f"SELECT MIN(id), MAX(id) FROM {a_t} WHERE period_id = %s", [period.pk])
            low, high = cursor.fetchone()

            def of_scope(column: str) -> tuple[str, list]:
                return f"{column} BETWEEN %s AND %s", [low, high]
        else:

            def of_scope(column: str) -> tuple[str, list]:
                return f"{column} IN ({scope})", scope_params

        scores_where, scores_params = of_scope("s.assessment_id")
        if connection.vendor == "postgresql":
            # Not-applicable scores are rare: filtered aggregates cost almost nothing.
            score_sums = (
                "SUM(s.points) - COALESCE(SUM(s.points) FILTER (WHERE s.not_applicable), 0)"
                " AS points, SUM(s.max_points) FILTER (WHERE s.not_applicable) AS na_maximum"
            )
        else:
            score_sums = (
                "SUM(CASE WHEN s.not_applicable THEN 0 ELSE s.points END) AS points, "
                "SUM(CASE WHEN s.not_applicable THEN s.max_points ELSE 0 END) AS na_maximum"
            )

        # A percent is a function of points and maximum: computed only for the rows written.
        component_pct = (
            f"CASE WHEN t.maximum > 0 THEN ROUND(t.points * 100.0 / t.maximum{fn['eps']}, 2) "
            "ELSE 0 END"
        )
        # 1. Component results, computed once into a temporary table (not WAL-logged), then
        # written where they differ: an UPDATE joined on the key and an INSERT of the missing rows
        # cost far less than ON CONFLICT's per-row speculative insertion.
        report(0, STEPS, "components")
        _drop(cursor, TEMP_TABLE, if_exists=True)
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE {TEMP_TABLE}{temp_on_commit} AS
            SELECT y.*, c.id AS stored_id, c.id IS NOT NULL AS present,
                   (c.id IS NULL OR c.points IS DISTINCT FROM y.points
                    OR c.max_points IS DISTINCT FROM y.maximum) AS changed
            FROM (
                SELECT a.id AS assessment_id, cm.component_id,
                       {fn["exact"].format("COALESCE(s.points, 0)")} AS points,
                       {fn["exact"].format("cm.maximum - COALESCE(s.na_maximum, 0)")} AS maximum
                FROM {a_t} a
                JOIN (
                    SELECT framework_id, component_id, SUM(max_points) AS maximum
                    FROM {c_t} WHERE is_leaf GROUP BY framework_id, component_id
                ) cm ON cm.framework_id = a.framework_id
                LEFT JOIN (
                    SELECT s.assessment_id, s.component_id, {score_sums}
                    FROM {s_t} s
                    WHERE {scores_where}
                    GROUP BY s.assessment_id, s.component_id
                ) s ON s.assessment_id = a.id AND s.component_id = cm.component_id
                WHERE a.period_id = %s{ufilter}
            ) y
            LEFT JOIN {cr_t} c
                ON c.assessment_id = y.assessment_id AND c.component_id = y.component_id
            """,
            [*scores_params, *scope_params],
        )
        cursor.execute(
            f"""
            UPDATE {cr_t} SET points = t.points, max_points = t.maximum, percent = {component_pct}
            FROM {TEMP_TABLE} t
            WHERE t.present AND t.changed AND {cr_t}.id = t.stored_id
            """
        )
        components_changed = max(cursor.rowcount, 0)
        cursor.execute(
            f"""
            INSERT INTO {cr_t} (assessment_id, component_id, points, max_points, percent)
            SELECT t.assessment_id, t.component_id, t.points, t.maximum, {component_pct}
            FROM {TEMP_TABLE} t WHERE NOT t.present
            """
        )
        inserted = max(cursor.rowcount, 0)
        components_changed += inserted
        # Rows stored before this run in scope, against those this run found: equal counts mean
        # no stored row is left over; otherwise remove components that left the framework.
        cr_where, cr_params = of_scope("c.assessment_id")
        cursor.execute(
            f"""
            SELECT (SELECT COUNT(*) FROM {cr_t} c WHERE {cr_where}),
                   (SELECT COUNT(*) FROM {TEMP_TABLE} WHERE present)
            """,
            cr_params,
        )
        stored, found = cursor.fetchone()
        if stored != found + inserted:
            cursor.execute(
                f"""
                DELETE FROM {cr_t}
                WHERE assessment_id IN ({scope})
                  AND NOT EXISTS (
                    SELECT 1 FROM {TEMP_TABLE} t
                    WHERE t.assessment_id = {cr_t}.assessment_id
                      AND t.component_id = {cr_t}.component_id
                  )
                """,
                scope_params,
            )
            components_changed += max(cursor.rowcount, 0)

        # 2. Totals, percent, band and group of each assessment in scope.
        report(1, STEPS, "totals")
        adj_where, adj_params = of_scope("j.assessment_id")
        pct = (
            f"CASE WHEN t.maximum > 0 THEN {fn['least']}(100, "
            f"ROUND(t.total * 100.0 / t.maximum{fn['eps']}, 2)) ELSE 0 END"
        )
        _drop(cursor, TOTALS_TABLE, if_exists=True)
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE {TOTALS_TABLE}{temp_on_commit} AS
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
                        FROM {TEMP_TABLE} GROUP BY assessment_id
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
            [*adj_params, *scope_params, period.year],
        )
        _drop(cursor, TEMP_TABLE)
        cursor.execute(f"SELECT COUNT(*) FROM {TOTALS_TABLE}")
        assessments = cursor.fetchone()[0]

        # 3. Ranks within each group concerned and rank changes, then one write per result row
        # (a row updated twice in one transaction would have its foreign keys checked again).
        report(2, STEPS, "ranks")
        others, others_params = "", []
        if units is not None:
            # Partial recompute: the rest of the groups concerned (old and new) keep their stored
            # figures and are ranked with the recomputed units.
            cursor.execute(f"SELECT DISTINCT group_id FROM {TOTALS_TABLE}")
            groups = sorted(
                g for g in groups_before | {row[0] for row in cursor.fetchall()} if g is not None
            )
            if groups:
                others = f"""
                    UNION ALL
                    SELECT r.assessment_id, a.unit_id, r.group_id, r.total_points, r.max_points,
                           r.percent, r.band
                    FROM {r_t} r JOIN {a_t} a ON a.id = r.assessment_id
                    WHERE r.period_id = %s AND r.group_id IN ({", ".join(["%s"] * len(groups))})
                      AND r.assessment_id NOT IN (SELECT assessment_id FROM {TOTALS_TABLE})
                """
                others_params = [period.pk, *groups]
        before = previous_period(period)
        previous_sql, previous_params = _previous_rank_sql(before.pk if before else None, "y")
        _drop(cursor, RANKED_TABLE, if_exists=True)
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE {RANKED_TABLE}{temp_on_commit} AS
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
            [now],
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
            [period.pk, now],
        )
        results_changed += max(cursor.rowcount, 0)
        cursor.execute(
            f"SELECT COUNT(*) FROM {RANKED_TABLE} WHERE old_rank IS DISTINCT FROM new_rank"
        )
        ranks_changed = cursor.fetchone()[0]
        _drop(cursor, TOTALS_TABLE)
        _drop(cursor, RANKED_TABLE)

        # 4. The next period's rank changes are measured against this one's ranks.
        report(3, STEPS, "next period")
        after = next_period(period)
        if after is not None and (units is None or ranks_changed):
            _refresh_rank_changes(cursor, period_id=after.pk, previous_id=period.pk)
        report(STEPS, STEPS, "done")
    generation.bump_on_commit()  # cached aggregates over these results go stale
    return RecomputeStats(
        assessments=assessments,
        components_changed=components_changed,
        results_changed=results_changed,
        ranks_changed=ranks_changed,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


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
        sr_t = _t(ResultSnapshotRow)
        sql = f"""COALESCE(
            (SELECT sr."rank" FROM {sr_t} sr
             WHERE sr.snapshot_id = %s AND sr.unit_id = {alias}.unit_id),
            (SELECT MIN(sr."rank") FROM {pred_t} up
             JOIN {sr_t} sr ON sr.unit_id = up.to_unit_id
             WHERE sr.snapshot_id = %s AND up.from_unit_id = {alias}.unit_id))"""
        return sql, [snapshot_id, snapshot_id]
    r_t, a_t = _t(AssessmentResult), _t(Assessment)
    sql = f"""COALESCE(
        (SELECT pr."rank" FROM {a_t} pa JOIN {r_t} pr ON pr.assessment_id = pa.id
         WHERE pa.period_id = %s AND pa.unit_id = {alias}.unit_id),
        (SELECT MIN(pr."rank") FROM {pred_t} up
         JOIN {a_t} pa ON pa.unit_id = up.to_unit_id
         JOIN {r_t} pr ON pr.assessment_id = pa.id
         WHERE pa.period_id = %s AND up.from_unit_id = {alias}.unit_id))"""
    return sql, [previous_id, previous_id]


def next_period_rank_changes_refresh(period: Period) -> None:
    """The period after `period` measures its rank changes against `period`'s ranks: refresh them
    (a new published version of `period` changes what they are measured against)."""
    after = next_period(period)
    if after is None:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor, after.pk, wait=True)
        _refresh_rank_changes(cursor, period_id=after.pk, previous_id=period.pk)
    generation.bump_on_commit()


def _refresh_rank_changes(cursor, *, period_id: int, previous_id: int) -> None:
    """Rank changes of a period against the (just recomputed) period before it."""
    r_t, a_t = _t(AssessmentResult), _t(Assessment)
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


# --- Jobs: runs, coalescing, claiming ------------------------------------------------------------


def merge_unit_ids(current: list[int] | None, new: Iterable[int] | None) -> list[int] | None:
    """Units of two requests together; None (the whole period) absorbs everything."""
    if current is None or new is None:
        return None
    merged = sorted(set(current) | {int(u) for u in new})
    return None if len(merged) > MAX_PARTIAL_UNITS else merged


def recompute_results(
    *,
    period: Period,
    unit_ids: Iterable[int] | None = None,
    trigger: str = RecomputeRun.Trigger.DIRECT,
    progress: Progress | None = None,
) -> int:
    """Recompute now, in this process, and record the run. Returns the number of assessments."""
    run = recompute_now(period=period, unit_ids=unit_ids, trigger=trigger, progress=progress)
    return run.assessments


def recompute_now(
    *,
    period: Period,
    unit_ids: Iterable[int] | None = None,
    trigger: str = RecomputeRun.Trigger.DIRECT,
    progress: Progress | None = None,
    user=None,
) -> RecomputeRun:
    """Recompute now, in this process (waiting for the period's lock), and return the run."""
    units = None if unit_ids is None else sorted({int(u) for u in unit_ids})
    run = RecomputeRun.objects.create(
        period=period,
        status=RecomputeRun.Status.RUNNING,
        trigger=trigger,
        unit_ids=units,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
        started_at=timezone.now(),
        attempts=1,
    )
    try:
        stats = compute(period=period, unit_ids=units, progress=progress)
    except Exception as exc:
        _finish(run, error=exc)
        raise
    _finish(run, stats=stats)
    return run


def _finish(run: RecomputeRun, *, stats: RecomputeStats | None = None, error=None) -> None:
    run.finished_at = timezone.now()
    if stats is not None:
        run.status = RecomputeRun.Status.DONE
        run.progress = 100
        run.assessments = stats.assessments
        run.results_changed = stats.results_changed
        run.components_changed = stats.components_changed
        run.ranks_changed = stats.ranks_changed
        run.duration_ms = stats.duration_ms
        run.error = ""
    else:
        run.status = RecomputeRun.Status.FAILED
        run.error = f"{type(error).__name__}: {error}"[:2000]
    # An UPDATE, not save(): a run's row may be reused as the claim token by the worker.
    RecomputeRun.objects.filter(pk=run.pk).update(
        status=run.status,
        finished_at=run.finished_at,
        progress=run.progress,
        assessments=run.assessments,
        results_changed=run.results_changed,
        components_changed=run.components_changed,
        ranks_changed=run.ranks_changed,
        duration_ms=run.duration_ms,
        error=run.error,
    )
    cache.delete(progress_key(run.pk))


def progress_key(run_id: int) -> str:
    return f"recompute:progress:{run_id}"


def run_progress(run: RecomputeRun) -> int:
    """Progress in percent of a running run (kept in the cache: the run's row is only written
    outside the recompute's transaction)."""
    if run.status == RecomputeRun.Status.DONE:
        return 100
    value = cache.get(progress_key(run.pk))
    return int(value) if value is not None else run.progress


def recompute_request(
    *,
    period_id: int,
    unit_ids: Iterable[int] | None = None,
    trigger: str = RecomputeRun.Trigger.EDIT,
    user=None,
) -> RecomputeRun:
    """Queue a recompute of a period, merging into the run already waiting for it if there is one.

    The database allows one queued run per period (a partial unique constraint), so concurrent
    requests end in one run; the Celery task is sent once per run, a few seconds later, so that a
    burst of edits is one recompute. Idempotent: asking twice costs nothing more.
    """
    units = None if unit_ids is None else sorted({int(u) for u in unit_ids})
    requested_by = user if getattr(user, "is_authenticated", False) else None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                run = (
                    RecomputeRun.objects.select_for_update()
                    .filter(period_id=period_id, status=RecomputeRun.Status.QUEUED)
                    .first()
                )
                send = run is None
                if run is None:
                    run = RecomputeRun.objects.create(
                        period_id=period_id,
                        trigger=trigger,
                        unit_ids=units,
                        requested_by=requested_by,
                    )
                else:
                    merged = merge_unit_ids(run.unit_ids, units)
                    if merged != run.unit_ids:
                        run.unit_ids = merged
                        run.save(update_fields=["unit_ids"])
                    # A message lost on the way (broker restarted) must not block the period.
                    send = run.created_at < timezone.now() - STALE_QUEUED
                if send:
                    transaction.on_commit(lambda run=run: _send(run), robust=True)
                return run
        except IntegrityError:
            continue  # another request created the queued run first: merge into it
    raise RuntimeError(f"could not queue a recompute of period {period_id}")


def _send(run: RecomputeRun) -> None:
    from .tasks import recompute_period

    recompute_period.apply_async((run.period_id, run.pk), countdown=COALESCE_SECONDS)


@contextmanager
def period_job_lock(period_id: int, *, wait: bool = False) -> Iterator[None]:
    """Held for a whole job: a PostgreSQL session advisory lock (released if the worker dies, since
    its connection closes), or a cache key elsewhere. Raises RecomputeBusy if already held, unless
    `wait` (eager mode, where retrying later is not possible), which waits for it instead."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if wait:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, period_id])
            else:
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, period_id])
                if not cursor.fetchone()[0]:
                    raise RecomputeBusy(period_id)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, period_id])
        return
    key = f"recompute:lock:{period_id}"
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait else 0)
    while not cache.add(key, 1, timeout=15 * 60):
        if time.monotonic() >= deadline:
            raise RecomputeBusy(period_id)
        time.sleep(0.05)
    try:
        yield
    finally:
        cache.delete(key)


def run_job(*, period_id: int, run_id: int | None, wait: bool = False) -> RecomputeRun | None:
    """The body of the Celery task: claim the run, recompute, record the outcome.

    Raises RecomputeBusy (the task retries later) when another worker holds the period. A run that
    is already done or failed is left alone, so a duplicated or retried message changes nothing; a
    run left "running" by a worker that died is taken over, since holding the lock proves nobody
    else is working on it.
    """
    period = Period.objects.filter(pk=period_id).first()
    if period is None:
        return None
    with period_job_lock(period_id, wait=wait):
        if run_id is None:
            run = RecomputeRun.objects.create(
                period=period,
                trigger=RecomputeRun.Trigger.MANUAL,
                status=RecomputeRun.Status.QUEUED,
            )
            run_id = run.pk
        claimed = RecomputeRun.objects.filter(
            pk=run_id,
            period_id=period_id,
            status__in=[RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING],
        ).update(
            status=RecomputeRun.Status.RUNNING,
            started_at=timezone.now(),
            attempts=F("attempts") + 1,
            progress=0,
        )
        if not claimed:
            return RecomputeRun.objects.filter(pk=run_id).first()
        run = RecomputeRun.objects.get(pk=run_id)

        def progress(step: int, total: int, label: str) -> None:
            cache.set(progress_key(run.pk), step * 100 // total, timeout=15 * 60)

        try:
            stats = compute(period=period, unit_ids=run.unit_ids, progress=progress)
        except Exception as exc:
            logger.exception("Recompute of period %s failed (run %s)", period_id, run_id)
            _finish(run, error=exc)
            raise
        _finish(run, stats=stats)
        return run


def runs_prune(*, keep_days: int = 30) -> int:
    """Delete finished runs older than `keep_days`, keeping each period's latest finished run."""
    cutoff = timezone.now() - timedelta(days=keep_days)
    latest = [
        run_id
        for run_id in (
            RecomputeRun.objects.filter(period_id=period_id, status=RecomputeRun.Status.DONE)
            .order_by("-finished_at")
            .values_list("pk", flat=True)
            .first()
            for period_id in Period.objects.values_list("pk", flat=True)
        )
        if run_id is not None
    ]
    deleted, _ = (
        RecomputeRun.objects.filter(
            status__in=[RecomputeRun.Status.DONE, RecomputeRun.Status.FAILED],
            created_at__lt=cutoff,
        )
        .exclude(pk__in=latest)
        .delete()
    )
    return deleted
