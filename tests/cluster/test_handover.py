"""A resume that lands on another node takes over the session held there (issue #15 item 3;
docs/protocol.md §3.2): nobody hears the user leave, and what it missed is replayed."""

from __future__ import annotations

import asyncio
import re

import aiohttp

from tests.cluster.cluster import Cluster, ClusterNode
from tests.cluster.conftest import ConnectFactory
from tests.conftest import Recorder, unit
from tests.proxy import TcpProxy

STATUS = "PeersOnlineStatusChanged"
STATES = "ConnectionStateChanged"


async def resumes(node: ClusterNode) -> int:
    async with aiohttp.ClientSession() as http, http.get(node.http_url + "metrics") as response:
        text = await response.text()
    match = re.search(r"^openrtm_session_resumes(?:_total)? (\S+)$", text, re.M)
    assert match, text
    return int(float(match.group(1)))


async def test_a_resume_on_another_node_takes_the_session_over(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    holder, taker, third = cluster.nodes
    balancer = await TcpProxy(holder.port).start()
    try:
        alice = await connect(balancer.url, "alice")
        bob = await connect(taker, "bob")
        carol = await connect(third, "carol")
        await alice.set_local_user_attributes({"role": "host"})
        rooms = {}
        for client in (alice, bob, carol):
            rooms[client] = client.create_channel("room")
            await rooms[client].join()
        bob_room = Recorder(rooms[bob], "MemberLeft", "MemberJoined")  # type: ignore[arg-type]
        carol_room = Recorder(rooms[carol], "MemberLeft", "MemberJoined")  # type: ignore[arg-type]
        alice_room = Recorder(rooms[alice], "ChannelMessage")  # type: ignore[arg-type]
        alice_peer = Recorder(alice, "MessageFromPeer")
        statuses = Recorder(carol, STATUS)
        await carol.subscribe_peers_online_status(["alice"])
        assert await statuses.wait_for(STATUS) == ({"alice": "ONLINE"},)
        alice_states = Recorder(alice, STATES)
        taken_before = await resumes(taker)

        # The "load balancer" loses alice's link and will send her reconnect to node 1.
        balancer.refuse()
        balancer.retarget(taker.port)
        balancer.drop()
        await alice_states.wait_for(STATES, "RECONNECTING", "INTERRUPTED")
        # Meanwhile a peer message (its receipt waits for alice's ack) and a channel
        # message reach her detached session on node 0.
        receipt = asyncio.ensure_future(bob.send_message_to_peer("while away", "alice"))
        await rooms[carol].send_message("missed in the room")
        await asyncio.sleep(0.3)  # both reach node 0 before alice is let back in
        balancer.accept()
        await alice_states.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))

        assert await resumes(taker) == taken_before + 1  # resumed, not logged in afresh
        message, sender, _ = await alice_peer.wait_for("MessageFromPeer")
        assert (message.text, sender) == ("while away", "bob")
        assert (await asyncio.wait_for(receipt, unit(5))).has_peer_received
        message, sender, *_ = await alice_room.wait_for("ChannelMessage")
        assert (message.text, sender) == ("missed in the room", "carol")

        # The session lives on node 1 now: messages, attributes, membership, presence.
        assert (await bob.send_message_to_peer("after", "alice")).has_peer_received
        assert (await alice_peer.wait_for("MessageFromPeer"))[0].text == "after"
        await rooms[bob].send_message("in the room again")
        assert (await alice_room.wait_for("ChannelMessage"))[0].text == "in the room again"
        assert await carol.get_user_attributes("alice") == {"role": "host"}
        assert sorted(await rooms[carol].get_members()) == ["alice", "bob", "carol"]
        await asyncio.sleep(0.5)
        # Nobody heard alice leave or go offline: she never did.
        assert "MemberLeft" not in bob_room.names() + carol_room.names()
        assert all(args[0].get("alice") != "OFFLINE" for _, args in statuses.events)
        # Ending the session on node 1 is heard as usual.
        await alice.logout()
        assert await carol_room.wait_for("MemberLeft", "alice") == ("alice",)
        assert await statuses.wait_for(STATUS, {"alice": "OFFLINE"})
    finally:
        await balancer.close()


async def test_a_resume_whose_node_is_gone_is_a_fresh_login(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    # A session that ended (its grace over, or a logout) is no handover: the login on
    # another node is a fresh one at once, and the SDK restores channels itself (spec §3.2).
    holder, taker, _ = cluster.nodes
    balancer = await TcpProxy(holder.port).start()
    try:
        alice = await connect(balancer.url, "alice")
        room = alice.create_channel("room")
        await room.join()
        alice_states = Recorder(alice, STATES)
        taken_before = await resumes(taker)
        balancer.refuse()
        balancer.retarget(taker.port)
        balancer.drop()
        await alice_states.wait_for(STATES, "RECONNECTING", "INTERRUPTED")
        await asyncio.sleep(unit(0) + 4.5)  # the shared cluster's grace: 4 s
        balancer.accept()
        await alice_states.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))
        assert await resumes(taker) == taken_before
        bob = await connect(taker, "bob")
        bob_room = bob.create_channel("room")
        await bob_room.join()
        assert sorted(await bob_room.get_members()) == ["alice", "bob"]
    finally:
        await balancer.close()
