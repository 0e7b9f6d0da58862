"""The contract of every store's message-history archive (spec §6.3, §7.4; design §2, §8).

Written against the :class:`~openrtm.store.base.Store` Protocol only: what is recorded can be
read back by time window, oldest first, per App ID.
"""

from __future__ import annotations

import asyncio

import pytest

from openrtm.store import HistoryDestinationKind, HistoryRecord, Store
from tests.store.conftest import StoreFactory, timeout

T0 = 1_700_000_000_000


def message(i: int, ts: int | None = None) -> HistoryRecord:
    kind: HistoryDestinationKind = "channel" if i % 2 else "user"
    return HistoryRecord(
        src=f"u{i % 3}",
        dst=f"c{i}" if kind == "channel" else f"u{i}",
        dst_kind=kind,
        payload=f"hello {i} ✓",
        ts=T0 + i if ts is None else ts,
    )


async def test_history_returns_a_time_window_oldest_first(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for i in range(10):
            store.record_history("app", message(i))
        # start inclusive, end exclusive
        assert await store.history("app", T0 + 3, T0 + 7, limit=100) == [
            message(i) for i in range(3, 7)
        ]
        assert await store.history("app", T0, T0 + 10, limit=100) == [message(i) for i in range(10)]
        assert await store.history("app", T0 + 10, T0 + 20, limit=100) == []
        assert await store.history("app", T0 - 10, T0, limit=100) == []


async def test_history_is_ordered_by_time_then_by_recording(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        recorded = [message(0, ts=T0 + 5), message(1, ts=T0 + 1), message(2, ts=T0 + 5)]
        recorded += [message(3, ts=T0 + 1)]
        for record in recorded:
            store.record_history("app", record)
        got = await store.history("app", T0, T0 + 10, limit=100)
        assert got == [recorded[1], recorded[3], recorded[0], recorded[2]]


async def test_history_returns_at_most_limit(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for i in range(30):
            store.record_history("app", message(i))
        assert await store.history("app", T0, T0 + 30, limit=20) == [message(i) for i in range(20)]
        assert await store.history("app", T0 + 20, T0 + 30, limit=20) == [
            message(i) for i in range(20, 30)
        ]


@pytest.mark.parametrize("limit", [0, -1])
async def test_a_history_limit_below_one_is_refused(store: Store, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        await store.history("app", T0, T0 + 10, limit=limit)


async def test_apps_never_see_each_others_history(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for i in range(5):
            store.record_history("app-a", message(i))
            store.record_history("app-b", message(100 + i, ts=T0 + i))
        assert await store.history("app-a", T0, T0 + 10, limit=100) == [
            message(i) for i in range(5)
        ]
        assert await store.history("app-b", T0, T0 + 10, limit=100) == [
            message(100 + i, ts=T0 + i) for i in range(5)
        ]
        assert await store.history("app-c", T0, T0 + 10, limit=100) == []


async def test_history_survives_reopening(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout(2)):
        first = store_factory()
        await first.open()
        for i in range(3):
            first.record_history("app", message(i))
        await first.close()  # no flush: close itself must commit the queue

        second = store_factory()
        await second.open()
        try:
            assert await second.history("app", T0, T0 + 3, limit=20) == [
                message(i) for i in range(3)
            ]
        finally:
            await second.close()


async def test_put_history_is_committed_when_it_returns(store_factory: StoreFactory) -> None:
    # Issue #15: a message sent with history is archived before its sender's reply. What
    # put_history returned for is there for a second store on the same data (another node),
    # in order with what was recorded without waiting before it.
    async with asyncio.timeout(timeout(2)):
        first = store_factory()
        await first.open()
        second = store_factory()
        await second.open()
        try:
            first.record_history("app", message(0))
            await first.put_history("app", message(1))
            assert await second.history("app", T0, T0 + 2, limit=10) == [message(0), message(1)]
        finally:
            await first.close()
            await second.close()
