"""The trigger: every write that changes what results are computed from asks for a recompute of
its period after its transaction commits.

One callback per period and transaction, whatever the number of writes: later requests add their
units to the callback already registered (a rolled-back savepoint drops its callbacks, so the live
list is the truth; a callback already run, as tests run them, takes nothing more). The callback
queues the run (recompute_queue), which sends its task at once, being outside any transaction
then: one on-commit hop from the write to the queue.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .jobs import recompute_queue
from .scope import merge_unit_ids


def _pending(period_id: int):
    """This transaction's callback for the period, if one is registered."""
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
    """Recompute the period (or `unit_ids`' assessments, with their groups' ranks) after the current
    transaction commits, queued for a worker (at once when outside a transaction)."""
    callback = _pending(period_id)
    if callback is not None:
        callback.unit_ids = merge_unit_ids(callback.unit_ids, unit_ids)
        return

    def callback() -> None:
        callback.done = True
        recompute_queue(period_id, callback.unit_ids)

    callback.recompute_period_id = period_id
    callback.done = False
    callback.unit_ids = merge_unit_ids([], unit_ids)
    transaction.on_commit(callback, robust=True)
