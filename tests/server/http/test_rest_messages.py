"""REST peer and channel messages (spec §7.2, §7.3) through a real server and real SDKs."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest

import openrtm
from openrtm.protocol.tokens import build_token
from openrtm.server import Server
from tests.client.test_peer_messages import _raw_login
from tests.conftest import (
    APP_CERT,
    APP_ID,
    OTHER_APP_ID,
    ClientFactory,
    Recorder,
    ServerFactory,
    unit,
)
from tests.server.http.conftest import REST_CREDENTIALS, RestClient
from tests.server.test_gateway_frames import RawClient

PEER = "MessageFromPeer"


def token_headers(uid: str, app_id: str = APP_ID) -> dict[str, str]:
    token = build_token(app_id, APP_CERT, uid, expire=600, now=int(time.time()))
    return {"x-agora-token": token, "x-agora-uid": uid}


async def login(make_client: ClientFactory, server: Server, uid: str) -> openrtm.RtmClient:
    client = make_client(server)
    token = build_token(APP_ID, APP_CERT, uid, expire=600, now=int(time.time()))
    await client.login(uid, token)
    return client


@pytest.mark.parametrize("scheme", ["basic", "token"])
async def test_a_peer_message_arrives_as_text_from_user_id(
    rest: RestClient, rest_server: Server, make_client: ClientFactory, scheme: str
) -> None:
    bob = await login(make_client, rest_server, "bob")
    inbox = Recorder(bob, PEER)
    headers = None if scheme == "basic" else token_headers("alice")
    before = time.time_ns() // 1_000_000
    answer = await rest.peer("alice", {"destination": "bob", "payload": "hi bob"}, headers)
    assert answer.status == 200
    assert answer.body["result"] == "success"
    assert answer.body["code"] == "message_sent"
    assert len(answer.body["request_id"]) == 32
    message, peer_id, props = await inbox.wait_for(PEER)
    assert message == openrtm.RtmMessage(text="hi bob", message_type="TEXT")
    assert peer_id == "alice"
    assert props.is_offline_message is False
    assert props.server_received_ts >= before


async def test_wait_for_ack_answers_delivered_once_the_sdk_acked(
    rest: RestClient, rest_server: Server, make_client: ClientFactory
) -> None:
    bob = await login(make_client, rest_server, "bob")
    inbox = Recorder(bob, PEER)
    answer = await rest.peer(
        "alice", {"destination": "bob", "payload": "ack?"}, None, APP_ID, "true"
    )
    assert (answer.status, answer.body["code"]) == (200, "message_delivered")
    assert (await inbox.wait_for(PEER))[0].text == "ack?"
    answer = await rest.peer(
        "alice", {"destination": "bob", "payload": "no wait"}, None, APP_ID, "false"
    )
    assert answer.body["code"] == "message_sent"


async def test_wait_for_ack_on_a_receiver_that_never_acks_answers_sent(
    start_server: ServerFactory,
) -> None:
    server = await start_server(rest_credentials=REST_CREDENTIALS, peer_ack_timeout=unit(0.3))
    silent = RawClient()
    await silent.connect(server.url)
    await _raw_login(silent, "bob")
    async with aiohttp.ClientSession() as http:
        rest = RestClient(http, server)
        started = time.monotonic()
        answer = await rest.peer(
            "alice", {"destination": "bob", "payload": "x"}, None, APP_ID, "true"
        )
        assert (answer.status, answer.body["code"]) == (200, "message_sent")
        assert unit(0.3) * 0.9 <= time.monotonic() - started < unit(5)
    push = await silent.recv(unit(5))
    assert (push["t"], push["from"], push["msg"]["text"]) == ("peer_msg", "alice", "x")
    await silent.close()


@pytest.mark.parametrize("wait", ["true", "false"])
async def test_an_offline_receiver_without_offline_messaging_gets_nothing(
    rest: RestClient, rest_server: Server, make_client: ClientFactory, wait: str
) -> None:
    answer = await rest.peer("alice", {"destination": "bob", "payload": "lost"}, None, APP_ID, wait)
    assert answer.status == 200
    assert (answer.body["result"], answer.body["code"]) == ("failed", "peer_offline")
    bob = await login(make_client, rest_server, "bob")
    inbox = Recorder(bob, PEER)
    # A message sent after the login arrives first: nothing was stored before it.
    await rest.peer("alice", {"destination": "bob", "payload": "after"}, None, APP_ID, "true")
    message, _, props = await inbox.wait_for(PEER)
    assert (message.text, props.is_offline_message) == ("after", False)


@pytest.mark.parametrize("wait", ["true", "false"])
async def test_offline_messages_are_stored_and_replayed_at_login(
    rest: RestClient, rest_server: Server, make_client: ClientFactory, wait: str
) -> None:
    for text in ("one", "two"):
        answer = await rest.peer(
            "alice",
            {"destination": "bob", "payload": text, "enable_offline_messaging": True},
            None,
            APP_ID,
            wait,
        )
        assert answer.body == {
            "result": "success",
            "request_id": answer.body["request_id"],
            "code": "message_offline",
        }
    bob = make_client(rest_server)
    inbox = Recorder(bob, PEER)
    token = build_token(APP_ID, APP_CERT, "bob", expire=600, now=int(time.time()))
    await bob.login("bob", token)
    for text in ("one", "two"):
        message, peer_id, props = await inbox.wait_for(PEER)
        assert (message.text, peer_id, props.is_offline_message) == (text, "alice", True)


async def test_an_app_id_only_app_accepts_the_uid_alone(
    rest: RestClient, rest_server: Server, make_client: ClientFactory
) -> None:
    bob = make_client(rest_server, app_id=OTHER_APP_ID)
    await bob.login("bob")
    inbox = Recorder(bob, PEER)
    answer = await rest.peer(
        "alice", {"destination": "bob", "payload": "p"}, {"x-agora-uid": "alice"}, OTHER_APP_ID
    )
    assert answer.body["code"] == "message_sent"
    assert (await inbox.wait_for(PEER))[1] == "alice"


async def test_a_channel_message_reaches_every_member_from_a_non_member(
    rest: RestClient, rest_server: Server, make_client: ClientFactory
) -> None:
    members = [await login(make_client, rest_server, uid) for uid in ("bob", "carol")]
    recorders = []
    for client in members:
        channel = client.create_channel("room")
        recorders.append(Recorder(channel, "ChannelMessage"))  # type: ignore[arg-type]
        await channel.join()
    for scheme in ("basic", "token"):
        headers = None if scheme == "basic" else token_headers("alice")
        answer = await rest.channel(
            "alice", {"channel_name": "room", "payload": f"via {scheme}"}, headers
        )
        assert answer.status == 200
        assert (answer.body["result"], answer.body["code"]) == ("success", "message_sent")
        for recorder in recorders:
            message, member_id, _props = await recorder.wait_for("ChannelMessage")
            assert (message.text, member_id) == (f"via {scheme}", "alice")


async def test_a_member_sending_by_rest_does_not_hear_itself(
    rest: RestClient, rest_server: Server, make_client: ClientFactory
) -> None:
    bob = await login(make_client, rest_server, "bob")
    carol = await login(make_client, rest_server, "carol")
    heard = {}
    for uid, client in (("bob", bob), ("carol", carol)):
        channel = client.create_channel("room")
        heard[uid] = Recorder(channel, "ChannelMessage")  # type: ignore[arg-type]
        await channel.join()
    await rest.channel("bob", {"channel_name": "room", "payload": "from bob"})
    await rest.channel("carol", {"channel_name": "room", "payload": "from carol"})
    assert (await heard["bob"].wait_for("ChannelMessage"))[0].text == "from carol"
    assert (await heard["carol"].wait_for("ChannelMessage"))[0].text == "from bob"
    assert [e[1][0].text for e in heard["bob"].events] == ["from carol"]


async def test_historical_messaging_archives_rest_messages(
    rest: RestClient, rest_server: Server
) -> None:
    start = time.time_ns() // 1_000_000
    await rest.peer(
        "alice",
        {"destination": "bob", "payload": "kept", "enable_historical_messaging": True},
    )
    await rest.peer("alice", {"destination": "bob", "payload": "not kept"})
    await rest.channel(
        "alice",
        {"channel_name": "room", "payload": "kept too", "enable_historical_messaging": True},
    )
    store = rest_server.node.store
    records: list[object] = []
    for _ in range(100):
        records = await store.history(APP_ID, start, start + 3_600_000, 10)
        if len(records) == 2:
            break
    assert [(r.src, r.dst, r.dst_kind, r.payload) for r in records] == [  # type: ignore[attr-defined]
        ("alice", "bob", "user", "kept"),
        ("alice", "room", "channel", "kept too"),
    ]


async def test_the_message_rate_limit_answers_429(start_server: ServerFactory) -> None:
    server = await start_server(rest_credentials=REST_CREDENTIALS, rest_message_rate=3)
    async with aiohttp.ClientSession() as http:
        rest = RestClient(http, server)
        statuses = []
        for i in range(4):
            body = {"destination": "bob", "payload": str(i)}
            statuses.append((await rest.peer("alice", body)).status)
        # Peer and channel messages share the budget (spec §5.4).
        answer = await rest.channel("alice", {"channel_name": "room", "payload": "c"})
        assert statuses == [200, 200, 200, 429]
        assert answer.status == 429
        assert answer.body["code"] == "too_many_requests"
        assert answer.headers["Retry-After"] == "1"
        # Another App has its own budget.
        other = await rest.peer("alice", {"destination": "bob", "payload": "x"}, None, OTHER_APP_ID)
        assert other.status == 200


async def test_the_answer_is_json_with_a_request_id_per_request(rest: RestClient) -> None:
    ids = set()
    for _ in range(3):
        answer = await rest.channel("alice", {"channel_name": "room", "payload": "x"})
        ids.add(answer.body["request_id"])
    assert len(ids) == 3
    json.dumps(answer.body)  # plain JSON values only
