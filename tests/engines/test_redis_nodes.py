"""Real servers on one Redis (issue #15): what SDK clients of different nodes see, and how
many Redis commands each operation costs (issue #15 item 2, counted with INFO commandstats).

Each server is a Node built on the Redis engine (the store stays SQLite per node here: the
shared store and the ``--redis`` option are other parts of the issue).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio as redis_py

import openrtm
from openrtm.engines.redis import RedisEngine, create_engine
from openrtm.server import Server, ServerConfig
from openrtm.server.node import Node
from tests.conftest import APP_ID, ClientFactory, Recorder, unit, until
from tests.redis_server import RedisServer

StartNode = Callable[[], Awaitable[Server]]


@pytest.fixture
async def start_node(redis_server: RedisServer, tmp_path: Path) -> AsyncIterator[StartNode]:
    """Start servers on the Redis engine, on free ports, all on one private Redis."""
    servers: list[Server] = []

    async def start() -> Server:
        n = len(servers) + 1
        config = ServerConfig(host="127.0.0.1", port=0, data_dir=tmp_path / f"node{n}")
        # A long TTL: no heartbeat lands in the middle of a command count.
        engine = create_engine(redis_server.url, node_id=f"node{n}", presence_ttl=120)
        node = Node(config, broker=engine.broker, presence=engine.presence)
        server = Server(config, node=node)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


def engine_of(server: Server) -> RedisEngine:
    engine = server.node.broker._engine  # type: ignore[attr-defined]
    assert isinstance(engine, RedisEngine)
    return engine


async def flushed(*servers: Server) -> None:
    """Every PUBLISH queued by these servers has been answered by Redis."""
    await asyncio.gather(*(engine_of(s).publisher.flush() for s in servers))


class CommandCounter:
    """Redis's own count of the commands it ran (INFO commandstats), between two readings."""

    IGNORED = frozenset({"info", "client|setinfo", "ping", "hello"})

    def __init__(self, server: RedisServer) -> None:
        self._url = server.url
        self._before: dict[str, int] = {}

    async def _read(self) -> dict[str, int]:
        async with redis_py.Redis.from_url(self._url) as client:
            stats = await client.info("commandstats")
        return {
            name.removeprefix("cmdstat_"): int(value["calls"])
            for name, value in stats.items()
            if name.removeprefix("cmdstat_") not in self.IGNORED
        }

    async def start(self) -> None:
        self._before = await self._read()

    async def since(self) -> dict[str, int]:
        """Commands run since :meth:`start`, by name (those run at least once)."""
        after = await self._read()
        diff = {name: calls - self._before.get(name, 0) for name, calls in after.items()}
        return {name: n for name, n in diff.items() if n}


async def login(make_client: ClientFactory, server: Server, uid: str) -> openrtm.RtmClient:
    client = make_client(server)
    await client.login(uid)
    return client


async def test_peer_messages_and_receipts_cross_nodes(
    start_node: StartNode, make_client: ClientFactory, redis_server: RedisServer
) -> None:
    s1, s2 = await start_node(), await start_node()
    alice = await login(make_client, s1, "alice")
    bob = await login(make_client, s2, "bob")
    inbox = Recorder(bob, "MessageFromPeer")
    count = CommandCounter(redis_server)
    await count.start()
    result = await alice.send_message_to_peer("across", "bob")
    assert result.has_peer_received is True
    message, peer, _ = await inbox.wait_for("MessageFromPeer")
    assert (message.text, peer) == ("across", "alice")
    await flushed(s1, s2)
    # The message to bob's node, the receipt back to alice's: nothing else.
    assert await count.since() == {"publish": 2}
    assert (await alice.send_message_to_peer("nobody here", "carol")).has_peer_received is False


async def test_a_peer_message_within_a_node_costs_no_redis_command(
    start_node: StartNode, make_client: ClientFactory, redis_server: RedisServer
) -> None:
    s1, _ = await start_node(), await start_node()
    alice, _bob = await login(make_client, s1, "alice"), await login(make_client, s1, "bob")
    count = CommandCounter(redis_server)
    await count.start()
    assert (await alice.send_message_to_peer("local", "bob")).has_peer_received is True
    await flushed(s1)
    assert await count.since() == {}


async def test_login_costs_a_script_a_record_a_subscribe_and_two_publishes(
    start_node: StartNode, make_client: ClientFactory, redis_server: RedisServer
) -> None:
    s1 = await start_node()
    count = CommandCounter(redis_server)
    await count.start()
    await login(make_client, s1, "alice")
    await flushed(s1)
    # Sent by the node: EVALSHA, the session (an atomic replace, which runs DEL and HSET
    # inside: Redis counts those too); SADD, the node's own record of it (for the reaper);
    # SUBSCRIBE, alice's topic; PUBLISH, the claim on older sessions, and ONLINE.
    assert await count.since() == {
        "evalsha": 1,
        "del": 1,
        "hset": 1,
        "sadd": 1,
        "subscribe": 1,
        "publish": 2,
    }


async def test_channels_across_nodes(
    start_node: StartNode, make_client: ClientFactory, redis_server: RedisServer
) -> None:
    s1, s2, s3 = await start_node(), await start_node(), await start_node()
    alice = await login(make_client, s1, "alice")
    bob, bob2 = await login(make_client, s2, "bob"), await login(make_client, s2, "bob2")
    a_ch, b_ch, b2_ch = (c.create_channel("room") for c in (alice, bob, bob2))
    a_events = Recorder(a_ch, "MemberJoined", "MemberLeft", "MemberCountUpdated")  # type: ignore[arg-type]
    b_events = Recorder(b_ch, "ChannelMessage", "MemberJoined")  # type: ignore[arg-type]
    b2_events = Recorder(b2_ch, "ChannelMessage")  # type: ignore[arg-type]
    await a_ch.join()
    await b_ch.join()
    await b2_ch.join()
    assert await a_events.wait_for("MemberJoined", "bob")
    assert await a_events.wait_for("MemberJoined", "bob2")
    assert sorted(await b_ch.get_members()) == ["alice", "bob", "bob2"]
    assert await alice.get_channel_member_count(["room"]) == {"room": 3}
    count = CommandCounter(redis_server)
    await count.start()
    await a_ch.send_message("to everyone")
    message, sender, *_ = await b_events.wait_for("ChannelMessage")
    assert (message.text, sender) == ("to everyone", "alice")
    assert (await b2_events.wait_for("ChannelMessage"))[1] == "alice"
    await flushed(s1, s2)
    # One PUBLISH, whatever the number of members; s3 has none and is not subscribed.
    assert await count.since() == {"publish": 1}
    assert engine_of(s3).subscriber.topics() == 0
    await bob2.logout()
    assert await a_events.wait_for("MemberLeft", "bob2")
    await until(lambda: a_events.events[-1] == ("MemberCountUpdated", (2,)), timeout=unit(5))


async def test_presence_attributes_and_remote_login_across_nodes(
    start_node: StartNode, make_client: ClientFactory
) -> None:
    s1, s2 = await start_node(), await start_node()
    alice = await login(make_client, s1, "alice")
    statuses = Recorder(alice, "PeersOnlineStatusChanged")
    await alice.subscribe_peers_online_status(["bob"])
    await statuses.wait_for("PeersOnlineStatusChanged", {"bob": "OFFLINE"})
    bob = await login(make_client, s2, "bob")
    await statuses.wait_for("PeersOnlineStatusChanged", {"bob": "ONLINE"})
    assert await alice.query_peers_online_status(["bob", "carol"]) == {
        "bob": True,
        "carol": False,
    }
    await bob.set_local_user_attributes({"mood": "fine"})
    assert await alice.get_user_attributes("bob") == {"mood": "fine"}
    # bob logs in on the other node: the older session is kicked with REMOTE_LOGIN.
    kicked = Recorder(bob, "ConnectionStateChanged")
    bob_again = await login(make_client, s1, "bob")
    assert await kicked.wait_for("ConnectionStateChanged", "ABORTED", "REMOTE_LOGIN")
    assert await alice.get_user_attributes("bob") == {}  # a new session starts with none
    await bob_again.logout()
    await statuses.wait_for("PeersOnlineStatusChanged", {"bob": "OFFLINE"})
    assert APP_ID  # the clients use the default App
