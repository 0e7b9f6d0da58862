"""REST user and channel events (spec §7.5): what SDKs did, read once, 1,000 at a time."""

from __future__ import annotations

import time

import aiohttp

from openrtm.server import Server
from openrtm.store import UserEventRecord
from tests.conftest import APP_ID, OTHER_APP_ID, ClientFactory, ServerFactory, until
from tests.server.http.conftest import BASIC, REST_CREDENTIALS, RestClient
from tests.server.http.test_rest_messages import login


async def _events_until(rest: RestClient, kind: str, count: int) -> list[dict[str, object]]:
    # The store commits what the server records within milliseconds: read until it is all in.
    events: list[dict[str, object]] = []

    async def enough() -> bool:
        answer = await rest.events(kind)
        assert answer.status == 200
        events.extend(answer.body["events"])
        return len(events) >= count

    await until(enough)
    return events


async def test_logins_and_joins_are_read_once_in_order(
    rest: RestClient, rest_server: Server, make_client: ClientFactory
) -> None:
    before = time.time_ns() // 1_000_000
    alice = await login(make_client, rest_server, "alice")
    channel = alice.create_channel("room")
    await channel.join()
    await channel.leave()
    await alice.logout()
    users = await _events_until(rest, "user", 2)
    assert [(e["user_id"], e["type"]) for e in users] == [("alice", "Login"), ("alice", "Logout")]
    assert all(before <= e["ms"] <= time.time_ns() // 1_000_000 for e in users)  # type: ignore[operator]
    channels = await _events_until(rest, "channel", 2)
    assert [(e["group_id"], e["user_id"], e["type"]) for e in channels] == [
        ("room", "alice", "Join"),
        ("room", "alice", "Leave"),
    ]
    assert users[0]["ms"] <= channels[0]["ms"] <= channels[1]["ms"] <= users[1]["ms"]  # type: ignore[operator]
    # Destructive: read once.
    for kind in ("user", "channel"):
        answer = await rest.events(kind)
        assert answer.body["events"] == []
        assert answer.body["result"] == "success"


async def test_a_read_returns_at_most_1000_and_2000_are_kept(
    rest: RestClient, rest_server: Server
) -> None:
    store = rest_server.node.store
    for i in range(2_500):
        store.record_user_event(APP_ID, UserEventRecord(uid=f"u{i}", type="Login", ms=i))
    store.record_user_event(OTHER_APP_ID, UserEventRecord(uid="other", type="Login", ms=1))
    first = (await rest.events("user")).body["events"]
    second = (await rest.events("user")).body["events"]
    third = (await rest.events("user")).body["events"]
    # The 500 oldest were dropped (2,000 kept per App), the rest come oldest first.
    assert [e["user_id"] for e in first] == [f"u{i}" for i in range(500, 1_500)]
    assert [e["user_id"] for e in second] == [f"u{i}" for i in range(1_500, 2_500)]
    assert third == []
    # Nothing crosses Apps.
    other = (await rest.events("user", None, OTHER_APP_ID)).body["events"]
    assert [e["user_id"] for e in other] == ["other"]


async def test_event_reads_share_a_rate_limit(start_server: ServerFactory) -> None:
    server = await start_server(rest_credentials=REST_CREDENTIALS, rest_events_rate=2)
    async with aiohttp.ClientSession() as http:
        rest = RestClient(http, server)
        statuses = [
            (await rest.events("user")).status,
            (await rest.events("channel")).status,
            (await rest.events("user")).status,
        ]
        assert statuses == [200, 200, 429]
        # Messages have a budget of their own.
        body = {"destination": "bob", "payload": "x"}
        assert (await rest.peer("alice", body)).status == 200


async def test_a_closed_store_is_503_not_500(rest: RestClient, rest_server: Server) -> None:
    await rest_server.node.store.close()
    answer = await rest.events("user")
    assert (answer.status, answer.body["code"]) == (503, "unavailable")


async def test_head_does_not_read_the_events_away(rest: RestClient, rest_server: Server) -> None:
    rest_server.node.store.record_user_event(
        APP_ID, UserEventRecord(uid="kept", type="Login", ms=1)
    )
    async with rest.http.head(
        rest.url(f"/dev/v2/project/{APP_ID}/rtm/vendor/user_events"), headers=BASIC
    ) as response:
        assert response.status == 405
    assert [e["user_id"] for e in (await rest.events("user")).body["events"]] == ["kept"]
