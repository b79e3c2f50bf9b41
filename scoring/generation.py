"""A token that changes whenever stored results or the scores behind them may have changed.

Aggregates that are expensive over a national-scale group (the deduction analysis sums a million
criterion scores, the heatmap averages 80,000 component results) are cached under keys that carry
this token, so a cached figure is never older than the last recompute: every recompute replaces the
token when its transaction commits, and all such keys go stale at once. An edit's scores and the
results computed from them change together, at its recompute, a few seconds after the edit. One
cache read per page. If the cache loses the token (a restart), a new one is drawn and every entry is
recomputed once.
"""

from __future__ import annotations

from uuid import uuid4

from django.core.cache import cache
from django.db import transaction

KEY = "scoring:results-generation"


def current() -> str:
    token = cache.get(KEY)
    if token is None:
        cache.add(KEY, uuid4().hex, None)  # another process may have drawn one first
        token = cache.get(KEY) or ""
    return token


def bump() -> None:
    cache.set(KEY, uuid4().hex, None)


def bump_on_commit() -> None:
    """Replace the token when the current transaction commits (now, outside one)."""
    transaction.on_commit(bump, robust=True)
