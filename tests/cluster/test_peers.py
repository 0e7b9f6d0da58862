"""Peer messages between users on different nodes (issue #15 item 3; spec §6.1, §6.2, §5.4)."""

from __future__ import annotations

import asyncio

import pytest

import openrtm
from tests.cluster.cluster import Cluster
from tests.cluster.conftest import ConnectFactory
from tests.conftest import Recorder

PEER = "MessageFromPeer"


async def test_a_peer_message_crosses_nodes_with_its_receipt(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    bob = await connect(cluster.nodes[1], "bob")
    inbox = Recorder(bob, PEER)
    result = await alice.send_message_to_peer("hi bob", "bob")
    # End to end: True only once bob's SDK, on the other node, acknowledged it.
    assert result.has_peer_received is True
    message, sender, props = await inbox.wait_for(PEER)
    assert (message.text, sender, props.is_offline_message) == ("hi bob", "alice", False)
    answer = await bob.send_message_to_peer("hi alice", "alice")
    assert answer.has_peer_received is True


async def test_order_is_kept_across_nodes(cluster: Cluster, connect: ConnectFactory) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    bob = await connect(cluster.nodes[2], "bob")
    inbox = Recorder(bob, PEER)
    results = await asyncio.gather(*(alice.send_message_to_peer(f"m{n}", "bob") for n in range(20)))
    assert all(r.has_peer_received for r in results)
    texts = [(await inbox.wait_for(PEER))[0].text for _ in range(20)]
    assert texts == [f"m{n}" for n in range(20)]


async def test_an_offline_user_is_not_received_without_offline_messaging(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    result = await alice.send_message_to_peer("anyone?", "nobody")
    assert result.has_peer_received is False


async def test_the_offline_inbox_is_read_on_another_node(
    cluster: Cluster, connect: ConnectFactory, app_id: str
) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    options = {"enableOfflineMessaging": True}
    for text in ("first", "second"):
        result = await alice.send_message_to_peer(text, "bob", options)
        assert result.has_peer_received is False  # stored, not received
    # bob logs in on another node: the inbox lives in Redis, not on node 0.
    bob = openrtm.create_instance(app_id, server=cluster.nodes[1].url)
    inbox = Recorder(bob, PEER)
    try:
        await bob.login("bob")
        got = [await inbox.wait_for(PEER) for _ in range(2)]
        assert [(m.text, sender, props.is_offline_message) for m, sender, props in got] == [
            ("first", "alice", True),
            ("second", "alice", True),
        ]
    finally:
        await bob.logout()
    # Read once: a later login on a third node gets nothing more.
    again = await connect(cluster.nodes[2], "bob")
    late = Recorder(again, PEER)
    assert (await alice.send_message_to_peer("live", "bob")).has_peer_received is True
    message, _, props = await late.wait_for(PEER)
    assert (message.text, props.is_offline_message) == ("live", False)


async def test_message_rate_limits_stay_per_session(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    # The shared cluster allows 30 messages per session in 3 s (SHARED_SETTINGS); the SDKs
    # are told more, so that the nodes decide. Two users on two nodes each use all of theirs.
    generous = {"message_rate_calls": 1000}
    alice = await connect(cluster.nodes[0], "alice", **generous)
    carol = await connect(cluster.nodes[1], "carol", **generous)
    bob = await connect(cluster.nodes[2], "bob")

    async def send(sender: openrtm.RtmClient, n: int) -> int:
        try:
            await sender.send_message_to_peer(f"m{n}", "bob")
        except openrtm.RtmError as exc:
            return exc.code
        return 0

    for sender in (alice, carol):
        codes = await asyncio.gather(*(send(sender, n) for n in range(31)))
        # 30 pass, whatever the other session on the other node did; one is refused with
        # PeerMessageError.TOO_OFTEN (5).
        assert sorted(codes) == [0] * 30 + [5]
    assert bob.connection_state == "CONNECTED"


@pytest.mark.parametrize("receiver_node", [0, 1])
async def test_a_user_on_the_same_or_another_node(
    cluster: Cluster, connect: ConnectFactory, receiver_node: int
) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    bob = await connect(cluster.nodes[receiver_node], "bob")
    inbox = Recorder(bob, PEER)
    assert (await alice.send_message_to_peer("once", "bob")).has_peer_received is True
    assert (await inbox.wait_for(PEER))[0].text == "once"
    with pytest.raises(TimeoutError):
        await inbox.next(timeout=0.3)  # exactly once, wherever the receiver is
