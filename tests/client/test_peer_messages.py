"""Peer messages, receipts and the offline inbox, through the real SDK and server.

Spec §6.1 (receipts) and §6.2 (offline messaging).
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import openrtm
from openrtm.server import Server
from openrtm.server.session import UNACKED_KEPT
from tests.conftest import APP_ID, OTHER_APP_ID, ClientFactory, Recorder, unit, until
from tests.server.test_gateway_frames import RawClient

PEER = "MessageFromPeer"
OFFLINE = {"enable_offline_messaging": True}


async def logged_in(make_client: ClientFactory, server: Server, uid: str) -> openrtm.RtmClient:
    client = make_client(server)
    await client.login(uid)
    return client


async def test_online_peer_receives_and_sender_hears_the_receipt(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    inbox = Recorder(bob, PEER)
    before = time.time_ns() // 1_000_000
    result = await alice.send_message_to_peer("hello", "bob")
    after = time.time_ns() // 1_000_000
    assert result.has_peer_received is True
    message, peer_id, props = await inbox.wait_for(PEER)
    assert message == openrtm.RtmMessage(text="hello", message_type="TEXT")
    assert peer_id == "alice"
    assert before <= props.server_received_ts <= after
    assert props.is_offline_message is False


async def test_raw_messages_keep_bytes_and_description(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    inbox = Recorder(bob, PEER)
    payload = bytes(range(256)) * 10
    sent = openrtm.RtmMessage(raw_message=payload, description="bin")
    assert (await alice.send_message_to_peer(sent, "bob")).has_peer_received
    message, _, _ = await inbox.wait_for(PEER)
    assert (message.message_type, message.raw_message, message.description) == (
        "RAW",
        payload,
        "bin",
    )
    # The Web SDK's dict shape works too.
    await alice.send_message_to_peer({"rawMessage": b"\x01", "description": "d"}, "bob")
    message, _, _ = await inbox.wait_for(PEER)
    assert message.raw_message == b"\x01"


async def test_message_to_self_is_delivered(server: Server, make_client: ClientFactory) -> None:
    alice = await logged_in(make_client, server, "alice")
    inbox = Recorder(alice, PEER)
    assert (await alice.send_message_to_peer("note to self", "alice")).has_peer_received
    assert (await inbox.wait_for(PEER))[1] == "alice"


async def test_offline_peer_without_offline_messaging_gets_nothing(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(make_client, server, "alice")
    assert (await alice.send_message_to_peer("lost", "bob")).has_peer_received is False
    bob = make_client(server)
    inbox = Recorder(bob, PEER)
    await bob.login("bob")
    assert (await alice.send_message_to_peer("marker", "bob")).has_peer_received
    assert (await inbox.wait_for(PEER))[0].text == "marker"
    assert [args[0].text for _, args in inbox.events] == ["marker"]


async def test_offline_messages_are_delivered_once_in_order_at_next_login(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(make_client, server, "alice")
    for i in range(5):
        result = await alice.send_message_to_peer(f"m{i}", "bob", OFFLINE)
        assert result.has_peer_received is False
    bob = make_client(server)
    inbox = Recorder(bob, PEER)
    await bob.login("bob")
    for i in range(5):
        message, peer, props = await inbox.wait_for(PEER)
        assert (message.text, peer, props.is_offline_message) == (f"m{i}", "alice", True)
    # Acknowledged, so gone: a second login finds nothing stored.
    await server.node.store.flush()
    await bob.logout()
    await asyncio.sleep(unit(0.5))  # spec §5.4: logins are spaced by 500 ms
    await bob.login("bob")
    assert (await alice.send_message_to_peer("live", "bob")).has_peer_received
    assert (await inbox.wait_for(PEER))[0].text == "live"
    assert [args[0].text for _, args in inbox.events] == [*(f"m{i}" for i in range(5)), "live"]


async def test_the_inbox_keeps_the_newest_200(
    start_server: object, make_client: ClientFactory
) -> None:
    # 250 sends in a row: over the 180 / 3 s budget (spec §5.4), which is not under test here.
    server = await start_server(message_rate_calls=1000)  # type: ignore[operator]
    alice = make_client(server, message_rate_calls=1000)
    await alice.login("alice")
    for i in range(250):
        await alice.send_message_to_peer(str(i), "bob", OFFLINE)
    bob = make_client(server)
    inbox = Recorder(bob, PEER)
    await bob.login("bob")
    got = [(await inbox.wait_for(PEER))[0].text for _ in range(200)]
    assert got == [str(i) for i in range(50, 250)]


async def test_a_hundred_concurrent_sends_arrive_in_send_order(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob = await logged_in(make_client, server, "bob")
    inbox = Recorder(bob, PEER)
    results = await asyncio.gather(*(alice.send_message_to_peer(str(i), "bob") for i in range(100)))
    assert all(r.has_peer_received for r in results)
    got = [(await inbox.wait_for(PEER))[0].text for _ in range(100)]
    assert got == [str(i) for i in range(100)]


async def test_a_retried_message_is_shown_once_and_acknowledged_twice(
    server: Server, make_client: ClientFactory
) -> None:
    bob = await logged_in(make_client, server, "bob")
    inbox = Recorder(bob, PEER)
    sender = RawClient()
    await sender.connect(server.url)
    await _raw_login(sender, "alice")
    frame = {"op": "peer_msg", "to": "bob", "mid": "m-1", "msg": {"type": "TEXT", "text": "x"}}
    for request_id in (2, 3):
        sender.send_text(json.dumps({**frame, "id": request_id}).encode())
        reply = await sender.recv(unit(5))
        assert reply == {"t": "reply", "id": request_id, "result": {"received": True}}
    assert (await alice_marker(server, make_client, bob, inbox)) == ["x", "marker"]


async def alice_marker(
    server: Server, make_client: ClientFactory, bob: openrtm.RtmClient, inbox: Recorder
) -> list[str]:
    """Send a marker from another user and return every text bob saw up to it."""
    carol = await logged_in(make_client, server, "carol")
    await carol.send_message_to_peer("marker", "bob")
    await inbox.wait_for(PEER, timeout=unit(5))
    while inbox.events[-1][1][0].text != "marker":
        await inbox.wait_for(PEER)
    return [args[0].text for _, args in inbox.events]


async def test_a_receiver_that_never_acks_does_not_hang_the_sender(
    start_server: object, make_client: ClientFactory
) -> None:
    server = await start_server(peer_ack_timeout=unit(0.3))  # type: ignore[operator]
    silent = RawClient()
    await silent.connect(server.url)
    await _raw_login(silent, "bob")
    alice = await logged_in(make_client, server, "alice")
    started = time.monotonic()
    result = await alice.send_message_to_peer("anyone?", "bob")
    assert result.has_peer_received is False
    assert time.monotonic() - started < unit(5)
    push = await silent.recv(unit(5))
    assert (push["t"], push["from"], push["msg"]["text"]) == ("peer_msg", "alice", "anyone?")


async def test_each_unacked_message_times_out_on_its_own_deadline(
    start_server: object, make_client: ClientFactory
) -> None:
    # One sweep serves every receipt deadline: a later message must not be answered at an
    # earlier one's deadline, and acked messages in between are answered received.
    timeout = unit(0.4)
    server = await start_server(peer_ack_timeout=timeout)  # type: ignore[operator]
    silent = RawClient()
    await silent.connect(server.url)
    await _raw_login(silent, "bob")
    alice = await logged_in(make_client, server, "alice")
    await logged_in(make_client, server, "carol")

    async def timed(text: str, to: str) -> tuple[bool, float]:
        started = time.monotonic()
        result = await alice.send_message_to_peer(text, to)
        return result.has_peer_received, time.monotonic() - started

    first = asyncio.create_task(timed("one", "bob"))
    await asyncio.sleep(timeout / 2)
    second = asyncio.create_task(timed("two", "bob"))
    assert (await timed("to carol", "carol"))[0] is True
    for answer in (await first, await second):
        assert answer[0] is False
        assert timeout * 0.9 <= answer[1] < unit(5)
    # The sweep stops when nothing is pending, and starts again for the next message.
    assert (await timed("three", "bob"))[0] is False


async def test_an_offline_message_pushed_to_a_link_that_died_reaches_the_inbox(
    start_server: object, make_client: ClientFactory
) -> None:
    # bob's link dies right after the push, before his ack, and he does not come back within
    # the grace: the message was never received, and alice asked for it to be kept.
    server = await start_server(  # type: ignore[operator]
        session_grace=unit(0.3), unreachable_after=unit(0.1), peer_ack_timeout=unit(0.2)
    )
    silent = RawClient()
    await silent.connect(server.url)
    await _raw_login(silent, "bob")
    alice = await logged_in(make_client, server, "alice")
    result = await alice.send_message_to_peer("keep me", "bob", OFFLINE)
    assert result.has_peer_received is False
    push = await silent.recv(unit(5))
    assert (push["t"], push["msg"]["text"]) == ("peer_msg", "keep me")
    plain = await alice.send_message_to_peer("not kept", "bob")
    assert plain.has_peer_received is False
    await silent.recv(unit(5))
    await silent.close()  # a lost link: no logout
    await until(lambda: server.node.hub.user(APP_ID, "bob") is None)
    bob = make_client(server)
    inbox = Recorder(bob, PEER)
    await bob.login("bob")
    message, peer, props = await inbox.wait_for(PEER)
    assert (message.text, peer, props.is_offline_message) == ("keep me", "alice", True)
    assert (await alice.send_message_to_peer("marker", "bob")).has_peer_received
    assert (await inbox.wait_for(PEER))[0].text == "marker"
    assert [args[0].text for _, args in inbox.events] == ["keep me", "marker"]


async def test_a_client_that_never_acks_holds_a_bounded_number_of_pushes(
    start_server: object, make_client: ClientFactory
) -> None:
    # bob reads but never acks: the server keeps only the newest UNACKED_KEPT pushes for him.
    # The offline-enabled ones it lets go are stored, and reach bob at his next login.
    server = await start_server(  # type: ignore[operator]
        message_rate_calls=100_000, message_rate_window=1.0, peer_ack_timeout=unit(0.5)
    )
    bob, alice = RawClient(), RawClient()
    await bob.connect(server.url)
    await _raw_login(bob, "bob")
    await alice.connect(server.url)
    await _raw_login(alice, "alice")
    total = UNACKED_KEPT + 10
    for i in range(total):
        msg = {"op": "peer_msg", "id": 10 + i, "to": "bob", "mid": f"m{i}", "msg": {"text": f"{i}"}}
        if i < 3:
            msg["offline"] = True
        alice.send_json(msg)
    for _ in range(total):
        assert (await bob.recv(unit(5)))["t"] == "peer_msg"
    session = server.node.hub.user(APP_ID, "bob")
    assert session is not None
    assert len(session.inflight) == UNACKED_KEPT
    assert await bob.request({"op": "logout", "id": 2}) == {"t": "reply", "id": 2}
    fresh = make_client(server)
    inbox = Recorder(fresh, PEER)
    await fresh.login("bob")
    for i in range(3):
        message, peer, props = await inbox.wait_for(PEER)
        assert (message.text, peer, props.is_offline_message) == (f"{i}", "alice", True)
    await alice.close()


async def test_apps_never_cross(server: Server, make_client: ClientFactory) -> None:
    alice = await logged_in(make_client, server, "alice")
    bob_elsewhere = make_client(server, app_id=OTHER_APP_ID)
    inbox = Recorder(bob_elsewhere, PEER)
    await bob_elsewhere.login("bob")
    assert (await alice.send_message_to_peer("psst", "bob", OFFLINE)).has_peer_received is False
    await bob_elsewhere.logout()
    await asyncio.sleep(unit(0.5))
    await bob_elsewhere.login("bob")  # its own App's inbox is empty
    await asyncio.sleep(unit(0.2))
    assert inbox.events == []


# --- refusals (spec §4.4): checked by the SDK first, and by the server ------------------------


async def test_the_sdk_refuses_bad_sends_before_sending(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    with pytest.raises(openrtm.RtmInvalidStatusError) as info:
        await client.send_message_to_peer("x", "bob")
    assert info.value.code == 102
    await client.login("alice")
    for bad_peer in ("", "null", "a/b", "x" * 65):
        with pytest.raises(openrtm.RtmInvalidArgumentError) as info:
            await client.send_message_to_peer("x", bad_peer)
        assert info.value.code == 6
    too_big = [
        "é" * 16385,
        openrtm.RtmMessage(raw_message=b"\x00" * 32760, description="123456789"),
        openrtm.RtmMessage(),
        42,
    ]
    for message in too_big:
        with pytest.raises(openrtm.RtmInvalidArgumentError) as info:
            await client.send_message_to_peer(message, "bob")  # type: ignore[arg-type]
        assert info.value.code == 7
    # Exactly at the limit is fine.
    await client.send_message_to_peer("x" * 32768, "bob")


async def test_the_server_refuses_what_a_bad_sdk_sends(server: Server) -> None:
    raw = RawClient()
    await raw.connect(server.url)
    raw.send_text(b'{"op":"peer_msg","id":1,"to":"bob","mid":"m","msg":{"text":"x"}}')
    assert (await raw.recv(unit(5)))["code"] == 102
    await _raw_login(raw, "alice")
    cases = [
        ({"to": "a/b", "msg": {"text": "x"}}, 6),
        ({"to": "bob", "msg": {"text": "x" * 32769}}, 7),
        ({"to": "bob", "msg": {"type": "RAW", "raw": "AA==", "description": "é" * 16384}}, 7),
        ({"to": "bob", "msg": {"type": "TEXT", "text": "x", "raw": "AA=="}}, 7),
        ({"to": "bob", "msg": {"type": "FILE"}}, 7),
        ({"to": "bob", "msg": {"type": "BOGUS"}}, 7),
        ({"to": "bob", "msg": "not an object"}, 7),
    ]
    for request_id, (fields, code) in enumerate(cases, start=10):
        raw.send_text(
            json.dumps({"op": "peer_msg", "id": request_id, "mid": "m", **fields}).encode()
        )
        reply = await raw.recv(unit(5))
        assert (reply["id"], reply["code"]) == (request_id, code), fields


# --- durability (spec §6.2: stored before the reply; survives kill -9) -------------------------

URL = re.compile(rb"serving WebSocket (ws://\S+)")


async def _serve(data: Path) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "openrtm", "serve", "--port", "0", "--data", str(data),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), unit(15))
    match = URL.search(line)
    assert match, line
    return proc, match.group(1).decode()


async def test_stored_messages_survive_kill_9_and_a_restart(tmp_path: Path) -> None:
    proc, url = await _serve(tmp_path)
    try:
        alice = openrtm.create_instance(APP_ID, server=url)
        await alice.login("alice")
        for i in range(20):
            result = await alice.send_message_to_peer(f"m{i}", "bob", OFFLINE)
            assert result.has_peer_received is False  # replied: so committed
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    await alice.logout()
    proc, url = await _serve(tmp_path)
    try:
        bob = openrtm.create_instance(APP_ID, server=url)
        inbox = Recorder(bob, PEER)
        await bob.login("bob")
        got = [(await inbox.wait_for(PEER))[0].text for _ in range(20)]
        assert got == [f"m{i}" for i in range(20)]
        await bob.logout()
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()


async def _raw_login(raw: RawClient, uid: str) -> None:
    login = {"op": "login", "id": 1, "v": 1, "app_id": APP_ID, "uid": uid}
    raw.send_text(json.dumps(login).encode())
    reply = await raw.recv(unit(5))
    assert reply["t"] == "reply", reply


async def test_mixed_text_and_raw_messages_are_refused_like_the_web_sdk(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(make_client, server, "alice")
    mixed = [
        openrtm.RtmMessage(text="t", raw_message=b"r"),
        openrtm.RtmMessage(text="t", description="d"),
        {"text": "t", "rawMessage": b"r"},
    ]
    for message in mixed:
        with pytest.raises(openrtm.RtmInvalidArgumentError) as info:
            await alice.send_message_to_peer(message, "bob")  # type: ignore[arg-type]
        assert info.value.code == 7


async def test_200_concurrent_sends_against_the_180_in_3_s_budget(
    server: Server, make_client: ClientFactory
) -> None:
    # Spec §5.4: peer and channel messages share 180 per 3 s; the SDK refuses the rest with
    # code 5 (peer) or 3 (channel) before sending, and the server enforces the same.
    alice = await logged_in(make_client, server, "alice")
    await logged_in(make_client, server, "bob")
    channel = alice.create_channel("room")
    await channel.join()
    await channel.send_message("one channel message counts too")
    results = await asyncio.gather(
        *(alice.send_message_to_peer(str(i), "bob") for i in range(200)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, openrtm.RtmError)]
    assert len(refused) == 21
    assert {r.code for r in refused} == {5}
    with pytest.raises(openrtm.RtmLimitExceededError) as info:
        await channel.send_message("over")
    assert info.value.code == 3


async def test_the_server_enforces_the_message_budget_whatever_the_client_does(
    server: Server,
) -> None:
    raw = await RawClient.open(server.url)
    await raw.login("alice")
    frame = {"op": "peer_msg", "to": "bob", "mid": "m", "msg": {"text": "x"}}
    for request_id in range(1, 201):
        raw.send_json({**frame, "id": request_id})
    replies = [await raw.recv() for _ in range(200)]
    codes = [r.get("code") for r in replies]
    assert codes.count(None) == 180
    assert codes.count(5) == 20
