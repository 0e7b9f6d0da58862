"""Channels with members on different nodes (issue #15 items 2-3; spec §6.4, §6.7, §6.8)."""

from __future__ import annotations

import pytest

import openrtm
from tests.cluster.cluster import Cluster
from tests.cluster.conftest import ConnectFactory
from tests.conftest import Recorder, unit, until

EVENTS = ("ChannelMessage", "MemberJoined", "MemberLeft", "MemberCountUpdated", "AttributesUpdated")


async def members_on_every_node(
    cluster: Cluster, connect: ConnectFactory, channel_id: str = "room"
) -> tuple[list[openrtm.RtmClient], list[openrtm.RtmChannel], list[Recorder]]:
    """alice on node 0, bob on node 1, carol on node 2, all in ``channel_id``."""
    clients = [
        await connect(node, uid)
        for node, uid in zip(cluster.nodes, ("alice", "bob", "carol"), strict=True)
    ]
    channels = [client.create_channel(channel_id) for client in clients]
    recorders = []
    for channel in channels:
        recorders.append(Recorder(channel, *EVENTS))  # type: ignore[arg-type]
        await channel.join()
    return clients, channels, recorders


async def test_member_events_and_counts_reach_every_node(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    clients, channels, (alice, bob, carol) = await members_on_every_node(cluster, connect)
    assert await alice.wait_for("MemberJoined", "bob") == ("bob",)
    assert await alice.wait_for("MemberJoined", "carol") == ("carol",)
    assert await bob.wait_for("MemberJoined", "carol") == ("carol",)
    # Counts are pushed coalesced (spec §6.8): every node ends at 3.
    for recorder in (alice, bob, carol):
        await recorder.wait_for("MemberCountUpdated", 3)
    for channel in channels:
        assert sorted(await channel.get_members()) == ["alice", "bob", "carol"]
    counts = await clients[0].get_channel_member_count(["room", "empty"])
    assert counts == {"room": 3, "empty": 0}
    await channels[1].leave()
    assert await alice.wait_for("MemberLeft") == ("bob",)
    assert await carol.wait_for("MemberLeft") == ("bob",)
    await alice.wait_for("MemberCountUpdated", 2, timeout=unit(5))
    assert sorted(await channels[2].get_members()) == ["alice", "carol"]


async def test_a_channel_message_reaches_each_member_once_but_not_its_sender(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    _clients, channels, recorders = await members_on_every_node(cluster, connect)
    # A second member on node 1: the node gets the message once and hands it to both.
    dave = await connect(cluster.nodes[1], "dave")
    dave_room = dave.create_channel("room")
    dave_events = Recorder(dave_room, "ChannelMessage")  # type: ignore[arg-type]
    await dave_room.join()
    for n in range(5):
        await channels[0].send_message(f"m{n}")
    for recorder in (recorders[1], recorders[2], dave_events):
        got = [await recorder.wait_for("ChannelMessage") for _ in range(5)]
        assert [(m.text, sender) for m, sender, _ in got] == [(f"m{n}", "alice") for n in range(5)]
    await channels[2].send_message("from carol")  # after alice's, on every node
    for recorder in (recorders[1], dave_events, recorders[0]):
        message, sender, _ = await recorder.wait_for("ChannelMessage")
        assert (message.text, sender) == ("from carol", "carol")
    for recorder in (recorders[1], dave_events):
        with pytest.raises(TimeoutError):
            await recorder.wait_for("ChannelMessage", timeout=0.3)  # nothing twice
    assert not [e for e in recorders[0].events if e[0] == "ChannelMessage" and e[1][1] == "alice"]


async def test_channel_attributes_are_shared_and_notified_across_nodes(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    clients, channels, recorders = await members_on_every_node(cluster, connect)
    await clients[0].set_channel_attributes(
        "room", {"topic": "cluster"}, {"enableNotificationToChannelMembers": True}
    )
    for recorder in recorders[1:]:
        (attrs,) = await recorder.wait_for("AttributesUpdated")
        assert attrs["topic"].value == "cluster"
        assert attrs["topic"].last_update_user_id == "alice"
    # Read from another node, and by a user who is not a member, on a third.
    outsider = await connect(cluster.nodes[2], "erin")
    for reader in (clients[1], outsider):
        attrs = await reader.get_channel_attributes("room")
        assert {k: v.value for k, v in attrs.items()} == {"topic": "cluster"}
    await clients[2].add_or_update_channel_attributes("room", {"more": "x"})  # not notified
    await until(lambda: _has_key(clients[0], "more"))
    # carol's node publishes her message after her write: once bob has the message, a
    # notification of the write would have reached him too.
    await channels[2].send_message("after the write")
    await recorders[1].wait_for("ChannelMessage")
    assert [e for e, _ in recorders[1].events].count("AttributesUpdated") == 1


async def _has_key(client: openrtm.RtmClient, key: str) -> bool:
    return key in await client.get_channel_attributes("room")
