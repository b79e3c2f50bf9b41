"""The trigger: every write that changes what results are computed from asks for a recompute of
its period, and the request is part of the write's own transaction.

The queued run (RecomputeRun, status queued) is written inside the caller's transaction, so the
request commits or rolls back with the scores: a process that dies between the commit and its
on-commit callbacks loses only the broker message, and the beat sweep (runs_stale_resend) sends
it later. Only the send waits for the commit (recompute_queue registers it).

One marker callback per period and transaction, whatever the number of writes, remembers the units
asked for so far: later requests add theirs to the queued run only when they are new. A rolled-back
savepoint drops its callbacks together with its writes to the run, so the live list is the truth;
a marker already run (as tests run them) takes nothing more. Outside a transaction the run is
queued and sent at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .jobs import recompute_queue
from .scope import merge_unit_ids


def _pending(period_id: int):
    """This transaction's marker for the period, if one is registered."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    for _sids, func, _robust in connection.run_on_commit:
        if getattr(func, "recompute_period_id", None) == period_id and not getattr(
            func, "done", False
        ):
            return func
    return None


def recompute_on_commit(period_id: int, unit_ids: Iterable[int] | None = None) -> None:
    """Recompute the period (or `unit_ids`' assessments, with their groups' ranks): the queued run
    is written now, in the current transaction, and its task sent for a worker when that commits
    (at once outside a transaction)."""
    callback = _pending(period_id)
    if callback is not None:
        merged = merge_unit_ids(callback.unit_ids, unit_ids)
        if merged != callback.unit_ids:
            callback.unit_ids = merged
            recompute_queue(period_id, merged)
        return
    units = merge_unit_ids([], unit_ids)
    recompute_queue(period_id, units)
    if not transaction.get_connection().in_atomic_block:
        return

    def callback() -> None:
        callback.done = True

    callback.recompute_period_id = period_id
    callback.done = False
    callback.unit_ids = units
    transaction.on_commit(callback, robust=True)
