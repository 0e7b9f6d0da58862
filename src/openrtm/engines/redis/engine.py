"""The Redis engine: a Broker and a Presence sharing one connection pool (issue #15).

``RedisEngine.from_url(url, node_id=..., presence_ttl=...)`` builds both; ``engine.broker`` and
``engine.presence`` go to the Node (server/node.py takes them as arguments). The broker's
``start`` and ``close``, which the Node calls, start and stop the whole engine.

Connections: the PUB/SUB reader and the publisher each hold one connection of the pool for
good (subscriber.py, publisher.py); presence commands borrow the others. On Redis Cluster
(:meth:`RedisEngine.from_cluster`) commands and scripts go through redis-py's ``RedisCluster``
and PUB/SUB is sharded: a publisher and a subscriber per master (shards.py). Every command is
bounded by ``timeout`` (connect and read), and redis-py's own retries are off: a failure is
reported at once, as :class:`~openrtm.engines.base.EngineUnavailable`, and the engine's own
loops retry with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from typing import Any

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from openrtm.engines.base import EngineUnavailable
from openrtm.engines.redis.broker import RedisBroker
from openrtm.engines.redis.commands import Commands
from openrtm.engines.redis.errors import REDIS_ERRORS
from openrtm.engines.redis.keys import Keys
from openrtm.engines.redis.liveness import Liveness
from openrtm.engines.redis.presence import SCRIPTS, RedisPresence
from openrtm.engines.redis.publisher import Publisher
from openrtm.engines.redis.shards import Shards
from openrtm.engines.redis.subscriber import Subscriber
from openrtm.redis_cluster import cluster_client

__all__ = ["RedisEngine", "default_node_id"]

log = logging.getLogger("openrtm.engines.redis")


def default_node_id() -> str:
    """A node id unique among the nodes of one Redis: host, process and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class RedisEngine:
    """Broker + Presence on one Redis (or Valkey) for one node.

    Args:
        pool: the connection pool (see :meth:`from_url`); None with ``cluster``.
        node_id: this node's id, unique among the live nodes; random by default.
        presence_ttl: seconds after its last heartbeat that a node is taken for dead and its
            users go offline (issue #15 item 4).
        timeout: the bound of every Redis command, connect included, in seconds.
        prefix: the first part of every key and channel name (keys.py).
        cluster: a Redis Cluster client (see :meth:`from_cluster`) instead of ``pool``.
        seed_url: with ``cluster``, a seed node's URL (scheme and credentials of every master).
        pool_options: with ``cluster``, the connection options of each master's PUB/SUB pool.
    """

    def __init__(
        self,
        pool: ConnectionPool | None,
        *,
        node_id: str | None = None,
        presence_ttl: float = 15.0,
        timeout: float = 2.0,
        prefix: str = "openrtm",
        cluster: RedisCluster | None = None,
        seed_url: str = "",
        pool_options: dict[str, Any] | None = None,
    ) -> None:
        self.pool = pool
        self.cluster = cluster
        self.node_id = node_id or default_node_id()
        self.keys = Keys(prefix)
        self.origin = secrets.token_bytes(8)
        """Prefix of every payload this instance publishes (codec.py)."""
        ping_interval = max(0.5, presence_ttl / 3)
        self.publisher: Publisher | Shards
        self.subscriber: Subscriber | Shards
        if cluster is not None:
            self.client: Redis | RedisCluster = cluster
            self.shards: Shards | None = Shards(
                cluster,
                seed_url,
                self._deliver,
                self._reconnected,
                ping_interval=ping_interval,
                timeout=timeout,
                pool_options=pool_options or {},
            )
            self.publisher = self.subscriber = self.shards
        else:
            assert pool is not None, "a pool or a cluster"
            self.client = Redis(connection_pool=pool)
            self.shards = None
            self.publisher = Publisher(pool, timeout)
            self.subscriber = Subscriber(
                pool,
                self._deliver,
                self._reconnected,
                ping_interval=ping_interval,
                timeout=timeout,
            )
        self.commands = Commands(self.client, SCRIPTS, timeout)
        self.presence = RedisPresence(self.commands, self.keys, self.node_id, self.subscriber)
        self.broker = RedisBroker(self)
        self.liveness = Liveness(self, presence_ttl)
        self._started = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        node_id: str | None = None,
        presence_ttl: float = 15.0,
        timeout: float = 2.0,
        prefix: str = "openrtm",
        **pool_options: Any,
    ) -> RedisEngine:
        """An engine on ``redis://[user:password@]host:port/db`` (``rediss://`` for TLS,
        ``unix://`` too); ``pool_options`` go to redis-py's ``ConnectionPool.from_url``."""
        options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 0,
            **pool_options,
            # RESP2: the PUB/SUB reader takes messages as plain arrays (subscriber.py); with
            # RESP3, redis-py 8's default, they are push frames its parser keeps to itself.
            "protocol": 2,
        }
        pool = ConnectionPool.from_url(url, **options)
        return cls(pool, node_id=node_id, presence_ttl=presence_ttl, timeout=timeout, prefix=prefix)

    @classmethod
    def from_cluster(
        cls,
        urls: list[str],
        *,
        node_id: str | None = None,
        presence_ttl: float = 15.0,
        timeout: float = 2.0,
        prefix: str = "openrtm",
    ) -> RedisEngine:
        """An engine on the Redis Cluster of the seed nodes ``urls``
        (``redis://[user:password@]host:port``, ``rediss://``; any of the cluster's masters:
        the others are discovered). Every master shares the first seed's credentials and TLS."""
        options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 0,
            "protocol": 2,  # as in from_url: the PUB/SUB reader takes plain arrays
        }
        cluster = cluster_client(urls, timeout=timeout, socket_timeout=timeout)
        return cls(
            None,
            node_id=node_id,
            presence_ttl=presence_ttl,
            timeout=timeout,
            prefix=prefix,
            cluster=cluster,
            seed_url=urls[0],
            pool_options=options,
        )

    def _deliver(self, route: Any, data: bytes) -> None:
        self.broker.deliver(route, data)

    async def _reconnected(self) -> None:
        await self.liveness.restore()

    async def start(self) -> None:
        """Register this node and start the publisher, subscriber and heartbeat.

        Raises EngineUnavailable when Redis cannot be reached: a node does not start on a
        Redis it cannot use.
        """
        if self.cluster is not None:
            try:
                async with asyncio.timeout(self.commands.timeout):
                    await self.cluster.initialize()  # the slot map
            except REDIS_ERRORS as exc:
                raise EngineUnavailable(f"redis cluster: {exc or type(exc).__name__}") from None
        await self.commands.run("start", ("PING",))
        await self.commands.load_scripts_checked()
        await self.liveness.beat()
        if self.shards is not None:
            self.shards.start()  # both the publisher and the subscriber: once
        else:
            self.publisher.start()
            self.subscriber.start()
        self.liveness.start()
        self._started = True
        log.info("redis engine started: node %s", self.node_id)

    async def close(self) -> None:
        """Leave cleanly: whatever sessions and memberships are left end, announced, and the
        node is forgotten; then the connections close."""
        if not self._started:
            await self._disconnect()
            return
        self._started = False
        await self.liveness.stop()
        try:
            await self.liveness.reap(self.node_id)
        except EngineUnavailable as exc:
            log.warning("could not unregister from redis: %s", exc)
        await self._close_pubsub(drain=True)
        await self._disconnect()

    async def abort(self) -> None:
        """Stop as a crash would (kill -9): no cleanup in Redis, the connections just drop.

        What the other nodes see is the heartbeat stopping; for the tests of the reaper.
        """
        self._started = False
        await self.liveness.stop()
        await self._close_pubsub(drain=False)
        await self._disconnect()

    async def _close_pubsub(self, *, drain: bool) -> None:
        if self.shards is not None:
            await self.shards.close(drain=drain)
            return
        assert isinstance(self.publisher, Publisher)
        assert isinstance(self.subscriber, Subscriber)
        await self.publisher.close(drain=drain)
        await self.subscriber.close()

    async def _disconnect(self) -> None:
        if self.shards is not None:
            await self.shards.disconnect()
        with contextlib.suppress(*REDIS_ERRORS):
            if self.cluster is not None:
                await asyncio.wait_for(self.cluster.aclose(), self.commands.timeout)
            elif self.pool is not None:
                await asyncio.wait_for(self.pool.disconnect(), self.commands.timeout)
