"""The engine: a period's stored results computed set-based in the database, in one transaction.

`compute` runs the steps in order, each its own function, through temporary tables (not
WAL-logged, dropped at commit): component results and totals (.results), then ranks and rank
changes (.ranks), then the next period's rank changes. Readers (READ COMMITTED) see either the old
results or the new ones, never a mix. With `unit_ids` only those units' assessments are recomputed,
and their groups (old and new) are re-ranked with the other members' stored figures: a single
score edit costs a few milliseconds. A full recompute also refreshes the next period's rank
changes, which are measured against it.

Callers go through the package's entry points (recompute_now, recompute_queue,
recompute_on_commit), which record the run; `compute` records nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .. import generation
from ..models import Assessment, Period
from .locks import transaction_lock
from .ranks import groups_in_scope, next_period, ranks, refresh_rank_changes
from .results import component_results, totals
from .scope import Scope, merge_unit_ids

STEPS = 4

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RecomputeStats:
    assessments: int
    components_changed: int
    results_changed: int
    ranks_changed: int
    duration_ms: int


def _silent(step: int, total: int, label: str) -> None:
    return None


def _units_in_scope(period: Period, unit_ids: Iterable[int] | None) -> list[int] | None:
    """The units to recompute: None for the whole period. Assessments that never had results (new
    ones, or the period's first edits) are always part of the work: a partial recompute must not
    leave them without a row and a rank."""
    if unit_ids is None:
        return None
    never_computed = Assessment.objects.filter(period=period, result__isnull=True)
    return merge_unit_ids(
        sorted({int(u) for u in unit_ids}), never_computed.values_list("unit_id", flat=True)
    )


def _tune(cursor, *, whole_period: bool) -> None:
    """Settings for this transaction only (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    # The per-(assessment, component) aggregate of a national period stays in memory.
    cursor.execute("SET LOCAL work_mem = '64MB'")
    # Stored results are derived data: a crash losing the last recompute loses nothing that the
    # next one (or the nightly one) does not rebuild, so skip the WAL flush wait.
    cursor.execute("SET LOCAL synchronous_commit = off")
    if whole_period:
        # Let the one big aggregate use parallel workers: scores are stored assessment by
        # assessment, so the workers' partial groups hardly overlap and gathering them is cheap
        # (the default costs assume the opposite and keep the plan on one core).
        cursor.execute("SET LOCAL parallel_setup_cost = 100")
        cursor.execute("SET LOCAL parallel_tuple_cost = 0.001")


def compute(
    *,
    period: Period,
    unit_ids: Iterable[int] | None = None,
    wait: bool = True,
    progress: Progress | None = None,
) -> RecomputeStats:
    """Recompute the stored results of `period` (or of `unit_ids`' assessments and their groups'
    ranks) in one transaction, holding the period's lock. Raises RecomputeBusy when `wait` is false
    and the period is locked. The results generation changes when the transaction commits."""
    started = time.perf_counter()
    units = _units_in_scope(period, unit_ids)
    report = progress or _silent
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        transaction_lock(cursor, period.pk, wait=wait)
        _tune(cursor, whole_period=units is None)
        scope = Scope.open(cursor, period=period, units=units, now=now)
        groups_before = groups_in_scope(cursor, scope) if scope.partial else set()
        report(0, STEPS, "components")
        components_changed = component_results(cursor, scope)
        report(1, STEPS, "totals")
        assessments = totals(cursor, scope)
        report(2, STEPS, "ranks")
        results_changed, ranks_changed = ranks(cursor, scope, groups_before=groups_before)
        report(3, STEPS, "next period")
        after = next_period(period)
        if after is not None and (not scope.partial or ranks_changed):
            refresh_rank_changes(cursor, period_id=after.pk, previous_id=period.pk)
        report(STEPS, STEPS, "done")
        generation.bump_on_commit()  # cached aggregates over these results go stale
    return RecomputeStats(
        assessments=assessments,
        components_changed=components_changed,
        results_changed=results_changed,
        ranks_changed=ranks_changed,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


def next_period_rank_changes_refresh(period: Period) -> None:
    """The period after `period` measures its rank changes against `period`'s ranks: refresh them
    (a new published version of `period` changes what they are measured against)."""
    after = next_period(period)
    if after is None:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        transaction_lock(cursor, after.pk, wait=True)
        refresh_rank_changes(cursor, period_id=after.pk, previous_id=period.pk)
        generation.bump_on_commit()
