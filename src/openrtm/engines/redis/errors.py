"""What counts as "Redis is unavailable" for the engine."""

from __future__ import annotations

from redis.exceptions import RedisError

__all__ = ["REDIS_ERRORS"]

# redis-py raises its own ConnectionError / TimeoutError (RedisError subclasses); a socket can
# still surface a bare OSError, and a bounded wait the built-in TimeoutError.
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)
