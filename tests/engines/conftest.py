"""Engines for the contract suite: each test gets one node of each implementation.

``memory``: the single-node engine. ``redis``: the Redis engine on a private redis-server
(tests/redis_server.py), with a short presence TTL so that liveness tests are quick.
``redis-cluster``: the Redis engine on the session's private 3-master Redis Cluster
(sharded PUB/SUB), each test under a key prefix of its own.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from openrtm.engines.base import Broker, ChannelEvent, InboxChanged, Presence, UserEvent
from openrtm.engines.memory import MemoryBroker, MemoryPresence
from openrtm.engines.redis import RedisEngine, create_cluster_engine, create_engine
from openrtm.engines.redis.keys import Topic
from tests.conftest import unit
from tests.redis_server import RedisClusterServers, RedisServer

_prefixes = itertools.count()


class Recorder:
    """An EngineHandler that records what it is told; ``users`` are its local sessions."""

    def __init__(self, *users: str) -> None:
        self.users = set(users)
        self.user_events: list[tuple[str, str, UserEvent]] = []
        self.refused: list[tuple[str, str, UserEvent]] = []
        self.channel_events: list[tuple[str, str, ChannelEvent]] = []
        self.presence: list[tuple[str, str, str]] = []
        self._changed = asyncio.Event()

    def on_user_event(self, app_id: str, uid: str, event: UserEvent) -> bool:
        local = uid in self.users
        (self.user_events if local else self.refused).append((app_id, uid, event))
        self._changed.set()
        return local

    def on_channel_event(self, app_id: str, channel: str, event: ChannelEvent) -> None:
        self.channel_events.append((app_id, channel, event))
        self._changed.set()

    def on_presence(self, app_id: str, uid: str, state: str) -> None:
        self.presence.append((app_id, uid, state))
        self._changed.set()

    async def until(self, predicate: Callable[[], object], timeout: float | None = None) -> None:
        """Wait until ``predicate()`` holds (checked whenever something is recorded)."""
        async with asyncio.timeout(timeout or unit(5)):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()


@dataclass
class Node:
    """One node of an engine: its broker, its presence, and the handler it was started with."""

    broker: Broker
    presence: Presence
    handler: Recorder
    engine: RedisEngine | None = None
    interest: Callable[[Topic, str, str], Awaitable[None]] = field(default=lambda *_: _none())

    async def settle(self, app_id: str = "app") -> None:
        """Wait until everything this node published before has come back to it.

        A probe user event, published after the rest, comes back through Redis after them
        (one writer, one reader per node); on the memory engine it is all synchronous.
        """
        probe = "~probe"
        self.broker.subscribe_user(app_id, probe)
        await self.interest(Topic.USER, app_id, probe)
        seen = len(self.handler.refused)
        self.broker.publish_user(app_id, probe, InboxChanged())
        await self.handler.until(lambda: len(self.handler.refused) > seen)
        self.broker.unsubscribe_user(app_id, probe)
        if self.engine is not None:
            await self.engine.publisher.flush()  # and every publish has had its on_result


async def _none() -> None:
    return None


NodeFactory = Callable[..., Awaitable[Node]]


@pytest.fixture(params=["memory", "redis", "redis-cluster"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[NodeFactory]:
    """``await engine(*local_users)``: a started node (the memory engine has only one)."""
    nodes: list[Node] = []
    redis: RedisServer | None = None
    cluster: RedisClusterServers | None = None
    prefix = f"t{next(_prefixes)}"
    if request.param == "redis":
        redis = await RedisServer(tmp_path / "redis").start()
    elif request.param == "redis-cluster":
        cluster = request.getfixturevalue("redis_cluster")

    def create(node_id: str, ttl: float) -> RedisEngine:
        if cluster is not None:
            return create_cluster_engine(
                cluster.urls, node_id=node_id, presence_ttl=ttl, prefix=prefix
            )
        assert redis is not None
        return create_engine(redis.url, node_id=node_id, presence_ttl=ttl)

    async def make(*users: str, ttl: float = 15.0) -> Node:
        handler = Recorder(*users)
        if redis is None and cluster is None:
            assert not nodes, "the memory engine is one node"
            node = Node(MemoryBroker(), MemoryPresence(), handler)
        else:
            eng = create(f"node{len(nodes) + 1}", ttl)

            async def interest(kind: Topic, app_id: str, name: str, eng: RedisEngine = eng) -> None:
                await eng.subscriber.confirmed(eng.keys.topic(kind, app_id, name))

            node = Node(eng.broker, eng.presence, handler, eng, interest)
        await node.broker.start(handler)
        nodes.append(node)
        return node

    make.redis = redis  # type: ignore[attr-defined]
    try:
        yield make
    finally:
        for node in nodes:
            await node.broker.close()
        if redis is not None:
            await redis.kill()


@pytest.fixture
async def redis_engine(tmp_path: Path) -> AsyncIterator[tuple[RedisServer, NodeFactory]]:
    """A private Redis and a factory of engine nodes on it (Redis-only tests)."""
    redis = await RedisServer(tmp_path / "redis").start()
    nodes: list[Node] = []

    async def make(*users: str, ttl: float = 15.0, start: bool = True, **options: object) -> Node:
        handler = Recorder(*users)
        eng = create_engine(redis.url, node_id=f"node{len(nodes) + 1}", presence_ttl=ttl, **options)

        async def interest(kind: Topic, app_id: str, name: str) -> None:
            await eng.subscriber.confirmed(eng.keys.topic(kind, app_id, name))

        node = Node(eng.broker, eng.presence, handler, eng, interest)
        if start:
            await node.broker.start(handler)
        nodes.append(node)
        return node

    try:
        yield redis, make
    finally:
        for node in nodes:
            await node.broker.close()
        await redis.kill()
