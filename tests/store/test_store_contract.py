"""The behavioural contract of every :class:`~openrtm.store.base.Store` (design §2, §8).

Written against the Protocol only; add an implementation to ``STORES`` (``conftest.py``) and it
must pass all of this unchanged. This part: the lifecycle, and the REST events of spec §7.5
(destructive reads, oldest first, 2 000 events kept per App ID). The inbox and the history
archive have their own parts of the contract.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from openrtm.store import (
    EVENTS_KEPT_PER_APP,
    ChannelEventRecord,
    HistoryRecord,
    Store,
    StoreError,
    UserEventRecord,
)
from tests.store.conftest import StoreFactory, timeout


def user(i: int, type_: str = "Login") -> UserEventRecord:
    return UserEventRecord(uid=f"u{i}", type="Login" if type_ == "Login" else "Logout", ms=i)


def channel(i: int) -> ChannelEventRecord:
    return ChannelEventRecord(channel_id=f"c{i % 3}", uid=f"u{i}", type="Join", ms=1_000 + i)


async def test_take_returns_recorded_events_oldest_first(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for i in range(10):
            store.record_user_event("app", user(i, "Login" if i % 2 else "Logout"))
            store.record_channel_event("app", channel(i))
        assert await store.take_user_events("app") == [
            user(i, "Login" if i % 2 else "Logout") for i in range(10)
        ]
        assert await store.take_channel_events("app") == [channel(i) for i in range(10)]


async def test_take_is_destructive(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        store.record_user_event("app", user(1))
        store.record_channel_event("app", channel(1))
        assert await store.take_user_events("app") == [user(1)]
        assert await store.take_user_events("app") == []
        assert await store.take_channel_events("app") == [channel(1)]
        assert await store.take_channel_events("app") == []


async def test_take_of_an_unknown_app_is_empty(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        assert await store.take_user_events("nobody") == []
        assert await store.take_channel_events("nobody") == []


async def test_limit_is_respected_and_the_rest_kept(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for i in range(25):
            store.record_user_event("app", user(i))
            store.record_channel_event("app", channel(i))
        assert await store.take_user_events("app", limit=10) == [user(i) for i in range(10)]
        assert await store.take_user_events("app", limit=10) == [user(i) for i in range(10, 20)]
        assert await store.take_user_events("app", limit=10) == [user(i) for i in range(20, 25)]
        assert await store.take_channel_events("app", limit=24) == [channel(i) for i in range(24)]
        assert await store.take_channel_events("app", limit=1) == [channel(24)]
        assert await store.take_channel_events("app", limit=1) == []


async def test_events_recorded_after_a_take_come_next(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        store.record_user_event("app", user(1))
        assert await store.take_user_events("app") == [user(1)]
        store.record_user_event("app", user(2))
        store.record_user_event("app", user(3))
        assert await store.take_user_events("app") == [user(2), user(3)]


@pytest.mark.parametrize("limit", [0, -1])
async def test_a_limit_below_one_is_refused(store: Store, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        await store.take_user_events("app", limit=limit)
    with pytest.raises(ValueError, match="limit"):
        await store.take_channel_events("app", limit=limit)


async def test_the_cap_drops_the_oldest_events(store: Store) -> None:
    """Spec §7.5: at most 2 000 events per App ID; a take returns at most what is asked."""
    extra = 50
    async with asyncio.timeout(timeout(4)):
        for i in range(EVENTS_KEPT_PER_APP + extra):
            store.record_user_event("app", user(i))
            store.record_channel_event("app", channel(i))
        kept = range(extra, EVENTS_KEPT_PER_APP + extra)
        first = await store.take_user_events("app", limit=1_000)
        second = await store.take_user_events("app", limit=1_000)
        assert first + second == [user(i) for i in kept]
        assert await store.take_user_events("app") == []
        channels = await store.take_channel_events("app", limit=1_000)
        channels += await store.take_channel_events("app", limit=1_000)
        assert channels == [channel(i) for i in kept]
        assert await store.take_channel_events("app") == []


async def test_the_cap_counts_each_app_and_kind_on_its_own(store: Store) -> None:
    async with asyncio.timeout(timeout(4)):
        store.record_user_event("quiet", user(0))
        store.record_channel_event("busy", channel(0))
        for i in range(EVENTS_KEPT_PER_APP):
            store.record_user_event("busy", user(i))
        store.record_user_event("busy", user(EVENTS_KEPT_PER_APP))
        assert await store.take_user_events("quiet") == [user(0)]
        assert await store.take_channel_events("busy") == [channel(0)]
        taken = await store.take_user_events("busy", limit=1_000)
        taken += await store.take_user_events("busy", limit=1_000)
        assert taken == [user(i) for i in range(1, EVENTS_KEPT_PER_APP + 1)]


async def test_the_cap_still_holds_after_takes(store: Store) -> None:
    async with asyncio.timeout(timeout(4)):
        for i in range(EVENTS_KEPT_PER_APP):
            store.record_user_event("app", user(i))
        assert await store.take_user_events("app", limit=500) == [user(i) for i in range(500)]
        for i in range(EVENTS_KEPT_PER_APP, EVENTS_KEPT_PER_APP + 600):
            store.record_user_event("app", user(i))
        # 1 500 were left, 600 came: the 100 oldest of them went.
        taken = await store.take_user_events("app", limit=1_000)
        taken += await store.take_user_events("app", limit=1_000)
        assert taken == [user(i) for i in range(600, EVENTS_KEPT_PER_APP + 600)]


async def test_apps_never_see_each_others_events(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for i in range(5):
            store.record_user_event("app-a", user(i))
            store.record_channel_event("app-a", channel(i))
            store.record_user_event("app-b", user(100 + i))
        assert await store.take_user_events("app-b") == [user(100 + i) for i in range(5)]
        assert await store.take_channel_events("app-b") == []
        assert await store.take_user_events("app-a") == [user(i) for i in range(5)]
        assert await store.take_channel_events("app-a") == [channel(i) for i in range(5)]


async def test_flushed_events_survive_reopening(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout(2)):
        first = store_factory()
        await first.open()
        for i in range(20):
            first.record_user_event("app", user(i))
            first.record_channel_event("app", channel(i))
        await first.flush()
        assert await first.take_user_events("app", limit=5) == [user(i) for i in range(5)]
        await first.close()

        second = store_factory()
        await second.open()
        try:
            assert await second.take_user_events("app") == [user(i) for i in range(5, 20)]
            assert await second.take_channel_events("app") == [channel(i) for i in range(20)]
        finally:
            await second.close()


async def test_close_commits_what_was_enqueued(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout(2)):
        first = store_factory()
        await first.open()
        for i in range(100):
            first.record_user_event("app", user(i))
        await first.close()  # no flush: close itself must commit the queue

        second = store_factory()
        await second.open()
        try:
            assert await second.take_user_events("app") == [user(i) for i in range(100)]
        finally:
            await second.close()


async def test_open_and_close_are_idempotent(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout()):
        never_opened = store_factory()
        await never_opened.close()
        await never_opened.close()

        instance = store_factory()
        await instance.open()
        await instance.open()
        instance.record_user_event("app", user(1))
        await asyncio.gather(instance.close(), instance.close())
        await instance.close()


async def test_a_closed_store_refuses_operations(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout()):
        instance = store_factory()
        with pytest.raises(StoreError):
            instance.record_user_event("app", user(1))
        await instance.open()
        await instance.close()
        with pytest.raises(StoreError):
            instance.record_user_event("app", user(1))
        with pytest.raises(StoreError):
            instance.record_channel_event("app", channel(1))
        with pytest.raises(StoreError):
            await instance.take_user_events("app")
        with pytest.raises(StoreError):
            await instance.take_channel_events("app")
        with pytest.raises(StoreError):
            await instance.inbox_put("app", "bob", "alice", "m1", b"hi", 1)
        with pytest.raises(StoreError):
            await instance.inbox_peek("app", "bob", now_ms=1)
        with pytest.raises(StoreError):
            instance.inbox_ack("app", "bob", 1)
        with pytest.raises(StoreError):
            instance.purge_expired(1)
        with pytest.raises(StoreError):
            instance.record_history("app", HistoryRecord("alice", "bob", "user", "hi", 1))
        with pytest.raises(StoreError):
            await instance.history("app", 0, 2, limit=20)
        with pytest.raises(StoreError):
            await instance.flush()
        with pytest.raises(StoreError):
            await instance.open()


async def test_concurrent_records_and_takes_interleave_correctly(store: Store) -> None:
    """Every event is taken exactly once, and each take is in recording order."""
    producers, per_producer, consumers = 16, 100, 6
    assert producers * per_producer <= EVENTS_KEPT_PER_APP  # nothing may be dropped here
    rng = random.Random(7)
    done = asyncio.Event()
    users: list[list[UserEventRecord]] = [[] for _ in range(consumers)]
    channels: list[list[ChannelEventRecord]] = [[] for _ in range(consumers)]

    async def produce(p: int) -> None:
        for j in range(per_producer):
            store.record_user_event("app", UserEventRecord(f"p{p}", "Login", j))
            store.record_channel_event("app", ChannelEventRecord(f"c{p}", f"p{p}", "Join", j))
            if rng.random() < 0.5:
                await asyncio.sleep(0)  # yield so takes land between records

    async def consume(c: int) -> None:
        while True:
            finished = done.is_set()  # read before the takes: a last pass after the end
            users[c] += await store.take_user_events("app", limit=rng.randint(1, 40))
            channels[c] += await store.take_channel_events("app", limit=rng.randint(1, 40))
            if finished:
                users[c] += await store.take_user_events("app")
                channels[c] += await store.take_channel_events("app")
                return

    async with asyncio.timeout(timeout(4)):
        consumer_tasks = [asyncio.create_task(consume(c)) for c in range(consumers)]
        await asyncio.gather(*(produce(p) for p in range(producers)))
        done.set()
        await asyncio.gather(*consumer_tasks)

    expected = sorted((f"p{p}", j) for p in range(producers) for j in range(per_producer))
    assert sorted((e.uid, e.ms) for got in users for e in got) == expected
    assert sorted((e.uid, e.ms) for got in channels for e in got) == expected
    # One consumer's takes are sequential, so what it saw of each producer is in order.
    for got_users, got_channels in zip(users, channels, strict=True):
        for p in range(producers):
            seen = [e.ms for e in got_users if e.uid == f"p{p}"]
            assert seen == sorted(seen)
            seen = [e.ms for e in got_channels if e.uid == f"p{p}"]
            assert seen == sorted(seen)


async def test_a_secret_is_made_once_and_then_kept(store: Store) -> None:
    # Store.secret: e.g. the media ticket key, the same for every node on the store.
    async with asyncio.timeout(timeout()):
        first = await store.secret("one")
        assert len(first) == 32
        assert await store.secret("one") == first
        assert await store.secret("two") != first


async def test_calls_are_counted_per_app_and_budget_in_a_window(store: Store) -> None:
    # Spec §5.4 per-App REST budgets, shared by the nodes of a cluster.
    async with asyncio.timeout(timeout()):
        assert [await store.count_call("app", "messages", 60_000) for _ in range(3)] == [1, 2, 3]
        assert await store.count_call("app", "events", 60_000) == 1
        assert await store.count_call("other", "messages", 60_000) == 1
        assert await store.count_call("app", "short", 50) == 1
        await asyncio.sleep(0.1)
        assert await store.count_call("app", "short", 50) == 1  # a new window


async def test_history_query_handles_are_shared_and_bounded(store: Store) -> None:
    # Spec §7.4: a handle is pending, then holds its result, for its TTL; an App holds at most
    # so many at once; Apps never see each other's.
    async with asyncio.timeout(timeout()):
        assert await store.query_handle_get("app", "h1") is None
        assert await store.query_handle_create("app", "h1", 60_000, 2) is None
        assert await store.query_handle_get("app", "h1") == b""
        assert await store.query_handle_get("other", "h1") is None
        await store.query_handle_finish("app", "h1", b"result")
        assert await store.query_handle_get("app", "h1") == b"result"
        assert await store.query_handle_create("app", "h2", 60_000, 2) is None
        retry = await store.query_handle_create("app", "h3", 60_000, 2)
        assert retry is not None
        assert 0 < retry <= 60_000
        assert await store.query_handle_create("other", "h3", 60_000, 2) is None
        assert await store.query_handle_create("app", "short", 50, 5) is None
        await asyncio.sleep(0.1)
        assert await store.query_handle_get("app", "short") is None
        await store.query_handle_finish("app", "short", b"late")  # expired: not revived
        assert await store.query_handle_get("app", "short") is None
