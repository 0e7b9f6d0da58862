"""``GET /metrics``: a real server, real clients, scraped with aiohttp and parsed with
prometheus-client's own parser; every count is one the test can work out by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

import openrtm
from openrtm import VERSION
from openrtm.protocol.messages import PROTOCOL_VERSION
from openrtm.protocol.tokens import build_token
from openrtm.server import Server
from openrtm.server.session import SessionState
from openrtm.store.sqlite_writer import COMMIT_SECONDS_BUCKETS
from tests.conftest import (
    APP_CERT,
    APP_ID,
    OTHER_APP_ID,
    ClientFactory,
    Recorder,
    ServerFactory,
    unit,
    until,
)
from tests.proxy import TcpProxy
from tests.server.http.conftest import RestClient
from tests.server.test_fanout import StalledClient
from tests.server.test_gateway_frames import RawClient

Samples = Mapping[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(server: Server) -> Samples:
    """Every sample ``GET /metrics`` answers, by (sample name, labels)."""
    async with aiohttp.ClientSession() as http, http.get(server.http_url + "metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in samples, f"duplicate sample {key}"
            samples[key] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; a missing sample fails the test."""
    return samples[name, frozenset(labels.items())]


def series(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """Every sample called ``name``, by labels."""
    return {labels: v for (n, labels), v in samples.items() if n == name}


def token(uid: str) -> str:
    return build_token(APP_ID, APP_CERT, uid, expire=3600, now=int(time.time()))


async def http_get(server: Server, path: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(server.http_url + path) as response:
        await response.read()
        return response.status


async def test_a_fresh_server_exports_every_family_at_zero(server: Server) -> None:
    samples = await scrape(server)
    assert value(samples, "openrtm_build_info", version=VERSION) == 1
    assert value(samples, "openrtm_connections") == 0
    assert series(samples, "openrtm_sessions") == {}
    assert value(samples, "openrtm_logins_total") == 0
    assert value(samples, "openrtm_session_resumes_total") == 0
    assert series(samples, "openrtm_login_failures_total") == {}
    for kind in ("peer", "channel", "offline_stored", "offline_replayed"):
        assert value(samples, "openrtm_messages_total", kind=kind) == 0
    for kind in ("peer", "channel"):
        assert value(samples, "openrtm_deliveries_total", kind=kind) == 0
    assert value(samples, "openrtm_peer_receipt_timeouts_total") == 0
    assert value(samples, "openrtm_slow_consumer_kicks_total") == 0
    # The scrape itself is counted once answered: not in its own answer.
    assert series(samples, "openrtm_http_requests_total") == {}
    assert value(samples, "openrtm_media_bytes_total", direction="in") == 0
    assert value(samples, "openrtm_media_bytes_total", direction="out") == 0
    # The usual process series, from the node's own registry.
    assert value(samples, "process_open_fds") > 0


async def test_logins_messages_deliveries_and_requests_are_counted_exactly(
    secure_server: Server, make_client: ClientFactory
) -> None:
    server = secure_server
    alice, bob = make_client(server), make_client(server)
    await alice.login("alice", token("alice"))
    await bob.login("bob", token("bob"))
    refused = make_client(server)
    with pytest.raises(openrtm.RtmError) as info:
        await refused.login("mallory", "007not-a-token")
    assert info.value.code == 5  # spec §4.1: LOGIN_ERR_INVALID_TOKEN
    carol = make_client(server, app_id=OTHER_APP_ID)  # "App ID only": no token needed
    await carol.login("carol")

    # Peer: one online (received), one to an offline user with offline messaging (stored).
    assert (await alice.send_message_to_peer("hi bob", "bob")).has_peer_received
    stored = await alice.send_message_to_peer("hi dave", "dave", {"enable_offline_messaging": True})
    assert not stored.has_peer_received
    dave = make_client(server)
    dave_inbox = Recorder(dave, "MessageFromPeer")
    await dave.login("dave", token("dave"))
    message, _, props = await dave_inbox.wait_for("MessageFromPeer")
    assert (message.text, props.is_offline_message) == ("hi dave", True)

    # Channel: alice and bob in the room, alice sends twice; only bob receives them.
    alice_room, bob_room = alice.create_channel("room"), bob.create_channel("room")
    bob_events = Recorder(bob_room, "ChannelMessage")  # type: ignore[arg-type]
    await alice_room.join()
    await bob_room.join()
    await alice_room.send_message("one")
    await alice_room.send_message("two")
    await bob_events.wait_for("ChannelMessage")
    await bob_events.wait_for("ChannelMessage")

    # HTTP: a known route, an unknown path, a scanner's path with a query string.
    assert await http_get(server, "healthz") == 200
    assert await http_get(server, "nope") == 404
    assert await http_get(server, "wp-admin/setup.php?step=1") == 404

    # The refused client's connection may still be closing: wait for the four that stay.
    await until(lambda: len(server.node.hub.connections) == 4)
    batches_before = server.node.store.committed_batches  # type: ignore[attr-defined]
    samples = await scrape(server)
    batches_after = server.node.store.committed_batches  # type: ignore[attr-defined]

    assert value(samples, "openrtm_connections") == 4
    assert series(samples, "openrtm_sessions") == {
        frozenset({("app_id", APP_ID)}): 3,
        frozenset({("app_id", OTHER_APP_ID)}): 1,
    }
    assert value(samples, "openrtm_logins_total") == 4
    assert series(samples, "openrtm_login_failures_total") == {
        frozenset({("code", "5"), ("reason", "INVALID_TOKEN")}): 1
    }
    assert value(samples, "openrtm_messages_total", kind="peer") == 2
    assert value(samples, "openrtm_messages_total", kind="channel") == 2
    assert value(samples, "openrtm_messages_total", kind="offline_stored") == 1
    assert value(samples, "openrtm_messages_total", kind="offline_replayed") == 1
    # bob's live message and dave's replayed one; bob got both channel messages.
    assert value(samples, "openrtm_deliveries_total", kind="peer") == 2
    assert value(samples, "openrtm_deliveries_total", kind="channel") == 2
    assert value(samples, "openrtm_peer_receipt_timeouts_total") == 0
    assert value(samples, "openrtm_slow_consumer_kicks_total") == 0
    assert series(samples, "openrtm_http_requests_total") == {
        frozenset({("endpoint", "/healthz"), ("method", "GET"), ("status", "200")}): 1,
        frozenset({("endpoint", "unmatched"), ("method", "GET"), ("status", "404")}): 2,
    }

    # The store's commits: one observation per committed batch, in cumulative buckets.
    count = value(samples, "openrtm_store_commit_seconds_count")
    assert 1 <= batches_before <= count <= batches_after
    buckets = [
        value(samples, "openrtm_store_commit_seconds_bucket", le=str(bound))
        for bound in (*COMMIT_SECONDS_BUCKETS, "+Inf")
    ]
    assert buckets == sorted(buckets)
    assert buckets[-1] == count
    assert 0 < value(samples, "openrtm_store_commit_seconds_sum") < count * 5.0

    # A session that ends keeps its deliveries in the count; the scrape above is counted now.
    await bob.logout()
    await until(lambda: len(server.node.hub.connections) == 3)
    samples = await scrape(server)
    assert value(samples, "openrtm_deliveries_total", kind="peer") == 2
    assert value(samples, "openrtm_deliveries_total", kind="channel") == 2
    assert value(samples, "openrtm_connections") == 3
    assert value(samples, "openrtm_sessions", app_id=APP_ID) == 2
    assert (
        value(
            samples, "openrtm_http_requests_total", endpoint="/metrics", method="GET", status="200"
        )
        == 1
    )


async def test_two_servers_in_one_process_never_share_a_count(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    busy, quiet = await start_server(), await start_server()
    alice, bob = make_client(busy), make_client(busy)
    await alice.login("alice")
    await bob.login("bob")
    assert (await alice.send_message_to_peer("hi", "bob")).has_peer_received
    assert await http_get(busy, "healthz") == 200
    busy_samples, quiet_samples = await scrape(busy), await scrape(quiet)
    assert value(busy_samples, "openrtm_logins_total") == 2
    assert value(busy_samples, "openrtm_messages_total", kind="peer") == 1
    assert value(busy_samples, "openrtm_deliveries_total", kind="peer") == 1
    assert len(series(busy_samples, "openrtm_http_requests_total")) == 1
    assert value(quiet_samples, "openrtm_logins_total") == 0
    assert value(quiet_samples, "openrtm_messages_total", kind="peer") == 0
    assert value(quiet_samples, "openrtm_deliveries_total", kind="peer") == 0
    assert value(quiet_samples, "openrtm_connections") == 0
    assert series(quiet_samples, "openrtm_http_requests_total") == {}


async def test_a_closing_connection_is_not_counted_twice(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    """A session that has ended but whose connection waits for the client's close frame is
    still a connection; its deliveries are counted once."""
    server = await start_server(peer_ack_timeout=unit(0.5))
    quiet = await StalledClient.connect(server.url, 65536)  # never answers a close frame
    try:
        login = {"op": "login", "id": 1, "v": PROTOCOL_VERSION, "app_id": APP_ID, "uid": "q"}
        assert (await quiet.request(login))["t"] == "reply"
        session = server.node.hub.user(APP_ID, "q")
        assert session is not None
        alice = make_client(server)
        await alice.login("alice")
        sent = asyncio.ensure_future(alice.send_message_to_peer("hi", "q"))
        await until(lambda: session.last_delivery == 1)
        assert (await quiet.request({"op": "logout", "id": 2}))["t"] == "reply"
        assert session.state is SessionState.CLOSED
        assert session in server.node.hub.connections  # the close handshake is pending
        samples = await scrape(server)
        assert value(samples, "openrtm_connections") == 2
        assert value(samples, "openrtm_sessions", app_id=APP_ID) == 1
        assert value(samples, "openrtm_deliveries_total", kind="peer") == 1
        assert not (await sent).has_peer_received  # never acked
    finally:
        quiet.close()


async def test_a_receipt_that_never_comes_is_counted_once(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(peer_ack_timeout=unit(0.5))
    mute = await RawClient.open(server.url)  # logs in, is pushed the message, never acks
    try:
        await mute.login("mute")
        alice = make_client(server)
        await alice.login("alice")
        assert not (await alice.send_message_to_peer("anyone?", "mute")).has_peer_received
        samples = await scrape(server)
        assert value(samples, "openrtm_peer_receipt_timeouts_total") == 1
        assert value(samples, "openrtm_messages_total", kind="peer") == 1
        assert value(samples, "openrtm_deliveries_total", kind="peer") == 1
    finally:
        await mute.close()


async def test_a_resumed_session_keeps_counting_its_deliveries(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server()
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        alice = make_client(  # type: ignore[arg-type]
            proxy, reconnect_backoff_max=unit(0.2), connect_timeout=unit(0.5)
        )
        states = Recorder(alice, "ConnectionStateChanged")
        inbox = Recorder(alice, "MessageFromPeer")
        await alice.login("alice")
        bob = make_client(server)
        await bob.login("bob")
        session = server.node.hub.user(APP_ID, "alice")
        assert session is not None
        proxy.refuse()
        proxy.drop()
        await until(lambda: session.state is SessionState.DETACHED)
        # Pushed to the detached session (kept for the resume): counted while detached.
        sent = asyncio.ensure_future(bob.send_message_to_peer("while away", "alice"))
        await until(lambda: session.last_delivery == 1)
        samples = await scrape(server)
        assert value(samples, "openrtm_connections") == 1  # bob's
        assert value(samples, "openrtm_sessions", app_id=APP_ID) == 2
        assert value(samples, "openrtm_deliveries_total", kind="peer") == 1
        proxy.accept()
        await states.wait_for(
            "ConnectionStateChanged", "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10)
        )
        assert (await sent).has_peer_received
        await inbox.wait_for("MessageFromPeer")
        samples = await scrape(server)
        assert value(samples, "openrtm_logins_total") == 2
        assert value(samples, "openrtm_session_resumes_total") == 1
        assert value(samples, "openrtm_connections") == 2
        assert value(samples, "openrtm_deliveries_total", kind="peer") == 1
    finally:
        await proxy.close()


async def test_a_slow_consumer_kick_is_counted(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    """A member that never reads is cut (as in tests/server/test_fanout.py); the fan-outs it
    was in are its deliveries, and none after."""
    server = await start_server(max_write_buffer_bytes=64 * 1024, message_rate_calls=10_000)
    slow = await StalledClient.connect(server.url, 4096)
    try:
        login = {"op": "login", "id": 1, "v": PROTOCOL_VERSION, "app_id": APP_ID, "uid": "slow"}
        assert (await slow.request(login))["t"] == "reply"
        assert (await slow.request({"op": "join", "id": 2, "channel": "room"}))["t"] == "reply"
        sender = make_client(server, message_rate_calls=10_000)
        await sender.login("sender")
        channel = sender.create_channel("room")
        await channel.join()
        filler = "z" * 30_000
        sent = 0
        for _ in range(1000):
            await channel.send_message(filler)
            sent += 1
            # The cut runs on the loop turn after the write that crossed the limit, before
            # the reply to that message reaches the sender: so it is seen here at once.
            if server.node.hub.user(APP_ID, "slow") is None:
                break
        assert server.node.hub.user(APP_ID, "slow") is None, f"not cut after {sent} messages"
        await channel.send_message("after the cut")  # reaches nobody: no delivery
        samples = await scrape(server)
        assert value(samples, "openrtm_slow_consumer_kicks_total") == 1
        assert value(samples, "openrtm_messages_total", kind="channel") == sent + 1
        assert value(samples, "openrtm_deliveries_total", kind="channel") == sent
    finally:
        slow.close()


async def test_media_bytes_count_what_uploads_and_downloads_move(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    await client.login("alice")
    message = await client.create_media_message_by_uploading(
        bytes(100_000), {"messageType": "FILE", "fileName": "zeros"}
    )
    assert message.media_id is not None
    assert await client.download_media(message.media_id) == bytes(100_000)
    samples = await scrape(server)
    assert value(samples, "openrtm_media_bytes_total", direction="in") == 100_000
    assert value(samples, "openrtm_media_bytes_total", direction="out") == 100_000


async def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(server: Server) -> None:
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.http_url + "metrics", headers={"Accept": accept}) as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        text = await response.text()
    assert "# TYPE openrtm_messages counter" in text
    assert text.endswith("# EOF\n")


async def test_rest_sent_messages_count_with_the_sdks(
    rest: RestClient, rest_server: Server, make_client: ClientFactory
) -> None:
    assert (await rest.peer("alice", {"destination": "bob", "payload": "hi"})).status == 200
    assert (await rest.channel("alice", {"channel_name": "room", "payload": "hi"})).status == 200
    samples = await scrape(rest_server)
    assert value(samples, "openrtm_messages_total", kind="peer") == 1
    assert value(samples, "openrtm_messages_total", kind="channel") == 1
