"""Join limits (spec §4.5, §5.4) and leave() racing join(), checked by the SDK and the server."""

from __future__ import annotations

import asyncio

import pytest

import openrtm
from openrtm.server import Server
from tests.conftest import APP_ID, ClientFactory, Recorder, unit
from tests.server.test_gateway_frames import RawClient


async def test_the_same_channel_at_most_twice_in_5_s_is_code_8(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    await client.login("alice")
    channel = client.create_channel("room")
    for _ in range(2):
        await channel.join()
        await channel.leave()
    with pytest.raises(openrtm.RtmLimitExceededError) as info:
        await channel.join()
    assert info.value.code == 8
    # Another channel is not affected.
    await client.create_channel("other").join()


async def test_the_server_enforces_join_limits_whatever_the_client_does(server: Server) -> None:
    raw = await RawClient.open(server.url)
    await raw.login("alice")
    request_id = 0

    async def join(channel: str) -> dict[str, object]:
        nonlocal request_id
        request_id += 1
        reply = await raw.request({"op": "join", "id": request_id, "channel": channel})
        if reply["t"] == "reply":
            assert (await raw.recv())["t"] == "member_count"
        return reply

    async def leave(channel: str) -> None:
        nonlocal request_id
        request_id += 1
        assert (await raw.request({"op": "leave", "id": request_id, "channel": channel}))["t"] == (
            "reply"
        )

    for _ in range(2):
        assert (await join("room"))["t"] == "reply"
        await leave("room")
    assert (await join("room"))["code"] == 8
    # 50 joins in 3 s in all (spec §5.4): 2 so far, and the refused one did not count.
    for i in range(48):
        assert (await join(f"c{i}"))["t"] == "reply", i
        await leave(f"c{i}")
    assert (await join("one-more"))["code"] == 7


async def test_leave_during_join_is_code_201_at_once_and_leaves_no_member(
    server: Server, make_client: ClientFactory
) -> None:
    alice, bob = make_client(server), make_client(server)
    await alice.login("alice")
    await bob.login("bob")
    watcher = bob.create_channel("room")
    events = Recorder(watcher, "MemberJoined", "MemberLeft")
    await watcher.join()
    channel = alice.create_channel("room")
    join = asyncio.ensure_future(channel.join())
    await asyncio.sleep(0)
    await channel.leave()
    with pytest.raises(openrtm.RtmError) as info:
        await asyncio.wait_for(join, unit(2))
    assert info.value.code == 201
    assert not channel.joined
    assert "room" not in alice.channels
    await _until_members(server, "room", ["bob"])
    # Joining again later works; bob then hears exactly one join.
    await asyncio.sleep(unit(0.1))
    await channel.join()
    assert await events.wait_for("MemberJoined", "alice")
    await _until_members(server, "room", ["alice", "bob"])


async def _until_members(server: Server, channel: str, expected: list[str]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + unit(5)
    while sorted(await server.node.presence.channel_members(APP_ID, channel, 512)) != expected:
        assert loop.time() < deadline, "members never became " + str(expected)
        await asyncio.sleep(0.01)


async def test_get_members_at_most_5_in_2_s_is_code_4(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    await client.login("alice")
    channel = client.create_channel("room")
    await channel.join()
    for _ in range(5):
        assert await channel.get_members() == ["alice"]
    with pytest.raises(openrtm.RtmLimitExceededError) as info:
        await channel.get_members()
    assert info.value.code == 4
