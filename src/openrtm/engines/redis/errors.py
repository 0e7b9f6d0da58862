"""What counts as "Redis is unavailable" for the engine."""

from __future__ import annotations

from redis.exceptions import RedisClusterException, RedisError

__all__ = ["REDIS_ERRORS"]

# redis-py raises its own ConnectionError / TimeoutError (RedisError subclasses); a socket can
# still surface a bare OSError, and a bounded wait the built-in TimeoutError. The cluster
# client's own failures (no reachable seed, a slot without master) are not RedisErrors.
REDIS_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    RedisClusterException,
    OSError,
    TimeoutError,
)
