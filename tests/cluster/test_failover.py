"""A node killed with kill -9, and Redis going away (issue #15 item 4).

Each test has a cluster of its own, with a presence TTL of 2 s: the killed node's users must be
OFFLINE, out of their channels (MemberLeft, counts) on the surviving nodes within it, and a
client of the killed node carries on through a surviving node.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

import openrtm
from tests.cluster.cluster import Cluster
from tests.cluster.conftest import ClusterFactory, ConnectFactory
from tests.conftest import Recorder, unit, until
from tests.proxy import TcpProxy

TTL = 2.0
STATUS = "PeersOnlineStatusChanged"
STATES = "ConnectionStateChanged"


async def test_kill_9_a_node_its_users_go_offline_and_its_clients_move_on(
    make_cluster: ClusterFactory, connect: ConnectFactory
) -> None:
    cluster = make_cluster(3, presence_ttl=TTL)
    doomed, survivor, third = cluster.nodes
    # alice reaches node 0 through a "load balancer" that will send her elsewhere; dave is
    # on node 0 with no way out.
    balancer = await TcpProxy(doomed.port).start()
    try:
        alice = await connect(balancer.url, "alice")
        dave = await connect(doomed, "dave")
        bob = await connect(survivor, "bob")
        carol = await connect(third, "carol")
        await alice.set_local_user_attributes({"role": "host"})
        rooms = {}
        for client in (alice, dave, bob, carol):
            rooms[client] = client.create_channel("room")
            await rooms[client].join()
        bob_room = Recorder(rooms[bob], "MemberLeft", "MemberJoined", "MemberCountUpdated")  # type: ignore[arg-type]
        carol_room = Recorder(rooms[carol], "MemberLeft")  # type: ignore[arg-type]
        await bob_room.wait_for("MemberCountUpdated", 4)
        statuses = Recorder(bob, STATUS)
        await bob.subscribe_peers_online_status(["alice", "dave"])
        await statuses.wait_for(STATUS, {"alice": "ONLINE", "dave": "ONLINE"})
        alice_states = Recorder(alice, STATES)

        doomed.kill()
        balancer.retarget(survivor.port)

        # dave's node is gone and nobody said goodbye for him: within the presence TTL (plus
        # a reaper's round) the survivors see him OFFLINE and out of the channel.
        limit = unit(TTL + 6)
        assert await statuses.wait_for(STATUS, {"dave": "OFFLINE"}, timeout=limit)
        assert await bob_room.wait_for("MemberLeft", "dave", timeout=limit) == ("dave",)
        assert await carol_room.wait_for("MemberLeft", "dave", timeout=limit) == ("dave",)
        assert await bob.query_peers_online_status(["dave"]) == {"dave": False}

        # alice's SDK reconnected through the balancer to node 1: its resume is unknown there,
        # so it logged in afresh and restored its channel and attributes (spec §3.2).
        await alice_states.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(15))
        assert rooms[alice].joined

        async def members() -> bool:
            return sorted(await rooms[bob].get_members()) == ["alice", "bob", "carol"]

        await until(members, timeout=limit)
        await bob_room.wait_for("MemberCountUpdated", 3, timeout=limit)
        # Past the reaper's cleanup of node 0, alice is still in, online and reachable.
        assert await bob.query_peers_online_status(["alice"]) == {"alice": True}
        assert sorted(await rooms[carol].get_members()) == ["alice", "bob", "carol"]
        assert await carol.get_user_attributes("alice") == {"role": "host"}
        heard = Recorder(rooms[alice], "ChannelMessage")  # type: ignore[arg-type]
        await rooms[carol].send_message("welcome back")
        message, sender, _ = await heard.wait_for("ChannelMessage")
        assert (message.text, sender) == ("welcome back", "carol")
        inbox = Recorder(alice, "MessageFromPeer")
        assert (await bob.send_message_to_peer("still there?", "alice")).has_peer_received
        assert (await inbox.wait_for("MessageFromPeer"))[0].text == "still there?"
        assert dave.connection_state == "RECONNECTING"
    finally:
        await balancer.close()


async def readiness(node_url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(node_url + "readyz") as response:
        return response.status


async def test_redis_down_is_not_ready_then_recovers(
    make_cluster: ClusterFactory, connect: ConnectFactory
) -> None:
    cluster = make_cluster(2, presence_ttl=TTL)
    first, second = cluster.nodes
    alice = await connect(first, "alice")
    bob = await connect(second, "bob")
    assert (await alice.send_message_to_peer("before", "bob")).has_peer_received

    cluster.redis.kill()
    await until(lambda: _all_status(cluster, 503), timeout=unit(10))
    cluster.redis.start()  # same port, same append-only file
    await until(lambda: _all_status(cluster, 200), timeout=unit(15))

    async def delivered() -> bool:
        try:
            return (await alice.send_message_to_peer("after", "bob")).has_peer_received
        except openrtm.RtmError:
            return False

    await until(delivered, timeout=unit(15))
    # Each node registered its sessions again: both users are online for the other node.
    assert await bob.query_peers_online_status(["alice"]) == {"alice": True}
    assert await alice.query_peers_online_status(["bob"]) == {"bob": True}


async def test_redis_down_refuses_what_needs_it_with_its_failure_code(
    make_cluster: ClusterFactory, connect: ConnectFactory
) -> None:
    cluster = make_cluster(1, presence_ttl=TTL)
    alice = await connect(cluster.nodes[0], "alice")
    cluster.redis.kill()
    await until(lambda: _all_status(cluster, 503), timeout=unit(10))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(openrtm.RtmError) as info:
        await alice.get_channel_member_count(["room"])
    # The operation's FAILURE code (spec §4.13: 1) well within the SDK's request timeout,
    # not the timeout itself, and no traceback in the node's log.
    assert not isinstance(info.value, openrtm.RtmTimeoutError)
    assert info.value.code == 1
    assert loop.time() - started < unit(5)


async def test_a_message_with_history_is_archived_before_its_reply(
    make_cluster: ClusterFactory, connect: ConnectFactory
) -> None:
    # Issue #15: nothing acknowledged is lost. A message sent with history is answered only
    # once Redis has its archive record; with Redis gone it is refused with the operation's
    # FAILURE code (spec §4.10, §4.11: 1) instead of being acknowledged and lost.
    cluster = make_cluster(1, presence_ttl=TTL)
    alice = await connect(cluster.nodes[0], "alice")
    room = alice.create_channel("room")
    await room.join()
    history = {"enableHistoricalMessaging": True}
    await room.send_message("kept", history)
    cluster.redis.kill()
    await until(lambda: _all_status(cluster, 503), timeout=unit(10))
    # Without history nothing durable is promised: the node's own members still hear it.
    await room.send_message("not kept")
    for send in (
        lambda: room.send_message("lost?", history),
        lambda: alice.send_message_to_peer("lost?", "alice", history),
    ):
        with pytest.raises(openrtm.RtmError) as info:
            await send()
        assert not isinstance(info.value, openrtm.RtmTimeoutError)
        assert info.value.code == 1


async def _all_status(cluster: Cluster, status: int) -> bool:
    return all([await readiness(node.http_url) == status for node in cluster.nodes])
