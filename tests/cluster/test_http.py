"""The HTTP face of any node: REST API and media across nodes (issue #15 item 3; spec §7,
§5.2), and readiness."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import aiohttp

from tests.cluster.cluster import Cluster, ClusterNode
from tests.cluster.conftest import BASIC, ConnectFactory
from tests.conftest import Recorder, unit

PEER = "MessageFromPeer"


async def rest(
    node: ClusterNode, method: str, path: str, json: Any = None, **params: str
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method, node.http_url + path.lstrip("/"), json=json, headers=BASIC, params=params
        ) as response,
    ):
        return response.status, await response.json()


async def test_a_rest_peer_message_from_one_node_reaches_a_user_on_another(
    cluster: Cluster, connect: ConnectFactory, app_id: str
) -> None:
    bob = await connect(cluster.nodes[0], "bob")
    inbox = Recorder(bob, PEER)
    path = f"/dev/v2/project/{app_id}/rtm/users/server/peer_messages"
    status, body = await rest(
        cluster.nodes[2], "POST", path, {"destination": "bob", "payload": "from REST"},
        wait_for_ack="true",
    )  # fmt: skip
    # wait_for_ack: node 2 answers once bob's SDK on node 0 acknowledged it (spec §7.2).
    assert (status, body["code"]) == (200, "message_delivered")
    message, sender, _ = await inbox.wait_for(PEER)
    assert (message.text, sender) == ("from REST", "server")


async def test_a_rest_channel_message_reaches_members_on_every_node(
    cluster: Cluster, connect: ConnectFactory, app_id: str
) -> None:
    recorders = []
    for node, uid in zip(cluster.nodes, ("alice", "bob", "carol"), strict=True):
        channel = (await connect(node, uid)).create_channel("room")
        recorders.append(Recorder(channel, "ChannelMessage"))  # type: ignore[arg-type]
        await channel.join()
    path = f"/dev/v2/project/{app_id}/rtm/users/server/channel_messages"
    status, _ = await rest(
        cluster.nodes[1], "POST", path, {"channel_name": "room", "payload": "to all"}
    )
    assert status == 200
    for recorder in recorders:
        message, sender, _ = await recorder.wait_for("ChannelMessage")
        assert (message.text, sender) == ("to all", "server")


async def test_user_and_channel_events_are_read_from_any_node(
    cluster: Cluster, connect: ConnectFactory, app_id: str
) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    await alice.create_channel("room").join()
    bob = await connect(cluster.nodes[1], "bob")
    await bob.logout()
    users: list[tuple[str, str]] = []
    channels: list[tuple[str, str, str]] = []

    # Each read is destructive (spec §7.5) and the events are the App's: read them through
    # every node in turn, paced under the REST events rate (spec §5.4: 10 a second).
    loop = asyncio.get_running_loop()
    deadline = loop.time() + unit(10)
    while len(users) < 3 or not channels:
        assert loop.time() < deadline, (users, channels)
        for node in cluster.nodes:
            base = f"/dev/v2/project/{app_id}/rtm/vendor"
            status, body = await rest(node, "GET", f"{base}/user_events")
            assert status == 200
            users.extend((e["user_id"], e["type"]) for e in body["events"])
            status, body = await rest(node, "GET", f"{base}/channel_events")
            assert status == 200
            channels.extend((e["group_id"], e["user_id"], e["type"]) for e in body["events"])
        # The App's budget is shared by the nodes (spec §5.4: 10 reads a second in all):
        # six reads a round, one round a window.
        await asyncio.sleep(1.1)
    assert users == [("alice", "Login"), ("bob", "Login"), ("bob", "Logout")]
    assert channels == [("room", "alice", "Join")]


async def test_media_uploaded_on_one_node_downloads_on_another(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    bob = await connect(cluster.nodes[1], "bob")
    inbox = Recorder(bob, PEER)
    data = os.urandom(300_000)
    message = await alice.create_media_message_by_uploading(
        data, {"messageType": "FILE", "fileName": "shared.bin"}
    )
    assert (await alice.send_message_to_peer(message, "bob")).has_peer_received
    received, _, _ = await inbox.wait_for(PEER)
    assert (received.message_type, received.file_name, received.size) == (
        "FILE",
        "shared.bin",
        len(data),
    )
    # bob's node 1 finds the record in Redis and the file in the shared media directory.
    assert received.media_id is not None
    assert await bob.download_media(received.media_id) == data
    carol = await connect(cluster.nodes[2], "carol")
    assert message.media_id is not None
    assert await carol.download_media(message.media_id) == data


async def test_a_history_query_made_on_one_node_is_polled_on_any(
    cluster: Cluster, connect: ConnectFactory, app_id: str
) -> None:
    # Issue #15: the handle and its result are in Redis, not in the memory of the node that
    # made the query (spec §7.4).
    alice = await connect(cluster.nodes[0], "alice")
    room = alice.create_channel("room")
    await room.join()
    await room.send_message("archived", {"enableHistoricalMessaging": True})
    base = f"/dev/v2/project/{app_id}/rtm/message/history/query"
    query = {
        "filter": {
            "source": "alice",
            "destination": "room",
            "start_time": "2000-01-01T00:00:00Z",
            "end_time": "2100-01-01T00:00:00Z",
        },
        "limit": 20,
    }
    status, body = await rest(cluster.nodes[0], "POST", base, query)
    assert status == 200, body
    handle = body["location"].rsplit("/", 1)[1]
    for node in (cluster.nodes[1], cluster.nodes[2]):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + unit(5)
        while True:
            status, body = await rest(node, "GET", f"{base}/{handle}")
            assert status == 200, body
            if body["code"] == "ok":
                break
            assert loop.time() < deadline
            await asyncio.sleep(0.2)
        assert [(m["src"], m["dst"], m["payload"]) for m in body["messages"]] == [
            ("alice", "room", "archived")
        ]
    status, body = await rest(cluster.nodes[2], "GET", f"{base}/{handle}x")
    assert status == 410, body


async def test_rest_rate_limits_are_per_app_across_nodes(cluster: Cluster, app_id: str) -> None:
    # Spec §5.4: 10 event reads a second per App; with three nodes, still 10 in all (not 30).
    path = f"/dev/v2/project/{app_id}/rtm/vendor/user_events"
    statuses = await asyncio.gather(*(rest(cluster.nodes[i % 3], "GET", path) for i in range(15)))
    codes = sorted(status for status, _ in statuses)
    assert codes == [200] * 10 + [429] * 5
    await asyncio.sleep(1.1)  # the next window
    assert (await rest(cluster.nodes[1], "GET", path))[0] == 200


async def test_a_media_ticket_of_one_node_is_good_on_every_node(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    # Issue #15: media through any node's HTTP face (no per-node URL needed). The ticket key
    # is shared through Redis, and the ticket's session is checked with Presence.
    alice = await connect(cluster.nodes[0], "alice")
    ticket = alice.media_ticket
    assert ticket is not None
    auth = {"Authorization": f"Bearer {ticket}"}
    data = os.urandom(20_000)
    async with aiohttp.ClientSession() as http:
        async with http.post(
            cluster.nodes[1].http_url + "media", data=data, headers=auth
        ) as response:
            assert response.status == 200, await response.text()
            media_id = (await response.json())["media_id"]
        async with http.get(cluster.nodes[2].http_url + f"media/{media_id}", headers=auth) as got:
            assert (got.status, await got.read()) == (200, data)
        # A forged or ended session's ticket is refused on every node (spec §4.16: 102).
        forged = {"Authorization": f"Bearer {ticket[:-2]}xx"}
        async with http.post(
            cluster.nodes[1].http_url + "media", data=b"x", headers=forged
        ) as response:
            assert response.status == 401
        await alice.logout()
        for node in cluster.nodes:
            async with http.get(node.http_url + f"media/{media_id}", headers=auth) as got:
                assert got.status == 401


async def test_every_node_is_ready(cluster: Cluster) -> None:
    for node in cluster.nodes:
        assert await rest(node, "GET", "/readyz") == (200, {"status": "ready"})
