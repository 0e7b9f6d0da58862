"""Sharded PUB/SUB on Redis Cluster: one publisher and one subscriber per master (issue #15).

On Redis Cluster a PUBLISH is broadcast over the cluster bus to every node, whoever listens;
SPUBLISH stays on the master that owns the channel's hash slot, and only its SSUBSCRIBErs hear
it. The topics (keys.py) carry the hash tag of their user or channel, so each lives in the slot
of that user's or channel's keys: a channel message costs one SPUBLISH on one master, heard by
the nodes with members of that channel only (issue #15 item 2).

Why not redis-py's ``ClusterPubSub``: it polls its per-node connections in turn
(``get_sharded_message``) and confirms nothing per channel, while the engine needs one reader
task per connection, reference-counted interest with batched (un)subscribes, and the wait for a
subscription's confirmation that logins and joins make (presence.py). So this module keeps the
engine's own :class:`~openrtm.engines.redis.publisher.Publisher` and
:class:`~openrtm.engines.redis.subscriber.Subscriber`, in their sharded mode, one of each per
master, each on a plain connection pool to that master, and routes every topic by its slot
(``CLUSTER SLOTS`` as redis-py's :class:`~redis.asyncio.cluster.RedisCluster` keeps it).

Topology changes (a failover, a resharding): a MOVED reply to an SPUBLISH or an SSUBSCRIBE, or
the ``sunsubscribe`` Redis sends by itself when a slot leaves a master, makes the router read
the slot map again and move each topic whose master changed (its references and route go with
it, and the new master's subscriber subscribes it). A publish answered MOVED is not sent again:
it is reported as heard by nobody (a peer message then goes to the inbox, spec §6.2), as during
an outage. A master that appears is given a publisher and a subscriber on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import ConnectionPool
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from openrtm.engines.redis.errors import REDIS_ERRORS
from openrtm.engines.redis.publisher import OnCount, Publisher
from openrtm.engines.redis.subscriber import OnMessage, Subscriber

__all__ = ["Shards"]

log = logging.getLogger("openrtm.engines.redis")


class _Shard:
    """The pool, publisher and subscriber of one master."""

    def __init__(self, pool: ConnectionPool, publisher: Publisher, subscriber: Subscriber) -> None:
        self.pool = pool
        self.publisher = publisher
        self.subscriber = subscriber


class Shards:
    """Publisher and Subscriber of the engine on Redis Cluster, routed by hash slot.

    It has the interface of both (``publish``/``flush`` and ``acquire``/``release``/
    ``confirmed``/...), so the broker and the presence use it unchanged.

    Args:
        cluster: the engine's cluster client (its slot map routes the topics).
        seed_url: one seed node's URL: its scheme and credentials are used for every master.
        on_message, on_reconnect, ping_interval, timeout: as for each master's Subscriber.
        pool_options: connection options of each master's pool (timeouts, TLS...).
    """

    def __init__(
        self,
        cluster: RedisCluster,
        seed_url: str,
        on_message: OnMessage,
        on_reconnect: Callable[[], Awaitable[None]],
        *,
        ping_interval: float,
        timeout: float,
        pool_options: dict[str, Any],
    ) -> None:
        self._cluster = cluster
        self._seed = urlsplit(seed_url)
        self._on_message = on_message
        self._on_reconnect = on_reconnect
        self._ping_interval = ping_interval
        self._timeout = timeout
        self._pool_options = pool_options
        self._shards: dict[str, _Shard] = {}
        self._owner: dict[int, str] = {}  # slot -> master name, a copy of the slot map
        self._where: dict[bytes, _Shard] = {}  # topic of interest -> the shard holding it
        self._started = False
        self._rerouting: asyncio.Task[None] | None = None

    # --- routing -----------------------------------------------------------------------------

    def _read_slot_map(self) -> None:
        self._owner = {
            slot: nodes[0].name
            for slot, nodes in self._cluster.nodes_manager.slots_cache.items()
            if nodes
        }

    def _shard(self, topic: bytes) -> _Shard:
        name = self._owner.get(key_slot(topic))
        if name is None:  # slot map not read yet, or a slot without master: any seed
            name = next(iter(self._shards)) if self._shards else self._seed_name()
        shard = self._shards.get(name)
        if shard is None:
            shard = self._shards[name] = self._make(name)
        return shard

    def _seed_name(self) -> str:
        return f"{self._seed.hostname}:{self._seed.port or 6379}"

    def _make(self, name: str) -> _Shard:
        host, _, port = name.rpartition(":")
        netloc = self._seed.netloc.rpartition("@")[0]
        netloc = f"{netloc}@{host}:{port}" if netloc else f"{host}:{port}"
        url = urlunsplit((self._seed.scheme, netloc, "", "", ""))
        pool = ConnectionPool.from_url(url, **self._pool_options)
        shard = _Shard(
            pool,
            Publisher(pool, self._timeout, sharded=True, on_moved=self._moved),
            Subscriber(
                pool,
                self._on_message,
                self._on_reconnect,
                ping_interval=self._ping_interval,
                timeout=self._timeout,
                sharded=True,
                on_moved=lambda _topic: self._moved(),
            ),
        )
        if self._started:
            shard.publisher.start()
            shard.subscriber.start()
        return shard

    def _moved(self) -> None:
        if self._started and (self._rerouting is None or self._rerouting.done()):
            self._rerouting = asyncio.get_running_loop().create_task(self._reroute())

    async def _reroute(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._cluster.nodes_manager.initialize()
        except REDIS_ERRORS as exc:
            log.warning("redis cluster: reading the slot map failed: %s", exc)
            await asyncio.sleep(self._timeout)
            self._moved()
            return
        self._read_slot_map()
        moved = 0
        for topic, old in list(self._where.items()):
            new = self._shard(topic)
            if new is old:
                continue
            taken = old.subscriber.take(topic)
            if taken is not None:
                new.subscriber.put(topic, *taken)
            self._where[topic] = new
            moved += 1
        if moved:
            log.warning("redis cluster: %d topics moved to another master", moved)

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start every master's publisher and subscriber (the cluster is initialized)."""
        assert not self._started, "started twice"
        self._read_slot_map()
        for name in sorted(set(self._owner.values())):
            if name not in self._shards:
                self._shards[name] = self._make(name)
        self._started = True
        for shard in self._shards.values():
            shard.publisher.start()
            shard.subscriber.start()

    async def close(self, *, drain: bool) -> None:
        self._started = False
        if self._rerouting is not None:
            self._rerouting.cancel()
            await asyncio.gather(self._rerouting, return_exceptions=True)
        for shard in self._shards.values():
            await shard.publisher.close(drain=drain)
            await shard.subscriber.close()

    async def disconnect(self) -> None:
        for shard in self._shards.values():
            with contextlib.suppress(*REDIS_ERRORS):
                await asyncio.wait_for(shard.pool.disconnect(), self._timeout)

    # --- the Publisher's interface ---------------------------------------------------------------

    def publish(self, topic: bytes, payload: bytes, on_count: OnCount | None = None) -> None:
        self._shard(topic).publisher.publish(topic, payload, on_count)

    async def flush(self) -> None:
        await asyncio.gather(*(s.publisher.flush() for s in list(self._shards.values())))

    @property
    def sent(self) -> int:
        """SPUBLISH commands sent, on all masters."""
        return sum(s.publisher.sent for s in self._shards.values())

    # --- the Subscriber's interface ---------------------------------------------------------------

    def acquire(self, topic: bytes, route: Any) -> None:
        shard = self._where.get(topic)
        if shard is None:
            shard = self._where[topic] = self._shard(topic)
        shard.subscriber.acquire(topic, route)

    def release(self, topic: bytes) -> None:
        shard = self._where.get(topic)
        if shard is None:
            return
        shard.subscriber.release(topic)
        if not shard.subscriber.interested(topic):
            del self._where[topic]

    def subscribed(self, topic: bytes) -> bool:
        shard = self._where.get(topic)
        return shard is not None and shard.subscriber.subscribed(topic)

    async def confirmed(self, topic: bytes) -> None:
        await self._where[topic].subscriber.confirmed(topic)

    def topics(self) -> int:
        return sum(s.subscriber.topics() for s in self._shards.values())

    @property
    def connected(self) -> bool:
        """Whether every master's subscriber is connected and up to date."""
        return all(s.subscriber.connected for s in self._shards.values())
