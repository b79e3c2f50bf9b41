"""One recompute per period at a time.

A PostgreSQL advisory lock keyed on ("recompute", period id): taken for the recompute's transaction
by the engine, and for a whole job (its session) by the worker, so that a second worker on the same
period sees it busy and retries later. SQLite, used by the demo, serialises writers itself; the
job lock falls back to a cache key there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection

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
