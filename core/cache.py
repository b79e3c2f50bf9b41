"""A Redis cache that cannot be reached is a miss, not an error.

Django's RedisCache raises redis' ConnectionError or TimeoutError from every call when Redis is
down, so a dashboard (which only caches aggregates) would answer 500. This backend catches them,
logs one warning, and answers as an empty cache: reads miss, writes are dropped. After a failure it
does not try again for RETRY_AFTER seconds, so a page that reads the cache ten times does not pay
ten connection timeouts. Pair it with short socket timeouts (settings.CACHES OPTIONS).
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# After a failure, calls answer as a miss without trying Redis for this many seconds.
RETRY_AFTER = 5.0
_MISSING = object()


class SafeRedisCache(RedisCache):
    """RedisCache whose calls never raise when Redis is unreachable (see the module)."""

    _down_until = 0.0  # per process: time.monotonic() before which Redis is not tried

    def _call(self, name: str, fallback, *args, **kwargs):
        if time.monotonic() < SafeRedisCache._down_until:
            return fallback
        try:
            return getattr(super(), name)(*args, **kwargs)
        except UNREACHABLE as exc:
            SafeRedisCache._down_until = time.monotonic() + RETRY_AFTER
            logger.warning("Cache unreachable (%s: %s): treated as a miss", type(exc).__name__, exc)
            return fallback

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        self._call("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        value = self._call("incr", _MISSING, key, delta, version)
        if value is _MISSING:  # as for a key the cache does not hold
            raise ValueError(f"Key '{key}' not found (cache unreachable)")
        return value

    def clear(self):
        return self._call("clear", False)
