"""A Redis cache that degrades instead of failing when Redis is down.

The cache only holds what can be lost: API rate-limit counters and Idempotency-Key
replies. While Redis is unreachable, reads miss and writes are dropped (logged), so
that status updates and every page keep working; rate limits and key replays resume
when Redis is back. (Writes stay safe without the replay store: every status update
also carries If-Match.)
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

_DOWN = (redis.ConnectionError, redis.TimeoutError)


class ResilientRedisCache(RedisCache):
    def _safe(self, operation: str, default: Any, call, *args, **kwargs) -> Any:
        try:
            return call(*args, **kwargs)
        except _DOWN as exc:
            logger.warning("Cache unavailable (%s): %s skipped", exc.__class__.__name__, operation)
            return default

    def get(self, key, default=None, version=None):
        return self._safe("get", default, super().get, key, default, version)

    def add(self, key, value, timeout=None, version=None):
        # Reported as added: the caller proceeds as if it held the key alone.
        return self._safe("add", True, super().add, key, value, timeout, version)

    def set(self, key, value, timeout=None, version=None):
        return self._safe("set", None, super().set, key, value, timeout, version)

    def delete(self, key, version=None):
        return self._safe("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._safe("get_many", {}, super().get_many, keys, version)

    def set_many(self, data, timeout=None, version=None):
        return self._safe("set_many", [], super().set_many, data, timeout, version)

    def incr(self, key, delta=1, version=None):
        return self._safe("incr", delta, super().incr, key, delta, version)

    def touch(self, key, timeout=None, version=None):
        return self._safe("touch", False, super().touch, key, timeout, version)
