"""Presence, user attributes and REMOTE_LOGIN across nodes (issue #15 item 3; spec §6.6,
§6.9, §6.11, §3.3)."""

from __future__ import annotations

import pytest

import openrtm
from tests.cluster.cluster import Cluster
from tests.cluster.conftest import ConnectFactory
from tests.conftest import Recorder, unit
from tests.proxy import TcpProxy

STATUS = "PeersOnlineStatusChanged"
STATES = "ConnectionStateChanged"


async def test_online_status_is_queried_and_followed_across_nodes(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    changes = Recorder(alice, STATUS)
    await alice.subscribe_peers_online_status(["bob"])
    assert await changes.wait_for(STATUS) == ({"bob": "OFFLINE"},)
    bob = await connect(cluster.nodes[1], "bob")
    assert await changes.wait_for(STATUS) == ({"bob": "ONLINE"},)
    assert await alice.query_peers_online_status(["bob", "nobody"]) == {
        "bob": True,
        "nobody": False,
    }
    carol = await connect(cluster.nodes[2], "carol")
    assert await carol.query_peers_online_status(["alice", "bob"]) == {"alice": True, "bob": True}
    await bob.logout()
    assert await changes.wait_for(STATUS) == ({"bob": "OFFLINE"},)
    assert await carol.query_peers_online_status(["bob"]) == {"bob": False}


async def test_a_lost_link_is_unreachable_on_other_nodes(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    changes = Recorder(alice, STATUS)
    proxy = await TcpProxy(cluster.nodes[1].port).start()
    try:
        bob = await connect(proxy.url, "bob")
        bob_states = Recorder(bob, STATES)
        await alice.subscribe_peers_online_status(["bob"])
        assert await changes.wait_for(STATUS) == ({"bob": "ONLINE"},)
        proxy.refuse()
        proxy.drop()  # bob's link dies; node 1 keeps his session for the grace period
        await bob_states.wait_for(STATES, "RECONNECTING", "INTERRUPTED")
        # The shared cluster says UNREACHABLE after 1 s (SHARED_SETTINGS).
        assert await changes.wait_for(STATUS, timeout=unit(5)) == ({"bob": "UNREACHABLE"},)
        proxy.accept()  # bob resumes on node 1: ONLINE again on node 0
        await bob_states.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))
        assert await changes.wait_for(STATUS, timeout=unit(5)) == ({"bob": "ONLINE"},)
    finally:
        await proxy.close()


async def test_user_attributes_are_read_from_another_node(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    bob = await connect(cluster.nodes[1], "bob")
    await alice.set_local_user_attributes({"mood": "fine", "city": "Lyon"})
    assert await bob.get_user_attributes("alice") == {"mood": "fine", "city": "Lyon"}
    await alice.delete_local_user_attributes_by_keys(["city"])
    assert await bob.get_user_attributes_by_keys("alice", ["mood", "city"]) == {"mood": "fine"}
    await alice.logout()  # spec §6.6: a user's attributes end with its session
    with pytest.raises(openrtm.RtmError) as info:
        await bob.get_user_attributes("alice")
    assert info.value.code == 6  # USER_NOT_FOUND: not online on any node


async def test_a_login_on_another_node_kicks_the_first_with_remote_login(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    first = await connect(cluster.nodes[0], "alice")
    first_room = first.create_channel("room")
    await first_room.join()
    watcher = await connect(cluster.nodes[2], "bob")
    bob_room = watcher.create_channel("room")
    await bob_room.join()
    room_events = Recorder(bob_room, "MemberLeft", "MemberJoined")  # type: ignore[arg-type]
    states = Recorder(first, STATES)
    second = await connect(cluster.nodes[1], "alice")
    assert await states.wait_for(STATES, "ABORTED", "REMOTE_LOGIN", timeout=unit(5))
    # The kicked session left its channel (spec §6.11); the new one is alone online.
    assert await room_events.wait_for("MemberLeft") == ("alice",)
    assert sorted(await bob_room.get_members()) == ["bob"]
    assert await watcher.query_peers_online_status(["alice"]) == {"alice": True}
    inbox = Recorder(second, "MessageFromPeer")
    assert (await watcher.send_message_to_peer("which one?", "alice")).has_peer_received
    assert (await inbox.wait_for("MessageFromPeer"))[0].text == "which one?"
