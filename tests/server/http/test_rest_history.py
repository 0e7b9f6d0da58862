"""The REST message history (spec §7.4) over HTTP: messages sent by SDKs and REST, queried back.

The expected results are computed here, independently of the server, from the messages the
test sent and the timestamps their receivers saw.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

import openrtm
from openrtm.server import Server
from tests.conftest import APP_ID, OTHER_APP_ID, ClientFactory, Recorder, ServerFactory, unit
from tests.server.http.conftest import BASIC, REST_CREDENTIALS, Answer, RestClient
from tests.server.http.test_rest_messages import token_headers

BASE = f"/dev/v2/project/{APP_ID}/rtm/message/history"


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def create(rest: RestClient, body: Any, app_id: str = APP_ID, **kw: Any) -> Answer:
    path = f"/dev/v2/project/{app_id}/rtm/message/history/query"
    return await rest.request("POST", path, json=body, headers=kw.get("headers", BASIC))


async def result(rest: RestClient, location: str, app_id: str = APP_ID) -> Answer:
    """Poll ``location`` until the query is done (the server needs milliseconds)."""
    path = f"/dev/v2/project/{app_id}/" + location.removeprefix("~/")
    deadline = asyncio.get_running_loop().time() + unit(5)
    while True:
        answer = await rest.request("GET", path, headers=BASIC)
        if answer.status != 200 or answer.body["code"] == "ok":
            return answer
        assert answer.body["messages"] == []
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)


@pytest.fixture
async def history_server(start_server: ServerFactory) -> Server:
    # Dev mode (the SDK clients need no tokens); a budget that polling does not exhaust.
    return await start_server(rest_credentials=REST_CREDENTIALS, history_rate_calls=1000)


@pytest.fixture
async def hrest(history_server: Server) -> Any:
    async with aiohttp.ClientSession() as http:
        yield RestClient(http, history_server)


async def _scene(
    hrest: RestClient, server: Server, make_client: ClientFactory
) -> list[dict[str, Any]]:
    """Send a mix of archived and not archived messages; return the archived ones."""
    bob = make_client(server)
    await bob.login("bob")
    carol = make_client(server)
    await carol.login("carol")
    bob_inbox = Recorder(bob, "MessageFromPeer")
    room = carol.create_channel("room")
    room_messages = Recorder(room, "ChannelMessage")  # type: ignore[arg-type]
    await room.join()
    archived: list[dict[str, Any]] = []
    history = openrtm.SendMessageOptions(enable_historical_messaging=True)
    for i in range(5):
        # From an SDK, archived: its ts is what the receiver saw.
        await carol.send_message_to_peer(f"sdk {i}", "bob", history)
        _, _, props = await bob_inbox.wait_for("MessageFromPeer")
        archived.append(
            {"src": "carol", "dst": "bob", "payload": f"sdk {i}", "ts": props.server_received_ts}
        )
        # From REST, archived, to the channel.
        body = {"channel_name": "room", "payload": f"rest {i}", "enable_historical_messaging": True}
        assert (await hrest.channel("alice", body)).status == 200
        _, _, props = await room_messages.wait_for("ChannelMessage")
        archived.append(
            {"src": "alice", "dst": "room", "payload": f"rest {i}", "ts": props.server_received_ts}
        )
        # Not archived: no flag, or not TEXT.
        await carol.send_message_to_peer(f"plain {i}", "bob")
        await bob_inbox.wait_for("MessageFromPeer")
        raw = openrtm.RtmMessage(raw_message=b"\x00", description="raw")
        await carol.send_message_to_peer(raw, "bob", history)
        await bob_inbox.wait_for("MessageFromPeer")
    # Archiving is enqueued before the receiver hears the message: a count now sees it all.
    return archived


def _expected(
    archived: list[dict[str, Any]], source: str | None, destination: str | None
) -> list[dict[str, Any]]:
    # Oldest first, ties in send order (the list is in send order).
    return sorted(
        (
            m
            for m in archived
            if (source is None or m["src"] == source)
            and (destination is None or m["dst"] == destination)
        ),
        key=lambda m: m["ts"],
    )


async def test_queries_return_what_a_test_computes_independently(
    hrest: RestClient, history_server: Server, make_client: ClientFactory
) -> None:
    start = time.time_ns() // 1_000_000
    archived = await _scene(hrest, history_server, make_client)
    end = time.time_ns() // 1_000_000 + 1
    for source, destination in [
        ("carol", None),
        (None, "bob"),
        (None, "room"),
        ("alice", "room"),
        ("carol", "bob"),
        ("alice", "bob"),
        ("room", None),
    ]:
        expected = _expected(archived, source, destination)
        for order in ("asc", "desc"):
            want = expected if order == "asc" else expected[::-1]
            body = {
                "filter": {
                    "source": source,
                    "destination": destination,
                    "start_time": iso(start),
                    "end_time": iso(end),
                },
                "limit": 20,
                "order": order,
            }
            created = await create(hrest, body)
            assert created.status == 200, created.body
            assert created.body["result"] == "success"
            assert (created.body["offset"], created.body["limit"], created.body["order"]) == (
                0,
                20,
                order,
            )
            answer = await result(hrest, created.body["location"])
            assert answer.status == 200
            assert answer.body["messages"] == want, (source, destination, order)
        params = {"start_time": iso(start), "end_time": iso(end)}
        params.update({k: v for k, v in (("source", source), ("destination", destination)) if v})
        count = await hrest.request("GET", BASE + "/count", headers=BASIC, params=params)
        assert count.body == {"result": "success", "code": "ok", "count": len(expected)}


async def test_offset_and_limit_walk_the_pages(
    hrest: RestClient, history_server: Server, make_client: ClientFactory
) -> None:
    start = time.time_ns() // 1_000_000
    bodies = [
        {"destination": "bob", "payload": f"m{i}", "enable_historical_messaging": True}
        for i in range(45)
    ]
    for body in bodies:
        assert (await hrest.peer("alice", body)).status == 200
    end = time.time_ns() // 1_000_000 + 1
    seen: list[str] = []
    for offset in (0, 20, 40, 60):
        query = {
            "filter": {"source": "alice", "start_time": iso(start), "end_time": iso(end)},
            "offset": offset,
            "order": "asc",
        }
        created = await create(hrest, query)
        assert created.body["limit"] == 20  # the default
        seen += [
            m["payload"] for m in (await result(hrest, created.body["location"])).body["messages"]
        ]
    assert seen == [f"m{i}" for i in range(45)]


async def test_an_unknown_expired_or_other_apps_handle_is_410(
    start_server: ServerFactory,
) -> None:
    server = await start_server(rest_credentials=REST_CREDENTIALS, history_handle_ttl=unit(0.3))
    async with aiohttp.ClientSession() as http:
        rest = RestClient(http, server)
        now = time.time_ns() // 1_000_000
        body = {"filter": {"source": "alice", "start_time": iso(now - 1000), "end_time": iso(now)}}
        created = await create(rest, body)
        location = created.body["location"]
        assert (await result(rest, location)).body["code"] == "ok"
        other = await result(rest, location, OTHER_APP_ID)
        assert (other.status, other.body["code"]) == (410, "gone")
        unknown = await result(rest, "~/rtm/message/history/query/nope")
        assert unknown.status == 410
        await asyncio.sleep(unit(0.5))  # past the handle's lifetime: nothing to wait on
        expired = await result(rest, location)
        assert (expired.status, expired.body["code"]) == (410, "gone")


WINDOW = {"start_time": "2019-08-01T01:22:10Z", "end_time": "2019-08-02T00:00:00Z"}
ALICE = {"filter": {"source": "alice", **WINDOW}}


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ([], "the body must be a json object"),
        ({}, "filter is required"),
        ({"filter": WINDOW}, "cannot both be null"),
        ({"filter": {**ALICE["filter"], "start_time": "2019-08-01T01:22:10"}}, "start_time"),
        ({**ALICE, "limit": 30}, "limit must be 20, 50 or 100"),
        ({**ALICE, "order": "up"}, "order"),
    ],
)
async def test_a_malformed_query_is_400(rest: RestClient, body: Any, why: str) -> None:
    answer = await create(rest, body)
    assert (answer.status, answer.body["code"]) == (400, "bad_request")
    assert why in answer.body["message"]


async def test_a_malformed_count_is_400_and_bad_json_too(rest: RestClient) -> None:
    answer = await rest.request("GET", BASE + "/count", headers=BASIC, params={"source": "a"})
    assert (answer.status, answer.body["code"]) == (400, "bad_request")
    answer = await rest.request(
        "POST", BASE + "/query", data=b"{", headers={**BASIC, "Content-Type": "application/json"}
    )
    assert answer.body["message"] == "the body is not valid json"


async def test_only_the_customer_reads_the_history(rest: RestClient) -> None:
    body = {
        "filter": {
            "source": "alice",
            "start_time": "2019-08-01T01:22:10Z",
            "end_time": "2019-08-02T00:00:00Z",
        }
    }
    answer = await create(rest, body, headers=token_headers("alice"))
    assert (answer.status, answer.body["code"]) == (403, "forbidden")
    answer = await create(rest, body, headers={})
    assert answer.status == 401
    params = {
        "source": "alice",
        "start_time": "2019-08-01T01:22:10Z",
        "end_time": "2019-08-02T00:00:00Z",
    }
    answer = await rest.request(
        "GET", BASE + "/count", headers=token_headers("alice"), params=params
    )
    assert answer.status == 403


async def test_history_calls_share_a_rate_limit(start_server: ServerFactory) -> None:
    server = await start_server(rest_credentials=REST_CREDENTIALS, history_rate_calls=3)
    async with aiohttp.ClientSession() as http:
        rest = RestClient(http, server)
        body = {
            "filter": {
                "source": "alice",
                "start_time": "2019-08-01T01:22:10Z",
                "end_time": "2019-08-02T00:00:00Z",
            }
        }
        params = {
            "source": "alice",
            "start_time": "2019-08-01T01:22:10Z",
            "end_time": "2019-08-02T00:00:00Z",
        }
        created = await create(rest, body)
        path = f"/dev/v2/project/{APP_ID}/" + created.body["location"].removeprefix("~/")
        statuses = [
            created.status,
            (await rest.request("GET", path, headers=BASIC)).status,
            (await rest.request("GET", BASE + "/count", headers=BASIC, params=params)).status,
        ]
        over = await rest.request("GET", BASE + "/count", headers=BASIC, params=params)
        assert statuses == [200, 200, 200]
        assert (over.status, over.body["code"]) == (429, "too_many_requests")
        assert over.headers["Retry-After"] == "1"
        # The message budget is another one.
        assert (await rest.peer("alice", {"destination": "bob", "payload": "x"})).status == 200


async def test_too_many_live_handles_is_429(start_server: ServerFactory) -> None:
    server = await start_server(rest_credentials=REST_CREDENTIALS, history_max_handles_per_app=2)
    async with aiohttp.ClientSession() as http:
        rest = RestClient(http, server)
        body = {
            "filter": {
                "source": "alice",
                "start_time": "2019-08-01T01:22:10Z",
                "end_time": "2019-08-02T00:00:00Z",
            }
        }
        statuses = [(await create(rest, body)).status for _ in range(3)]
        assert statuses == [200, 200, 429]
