"""The REST history engine (spec §6.3, §7.4) over a real server, real SDK clients and SQLite.

Messages are archived by sending them through the SDK, with and without
``enable_historical_messaging``, TEXT and RAW; the test notes what it sent and the server
timestamp its receivers saw (``server_received_ts``, the archive's ``ts``), and computes every
expected result itself: source matches the sender, destination the receiver or the channel,
``[start, end)``, by ``ts`` then sending order, ``desc`` the reverse, then offset and limit.
Queries go through :func:`parse_history_query` and ``server.node.history``, as the REST layer
calls them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

import openrtm
from openrtm.server import Server
from openrtm.server.history import (
    IN_PROGRESS,
    OK,
    HandleGone,
    HistoryFilter,
    HistoryMessage,
    HistoryQueries,
    HistoryQuery,
    HistoryTooOften,
    TooManyHandles,
    parse_count_query,
    parse_history_query,
)
from openrtm.server.timers import now_ms
from openrtm.store import SqliteStore, StoreError
from tests.conftest import (
    APP_ID,
    OTHER_APP_ID,
    ClientFactory,
    Recorder,
    ServerFactory,
    unit,
    until,
)

HISTORY = openrtm.SendMessageOptions(enable_historical_messaging=True)
PEER, CHANNEL = "MessageFromPeer", "ChannelMessage"
SENDERS = ["alice", "bob", "carol"]
# Who is in which channel; "olga" only listens, to see every channel message's timestamp. The
# channel "bob" shares its id with the user bob: destination "bob" matches both.
CHANNELS = {"lobby": ["alice", "bob", "carol", "olga"], "bob": ["alice", "carol", "olga"]}


@dataclass(frozen=True)
class Sent:
    src: str
    dst: str
    payload: str
    ts: int
    archived: bool


def iso(ms: int) -> str:
    """A UTC ISO-8601 time with milliseconds: what an app server sends."""
    whole = datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{ms % 1000:03d}Z"


def expected(
    sent: list[Sent],
    source: str | None,
    destination: str | None,
    start: int,
    end: int,
    order: str = "desc",
    offset: int = 0,
    limit: int = 20,
) -> list[HistoryMessage]:
    matches = [
        s
        for s in sent
        if s.archived
        and (source is None or s.src == source)
        and (destination is None or s.dst == destination)
        and start <= s.ts < end
    ]
    matches.sort(key=lambda s: s.ts)  # stable: equal timestamps keep the sending order
    if order == "desc":
        matches.reverse()
    return [
        {"src": s.src, "dst": s.dst, "payload": s.payload, "ts": s.ts}
        for s in matches[offset : offset + limit]
    ]


async def result(server: Server, app_id: str, handle: str) -> list[HistoryMessage]:
    """Poll ``handle`` until the page is ready."""
    history = server.node.history
    await until(lambda: history.poll(app_id, handle).status == OK)
    return history.poll(app_id, handle).messages


async def query(server: Server, app_id: str, body: dict[str, object]) -> list[HistoryMessage]:
    return await result(
        server, app_id, server.node.history.create(app_id, parse_history_query(body))
    )


@pytest.fixture
async def busy_server(start_server: ServerFactory) -> Server:
    """A server whose history budget does not get in the way of polling in a loop."""
    return await start_server(history_rate_calls=1_000_000)


async def chat(
    server: Server, make_client: ClientFactory, seed: int, n: int, peer_share: float = 0.5
) -> list[Sent]:
    """Send ``n`` messages among SENDERS and CHANNELS through the SDK; return what was sent.

    A share ``peer_share`` of them are peer messages, the others channel messages.
    """
    clients: dict[str, openrtm.RtmClient] = {}
    for uid in [*SENDERS, "olga"]:
        clients[uid] = make_client(server)
        await clients[uid].login(uid)
    inboxes = {uid: Recorder(clients[uid], PEER) for uid in SENDERS}
    channels: dict[tuple[str, str], openrtm.RtmChannel] = {}
    watch: dict[str, Recorder] = {}
    for name, members in CHANNELS.items():
        for uid in members:
            channels[uid, name] = clients[uid].create_channel(name)
            await channels[uid, name].join()
        watch[name] = Recorder(channels["olga", name], CHANNEL)  # type: ignore[arg-type]

    rng = random.Random(seed)
    sent: list[Sent] = []
    for i in range(n):
        flagged = rng.random() < 0.75
        raw = rng.random() < 0.15
        text = f"m{i} {'h' if flagged else '-'} ✓"
        message = openrtm.RtmMessage(raw_message=text.encode()) if raw else text
        options = HISTORY if flagged else None
        if rng.random() < peer_share:
            src = rng.choice(SENDERS)
            dst = rng.choice([u for u in SENDERS if u != src])
            assert (
                await clients[src].send_message_to_peer(message, dst, options)
            ).has_peer_received
            _, peer_id, props = await inboxes[dst].wait_for(PEER)
            assert peer_id == src
        else:
            dst = rng.choice(sorted(CHANNELS))
            src = rng.choice([u for u in CHANNELS[dst] if u != "olga"])
            await channels[src, dst].send_message(message, options)
            _, member_id, props = await watch[dst].wait_for(CHANNEL)
            assert member_id == src
        # Only TEXT messages sent with the flag are archived (spec §6.3).
        sent.append(Sent(src, dst, text, props.server_received_ts, flagged and not raw))
    return sent


async def test_queries_return_what_the_test_computes(
    busy_server: Server, make_client: ClientFactory
) -> None:
    server = busy_server
    sent = await chat(server, make_client, seed=13, n=60)
    archived = [s for s in sent if s.archived]
    assert 20 < len(archived) < len(sent)  # some flags off, some RAW
    first, last = sent[0].ts, sent[-1].ts + 1
    mid_start, mid_end = sent[len(sent) // 3].ts, sent[2 * len(sent) // 3].ts

    cases: list[tuple[str | None, str | None, int, int]] = [
        ("alice", None, first, last),  # everything alice sent
        (None, "bob", first, last),  # bob's peer messages and the channel "bob"
        (None, "lobby", first, last),  # the channel's messages
        ("carol", "lobby", first, last),  # carol's messages in the channel
        ("alice", "carol", first, last),  # that pair
        ("lobby", None, first, last),  # a channel as source: nothing
        (None, "olga", first, last),  # nobody wrote to olga
        ("bob", None, mid_start, mid_end),  # a time window
        (None, "lobby", mid_start, mid_end),
        ("alice", None, last, last + 1000),  # after everything
    ]
    for source, destination, start, end in cases:
        for order, offset, limit in [("asc", 0, 100), ("desc", 0, 20), ("desc", 5, 50)]:
            body = {
                "filter": {
                    "source": source,
                    "destination": destination,
                    "start_time": iso(start),
                    "end_time": iso(end),
                },
                "order": order,
                "offset": offset,
                "limit": limit,
            }
            want = expected(sent, source, destination, start, end, order, offset, limit)
            assert await query(server, APP_ID, body) == want, body
        params = {"start_time": iso(start), "end_time": iso(end)}
        params |= {"source": source or "", "destination": destination or ""}
        count = await server.node.history.count(APP_ID, parse_count_query(params))
        assert count == len(expected(sent, source, destination, start, end, limit=10**6))

    # The defaults: newest first, 20 a page, from the first.
    body = {"filter": {"source": "alice", "start_time": iso(first), "end_time": iso(last)}}
    assert await query(server, APP_ID, body) == expected(sent, "alice", None, first, last)


async def test_pages_walk_the_whole_result(busy_server: Server, make_client: ClientFactory) -> None:
    server = busy_server
    sent = await chat(server, make_client, seed=3, n=100, peer_share=0.0)
    start, end = sent[0].ts, sent[-1].ts + 1
    want = expected(sent, None, "lobby", start, end, "asc", limit=10**6)
    assert len(want) > 20
    got: list[HistoryMessage] = []
    for offset in range(0, len(want) + 20, 20):
        f = {"destination": "lobby", "start_time": iso(start), "end_time": iso(end)}
        page = await query(server, APP_ID, {"filter": f, "order": "asc", "offset": offset})
        got += page
    assert got == want


async def test_a_peer_message_to_an_offline_user_is_archived(
    busy_server: Server, make_client: ClientFactory
) -> None:
    alice = make_client(busy_server)
    await alice.login("alice")
    before = now_ms()
    result_ = await alice.send_message_to_peer("are you there?", "zed", HISTORY)
    after = now_ms()
    assert result_.has_peer_received is False
    f = {"destination": "zed", "start_time": iso(before), "end_time": iso(after + 1)}
    (message,) = await query(busy_server, APP_ID, {"filter": f})
    assert (message["src"], message["dst"], message["payload"]) == (
        "alice",
        "zed",
        "are you there?",
    )
    assert before <= message["ts"] <= after


async def test_apps_never_see_each_others_history(
    busy_server: Server, make_client: ClientFactory
) -> None:
    server = busy_server
    theirs = make_client(server, app_id=OTHER_APP_ID)
    await theirs.login("alice")
    start = now_ms()
    await theirs.send_message_to_peer("other app", "bob", HISTORY)
    window = {"start_time": iso(start), "end_time": iso(now_ms() + 1)}
    assert await query(server, APP_ID, {"filter": {"source": "alice", **window}}) == []
    mine = await query(server, OTHER_APP_ID, {"filter": {"source": "alice", **window}})
    assert [m["payload"] for m in mine] == ["other app"]
    assert (
        await server.node.history.count(APP_ID, parse_count_query({"source": "alice", **window}))
        == 0
    )

    # A handle is the App's own: another App's poll of it is refused like an unknown one.
    handle = server.node.history.create(
        OTHER_APP_ID, parse_history_query({"filter": {"source": "alice", **window}})
    )
    with pytest.raises(HandleGone):
        server.node.history.poll(APP_ID, handle)
    assert await result(server, OTHER_APP_ID, handle) == mine


async def test_a_query_is_in_progress_until_the_store_answers(busy_server: Server) -> None:
    history = busy_server.node.history
    body = {"filter": {"source": "alice", "start_time": iso(0), "end_time": iso(now_ms())}}
    handle = history.create(APP_ID, parse_history_query(body))
    # Nothing has run yet: the query is a task of this loop, the store a thread away.
    poll = history.poll(APP_ID, handle)
    assert (poll.status, poll.messages) == (IN_PROGRESS, [])
    assert await result(busy_server, APP_ID, handle) == []
    assert history.poll(APP_ID, handle).status == OK  # a result can be read again


async def test_handles_are_unguessable_and_unknown_ones_are_gone(busy_server: Server) -> None:
    history = busy_server.node.history
    query_ = parse_history_query(
        {"filter": {"source": "a", "start_time": iso(0), "end_time": iso(1)}}
    )
    handles = {history.create(APP_ID, query_) for _ in range(20)}
    assert len(handles) == 20
    assert all(len(h) >= 32 for h in handles)
    for handle in ["", "nope", "../etc", min(handles)[:-1]]:
        with pytest.raises(HandleGone, match="unknown or expired"):
            history.poll(APP_ID, handle)


async def test_handles_expire_and_their_results_are_dropped(
    start_server: ServerFactory,
) -> None:
    server = await start_server(history_handle_ttl=unit(0.5), history_rate_calls=1_000_000)
    history = server.node.history
    body = {"filter": {"source": "a", "start_time": iso(0), "end_time": iso(1)}}
    handle = history.create(APP_ID, parse_history_query(body))
    assert await result(server, APP_ID, handle) == []
    assert history.live_handles(APP_ID) == 1
    # The node's timer drops it; nothing else calls the engine meanwhile.
    await until(lambda: not history._handles, timeout=unit(5))
    assert history.live_handles(APP_ID) == 0
    with pytest.raises(HandleGone):
        history.poll(APP_ID, handle)


async def test_expiry_follows_the_clock(busy_server: Server) -> None:
    now = [1000.0]
    history = HistoryQueries(busy_server.node.store, handle_ttl=300.0, clock=lambda: now[0])
    try:
        q = parse_history_query(
            {"filter": {"source": "a", "start_time": iso(0), "end_time": iso(1)}}
        )
        old = history.create(APP_ID, q)
        now[0] += 100.0
        young = history.create(APP_ID, q)
        assert await result_of(history, old) == []
        now[0] += 199.9
        assert history.poll(APP_ID, old).status == OK  # 299.9 s old
        now[0] += 0.1
        with pytest.raises(HandleGone):
            history.poll(APP_ID, old)  # 300 s old: gone
        assert history.poll(APP_ID, young).status in (OK, IN_PROGRESS)
        assert history.live_handles(APP_ID) == 1
        now[0] += 100.0
        assert history.live_handles(APP_ID) == 0
    finally:
        await history.close()


async def result_of(history: HistoryQueries, handle: str) -> list[HistoryMessage]:
    await until(lambda: history.poll(APP_ID, handle).status == OK)
    return history.poll(APP_ID, handle).messages


async def test_an_app_holds_a_bounded_number_of_handles(start_server: ServerFactory) -> None:
    server = await start_server(
        history_max_handles_per_app=3, history_handle_ttl=60.0, history_rate_calls=1_000_000
    )
    history = server.node.history
    q = parse_history_query({"filter": {"source": "a", "start_time": iso(0), "end_time": iso(1)}})
    for _ in range(3):
        history.create(APP_ID, q)
    with pytest.raises(TooManyHandles) as refused:
        history.create(APP_ID, q)
    assert 0 < refused.value.retry_after <= 60.0
    assert history.live_handles(APP_ID) == 3
    history.create(OTHER_APP_ID, q)  # the bound is per App


async def test_history_calls_are_limited_per_app(server: Server) -> None:
    # Spec §5.4: 10 calls a second per App ID, create, poll and count together (the default).
    history = server.node.history
    q = parse_history_query({"filter": {"source": "a", "start_time": iso(0), "end_time": iso(1)}})
    handle = history.create(APP_ID, q)
    for _ in range(8):
        history.poll(APP_ID, handle)
    await history.count(APP_ID, q.filter)
    with pytest.raises(HistoryTooOften, match="10 history calls"):
        history.poll(APP_ID, handle)
    with pytest.raises(HistoryTooOften):
        await history.count(APP_ID, q.filter)
    with pytest.raises(HistoryTooOften):
        history.create(APP_ID, q)
    history.poll(OTHER_APP_ID, history.create(OTHER_APP_ID, q))  # another App's budget


async def test_a_failing_store_is_reported_by_the_poll(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "openrtm.sqlite3")
    await store.open()
    await store.close()  # every operation now fails
    history = HistoryQueries(store)
    try:
        q = parse_history_query(
            {"filter": {"source": "a", "start_time": iso(0), "end_time": iso(1)}}
        )
        handle = history.create(APP_ID, q)
        await until(lambda: history._handles[handle].done)
        with pytest.raises(StoreError, match="history query failed"):
            history.poll(APP_ID, handle)
        with pytest.raises(StoreError):
            await history.count(APP_ID, q.filter)
    finally:
        await history.close()


async def test_old_messages_are_purged_after_the_retention(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    # A retention of 0.5 units, swept every 0.1 units: the message is soon gone.
    server = await start_server(
        history_retention=unit(0.5), inbox_purge_interval=unit(0.1), history_rate_calls=1_000_000
    )
    alice = make_client(server)
    await alice.login("alice")
    start = now_ms()
    await alice.send_message_to_peer("soon gone", "zed", HISTORY)
    window = HistoryFilter("alice", None, start, now_ms() + 1)
    assert await server.node.history.count(APP_ID, window) == 1

    async def purged() -> bool:
        return await server.node.history.count(APP_ID, window) == 0

    await until(purged, timeout=unit(10))
    handle = server.node.history.create(APP_ID, HistoryQuery(window, limit=100))
    assert await result(server, APP_ID, handle) == []


async def test_a_zero_retention_keeps_everything(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(
        history_retention=0.0, inbox_purge_interval=unit(0.05), history_rate_calls=1_000_000
    )
    alice = make_client(server)
    await alice.login("alice")
    await alice.send_message_to_peer("kept", "zed", HISTORY)
    window = HistoryFilter("alice", None, 0, now_ms() + 1)
    # Several sweeps go by; each would have purged a message older than "now - 0 s".
    sweeps = server.node.store.committed_batches  # type: ignore[attr-defined]
    await until(lambda: server.node.store.committed_batches >= sweeps + 3)  # type: ignore[attr-defined]
    assert await server.node.history.count(APP_ID, window) == 1
