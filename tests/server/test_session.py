"""The Session state machine through a Transport that records writes (design §2)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from openrtm.protocol.codes import CloseCode
from openrtm.server.config import ServerConfig
from openrtm.server.node import Node
from openrtm.server.session import TRANSITIONS, Session, SessionEvent, SessionState
from tests.conftest import APP_ID, until


class RecordingTransport:
    """Records frames; like a real link, a close ends the connection soon after."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None
        self.session: Session | None = None
        self.pings = 0

    def write(self, data: bytes) -> None:
        self.frames.append(json.loads(data))

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        self.abort()

    def ping(self) -> None:
        self.pings += 1

    def abort(self) -> None:
        if self.session is not None:
            asyncio.get_running_loop().call_soon(self.session.on_disconnect)


def connect(node: Node) -> tuple[Session, RecordingTransport]:
    transport = RecordingTransport()
    transport.session = node.connect(transport)
    return transport.session, transport


@pytest.fixture
async def node(tmp_path: Path) -> Node:
    node = Node(ServerConfig(data_dir=tmp_path, login_timeout=60))
    await node.start()
    yield node  # type: ignore[misc]
    await node.stop()


def test_the_table_has_no_way_out_of_closed() -> None:
    assert not [key for key in TRANSITIONS if key[0] is SessionState.CLOSED]
    assert all(
        (state, SessionEvent.CLOSE) in TRANSITIONS
        for state in SessionState
        if state is not SessionState.CLOSED
    )


async def test_events_not_in_the_table_change_nothing(node: Node) -> None:
    session, _ = connect(node)
    assert not session.fire(SessionEvent.LOGIN_OK)
    assert session.state is SessionState.AWAITING_LOGIN


async def test_login_then_logout_through_a_recording_transport(node: Node) -> None:
    session, transport = connect(node)
    login = {"op": "login", "id": 1, "v": 1, "app_id": APP_ID, "uid": "alice"}
    session.on_frame(json.dumps(login).encode())
    await _drain(node)
    assert transport.frames[0]["t"] == "reply"
    assert transport.frames[0]["result"]["protocol"] == 1
    assert session.state is SessionState.LOGGED_IN
    assert node.hub.user(APP_ID, "alice") is session
    session.on_frame(b'{"op":"logout","id":2}')
    assert transport.frames[1] == {"t": "reply", "id": 2}
    assert transport.closed == (CloseCode.NORMAL, "logged out")
    assert session.state is SessionState.CLOSED
    assert node.hub.user(APP_ID, "alice") is None
    session.on_frame(b'{"op":"logout","id":3}')  # after close: ignored
    assert len(transport.frames) == 2


async def test_requests_before_login_get_102(node: Node) -> None:
    session, transport = connect(node)
    session.on_frame(b'{"op":"logout","id":9}')
    assert transport.frames == [
        {
            "t": "error",
            "id": 9,
            "code": 102,
            "name": "RtmInvalidStatusError",
            "message": "not logged in",
        }
    ]


async def test_a_link_lost_while_logging_in_leaves_nothing_behind(node: Node) -> None:
    session, transport = connect(node)
    login = {"op": "login", "id": 1, "v": 1, "app_id": APP_ID, "uid": "alice"}
    session.on_frame(json.dumps(login).encode())
    assert session.state is SessionState.LOGGING_IN
    session.on_disconnect()
    await _drain(node)
    assert transport.frames == []
    assert node.hub.user(APP_ID, "alice") is None
    assert await node.presence.online(APP_ID, ["alice"]) == {"alice": False}
    assert session not in node.hub.connections


async def test_shutdown_closes_every_connection_with_going_away(node: Node) -> None:
    transports = [connect(node)[1] for _ in range(3)]
    await node.stop()
    assert all(t.closed == (CloseCode.GOING_AWAY, "server shutting down") for t in transports)
    assert not node.hub.connections


async def _drain(node: Node) -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_message_stored_while_its_receiver_logs_in_reaches_it_at_once(
    node: Node,
) -> None:
    # The receiver's login and an offline-enabled message to it, handled in the same loop
    # step in that order: routing finds no session yet, so the message is stored, and its
    # commit lands after the login read the inbox. It must still arrive now, not at the
    # next login (spec §6.2).
    alice, alice_out = connect(node)
    alice.on_frame(json.dumps(login_frame("alice")).encode())
    await _drain(node)
    bob, bob_out = connect(node)
    bob.on_frame(json.dumps(login_frame("bob")).encode())
    message = {"op": "peer_msg", "id": 2, "to": "bob", "mid": "m1", "offline": True}
    alice.on_frame(json.dumps({**message, "msg": {"text": "hi"}}).encode())
    await until(lambda: any(f.get("t") == "peer_msg" for f in bob_out.frames))
    push = next(f for f in bob_out.frames if f.get("t") == "peer_msg")
    assert (push["from"], push["msg"]["text"], push["offline"]) == ("alice", "hi", True)
    assert {
        "t": "reply",
        "id": 2,
        "result": {"received": False, "cached": True},
    } in alice_out.frames


def login_frame(uid: str) -> dict[str, Any]:
    return {"op": "login", "id": 1, "v": 1, "app_id": APP_ID, "uid": uid}


@pytest.mark.parametrize("limit", ["max_sessions", "max_sessions_per_app"])
async def test_logins_in_progress_count_against_the_session_limits(
    tmp_path: Path, limit: str
) -> None:
    # Five logins handled in one loop iteration, before any of them is registered: the
    # limit of two must hold all the same.
    node = Node(ServerConfig(data_dir=tmp_path, login_timeout=60, **{limit: 2}))
    await node.start()
    try:
        sessions = [connect(node) for _ in range(5)]
        for i, (session, _) in enumerate(sessions):
            login = {"op": "login", "id": 1, "v": 1, "app_id": APP_ID, "uid": f"u{i}"}
            session.on_frame(json.dumps(login).encode())
        await _drain(node)
        answers = [transport.frames[0]["t"] for _, transport in sessions]
        assert sorted(answers) == ["error", "error", "error", "reply", "reply"], answers
        assert len(node.hub) == 2
    finally:
        await node.stop()
