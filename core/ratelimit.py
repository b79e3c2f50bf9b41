"""A small counter of requests per key in the cache (Redis in production): "at most N in a window".

For the few unauthenticated forms that send mail (password reset), which django-axes does not
watch: axes counts failed log-ins, not requests. The window starts at the first request of a key.
"""

from __future__ import annotations

from django.core.cache import cache


def over_limit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one request for `key`; True when it is beyond `limit` in the current window."""
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count > limit
