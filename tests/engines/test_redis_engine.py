"""What only several nodes on one Redis can show (issue #15): routing by interest, the reaper
of dead nodes, and Redis outages. Each "node" is an engine instance; all share one private
redis-server (tests/redis_server.py)."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as redis_py

from openrtm.engines.base import (
    ChannelMessageEvent,
    EngineUnavailable,
    InboxChanged,
    MemberJoined,
    MemberLeft,
    PeerMessageEvent,
    SessionClaimed,
)
from openrtm.engines.redis.keys import Topic
from openrtm.protocol.messages import Message
from tests.conftest import unit, until
from tests.engines.conftest import Node, NodeFactory
from tests.redis_server import RedisServer

RedisNodes = tuple[RedisServer, NodeFactory]


async def numsub(server: RedisServer, node: Node, kind: Topic, name: str) -> int:
    """How many connections Redis has subscribed to ``name``'s topic (PUBSUB NUMSUB)."""
    assert node.engine is not None
    topic = node.engine.keys.topic(kind, "app", name)
    async with redis_py.Redis.from_url(server.url) as client:
        ((_, count),) = await client.pubsub_numsub(topic)
        return int(count)


def peer_message(i: int) -> PeerMessageEvent:
    return PeerMessageEvent(
        sender="alice",
        sender_session="s",
        request_id=i,
        mid=f"m{i}",
        msg=Message(text=str(i)),
        ts=i,
    )


async def test_a_peer_message_reaches_only_the_receivers_node(redis_engine: RedisNodes) -> None:
    server, make = redis_engine
    n1, n2, n3 = await make("alice"), await make("bob"), await make("carol")
    await n2.presence.add_session("app", "bob", "s-bob")  # waits for the subscription
    n2.broker.subscribe_user("app", "bob")
    assert [await numsub(server, n, Topic.USER, "bob") for n in (n1,)] == [1]
    results: list[bool] = []
    for i in range(200):
        n1.broker.publish_user("app", "bob", peer_message(i), results.append)
    await n2.handler.until(lambda: len(n2.handler.user_events) == 200)
    assert [e[2] for e in n2.handler.user_events] == [peer_message(i) for i in range(200)]
    await n1.settle()
    assert results == [True] * 200
    # Nobody else heard of it: the sender's node only tried its own sessions (once each, no
    # echo), a third node nothing at all.
    assert n1.handler.user_events == n3.handler.user_events == n3.handler.refused == []
    assert [e[2] for e in n1.handler.refused[:200]] == [peer_message(i) for i in range(200)]
    assert len(n1.handler.refused) == 201  # and the probe of settle()


async def test_a_user_event_for_nobody_is_not_taken(redis_engine: RedisNodes) -> None:
    _, make = redis_engine
    n1, _ = await make("alice"), await make("bob")
    results: list[bool] = []
    n1.broker.publish_user("app", "nobody", InboxChanged(), results.append)
    await n1.settle()
    assert results == [False]


async def test_a_login_claims_the_session_on_the_older_node(redis_engine: RedisNodes) -> None:
    _, make = redis_engine
    n1, n2 = await make("bob"), await make()
    assert await n1.presence.add_session("app", "bob", "old") is True
    n1.broker.subscribe_user("app", "bob")
    assert await n2.presence.add_session("app", "bob", "new") is False  # was online
    n2.broker.publish_user("app", "bob", SessionClaimed(session_id="new"))
    await n1.handler.until(lambda: n1.handler.user_events)
    assert n1.handler.user_events == [("app", "bob", SessionClaimed(session_id="new"))]


async def test_a_channel_event_reaches_each_node_with_members_once(
    redis_engine: RedisNodes,
) -> None:
    server, make = redis_engine
    n1, n2, n3, n4 = await make(), await make(), await make(), await make()
    for node, uid in ((n1, "a"), (n2, "b"), (n3, "c")):
        await node.presence.join_channel("app", "ch", uid)
        node.broker.subscribe_channel("app", "ch")
    await n2.presence.join_channel("app", "ch", "b2")  # a second member on n2: still one copy
    assert await numsub(server, n1, Topic.CHANNEL, "ch") == 3
    event = ChannelMessageEvent(sender="a", mid="m", msg=Message(text="hi"), ts=1)
    n1.broker.publish_channel("app", "ch", event)
    for node in (n1, n2, n3):
        await node.handler.until(lambda node=node: node.handler.channel_events)
    for node in (n2, n3, n4, n1):
        await node.settle()
    assert n1.handler.channel_events == [("app", "ch", event)]  # delivered locally, no echo
    assert n2.handler.channel_events == n3.handler.channel_events == [("app", "ch", event)]
    assert n4.handler.channel_events == []  # no members there: nothing
    # The last local member gone, the node no longer hears the channel.
    assert await n3.presence.leave_channel("app", "ch", "c") == 3
    n3.broker.unsubscribe_channel("app", "ch")
    await n3.settle()
    assert await numsub(server, n1, Topic.CHANNEL, "ch") == 2


async def test_presence_reaches_only_nodes_with_followers(redis_engine: RedisNodes) -> None:
    server, make = redis_engine
    n1, n2, n3 = await make(), await make(), await make()
    n2.broker.follow("app", "bob")
    await n2.interest(Topic.PRESENCE, "app", "bob")
    n1.broker.publish_presence("app", "bob", "ONLINE")
    await n2.handler.until(lambda: n2.handler.presence)
    await n3.settle()
    assert n2.handler.presence == [("app", "bob", "ONLINE")]
    assert n3.handler.presence == []
    assert n1.handler.presence == [("app", "bob", "ONLINE")]  # its own, locally
    n2.broker.unfollow("app", "bob")
    await n2.settle()
    assert await numsub(server, n2, Topic.PRESENCE, "bob") == 0


async def test_presence_and_attributes_are_shared(redis_engine: RedisNodes) -> None:
    _, make = redis_engine
    n1, n2 = await make(), await make()
    await n1.presence.add_session("app", "alice", "s1")
    await n1.presence.set_user_attributes("app", "alice", "s1", {"mood": "fine"})
    assert await n2.presence.online("app", ["alice", "bob"]) == {"alice": True, "bob": False}
    assert await n2.presence.get_user_attributes("app", "alice") == {"mood": "fine"}
    assert await n1.presence.join_channel("app", "ch", "alice") == 1
    assert await n2.presence.join_channel("app", "ch", "bob") == 2
    assert sorted(await n1.presence.channel_members("app", "ch", 512)) == ["alice", "bob"]
    # A leave through a node that did not add the member changes nothing.
    assert await n1.presence.leave_channel("app", "ch", "bob") == 2
    assert await n2.presence.leave_channel("app", "ch", "bob") == 1


async def test_a_dead_nodes_users_go_offline_and_leave(redis_engine: RedisNodes) -> None:
    _, make = redis_engine
    ttl = unit(1)
    survivor, doomed = await make(ttl=ttl), await make(ttl=ttl)
    survivor.broker.follow("app", "bob")
    survivor.broker.subscribe_channel("app", "ch")
    await survivor.presence.join_channel("app", "ch", "alice")
    await doomed.presence.add_session("app", "bob", "s-bob")
    await doomed.presence.join_channel("app", "ch", "bob")
    await doomed.presence.set_user_attributes("app", "bob", "s-bob", {"k": "v"})
    # bob logged in again on the survivor before the reaping: that session stays.
    await doomed.presence.add_session("app", "dave", "s-dave-old")
    await survivor.presence.add_session("app", "dave", "s-dave-new")
    assert doomed.engine is not None
    await doomed.engine.abort()  # kill -9: no cleanup, the heartbeat just stops
    loop = asyncio.get_running_loop()
    died = loop.time()
    handler = survivor.handler
    await handler.until(lambda: ("app", "bob", "OFFLINE") in handler.presence, timeout=unit(5))
    assert loop.time() - died < ttl * 2 + unit(1)
    assert ("app", "ch", MemberLeft(uid="bob", count=1)) in handler.channel_events
    presence = survivor.presence
    assert await presence.online("app", ["bob", "dave"]) == {"bob": False, "dave": True}
    assert await presence.get_user_attributes("app", "bob") is None
    assert await presence.channel_members("app", "ch", 512) == ["alice"]
    assert survivor.engine is not None
    assert survivor.engine.liveness.reaped == ["node2"]


async def test_a_handed_over_session_outlives_its_old_node(redis_engine: RedisNodes) -> None:
    # docs/protocol.md §3.2: once a node adopted a session (and its memberships) and the old
    # holder released it, the old holder's death takes nothing with it.
    _, make = redis_engine
    ttl = unit(1)
    taker, holder = await make(ttl=ttl), await make(ttl=ttl)
    taker.broker.follow("app", "bob")
    taker.broker.subscribe_channel("app", "ch")
    await holder.presence.add_session("app", "bob", "s-bob")
    await holder.presence.join_channel("app", "ch", "bob")
    assert await taker.presence.adopt_session("app", "bob", "s-bob", ["ch"]) is True
    await holder.presence.release_session("app", "bob", "s-bob", ["ch"])
    assert holder.engine is not None
    await holder.engine.abort()  # kill -9 after the handover
    await asyncio.sleep(ttl * 2 + unit(1))  # reaped by now, had it still listed bob
    assert await taker.presence.session_of("app", "bob") == "s-bob"
    assert await taker.presence.channel_counts("app", ["ch"]) == {"ch": 1}
    assert ("app", "bob", "OFFLINE") not in taker.handler.presence
    # The taker lists them as its own: its end is heard as usual.
    assert await taker.presence.remove_session("app", "bob", "s-bob") is True
    assert await taker.presence.leave_channel("app", "ch", "bob") == 0


async def test_redis_down_fails_fast_and_recovers(redis_engine: RedisNodes) -> None:
    server, make = redis_engine
    n1, n2 = await make("alice", ttl=unit(3)), await make("bob", ttl=unit(3))
    await n2.presence.add_session("app", "bob", "s-bob")
    n2.broker.subscribe_user("app", "bob")
    await n2.presence.join_channel("app", "ch", "bob")
    n2.broker.subscribe_channel("app", "ch")
    await server.kill()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(EngineUnavailable):
        await n1.presence.online("app", ["bob"])
    with pytest.raises(EngineUnavailable):
        await n1.presence.join_channel("app", "ch", "alice")
    assert loop.time() - started < unit(2)  # refused at once, not after a hang
    results: list[bool] = []
    n1.broker.publish_user("app", "bob", InboxChanged(), results.append)
    await until(lambda: results)
    assert results == [False]
    # Redis comes back with its data (append-only file): the nodes resubscribe by themselves.
    await server.start()
    assert n2.engine is not None
    engine = n2.engine
    await until(lambda: engine.subscriber.connected, timeout=unit(10))
    event = ChannelMessageEvent(sender="a", mid="m", msg=Message(text="back"), ts=1)
    async with asyncio.timeout(unit(10)):
        while not n2.handler.channel_events:
            n1.broker.publish_channel("app", "ch", event)  # fails until n1 reconnects too
            await asyncio.sleep(0.05)
    assert await n1.presence.online("app", ["bob"]) == {"bob": True}


async def test_redis_losing_its_data_gets_the_sessions_back(
    tmp_path: object, redis_engine: RedisNodes
) -> None:
    server, make = redis_engine
    n1, n2 = await make(ttl=unit(3)), await make(ttl=unit(3))
    n1.broker.subscribe_channel("app", "ch")
    await n1.presence.join_channel("app", "ch", "alice")
    await n2.presence.add_session("app", "bob", "s-bob")
    await n2.presence.join_channel("app", "ch", "bob")
    await server.kill()
    for path in server.data_dir.rglob("*"):  # as if it had no persistence at all
        if path.is_file() and path.name != "redis.log":
            path.unlink()
    await server.start()
    await until(lambda: _online(n1, "bob"), timeout=unit(10))
    await until(lambda: _counted(n1, "ch", 2), timeout=unit(10))
    # n2 announced bob's membership again (n1 has a member there, so it hears it).
    await n1.handler.until(
        lambda: any(isinstance(e[2], MemberJoined) for e in n1.handler.channel_events)
    )


async def _online(node: Node, uid: str) -> bool:
    try:
        return (await node.presence.online("app", [uid]))[uid]
    except EngineUnavailable:
        return False


async def _counted(node: Node, channel: str, count: int) -> bool:
    try:
        return await node.presence.channel_counts("app", [channel]) == {channel: count}
    except EngineUnavailable:
        return False


async def test_a_redis_outage_longer_than_the_ttl_reaps_nobody(redis_engine: RedisNodes) -> None:
    server, make = redis_engine
    ttl = unit(1)
    n1, n2 = await make(ttl=ttl), await make(ttl=ttl)
    n1.broker.follow("app", "bob")
    await n2.presence.add_session("app", "bob", "s-bob")
    slow = n2.engine
    assert slow is not None
    await server.kill()
    # n2 will be slow to come back (its backoff, say): its loops stop for now.
    await slow.liveness.stop()
    await slow.subscriber.close()
    await asyncio.sleep(ttl * 2)  # the outage itself: every deadline in Redis passes
    await server.start()
    assert n1.engine is not None
    await n1.engine.liveness.beat()  # n1 beats first: n2's deadline has long passed
    # n2 comes back (well within a TTL of Redis) as a reconnection does: it registers its
    # state again, then beats on.
    slow.subscriber.start()
    await slow.liveness.restore()
    slow.liveness.start()
    await asyncio.sleep(ttl * 2)  # several beats of both
    assert n1.handler.presence == []  # bob never went OFFLINE
    assert await n1.presence.online("app", ["bob"]) == {"bob": True}
    assert n1.engine.liveness.reaped == []
