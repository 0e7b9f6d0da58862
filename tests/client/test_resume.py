"""Resumption after a lost link (spec §3.3), through a real TCP proxy (issue #5).

alice connects through the proxy; bob and carol connect directly. Dropping the proxy's
connections loses alice's link; the proxy then refuses her reconnection attempts while the
others act, and accepting again lets her back in.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

import openrtm
from openrtm.server import Server
from openrtm.server.session import SessionState
from tests.conftest import APP_ID, ClientFactory, Recorder, ServerFactory, unit, until
from tests.proxy import TcpProxy

STATES = "ConnectionStateChanged"
CHANNEL_EVENTS = ("ChannelMessage", "MemberJoined", "MemberLeft")


@dataclass
class Scene:
    server: Server
    proxy: TcpProxy
    alice: openrtm.RtmClient
    alice_states: Recorder
    alice_peer: Recorder
    alice_room: Recorder
    bob: openrtm.RtmClient
    bob_channel: openrtm.RtmChannel
    bob_room: Recorder
    carol_status: Recorder

    async def cut(self) -> None:
        """Lose alice's link and hold her reconnection until :meth:`restore`."""
        session = self.server.node.hub.user(APP_ID, "alice")
        assert session is not None
        self.proxy.refuse()
        self.proxy.drop()
        await until(lambda: session.state is SessionState.DETACHED)
        assert await self.alice_states.wait_for(STATES, "RECONNECTING", "INTERRUPTED")

    async def restore(self) -> None:
        self.proxy.accept()
        assert await self.alice_states.wait_for(
            STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10)
        )


async def scene(
    start_server: ServerFactory, make_client: ClientFactory, **config: float
) -> AsyncIterator[Scene]:
    server = await start_server(**config)
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        alice = make_client(  # type: ignore[arg-type]
            proxy, reconnect_backoff_max=unit(0.2), connect_timeout=unit(0.5)
        )
        alice_states = Recorder(alice, STATES)
        alice_peer = Recorder(alice, "MessageFromPeer")
        await alice.login("alice")
        await alice.set_local_user_attributes({"mood": "fine"})
        alice_channel = alice.create_channel("room")
        alice_room = Recorder(alice_channel, *CHANNEL_EVENTS)  # type: ignore[arg-type]
        await alice_channel.join()
        bob = make_client(server)
        await bob.login("bob")
        bob_channel = bob.create_channel("room")
        bob_room = Recorder(bob_channel, *CHANNEL_EVENTS)  # type: ignore[arg-type]
        await bob_channel.join()
        carol = make_client(server)
        carol_status = Recorder(carol, "PeersOnlineStatusChanged")
        await carol.login("carol")
        await carol.subscribe_peers_online_status(["alice"])
        assert await carol_status.wait_for("PeersOnlineStatusChanged", {"alice": "ONLINE"})
        yield Scene(
            server, proxy, alice, alice_states, alice_peer, alice_room, bob, bob_channel,
            bob_room, carol_status,
        )  # fmt: skip
    finally:
        await proxy.close()


@pytest.fixture
async def within_grace(
    start_server: ServerFactory, make_client: ClientFactory
) -> AsyncIterator[Scene]:
    async for s in scene(start_server, make_client, unreachable_after=unit(0.3)):
        yield s


@pytest.fixture
async def past_grace(
    start_server: ServerFactory, make_client: ClientFactory
) -> AsyncIterator[Scene]:
    async for s in scene(
        start_server, make_client, session_grace=unit(0.6), unreachable_after=unit(0.2)
    ):
        yield s


def texts(recorder: Recorder, event: str) -> list[str]:
    return [args[0].text for name, args in recorder.events if name == event]


async def test_a_link_restored_within_the_grace_is_resumed_silently(s: Scene) -> None:
    await s.cut()
    # Meanwhile: channel messages, a peer message, and alice's attributes still readable.
    for i in range(3):
        await s.bob_channel.send_message(f"c{i}")
    sent = asyncio.ensure_future(s.bob.send_message_to_peer("while you were away", "alice"))
    assert await s.bob.get_user_attributes("alice") == {"mood": "fine"}
    await s.restore()
    # Delivered on return, and only then acknowledged: the sender hears it was received.
    assert (await sent).has_peer_received
    await until(lambda: len(texts(s.alice_room, "ChannelMessage")) >= 3)
    await until(lambda: len(texts(s.alice_peer, "MessageFromPeer")) >= 1)
    # Exactly once each, in order; then a live one still gets through.
    await s.bob_channel.send_message("live")
    await until(lambda: "live" in texts(s.alice_room, "ChannelMessage"))
    assert texts(s.alice_room, "ChannelMessage") == ["c0", "c1", "c2", "live"]
    assert texts(s.alice_peer, "MessageFromPeer") == ["while you were away"]
    # Nobody noticed: no MemberLeft / MemberJoined, no OFFLINE (spec §3.3).
    assert [n for n, _ in s.bob_room.events if n != "ChannelMessage"] == []
    assert "OFFLINE" not in {args[0]["alice"] for _, args in s.carol_status.events}
    assert s.alice.channels["room"].joined


@pytest.fixture
def s(within_grace: Scene) -> Scene:
    return within_grace


async def test_followers_hear_unreachable_then_online_again(s: Scene) -> None:
    await s.cut()
    assert await s.carol_status.wait_for("PeersOnlineStatusChanged", {"alice": "UNREACHABLE"})
    await s.restore()
    assert await s.carol_status.wait_for("PeersOnlineStatusChanged", {"alice": "ONLINE"})
    assert [n for n, _ in s.bob_room.events if n != "ChannelMessage"] == []


async def test_at_most_the_last_32_channel_messages_are_replayed(s: Scene) -> None:
    await s.cut()
    for i in range(40):
        await s.bob_channel.send_message(f"c{i}")
    await s.restore()
    await until(lambda: "c39" in texts(s.alice_room, "ChannelMessage"))
    assert texts(s.alice_room, "ChannelMessage") == [f"c{i}" for i in range(8, 40)]


async def test_past_the_grace_the_user_is_dropped_then_restored(past_grace: Scene) -> None:
    s = past_grace
    await s.cut()
    assert await s.bob_room.wait_for("MemberLeft", "alice", timeout=unit(5))
    assert await s.carol_status.wait_for("PeersOnlineStatusChanged", {"alice": "OFFLINE"})
    assert s.server.node.hub.user(APP_ID, "alice") is None
    with pytest.raises(openrtm.RtmError) as info:
        await s.bob.get_user_attributes("alice")
    assert info.value.code == 6  # spec §6.6: gone with the session
    await s.restore()
    # A new session: the SDK re-joined and re-wrote its attributes by itself (spec §3.2).
    assert await s.bob_room.wait_for("MemberJoined", "alice", timeout=unit(5))
    assert await s.carol_status.wait_for("PeersOnlineStatusChanged", {"alice": "ONLINE"})
    assert await s.bob.get_user_attributes("alice") == {"mood": "fine"}


async def test_a_message_sent_while_reconnecting_waits_and_goes(s: Scene) -> None:
    # Spec §1.2: while RECONNECTING a send waits for the reconnection instead of failing.
    await s.cut()
    sent = asyncio.ensure_future(s.alice.send_message_to_peer("from the road", "bob"))
    bob_inbox = Recorder(s.bob, "MessageFromPeer")
    await asyncio.sleep(0)
    assert not sent.done()
    await s.restore()
    assert (await sent).has_peer_received
    assert (await bob_inbox.wait_for("MessageFromPeer"))[0].text == "from the road"


async def test_a_message_sent_while_reconnecting_too_long_times_out_with_code_2(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server()
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        alice = make_client(  # type: ignore[arg-type]
            proxy, request_timeout=unit(0.5), connect_timeout=unit(0.3)
        )
        states = Recorder(alice, STATES)
        await alice.login("alice")
        proxy.refuse()
        proxy.drop()
        assert await states.wait_for(STATES, "RECONNECTING", "INTERRUPTED")
        with pytest.raises(openrtm.RtmTimeoutError) as info:
            await alice.send_message_to_peer("lost in transit", "bob")
        assert info.value.code == 2
    finally:
        await proxy.close()


async def test_a_resume_before_the_server_noticed_the_lost_link_takes_over(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    # The SDK notices a silent link (~4 s) long before the server's sweep does: its resume
    # must still be a resume, not a second login (no MemberLeft, no REMOTE_LOGIN).
    server = await start_server(keepalive_interval=unit(60))
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        alice = make_client(  # type: ignore[arg-type]
            proxy, ping_interval=unit(0.3), ping_timeout=unit(0.3), connect_timeout=unit(0.5),
            reconnect_backoff_max=unit(0.2),
        )  # fmt: skip
        states = Recorder(alice, STATES)
        await alice.login("alice")
        room = alice.create_channel("room")
        await room.join()
        bob = make_client(server)
        await bob.login("bob")
        bob_room = bob.create_channel("room")
        bob_events = Recorder(bob_room, *CHANNEL_EVENTS)  # type: ignore[arg-type]
        await bob_room.join()
        session = server.node.hub.user(APP_ID, "alice")
        assert session is not None
        proxy.freeze()  # the old link goes silent, close and all; new connections flow
        assert await states.wait_for(STATES, "RECONNECTING", "INTERRUPTED", timeout=unit(3))
        assert await states.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))
        assert server.node.hub.user(APP_ID, "alice") is session  # the same session, resumed
        heard = Recorder(room, "ChannelMessage")  # type: ignore[arg-type]
        await bob_room.send_message("hello again")
        assert (await heard.wait_for("ChannelMessage"))[0].text == "hello again"
        assert [n for n, _ in bob_events.events if n != "ChannelMessage"] == []
        assert "ABORTED" not in {args[0] for _, args in states.events}
    finally:
        await proxy.close()
