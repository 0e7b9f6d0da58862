"""The private Redis of the tests: it starts on a free port, and keeps what it acknowledged
across a kill -9 (append-only file, ``appendfsync always``)."""

from __future__ import annotations

import redis.asyncio as redis

from tests.redis_server import RedisServer


async def test_a_private_redis_keeps_acknowledged_writes_across_a_kill(
    redis_server: RedisServer,
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert await client.set("k", "v")
        await redis_server.kill()
        assert not await redis_server.ping()
        await redis_server.start()
        assert await client.get("k") == b"v"  # redis-py reconnects by itself
    finally:
        await client.aclose()
