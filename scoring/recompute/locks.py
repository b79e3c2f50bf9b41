"""One recompute per period at a time.

A PostgreSQL advisory lock keyed on ("recompute", period id): taken for the recompute's transaction
by the engine, and for a whole job (its session) by the worker, so that a second worker on the same
period sees it busy and retries later. SQLite, used by the demo, serialises writers itself; the
job lock falls back to a cache key there.

The job lock is also the running job's lease: PostgreSQL releases a session's locks when its
connection ends, so a run left "running" whose period nobody holds lost its worker
(`periods_held` tells, and the stale-run sweep sends such runs again).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection

# Advisory lock namespace ("recompute"), the second key is the period id.
LOCK_NAMESPACE = 7_301
# Eager mode (the demo) waits this long for another recompute of the period instead of retrying.
LOCK_WAIT_SECONDS = 60


class RecomputeBusy(Exception):
    """Another recompute of the same period holds the lock; try again shortly."""


def transaction_lock(cursor, period_id: int, *, wait: bool) -> None:
    """Hold the period's lock until the current transaction ends (PostgreSQL only). Raises
    RecomputeBusy when `wait` is false and another transaction or job holds it."""
    if connection.vendor != "postgresql":
        return
    if wait:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, period_id])
        return
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, period_id])
    if not cursor.fetchone()[0]:
        raise RecomputeBusy(period_id)


def _cache_key(period_id: int) -> str:
    return f"recompute:lock:{period_id}"


def periods_held(period_ids: Iterable[int]) -> set[int]:
    """Those of `period_ids` whose lock some session holds now, for a job or a recompute's
    transaction (read from pg_locks, nothing taken); elsewhere, those whose job cache key is set."""
    wanted = sorted(set(period_ids))
    if not wanted:
        return set()
    if connection.vendor != "postgresql":
        return {p for p in wanted if cache.get(_cache_key(p)) is not None}
    with connection.cursor() as cursor:
        # A two-key advisory lock shows its keys as (classid, objid); pg_locks lists every
        # database's locks, so keep this one's.
        cursor.execute(
            """
            SELECT DISTINCT objid::bigint FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = %s
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND objid::bigint = ANY(%s)
            """,
            [LOCK_NAMESPACE, wanted],
        )
        return {row[0] for row in cursor.fetchall()}


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
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, period_id])
            except (OperationalError, InterfaceError):
                if connection.is_usable():
                    raise
                # The session died (database restarted): its lock went with it.
        return
    key = _cache_key(period_id)
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait else 0)
    while not cache.add(key, 1, timeout=15 * 60):
        if time.monotonic() >= deadline:
            raise RecomputeBusy(period_id)
        time.sleep(0.05)
    try:
        yield
    finally:
        cache.delete(key)
