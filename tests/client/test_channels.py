"""Channels through the real SDK and a real server (spec §1.4, §4.5-§4.8, §5.5, §6.4, §6.8).

Every test runs the real server on a free port. SDK clients are used wherever the SDK can say
what is tested; a raw WebSocket client (:class:`RawClient`) sends what no SDK would (requests
the SDK refuses locally) and stands in for crowds of members, which are cheaper without an SDK.

Absence of an event ("the sender never receives its own message", "no MemberJoined above 512
members") is proven with a marker: frames on one connection arrive in the order the server
wrote them, so once an event written *after* the one that must not exist has arrived, the
missing one would have arrived too.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterable
from typing import Any, NamedTuple

import pytest

import openrtm
from openrtm.protocol.codes import CloseCode
from openrtm.server import Server
from tests.conftest import (
    APP_ID,
    OTHER_APP_ID,
    ClientFactory,
    Recorder,
    ServerFactory,
    unit,
    until,
)
from tests.server.test_gateway_frames import RawClient

CHANNEL_EVENTS = ("ChannelMessage", "MemberJoined", "MemberLeft", "MemberCountUpdated")


# --- helpers ---------------------------------------------------------------------------------


class Member(NamedTuple):
    """A logged-in SDK client, one of its channels, and the channel's recorded events."""

    client: openrtm.RtmClient
    channel: openrtm.RtmChannel
    events: Recorder


async def member(
    make_client: ClientFactory,
    server: Server,
    uid: str,
    channel_id: str = "room",
    *,
    app_id: str = APP_ID,
    join: bool = True,
    **config: Any,
) -> Member:
    """Log ``uid`` in and (unless ``join`` is False) join ``channel_id``, recording events."""
    client = make_client(server, app_id=app_id, **config)
    await client.login(uid)
    channel = client.create_channel(channel_id)
    events = Recorder(channel, *CHANNEL_EVENTS)  # type: ignore[arg-type]
    if join:
        await channel.join()
    return Member(client, channel, events)


def args_of(events: Recorder, name: str) -> list[tuple[Any, ...]]:
    """The arguments of every recorded ``name`` event, in order."""
    return [args for event, args in events.events if event == name]


def texts(events: Recorder) -> list[str | None]:
    """The texts of the recorded channel messages, in order."""
    return [args[0].text for args in args_of(events, "ChannelMessage")]


async def flush(sender: Member, receivers: Iterable[Member], marker: str) -> None:
    """Send ``marker`` from ``sender`` and wait until every receiver got it.

    Anything the server wrote to a receiver before the marker has then arrived too.
    """
    receivers = list(receivers)
    await sender.channel.send_message(marker)
    await until(lambda: all(marker in texts(r.events) for r in receivers))


async def raw_member(server: Server, uid: str, channel: str | None = "room") -> RawClient:
    """A raw client logged in as ``uid`` and, unless ``channel`` is None, joined to it."""
    raw = await RawClient.open(server.url)
    await raw.login(uid)
    if channel is not None:
        frame = await raw_reply(raw, {"op": "join", "id": 1, "channel": channel})
        assert frame == {"t": "reply", "id": 1}, frame
    return raw


async def raw_reply(raw: RawClient, request: dict[str, Any]) -> Any:
    """Send ``request`` and return the answer to its id, skipping pushes."""
    raw.send_json(request)
    for _ in range(10_000):
        frame = await raw.recv()
        if frame["t"] in ("reply", "error") and frame["id"] == request["id"]:
            return frame
    raise AssertionError(f"no answer to request {request['id']}")


def assert_refused(frame: dict[str, Any], request_id: int, code: int) -> None:
    assert frame["t"] == "error", frame
    assert frame["id"] == request_id, frame
    assert frame["code"] == code, frame
    assert frame["name"].startswith("Rtm"), frame
    assert "Traceback" not in frame["message"]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# --- join and member counts ------------------------------------------------------------------


async def test_joiner_gets_member_count_right_after_join(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    assert alice.channel.joined
    assert alice.channel.channel_id == "room"
    assert await alice.events.wait_for("MemberCountUpdated") == (1,)
    # The count is the first thing the joiner hears about the channel.
    assert alice.events.events[0] == ("MemberCountUpdated", (1,))


async def test_second_member_join_is_announced_to_the_first_only(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    await alice.events.wait_for("MemberCountUpdated", 1)
    bob = await member(make_client, server, "bob")
    # The joiner hears the new count at once.
    await bob.events.wait_for("MemberCountUpdated", 2)
    # The first member hears who joined, then the new count (coalesced, within a second).
    await alice.events.wait_for("MemberJoined", "bob")
    await alice.events.wait_for("MemberCountUpdated", 2, timeout=unit(3))
    assert alice.events.events == [
        ("MemberCountUpdated", (1,)),
        ("MemberJoined", ("bob",)),
        ("MemberCountUpdated", (2,)),
    ]
    # Nobody hears MemberJoined for itself, and the joiner is not told of earlier members.
    await flush(alice, [bob], "marker")
    assert args_of(bob.events, "MemberJoined") == []
    assert args_of(bob.events, "MemberCountUpdated") == [(2,)]
    assert ("alice",) not in args_of(alice.events, "MemberJoined")


async def test_join_twice_on_the_same_object_is_code_6(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    with pytest.raises(openrtm.RtmError) as info:
        await alice.channel.join()
    assert info.value.code == 6
    assert alice.channel.joined  # still joined


async def test_join_while_joining_is_code_6(server: Server, make_client: ClientFactory) -> None:
    alice = await member(make_client, server, "alice", join=False)
    first = asyncio.ensure_future(alice.channel.join())
    await asyncio.sleep(0)  # one loop turn: the first join has sent its request
    with pytest.raises(openrtm.RtmError) as info:
        await alice.channel.join()
    assert info.value.code == 6
    await first
    assert alice.channel.joined


async def test_second_object_of_a_joined_channel_id_is_code_202(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    twin = alice.client.create_channel("room")
    assert twin is not alice.channel
    with pytest.raises(openrtm.RtmError) as info:
        await twin.join()
    assert info.value.code == 202
    assert alice.client.channels["room"] is alice.channel
    # Once the first object left, the second may join.
    await alice.channel.leave()
    await twin.join()
    assert twin.joined


async def _join_then_leave_at_once(alice: Member) -> asyncio.Future[None]:
    """Start alice's join, and leave while the join request is on the wire."""
    join = asyncio.ensure_future(alice.channel.join())
    await asyncio.sleep(0)  # one loop turn: the join request is sent
    assert alice.client.channels.get("room") is alice.channel
    await alice.channel.leave()
    assert "room" not in alice.client.channels
    return join


async def test_leave_during_join_makes_join_raise_201(
    server: Server, make_client: ClientFactory
) -> None:
    bob = await member(make_client, server, "bob")
    # A short request timeout: if the join is never answered the test fails fast.
    alice = await member(make_client, server, "alice", join=False, request_timeout=unit(2))
    join = await _join_then_leave_at_once(alice)
    with pytest.raises(openrtm.RtmError) as info:
        await join
    assert info.value.code == 201
    assert not alice.channel.joined
    # The server does not keep alice in the channel, and bob heard nothing lasting of her
    # (any announcement was written to bob before the answer to his later request).
    session = server.node.hub.user(APP_ID, "alice")
    assert session is not None
    await until(lambda: not session.channels)
    assert sorted(await bob.channel.get_members()) == ["bob"]
    assert args_of(bob.events, "MemberJoined") == args_of(bob.events, "MemberLeft")


async def test_join_again_right_after_aborting_a_join(
    server: Server, make_client: ClientFactory
) -> None:
    bob = await member(make_client, server, "bob")
    alice = await member(make_client, server, "alice", join=False, request_timeout=unit(2))
    first = await _join_then_leave_at_once(alice)
    try:
        await alice.channel.join()  # allowed: two joins of one channel in 5 s
    finally:
        with pytest.raises(openrtm.RtmError) as info:
            await first
        assert info.value.code == 201
    assert alice.channel.joined
    await bob.events.wait_for("MemberJoined", "alice")
    assert sorted(await bob.channel.get_members()) == ["alice", "bob"]


async def test_create_channel_with_invalid_id_is_code_1(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    for bad in ["", "a" * 65, "null", "a/b", "ü", 5, None]:
        with pytest.raises(openrtm.RtmInvalidArgumentError) as info:
            client.create_channel(bad)  # type: ignore[arg-type]
        assert info.value.code == 1, bad
    assert client.create_channel("a" * 64).channel_id == "a" * 64


# --- the 20-channel cap ----------------------------------------------------------------------


async def test_21st_channel_is_refused_locally_with_code_5(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    await client.login("alice")
    channels = [client.create_channel(f"c{n}") for n in range(21)]
    for channel in channels[:20]:
        await channel.join()
    with pytest.raises(openrtm.RtmError) as info:
        await channels[20].join()
    assert info.value.code == 5
    assert not channels[20].joined
    session = server.node.hub.user(APP_ID, "alice")
    assert session is not None
    assert len(session.channels) == 20  # never asked the server
    # Leaving one makes room for another.
    await channels[0].leave()
    await channels[20].join()
    assert len(client.channels) == 20


async def test_server_refuses_21st_join_with_code_5(server: Server) -> None:
    raw = await raw_member(server, "alice", channel=None)
    # Pipelined: the cap counts joins in progress too.
    for n in range(1, 22):
        raw.send_json({"op": "join", "id": n, "channel": f"c{n}"})
    answers: dict[int, dict[str, Any]] = {}
    for _ in range(100):  # 21 answers and 20 member counts, in whatever order
        frame = await raw.recv()
        if frame["t"] in ("reply", "error"):
            answers[frame["id"]] = frame
        if len(answers) == 21:
            break
    for n in range(1, 21):
        assert answers[n] == {"t": "reply", "id": n}
    assert_refused(answers[21], 21, 5)
    session = server.node.hub.user(APP_ID, "alice")
    assert session is not None
    assert sorted(session.channels) == sorted(f"c{n}" for n in range(1, 21))
    await raw.close()


async def test_server_refuses_bad_channel_requests(server: Server) -> None:
    raw = await raw_member(server, "alice", channel="joined")
    text = {"type": "TEXT", "text": "hi"}
    # Joining a channel already joined: 6.
    assert_refused(await raw_reply(raw, {"op": "join", "id": 2, "channel": "joined"}), 2, 6)
    # A message to a channel not joined: 5; leaving it: 3; listing its members: 5.
    frame = {"op": "channel_msg", "id": 3, "channel": "other", "mid": "m1", "msg": text}
    assert_refused(await raw_reply(raw, frame), 3, 5)
    assert_refused(await raw_reply(raw, {"op": "leave", "id": 4, "channel": "other"}), 4, 3)
    assert_refused(await raw_reply(raw, {"op": "get_members", "id": 5, "channel": "other"}), 5, 5)
    # Invalid channel ids: 3.
    for n, bad in enumerate(["", "a" * 65, "null", "a/b", "ü"], start=10):
        assert_refused(await raw_reply(raw, {"op": "join", "id": n, "channel": bad}), n, 3)
    # Oversize messages: 4. The limit counts UTF-8 bytes: 32 KB exactly is accepted.
    exact = "é" * (16 * 1024)
    for n, msg, ok in [
        (20, {"type": "TEXT", "text": exact}, True),
        (21, {"type": "TEXT", "text": exact + "a"}, False),
        (22, {"type": "TEXT", "text": "x" * (32 * 1024 + 1)}, False),
    ]:
        frame = {"op": "channel_msg", "id": n, "channel": "joined", "mid": f"m{n}", "msg": msg}
        answer = await raw_reply(raw, frame)
        if ok:
            assert answer == {"t": "reply", "id": n}
        else:
            assert_refused(answer, n, 4)
    # The connection goes on.
    assert await raw_reply(raw, {"op": "leave", "id": 30, "channel": "joined"}) == {
        "t": "reply",
        "id": 30,
    }
    await raw.close()


async def test_server_refuses_channel_requests_before_login_with_102(server: Server) -> None:
    raw = await RawClient.open(server.url)
    text = {"type": "TEXT", "text": "hi"}
    for n, frame in enumerate(
        [
            {"op": "join", "channel": "room"},
            {"op": "leave", "channel": "room"},
            {"op": "channel_msg", "channel": "room", "mid": "m", "msg": text},
            {"op": "get_members", "channel": "room"},
        ],
        start=1,
    ):
        assert_refused(await raw_reply(raw, {**frame, "id": n}), n, 102)
    await raw.close()


# --- messages --------------------------------------------------------------------------------


async def test_channel_messages_reach_every_other_member(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    bob = await member(make_client, server, "bob")
    carol = await member(make_client, server, "carol")
    before = now_ms()
    await alice.channel.send_message("hello")
    await alice.channel.send_message(
        openrtm.RtmMessage(raw_message=b"\x00\x01\xff", description="bin")
    )
    await alice.channel.send_message({"text": "from a dict"})
    after = now_ms()
    for receiver in (bob, carol):
        await until(lambda r=receiver: len(args_of(r.events, "ChannelMessage")) == 3)  # type: ignore[misc]
        received = args_of(receiver.events, "ChannelMessage")
        (m1, uid1, props1), (m2, uid2, props2), (m3, uid3, props3) = received
        assert (uid1, uid2, uid3) == ("alice", "alice", "alice")
        assert m1 == openrtm.RtmMessage(text="hello", message_type="TEXT")
        assert m2.message_type == "RAW"
        assert m2.raw_message == b"\x00\x01\xff"
        assert m2.description == "bin"
        assert m3.text == "from a dict"
        assert m3.message_type == "TEXT"
        for props in (props1, props2, props3):
            assert isinstance(props, openrtm.ReceivedMessageProperties)
            assert before <= props.server_received_ts <= after
            assert props.is_offline_message is False
        assert props1.server_received_ts <= props2.server_received_ts <= props3.server_received_ts
    # The sender never hears its own messages: bob's marker is written to alice after them.
    await flush(bob, [alice], "marker")
    assert texts(alice.events) == ["marker"]


async def test_messages_from_one_sender_arrive_in_order(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    bob = await member(make_client, server, "bob")
    sent = [f"m{n}" for n in range(150)]  # under 180 in 3 s (spec §5.4)
    await asyncio.gather(*(alice.channel.send_message(text) for text in sent))
    await until(lambda: len(texts(bob.events)) == len(sent))
    assert texts(bob.events) == sent


async def test_invalid_channel_messages_are_refused_locally(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    for bad in [
        "x" * (32 * 1024 + 1),
        openrtm.RtmMessage(raw_message=b"\x00" * (32 * 1024 - 2), description="abc"),
        openrtm.RtmMessage(),
        {"nothing": 1},
        42,
    ]:
        with pytest.raises(openrtm.RtmError) as info:
            await alice.channel.send_message(bad)  # type: ignore[arg-type]
        assert info.value.code == 4, bad
    await alice.channel.send_message("x" * (32 * 1024))  # exactly the limit


# --- leave -----------------------------------------------------------------------------------


async def test_leave_is_announced_and_ends_membership(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    bob = await member(make_client, server, "bob")
    await bob.channel.leave()
    assert not bob.channel.joined
    assert "room" not in bob.client.channels
    await alice.events.wait_for("MemberLeft", "bob")
    assert sorted(await alice.channel.get_members()) == ["alice"]
    with pytest.raises(openrtm.RtmError) as info:
        await bob.channel.leave()
    assert info.value.code == 3
    with pytest.raises(openrtm.RtmError) as info:
        await bob.channel.send_message("late")
    assert info.value.code == 5
    with pytest.raises(openrtm.RtmError) as info:
        await bob.channel.get_members()
    assert info.value.code == 5
    # Bob no longer hears the channel.
    await alice.channel.send_message("after")
    await bob.channel.join()
    await flush(alice, [bob], "back")
    assert texts(bob.events) == ["back"]


async def test_leave_of_a_channel_never_joined_is_code_3(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice", join=False)
    with pytest.raises(openrtm.RtmError) as info:
        await alice.channel.leave()
    assert info.value.code == 3


async def test_channel_calls_without_login_are_code_102(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    channel = client.create_channel("room")
    for call in (channel.join, channel.leave, channel.get_members):
        with pytest.raises(openrtm.RtmError) as info:
            await call()
        assert info.value.code == 102, call
    with pytest.raises(openrtm.RtmError) as info:
        await channel.send_message("hi")
    assert info.value.code == 102
    assert not client.channels


# --- members ---------------------------------------------------------------------------------


async def test_get_members_lists_everyone_including_the_caller(
    server: Server, make_client: ClientFactory
) -> None:
    members = [await member(make_client, server, uid) for uid in ("carol", "alice", "bob")]
    for m in members:
        assert sorted(await m.channel.get_members()) == ["alice", "bob", "carol"]


async def test_logout_leaves_every_channel(server: Server, make_client: ClientFactory) -> None:
    alice = await member(make_client, server, "alice", "r1")
    alice_r2 = alice.client.create_channel("r2")
    await alice_r2.join()
    bob = await member(make_client, server, "bob", "r1")
    carol = await member(make_client, server, "carol", "r2")
    await alice.client.logout()
    assert not alice.channel.joined
    assert not alice_r2.joined
    await bob.events.wait_for("MemberLeft", "alice")
    await carol.events.wait_for("MemberLeft", "alice")
    assert await bob.channel.get_members() == ["bob"]
    assert await carol.channel.get_members() == ["carol"]
    assert server.node.hub.channel(APP_ID, "r1") is not None
    assert "alice" not in server.node.hub.channel(APP_ID, "r1").members  # type: ignore[union-attr]


async def test_remote_login_kick_is_a_member_left(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    bob = await member(make_client, server, "bob")
    states = Recorder(alice.client, "ConnectionStateChanged")
    second = make_client(server)
    await second.login("alice")
    await bob.events.wait_for("MemberLeft", "alice")
    await states.wait_for("ConnectionStateChanged", "ABORTED", "REMOTE_LOGIN")
    assert await bob.channel.get_members() == ["bob"]
    # The new session of alice may join again, and is announced again.
    again = second.create_channel("room")
    await again.join()
    await bob.events.wait_for("MemberJoined", "alice")
    assert sorted(await bob.channel.get_members()) == ["alice", "bob"]


async def _link_lost_and_back(server: Server, alice: Member) -> Recorder:
    """Close alice's connection from the server with 1001 and wait until she is back."""
    states = Recorder(alice.client, "ConnectionStateChanged")
    session = server.node.hub.user(APP_ID, alice.client.uid or "")
    assert session is not None
    session.close(CloseCode.GOING_AWAY, "test: link lost")  # the SDK retries on 1001
    await states.wait_for("ConnectionStateChanged", "RECONNECTING", "INTERRUPTED")
    await states.wait_for("ConnectionStateChanged", "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))
    return states


async def test_channels_are_rejoined_after_a_reconnect(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    alice_r2 = alice.client.create_channel("r2")
    await alice_r2.join()
    bob = await member(make_client, server, "bob")
    await _link_lost_and_back(server, alice)
    assert alice.channel.joined
    assert alice_r2.joined
    session = server.node.hub.user(APP_ID, "alice")
    assert session is not None
    # Re-joined on the server too (0 marks a join still in progress there).
    await until(lambda: sorted(session.channels) == ["r2", "room"])
    await until(lambda: all(count > 0 for count in session.channels.values()))
    await flush(alice, [bob], "after reconnect")
    await flush(bob, [alice], "to alice")
    assert sorted(await bob.channel.get_members()) == ["alice", "bob"]


async def test_send_from_the_reconnected_callback_reaches_the_channel(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await member(make_client, server, "alice")
    bob = await member(make_client, server, "bob")
    sends: list[asyncio.Future[None]] = []

    def on_state(state: str, reason: str) -> None:
        if state == "CONNECTED":  # an app saying "I'm back" as soon as it is
            sends.append(asyncio.ensure_future(alice.channel.send_message("back")))

    alice.client.on("ConnectionStateChanged", on_state)
    await _link_lost_and_back(server, alice)
    await until(lambda: bool(sends))
    await sends[0]
    await until(lambda: "back" in texts(bob.events))


async def test_a_short_link_loss_is_not_a_leave(server: Server, make_client: ClientFactory) -> None:
    alice = await member(make_client, server, "alice")
    bob = await member(make_client, server, "bob")
    states = Recorder(alice.client, "ConnectionStateChanged")
    session = server.node.hub.user(APP_ID, "alice")
    assert session is not None
    # The link drops without a close frame (the socket is aborted): the SDK reconnects.
    session.transport._ws.disconnect(graceful=False)  # type: ignore[attr-defined]
    await states.wait_for("ConnectionStateChanged", "RECONNECTING", "INTERRUPTED")
    await states.wait_for("ConnectionStateChanged", "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))
    await until(lambda: server.node.hub.user(APP_ID, "alice") is not None)
    await until(lambda: "room" in server.node.hub.user(APP_ID, "alice").channels)  # type: ignore[union-attr]
    await flush(alice, [bob], "back")
    assert args_of(bob.events, "MemberLeft") == []
    assert args_of(bob.events, "MemberJoined") == []


# --- member-count coalescing -----------------------------------------------------------------


async def test_member_count_updates_are_coalesced(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    """Ten joins in two waves; the second starts as soon as the first count arrived, so the
    burst spans more than one interval and the spacing of the pushes is what is measured."""
    interval = unit(0.5)
    server = await start_server(member_count_interval=interval)
    loop = asyncio.get_running_loop()
    observer = await member(make_client, server, "observer")
    await observer.events.wait_for("MemberCountUpdated", 1)
    counts: list[tuple[float, int]] = []
    observer.channel.on("MemberCountUpdated", lambda n: counts.append((loop.time(), n)))
    clients = [make_client(server) for _ in range(10)]
    await asyncio.gather(*(c.login(f"u{n}") for n, c in enumerate(clients)))
    channels = [c.create_channel("room") for c in clients]
    started = loop.time()
    await asyncio.gather(*(ch.join() for ch in channels[:5]))
    await until(lambda: bool(counts), unit(3))
    await asyncio.gather(*(ch.join() for ch in channels[5:]))
    await until(lambda: counts[-1][1] == 11, unit(5))
    assert len(args_of(observer.events, "MemberJoined")) == 10
    assert 2 <= len(counts) <= 3, counts
    assert [n for _, n in counts] == sorted({n for _, n in counts}), counts
    slack = unit(0.05)
    # The first push is not held back longer than one interval (plus the timer resolution).
    assert counts[0][0] - started <= interval + unit(0.25), (started, counts)
    for (t1, _), (t2, _) in itertools.pairwise(counts):
        assert t2 - t1 >= interval - slack, counts


# --- App isolation ---------------------------------------------------------------------------


async def test_same_channel_name_in_two_apps_is_two_channels(
    server: Server, make_client: ClientFactory
) -> None:
    a_alice = await member(make_client, server, "alice", app_id=APP_ID)
    b_alice = await member(make_client, server, "alice", app_id=OTHER_APP_ID)
    a_bob = await member(make_client, server, "bob", app_id=APP_ID)
    b_carol = await member(make_client, server, "carol", app_id=OTHER_APP_ID)
    await a_bob.channel.send_message("in A")
    await b_carol.channel.send_message("in B")
    await a_alice.events.wait_for("MemberCountUpdated", 2, timeout=unit(3))
    await b_alice.events.wait_for("MemberCountUpdated", 2, timeout=unit(3))
    await flush(a_bob, [a_alice], "end A")
    await flush(b_carol, [b_alice], "end B")
    assert texts(a_alice.events) == ["in A", "end A"]
    assert texts(b_alice.events) == ["in B", "end B"]
    assert args_of(a_alice.events, "MemberJoined") == [("bob",)]
    assert args_of(b_alice.events, "MemberJoined") == [("carol",)]
    assert all(n <= 2 for (n,) in args_of(a_alice.events, "MemberCountUpdated"))
    assert all(n <= 2 for (n,) in args_of(b_alice.events, "MemberCountUpdated"))
    assert sorted(await a_alice.channel.get_members()) == ["alice", "bob"]
    assert sorted(await b_alice.channel.get_members()) == ["alice", "carol"]
    # Same uid in both Apps: leaving in one App is not leaving in the other.
    await a_alice.channel.leave()
    await a_bob.events.wait_for("MemberLeft", "alice")
    await flush(b_carol, [b_alice], "still here")
    assert args_of(b_carol.events, "MemberLeft") == []
    assert sorted(await b_carol.channel.get_members()) == ["alice", "carol"]


# --- above 512 members (spec §6.8) -----------------------------------------------------------


async def _open_raw_members(server: Server, uids: list[str], batch: int = 64) -> list[RawClient]:
    """Connect and log in raw clients, ``batch`` at a time (the listen backlog is finite)."""
    raws: list[RawClient] = []
    for start in range(0, len(uids), batch):
        chunk = uids[start : start + batch]
        raws += await asyncio.gather(*(raw_member(server, uid, None) for uid in chunk))
    return raws


async def _raw_join(raw: RawClient, request_id: int, channel: str = "room") -> None:
    frame = {"op": "join", "id": request_id, "channel": channel}
    assert await raw_reply(raw, frame) == {"t": "reply", "id": request_id}


async def test_member_events_stop_above_512_members(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    """The observer plus 513 raw members; joins and leaves around the 512 boundary.

    Raw members never read their pushes beyond their own replies; the few tens of KB each
    receives stay in its queue.
    """
    small, large = unit(0.1), unit(0.6)
    server = await start_server(member_count_interval=small, member_count_interval_large=large)
    loop = asyncio.get_running_loop()
    observer = await member(make_client, server, "observer")
    counts: list[tuple[float, int]] = []
    observer.channel.on("MemberCountUpdated", lambda n: counts.append((loop.time(), n)))
    uids = [f"m{n:03d}" for n in range(513)]
    raws = await _open_raw_members(server, uids)
    try:
        # Up to 512 members, every join is announced.
        for start in range(0, 511, 64):
            await asyncio.gather(*(_raw_join(raw, 2) for raw in raws[start : min(start + 64, 511)]))
        await until(lambda: len(args_of(observer.events, "MemberJoined")) == 511, unit(10))
        assert {uid for (uid,) in args_of(observer.events, "MemberJoined")} == set(uids[:511])
        await until(lambda: bool(counts) and counts[-1][1] == 512, unit(5))
        # The 513th and 514th members are not announced.
        await _raw_join(raws[511], 2)
        await _raw_join(raws[512], 2)
        raws[0].send_json(
            {"op": "channel_msg", "id": 3, "channel": "room", "mid": "x", "msg": {"text": "1"}}
        )
        await until(lambda: texts(observer.events) == ["1"])
        assert len(args_of(observer.events, "MemberJoined")) == 511
        # The count still arrives, at most once per large interval.
        await until(lambda: counts[-1][1] == 514, unit(5))
        slack = unit(0.05)
        for (t1, _), (t2, n2) in itertools.pairwise(counts):
            assert t2 - t1 >= (large if n2 > 512 else small) - slack, counts
        # getMembers returns at most 512 distinct ids (spec §6.8).
        listed = await observer.channel.get_members()
        assert len(listed) == 512
        assert len(set(listed)) == 512
        assert set(listed) <= {*uids, "observer"}
        # Leaving from 514 and from 513 members: not announced; from 512: announced.
        for raw in (raws[512], raws[511], raws[510]):
            assert await raw_reply(raw, {"op": "leave", "id": 4, "channel": "room"}) == {
                "t": "reply",
                "id": 4,
            }
        await observer.events.wait_for("MemberLeft", uids[510])
        assert args_of(observer.events, "MemberLeft") == [(uids[510],)]
        await until(lambda: counts[-1][1] == 511, unit(5))
    finally:
        await asyncio.gather(*(raw.close() for raw in raws), return_exceptions=True)
