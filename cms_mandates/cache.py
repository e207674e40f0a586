"""A Redis cache that degrades instead of failing when Redis is down.

The cache only holds what can be lost: API rate-limit windows and Idempotency-Key
replies. While Redis is unreachable, reads miss and writes are dropped (logged), so
that status updates and every page keep working; rate limits and key replays resume
when Redis is back. (Writes stay safe without the replay store: every status update
also carries If-Match.)
"""

from __future__ import annotations

import logging
import os
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

_DOWN = (redis.ConnectionError, redis.TimeoutError)


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client with one `redis.Redis` per connection pool, instead of a
    new one for every operation (redis-py fills a table of response callbacks in each:
    about as long as the round trip of a small read). A `redis.Redis` is safe to share
    between threads: it takes a connection from its pool for each command."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


#: A sliding window of `limit` hits in `window` microseconds, kept as a sorted set of
#: the hits' times (Redis's clock, so that every application server counts alike), in one
#: atomic step: drop the hits that left the window, then count, then add this one if it
#: fits. Returns {1, 0} when the hit is counted, {0, microseconds until the oldest hit
#: leaves the window} when it is refused (refused hits are not counted).
_SLIDING_WINDOW = """
local key, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
"""


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
        self._window_scripts: dict[int, Any] = {}

    def window_hit(self, key: str, limit: int, seconds: float) -> tuple[bool, float] | None:
        """Count a hit in the sliding window `key` if fewer than `limit` hits fall in the
        last `seconds`: (True, 0) if it was counted, (False, seconds until a hit leaves
        the window) if not. Atomic, so that concurrent requests on any number of servers
        are all counted (a read, then a write of the window would lose some); one round
        trip. None while Redis is unreachable."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        script = self._window_scripts.get(id(client))
        if script is None:
            script = self._window_scripts[id(client)] = client.register_script(_SLIDING_WINDOW)
        counted, wait = self._safe(
            "window_hit",
            (None, None),
            script,
            keys=[key],
            args=[limit, round(seconds * 1_000_000), os.urandom(8).hex()],
        )
        if counted is None:
            return None
        return bool(counted), int(wait) / 1_000_000

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
