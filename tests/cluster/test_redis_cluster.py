"""Nodes on a 3-master Redis Cluster (issue #15 items 1, 2, 5): ``openrtm serve --redis-cluster``.

Two ``openrtm serve --redis-cluster`` processes on the session's private Redis Cluster
(tests/conftest.py ``redis_cluster``, made with ``redis-cli --cluster create``): peers, channels
and presence across them, and Redis's own counters showing sharded PUB/SUB — each channel
message one SPUBLISH (never a PUBLISH, which the cluster bus would broadcast to every master),
and a node without members of a channel not subscribed to it (PUBSUB SHARDNUMSUB).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.cluster.cluster import Cluster
from tests.cluster.conftest import SHARED_SETTINGS, ConnectFactory
from tests.conftest import Recorder, until
from tests.redis_server import RedisClusterServers

PEER = "MessageFromPeer"
STATUS = "PeersOnlineStatusChanged"


@pytest.fixture(scope="module")
def sharded(
    redis_cluster: RedisClusterServers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two nodes on the Redis Cluster, shared by this module's tests (an App each)."""
    nodes = Cluster(
        tmp_path_factory.mktemp("sharded"), 2, settings=SHARED_SETTINGS, redis_cluster=redis_cluster
    ).start()
    try:
        yield nodes
    finally:
        nodes.close()
    assert not nodes.tracebacks(), nodes.tracebacks()


def _masters(servers: RedisClusterServers) -> list[redis.Redis]:
    return [redis.Redis(port=port, socket_timeout=5) for port in servers.ports]


def _calls(servers: RedisClusterServers, *commands: str) -> dict[str, int]:
    """Calls of each of ``commands`` on all masters since their last CONFIG RESETSTAT."""
    total = dict.fromkeys(commands, 0)
    for master in _masters(servers):
        stats: dict[str, Any] = master.info("commandstats")
        for command in commands:
            total[command] += int(stats.get(f"cmdstat_{command.lower()}", {}).get("calls", 0))
        master.close()
    return total


def _reset(servers: RedisClusterServers) -> None:
    for master in _masters(servers):
        master.config_resetstat()
        master.close()


def _shard_subscribers(servers: RedisClusterServers, topic: str) -> int:
    """Connections sharded-subscribed to ``topic``, on whichever master owns it."""
    count = 0
    for master in _masters(servers):
        reply = master.execute_command("PUBSUB", "SHARDNUMSUB", topic)  # [topic, n]
        count += int(reply[1])
        master.close()
    return count


def _channel_topic(app_id: str, channel: str) -> str:
    return f"openrtm:{{{app_id}:c:{channel}}}:ev"  # engines/redis/keys.py


async def test_a_peer_message_crosses_nodes_with_its_receipt(
    sharded: Cluster, connect: ConnectFactory
) -> None:
    alice = await connect(sharded.nodes[0], "alice")
    bob = await connect(sharded.nodes[1], "bob")
    inbox = Recorder(bob, PEER)
    result = await alice.send_message_to_peer("hi bob", "bob")
    assert result.has_peer_received is True  # bob's SDK, on the other node, acknowledged it
    message, sender, _ = await inbox.wait_for(PEER)
    assert (message.text, sender) == ("hi bob", "alice")
    assert (await bob.send_message_to_peer("hi alice", "alice")).has_peer_received is True


async def test_channel_messages_are_one_spublish_each_heard_by_member_nodes_only(
    sharded: Cluster, redis_cluster: RedisClusterServers, connect: ConnectFactory, app_id: str
) -> None:
    alice = await connect(sharded.nodes[0], "alice")
    bob = await connect(sharded.nodes[1], "bob")
    room = alice.create_channel("room")
    await room.join()
    topic = _channel_topic(app_id, "room")
    # Only node 0 has a member: only it is subscribed to the channel's shard channel.
    assert _shard_subscribers(redis_cluster, topic) == 1
    bob_room = bob.create_channel("room")
    heard = Recorder(bob_room, "ChannelMessage")  # type: ignore[arg-type]
    await bob_room.join()
    assert _shard_subscribers(redis_cluster, topic) == 2
    _reset(redis_cluster)
    for n in range(5):
        await room.send_message(f"m{n}")
    texts = [(await heard.wait_for("ChannelMessage"))[0].text for _ in range(5)]
    assert texts == [f"m{n}" for n in range(5)]
    calls = _calls(redis_cluster, "SPUBLISH", "PUBLISH")
    assert calls == {"SPUBLISH": 5, "PUBLISH": 0}
    await bob_room.leave()
    await until(lambda: _shard_subscribers(redis_cluster, topic) == 1)


async def test_presence_and_members_across_nodes(sharded: Cluster, connect: ConnectFactory) -> None:
    alice = await connect(sharded.nodes[0], "alice")
    changes = Recorder(alice, STATUS)
    await alice.subscribe_peers_online_status(["bob"])
    assert await changes.wait_for(STATUS) == ({"bob": "OFFLINE"},)
    bob = await connect(sharded.nodes[1], "bob")
    assert await changes.wait_for(STATUS) == ({"bob": "ONLINE"},)
    assert await bob.query_peers_online_status(["alice", "nobody"]) == {
        "alice": True,
        "nobody": False,
    }
    await bob.set_local_user_attributes({"mood": "sunny"})
    assert await alice.get_user_attributes("bob") == {"mood": "sunny"}
    rooms = [client.create_channel("lobby") for client in (alice, bob)]
    for channel in rooms:
        await channel.join()
    assert sorted(await rooms[0].get_members()) == ["alice", "bob"]
    assert await alice.get_channel_member_count(["lobby"]) == {"lobby": 2}
    await bob.logout()
    assert await changes.wait_for(STATUS) == ({"bob": "OFFLINE"},)
