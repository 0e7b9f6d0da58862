"""Call invitations end to end: real server, real SDK (spec §1.5, §4.14; issue #6).

Every transition of both lifecycles and every failure reason, with the server's invitation
timers scaled down through its configuration. Where a side must misbehave (a callee that never
acknowledges, a caller that never confirms an acceptance) it is a raw WebSocket client.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import openrtm
from openrtm.client.invitation_states import (
    LOCAL_CALL_ERRORS,
    LOCAL_TRANSITIONS,
    REMOTE_CALL_ERRORS,
    REMOTE_TRANSITIONS,
)
from openrtm.protocol.codes import LocalInvitationState as Local
from openrtm.protocol.codes import RemoteInvitationState as Remote
from openrtm.server import Server
from openrtm.server.services.invitations import TRANSITIONS, CallPhase
from openrtm.server.session import SessionState
from tests.conftest import APP_ID, ClientFactory, Recorder, ServerFactory, unit, until
from tests.proxy import TcpProxy
from tests.server.test_gateway_frames import RawClient, assert_error

LOCAL_EVENTS = (
    "LocalInvitationReceivedByPeer",
    "LocalInvitationAccepted",
    "LocalInvitationRefused",
    "LocalInvitationCanceled",
    "LocalInvitationFailure",
)
REMOTE_EVENTS = (
    "RemoteInvitationAccepted",
    "RemoteInvitationRefused",
    "RemoteInvitationCanceled",
    "RemoteInvitationFailure",
)
# Scaled-down timers (the defaults are 30 s, 1 s, 60 s and 5 s).
FAST = {
    "invitation_receipt_timeout": unit(1.0),
    "invitation_retry_interval": unit(0.1),
    "invitation_expiry": unit(1.5),
    "invitation_accept_timeout": unit(0.5),
}


async def logged_in(make_client: ClientFactory, server: Server, uid: str) -> openrtm.RtmClient:
    client = make_client(server)
    await client.login(uid)
    return client


async def invited(
    caller: openrtm.RtmClient, callee: openrtm.RtmClient, content: str = "call me"
) -> tuple[openrtm.LocalInvitation, Recorder, openrtm.RemoteInvitation, Recorder]:
    """``caller`` invites ``callee``, which receives it; both recorders see what follows."""
    incoming = Recorder(callee, "RemoteInvitationReceived")
    invitation = caller.create_local_invitation(callee.uid or "")
    invitation.content = content
    local = Recorder(invitation, *LOCAL_EVENTS)  # type: ignore[arg-type]
    invitation.send()
    assert invitation.state == "SENT_TO_REMOTE"
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    assert await local.wait_for("LocalInvitationReceivedByPeer") == ()
    assert invitation.state == "RECEIVED_BY_REMOTE"
    return invitation, local, remote, Recorder(remote, *REMOTE_EVENTS)  # type: ignore[arg-type]


# --- the happy paths ---------------------------------------------------------------------------


async def test_accept(server: Server, make_client: ClientFactory) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    invitation, local, remote, remote_events = await invited(alice, bob, "video?")
    assert (remote.caller_id, remote.content, remote.state) == (
        "alice",
        "video?",
        "INVITATION_RECEIVED",
    )
    remote.response = "on my way"
    remote.accept()
    assert remote.state == "ACCEPT_SENT_TO_LOCAL"
    assert await local.wait_for("LocalInvitationAccepted") == ("on my way",)
    assert (invitation.state, invitation.response) == ("ACCEPTED_BY_REMOTE", "on my way")
    # The callee's acceptance is complete once the caller's SDK confirmed it.
    assert await remote_events.wait_for("RemoteInvitationAccepted") == ()
    assert remote.state == "ACCEPTED"
    await until(lambda: not server.node.invitations._outgoing)
    assert not any(server.node.invitations._incoming.values())


async def test_channel_id_reaches_the_callee(server: Server, make_client: ClientFactory) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    incoming = Recorder(bob, "RemoteInvitationReceived")
    invitation = alice.create_local_invitation("bob")
    invitation.channel_id = "legacy-room"
    invitation.send()
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    assert (remote.channel_id, remote.content) == ("legacy-room", "")


async def test_refuse(server: Server, make_client: ClientFactory) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    invitation, local, remote, remote_events = await invited(alice, bob)
    remote.response = "busy"
    remote.refuse()
    assert await remote_events.wait_for("RemoteInvitationRefused") == ()
    assert remote.state == "REFUSED"
    assert await local.wait_for("LocalInvitationRefused") == ("busy",)
    assert (invitation.state, invitation.response) == ("REFUSED_BY_REMOTE", "busy")


async def test_cancel_after_received(server: Server, make_client: ClientFactory) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    invitation, local, remote, remote_events = await invited(alice, bob, "hello")
    invitation.cancel()
    assert await local.wait_for("LocalInvitationCanceled") == ()
    assert invitation.state == "CANCELED"
    assert await remote_events.wait_for("RemoteInvitationCanceled") == ("hello",)
    assert remote.state == "CANCELED"


async def test_cancel_before_the_callee_logs_in(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(**FAST)
    alice = await logged_in(make_client, server, "alice")
    invitation = alice.create_local_invitation("bob")
    local = Recorder(invitation, *LOCAL_EVENTS)  # type: ignore[arg-type]
    invitation.send()
    invitation.cancel()
    assert await local.wait_for("LocalInvitationCanceled") == ()
    bob = make_client(server)
    incoming = Recorder(bob, "RemoteInvitationReceived")
    await bob.login("bob")
    # Well past a retry: the cancelled invitation is not offered any more.
    await until(lambda: not server.node.invitations._outgoing)
    await alice.send_message_to_peer("sync", "bob")
    assert incoming.events == []


# --- timers and failure reasons ----------------------------------------------------------------


async def test_peer_offline_after_the_receipt_timeout(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(**FAST)
    alice = await logged_in(make_client, server, "alice")
    invitation = alice.create_local_invitation("nobody")
    local = Recorder(invitation, *LOCAL_EVENTS)  # type: ignore[arg-type]
    loop_time = server.node.timers.now()
    invitation.send()
    assert await local.wait_for("LocalInvitationFailure", timeout=unit(5)) == ("PEER_OFFLINE",)
    assert server.node.timers.now() - loop_time >= unit(0.9)
    assert invitation.state == "FAILURE"
    assert local.names() == ["LocalInvitationFailure"]


async def test_callee_logging_in_within_the_window_gets_it(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(**{**FAST, "invitation_receipt_timeout": unit(3)})
    alice = await logged_in(make_client, server, "alice")
    invitation = alice.create_local_invitation("bob")
    invitation.content = "late"
    local = Recorder(invitation, *LOCAL_EVENTS)  # type: ignore[arg-type]
    invitation.send()
    await asyncio.sleep(unit(0.3))  # a few retries go by while bob is offline
    bob = make_client(server)
    incoming = Recorder(bob, "RemoteInvitationReceived")
    await bob.login("bob")
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    assert remote.content == "late"
    assert await local.wait_for("LocalInvitationReceivedByPeer") == ()
    remote.accept()
    assert await local.wait_for("LocalInvitationAccepted") == ("",)


async def test_peer_no_response_when_the_callee_never_acknowledges(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(**FAST)
    alice = await logged_in(make_client, server, "alice")
    mute = await RawClient.open(server.url)  # logged in, never acknowledges
    await mute.login("bob")
    invitation = alice.create_local_invitation("bob")
    invitation.content = "anyone?"
    local = Recorder(invitation, *LOCAL_EVENTS)  # type: ignore[arg-type]
    invitation.send()
    push = await mute.recv()
    assert push == {"t": "call_invite", "from": "alice", "call": push["call"], "content": "anyone?"}
    assert await local.wait_for("LocalInvitationFailure") == ("PEER_NO_RESPONSE",)
    assert local.names() == ["LocalInvitationFailure"]
    # The callee holds it no longer either.
    failed = await mute.recv()
    assert failed == {
        "t": "call_remote",
        "from": "alice",
        "call": push["call"],
        "state": "FAILURE",
        "reason": "INVITATION_EXPIRE",
    }
    await mute.close()


async def test_invitation_expires_on_both_sides(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(**FAST)
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    invitation, local, remote, remote_events = await invited(alice, bob)
    assert await local.wait_for("LocalInvitationFailure") == ("INVITATION_EXPIRE",)
    assert await remote_events.wait_for("RemoteInvitationFailure") == ("INVITATION_EXPIRE",)
    assert (invitation.state, remote.state) == ("FAILURE", "FAILURE")


async def test_accept_failure_when_the_caller_never_confirms(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(**FAST)
    bob = await logged_in(make_client, server, "bob")
    incoming = Recorder(bob, "RemoteInvitationReceived")
    caller = await RawClient.open(server.url)
    await caller.login("alice")
    reply = await caller.request({"op": "call_invite", "id": 1, "call": "c1", "to": "bob"})
    assert reply == {"t": "reply", "id": 1}
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    events = Recorder(remote, *REMOTE_EVENTS)  # type: ignore[arg-type]
    assert await caller.recv() == {"t": "call_local", "call": "c1", "state": "RECEIVED_BY_REMOTE"}
    remote.response = "yes"
    remote.accept()
    accepted = await caller.recv()
    assert accepted == {
        "t": "call_local",
        "call": "c1",
        "state": "ACCEPTED_BY_REMOTE",
        "response": "yes",
    }
    assert await events.wait_for("RemoteInvitationFailure") == ("ACCEPT_FAILURE",)
    assert remote.state == "FAILURE"
    # A confirmation after the deadline changes nothing.
    caller.send_json({"op": "call_accepted", "call": "c1"})
    await bob.send_message_to_peer("sync", "alice")
    assert events.names() == ["RemoteInvitationFailure"]
    await caller.close()


async def test_caller_logout_fails_the_callees_invitation(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    invitation, local, remote, remote_events = await invited(alice, bob)
    await alice.logout()
    assert await local.wait_for("LocalInvitationFailure") == ("NOT_LOGGEDIN",)
    assert await remote_events.wait_for("RemoteInvitationFailure") == ("PEER_OFFLINE",)
    assert (invitation.state, remote.state) == ("FAILURE", "FAILURE")
    with pytest.raises(openrtm.RtmInvalidStatusError) as info:
        remote.accept()
    assert info.value.code == 3


async def test_caller_kicked_fails_the_callees_invitation(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    _, local, _, remote_events = await invited(alice, bob)
    states = Recorder(alice, "ConnectionStateChanged")
    await logged_in(make_client, server, "alice")  # REMOTE_LOGIN kicks the first
    assert await states.wait_for("ConnectionStateChanged", "ABORTED", "REMOTE_LOGIN")
    assert await remote_events.wait_for("RemoteInvitationFailure") == ("PEER_OFFLINE",)
    assert await local.wait_for("LocalInvitationFailure") == ("NOT_LOGGEDIN",)


async def test_callee_logout_fails_the_callers_invitation(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    invitation, local, _, remote_events = await invited(alice, bob)
    await bob.logout()
    assert await remote_events.wait_for("RemoteInvitationFailure") == ("UNKNOWN",)
    assert await local.wait_for("LocalInvitationFailure") == ("PEER_OFFLINE",)
    assert invitation.state == "FAILURE"


async def test_send_while_logged_out_fails_with_not_loggedin(
    server: Server, make_client: ClientFactory
) -> None:
    alice = make_client(server)
    invitation = alice.create_local_invitation("bob")
    local = Recorder(invitation, *LOCAL_EVENTS)  # type: ignore[arg-type]
    invitation.send()  # no exception: the outcome is an event, as in the Web SDK
    assert await local.wait_for("LocalInvitationFailure") == ("NOT_LOGGEDIN",)
    assert invitation.state == "FAILURE"


# --- API-call errors (spec §4.14) ----------------------------------------------------------------


def raises(code: int, kind: type[openrtm.RtmError], call: Any, *args: Any) -> None:
    with pytest.raises(kind) as info:
        call(*args)
    assert info.value.code == code


async def test_local_invitation_call_errors(server: Server, make_client: ClientFactory) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    raises(1, openrtm.RtmInvalidArgumentError, alice.create_local_invitation, "null")
    raises(1, openrtm.RtmInvalidArgumentError, alice.create_local_invitation, "")
    invitation = alice.create_local_invitation("bob")
    raises(2, openrtm.RtmInvalidStatusError, invitation.cancel)  # NOT_STARTED
    invitation.content = "x" * (8 * 1024 + 1)
    raises(1, openrtm.RtmInvalidArgumentError, invitation.send)
    invitation.content = "é" * 4096  # 8 KB exactly, in UTF-8
    invitation.channel_id = "bad channel!\x00"
    raises(1, openrtm.RtmInvalidArgumentError, invitation.send)
    invitation.channel_id = ""
    with pytest.raises(openrtm.RtmInvalidArgumentError):
        invitation.response = "mine"  # type: ignore[misc]
    with pytest.raises(openrtm.RtmInvalidArgumentError):
        invitation.callee_id = "carol"  # type: ignore[misc]
    assert invitation.state == "IDLE"
    local = Recorder(invitation, *LOCAL_EVENTS)  # type: ignore[arg-type]
    incoming = Recorder(bob, "RemoteInvitationReceived")
    invitation.send()
    raises(5, openrtm.RtmInvalidStatusError, invitation.send)  # ALREADY_SENT
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    assert remote.content == "é" * 4096
    await local.wait_for("LocalInvitationReceivedByPeer")
    raises(5, openrtm.RtmInvalidStatusError, invitation.send)
    invitation.cancel()
    await local.wait_for("LocalInvitationCanceled")
    raises(3, openrtm.RtmInvalidStatusError, invitation.send)  # ALREADY_END
    raises(3, openrtm.RtmInvalidStatusError, invitation.cancel)


async def test_remote_invitation_call_errors(server: Server, make_client: ClientFactory) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    _, _, remote, events = await invited(alice, bob)
    for field in ("caller_id", "content", "channel_id", "state"):
        with pytest.raises(openrtm.RtmInvalidArgumentError):
            setattr(remote, field, "x")
    remote.response = "x" * (8 * 1024 + 1)
    raises(1, openrtm.RtmInvalidArgumentError, remote.accept)
    raises(1, openrtm.RtmInvalidArgumentError, remote.refuse)
    assert remote.state == "INVITATION_RECEIVED"
    remote.response = ""
    remote.accept()
    raises(4, openrtm.RtmInvalidStatusError, remote.accept)  # ALREADY_ACCEPT
    raises(4, openrtm.RtmInvalidStatusError, remote.refuse)
    await events.wait_for("RemoteInvitationAccepted")
    raises(3, openrtm.RtmInvalidStatusError, remote.accept)  # ALREADY_END
    raises(3, openrtm.RtmInvalidStatusError, remote.refuse)


# --- the wire, refusals the SDK never provokes ---------------------------------------------------


async def test_server_refusals(start_server: ServerFactory) -> None:
    server = await start_server(max_outgoing_invitations=2)
    raw = await RawClient.open(server.url)
    frame = {"op": "call_invite", "id": 1, "call": "c1", "to": "bob"}
    assert_error(await raw.request(frame), code=102, name="RtmInvalidStatusError", request_id=1)
    await raw.login("alice")
    invalid = "RtmInvalidArgumentError"
    for changes in (
        {"to": "null"},
        {"call": ""},
        {"call": "c" * 65},
        {"content": "x" * 8193},
        {"channel": "bad channel\x00"},
        {"to": 5},
    ):
        reply = await raw.request({**frame, "id": 2, **changes})
        assert_error(reply, code=1, name=invalid, request_id=2)
    assert await raw.request(frame) == {"t": "reply", "id": 1}
    assert await raw.request(frame) == {"t": "reply", "id": 1}  # a retry: taken once
    assert await raw.request({**frame, "id": 3, "call": "c2"}) == {"t": "reply", "id": 3}
    reply = await raw.request({**frame, "id": 4, "call": "c3"})
    assert_error(reply, code=103, name="RtmLimitExceededError", request_id=4)
    assert await raw.request({"op": "call_cancel", "id": 5, "call": "c1"}) == {
        "t": "reply",
        "id": 5,
    }
    reply = await raw.request({"op": "call_cancel", "id": 6, "call": "c1"})
    assert_error(reply, code=3, name="RtmInvalidStatusError", request_id=6)
    answer = {"op": "call_answer", "id": 7, "caller": "bob", "call": "c9", "accept": True}
    assert_error(await raw.request(answer), code=3, name="RtmInvalidStatusError", request_id=7)
    # Acknowledgements of unknown invitations are ignored, answered with nothing.
    raw.send_json({"op": "call_received", "caller": "bob", "call": "c9"})
    raw.send_json({"op": "call_accepted", "call": "c9"})
    assert await raw.request({"op": "call_cancel", "id": 8, "call": "c2"}) == {
        "t": "reply",
        "id": 8,
    }
    await until(lambda: not server.node.invitations._outgoing)
    await raw.close()


# --- the tables --------------------------------------------------------------------------------


def test_server_table_ends_every_phase() -> None:
    # Every phase but ENDED can end: by a deadline and by its caller going away.
    for phase in CallPhase:
        if phase is not CallPhase.ENDED:
            assert any(to is CallPhase.ENDED for (p, _), to in TRANSITIONS.items() if p is phase)
    assert not any(p is CallPhase.ENDED for p, _ in TRANSITIONS)


def test_sdk_tables_leave_no_way_out_of_an_end() -> None:
    ended_local = {Local.ACCEPTED_BY_REMOTE, Local.REFUSED_BY_REMOTE, Local.CANCELED, Local.FAILURE}
    assert not any(src in ended_local for src, _ in LOCAL_TRANSITIONS)
    ended_remote = {Remote.ACCEPTED, Remote.REFUSED, Remote.CANCELED, Remote.FAILURE}
    assert not any(src in ended_remote for src, _ in REMOTE_TRANSITIONS)
    # Every ended state refuses every call with ALREADY_END (3).
    for state in ended_local:
        assert LOCAL_CALL_ERRORS[("send", state)] == LOCAL_CALL_ERRORS[("cancel", state)] == 3
    for state in ended_remote:
        assert REMOTE_CALL_ERRORS[("accept", state)] == REMOTE_CALL_ERRORS[("refuse", state)] == 3


# --- the legacy end-call message (spec §1.5) ---------------------------------------------------

END_CALL_OK = [
    f"{openrtm.END_CALL_PREFIX}_room-1_bye",
    f"{openrtm.END_CALL_PREFIX}_room-1_",  # the info may be empty
]
END_CALL_BAD = [
    f"{openrtm.END_CALL_PREFIX}_room-1",  # two parts
    f"{openrtm.END_CALL_PREFIX}_room-1_a_b",  # four parts: the info may not hold "_"
    f"{openrtm.END_CALL_PREFIX}_null_bye",  # not a valid channel id
    f"{openrtm.END_CALL_PREFIX}__bye",  # an empty channel id
    f"{openrtm.END_CALL_PREFIX}x_room-1_bye",  # the prefix glued to more
]


async def test_end_call_messages_are_checked_like_the_web_sdk(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    received = Recorder(bob, "MessageFromPeer")
    for text in END_CALL_OK:
        assert (await alice.send_message_to_peer(text, "bob")).has_peer_received
        message, peer, _ = await received.wait_for("MessageFromPeer")
        assert (message.text, peer) == (text, "alice")
    for text in END_CALL_BAD:
        with pytest.raises(openrtm.RtmInvalidArgumentError) as info:
            await alice.send_message_to_peer(text, "bob")
        assert info.value.code == 7, text
    # Channel messages are not end-call signals: any text goes.
    channel = alice.create_channel("room-1")
    await channel.join()
    await channel.send_message(END_CALL_BAD[0])


async def test_the_server_checks_end_call_messages_too(server: Server) -> None:
    raw = await RawClient.open(server.url)
    await raw.login("alice")
    for request_id, text in enumerate(END_CALL_BAD, start=1):
        frame = {"op": "peer_msg", "id": request_id, "to": "bob", "mid": "m", "msg": {"text": text}}
        reply = await raw.request(frame)
        assert_error(reply, code=7, name="RtmInvalidArgumentError", request_id=request_id)
    frame = {"op": "peer_msg", "id": 9, "to": "bob", "mid": "m", "msg": {"text": END_CALL_OK[0]}}
    assert await raw.request(frame) == {"t": "reply", "id": 9, "result": {"received": False}}
    await raw.close()


# --- lost links (spec §3.3) ------------------------------------------------------------------


async def test_an_acceptance_made_while_the_caller_is_away_arrives_on_resume(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(invitation_accept_timeout=unit(5))
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        alice = make_client(  # type: ignore[arg-type]
            proxy, reconnect_backoff_max=unit(0.2), connect_timeout=unit(0.5)
        )
        states = Recorder(alice, "ConnectionStateChanged")
        await alice.login("alice")
        bob = await logged_in(make_client, server, "bob")
        invitation, local, remote, remote_events = await invited(alice, bob)
        session = server.node.hub.user(APP_ID, "alice")
        assert session is not None
        proxy.refuse()
        proxy.drop()
        await until(lambda: session.state is SessionState.DETACHED)
        remote.accept()
        await until(lambda: session.backlog)  # the acceptance waits for alice
        proxy.accept()
        assert await states.wait_for("ConnectionStateChanged", "CONNECTED", "LOGIN_SUCCESS")
        assert await local.wait_for("LocalInvitationAccepted") == ("",)
        assert await remote_events.wait_for("RemoteInvitationAccepted") == ()
        assert (invitation.state, remote.state) == ("ACCEPTED_BY_REMOTE", "ACCEPTED")
    finally:
        await proxy.close()


async def test_a_callee_gone_past_its_grace_fails_the_callers_invitation(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(session_grace=unit(0.5), unreachable_after=unit(0.2))
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        alice = await logged_in(make_client, server, "alice")
        bob = make_client(proxy, reconnect_backoff_max=unit(0.2))  # type: ignore[arg-type]
        await bob.login("bob")
        invitation, local, remote, remote_events = await invited(alice, bob)
        proxy.refuse()
        proxy.drop()
        assert await local.wait_for("LocalInvitationFailure") == ("PEER_OFFLINE",)
        proxy.accept()
        # bob's SDK comes back to a new session: the old one's invitation is over for it too.
        assert await remote_events.wait_for("RemoteInvitationFailure", timeout=unit(10)) == (
            "UNKNOWN",
        )
        assert invitation.state == remote.state == "FAILURE"
    finally:
        await proxy.close()


async def test_an_invitation_sent_while_reconnecting_to_a_new_session_is_not_sent(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(session_grace=unit(0.3), unreachable_after=unit(0.1))
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        bob = await logged_in(make_client, server, "bob")
        incoming = Recorder(bob, "RemoteInvitationReceived")
        alice = make_client(  # type: ignore[arg-type]
            proxy, reconnect_backoff_max=unit(0.2), connect_timeout=unit(0.5)
        )
        states = Recorder(alice, "ConnectionStateChanged")
        await alice.login("alice")
        proxy.refuse()
        proxy.drop()
        assert await states.wait_for("ConnectionStateChanged", "RECONNECTING", "INTERRUPTED")
        await until(lambda: server.node.hub.user(APP_ID, "alice") is None)  # grace over
        invitation = alice.create_local_invitation("bob")
        local = Recorder(invitation, *LOCAL_EVENTS)  # type: ignore[arg-type]
        invitation.send()
        proxy.accept()
        assert await local.wait_for("LocalInvitationFailure", timeout=unit(10)) == ("NOT_LOGGEDIN",)
        assert await states.wait_for("ConnectionStateChanged", "CONNECTED", "LOGIN_SUCCESS")
        await alice.send_message_to_peer("sync", "bob")
        assert incoming.events == []
        assert not server.node.invitations._outgoing
    finally:
        await proxy.close()
