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

StartNode = Callable[..., Awaitable[Server]]


@pytest.fixture
async def start_node(redis_server: RedisServer, tmp_path: Path) -> AsyncIterator[StartNode]:
    """Start servers on the Redis engine, on free ports, all on one private Redis."""
    servers: list[Server] = []

    async def start(ttl: float = 120) -> Server:
        n = len(servers) + 1
        config = ServerConfig(host="127.0.0.1", port=0, data_dir=tmp_path / f"node{n}")
        # A long TTL by default: no heartbeat lands in the middle of a command count.
        engine = create_engine(redis_server.url, node_id=f"node{n}", presence_ttl=ttl)
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
    # (The count pushes are coalesced: 3 may never have been pushed, so 2 may not be either.)
    assert sorted(await b_ch.get_members()) == ["alice", "bob"]


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


async def refused(call: Awaitable[object]) -> int:
    """Await ``call``, which must fail with an RtmError; return its code."""
    with pytest.raises(openrtm.RtmError) as info:
        await call
    return info.value.code


async def test_redis_down_is_refused_clearly_and_the_nodes_recover(
    start_node: StartNode,
    make_client: ClientFactory,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    s1, s2 = await start_node(ttl=unit(3)), await start_node(ttl=unit(3))
    alice = await login(make_client, s1, "alice")
    bob = await login(make_client, s2, "bob")
    await login(make_client, s1, "dave")
    inbox = Recorder(bob, "MessageFromPeer")
    await redis_server.kill()
    loop = asyncio.get_running_loop()
    started = loop.time()
    # Spec §4: each operation's FAILURE code (1), at once rather than after the SDK's timeout.
    assert await refused(alice.query_peers_online_status(["bob"])) == 1
    assert await refused(alice.create_channel("room").join()) == 1
    assert await refused(alice.get_channel_member_count(["room"])) == 1
    assert await refused(alice.get_user_attributes("bob")) == 2  # its FAILURE is 2
    assert await refused(login(make_client, s1, "carol")) == 1
    assert loop.time() - started < unit(3)
    # What needs no Redis carries on: a message between two users of one node.
    assert (await alice.send_message_to_peer("local", "dave")).has_peer_received is True
    # Redis back (its data kept by the append-only file): the nodes resubscribe themselves.
    await redis_server.start()
    await until(lambda: all(engine_of(s).subscriber.connected for s in (s1, s2)), unit(10))

    async def delivered() -> bool:
        try:
            return (await alice.send_message_to_peer("back", "bob")).has_peer_received
        except openrtm.RtmError:
            return False

    await until(delivered, timeout=unit(10))
    assert (await inbox.wait_for("MessageFromPeer"))[0].text == "back"
    assert await alice.query_peers_online_status(["bob"]) == {"bob": True}
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []
    assert not any(r.exc_info for r in caplog.records if r.name.startswith("openrtm"))


async def test_a_dead_nodes_members_leave_for_the_other_nodes(
    start_node: StartNode, make_client: ClientFactory
) -> None:
    ttl = unit(1)
    s1, s2 = await start_node(ttl=ttl), await start_node(ttl=ttl)
    alice, bob = await login(make_client, s1, "alice"), await login(make_client, s2, "bob")
    statuses = Recorder(alice, "PeersOnlineStatusChanged")
    await alice.subscribe_peers_online_status(["bob"])
    await statuses.wait_for("PeersOnlineStatusChanged", {"bob": "ONLINE"})
    a_ch = alice.create_channel("room")
    events = Recorder(a_ch, "MemberLeft")  # type: ignore[arg-type]
    await a_ch.join()
    await bob.create_channel("room").join()
    # s2's engine stops as in a kill -9: no cleanup, its heartbeat just ends.
    await engine_of(s2).abort()
    assert await events.wait_for("MemberLeft", "bob", timeout=unit(2) + 2 * ttl)
    await statuses.wait_for("PeersOnlineStatusChanged", {"bob": "OFFLINE"})
    assert await alice.get_channel_member_count(["room"]) == {"room": 1}


async def test_a_call_invitation_between_nodes(
    start_node: StartNode, make_client: ClientFactory
) -> None:
    s1, s2 = await start_node(), await start_node()
    alice, bob = await login(make_client, s1, "alice"), await login(make_client, s2, "bob")
    incoming = Recorder(bob, "RemoteInvitationReceived")
    invitation = alice.create_local_invitation("bob")
    invitation.content = "video?"
    local = Recorder(invitation, "LocalInvitationReceivedByPeer", "LocalInvitationAccepted")  # type: ignore[arg-type]
    invitation.send()
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    assert (remote.caller_id, remote.content) == ("alice", "video?")
    assert await local.wait_for("LocalInvitationReceivedByPeer") == ()
    accepted = Recorder(remote, "RemoteInvitationAccepted")
    remote.response = "on my way"
    remote.accept()
    assert await local.wait_for("LocalInvitationAccepted") == ("on my way",)
    assert await accepted.wait_for("RemoteInvitationAccepted") == ()


async def test_join_and_leave_cost(
    start_node: StartNode, make_client: ClientFactory, redis_server: RedisServer
) -> None:
    s1 = await start_node()
    alice = await login(make_client, s1, "alice")
    channel = alice.create_channel("room")
    count = CommandCounter(redis_server)
    await count.start()
    await channel.join()
    await flushed(s1)
    # EVALSHA (HSET and HLEN inside: atomic count), SADD (the node's record), SUBSCRIBE (the
    # first local member), PUBLISH (MemberJoined).
    assert await count.since() == {
        "evalsha": 1,
        "hset": 1,
        "hlen": 1,
        "sadd": 1,
        "subscribe": 1,
        "publish": 1,
    }
    await count.start()
    await channel.leave()
    await flushed(s1)

    async def unsubscribed() -> bool:  # the writer sends it after the reply, by itself
        return "unsubscribe" in await count.since()

    await until(unsubscribed)
    assert await count.since() == {
        "evalsha": 1,
        "hget": 1,
        "hdel": 1,
        "hlen": 1,
        "srem": 1,
        "unsubscribe": 1,
        "publish": 1,
    }
