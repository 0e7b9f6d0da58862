"""The contract of every store's filtered history reads (spec §7.4; design §2, §8).

Written against the :class:`~openrtm.store.base.Store` Protocol only. Every expectation is
computed here, from the records the test wrote, by a model of the filter that shares no code
with the store: source matches the sender; destination matches the receiver or the channel;
``start_ms <= ts < end_ms``; by ``ts`` then by recording, ``"desc"`` the exact reverse.
"""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest

from openrtm.store import HistoryOrder, HistoryRecord, Store
from tests.store.conftest import StoreFactory, timeout

T0 = 1_700_000_000_000
USERS = ["alice", "bob", "carol"]
CHANNELS = ["lobby", "bob"]  # a channel may share its id with a user


def archive(seed: int, n: int) -> list[HistoryRecord]:
    """``n`` messages among USERS and CHANNELS, with many equal timestamps."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        src = rng.choice(USERS)
        if rng.random() < 0.5:
            dst, kind = rng.choice(CHANNELS), "channel"
        else:
            dst, kind = rng.choice(USERS), "user"
        ts = T0 + rng.randrange(40)
        records.append(HistoryRecord(src, dst, kind, f"m{i} ✓", ts))  # type: ignore[arg-type]
    return records


def model(
    records: list[HistoryRecord],
    source: str | None,
    destination: str | None,
    start_ms: int,
    end_ms: int,
) -> list[HistoryRecord]:
    """The matches, oldest first, ties in recording order (``sorted`` is stable)."""
    matches = [
        r
        for r in records
        if (source is None or r.src == source)
        and (destination is None or r.dst == destination)
        and start_ms <= r.ts < end_ms
    ]
    return sorted(matches, key=lambda r: r.ts)


async def test_filtered_pages_match_the_model(store: Store) -> None:
    records = archive(seed=13, n=300)
    async with asyncio.timeout(timeout(4)):
        for r in records:
            store.record_history("app", r)
        store.record_history("other-app", HistoryRecord("alice", "bob", "user", "x", T0 + 1))
        filters = [
            (s, d)
            for s, d in itertools.product([None, *USERS, "lobby"], [None, *USERS, "lobby", "zed"])
            if (s, d) != (None, None)
        ]
        rng = random.Random(7)
        for source, destination in filters:
            start = T0 + rng.randrange(-5, 20)
            end = start + rng.randrange(0, 40)
            expected = model(records, source, destination, start, end)
            assert await store.history_count(
                "app", source=source, destination=destination, start_ms=start, end_ms=end
            ) == len(expected)
            for order, offset, limit in [("asc", 0, 100), ("desc", 0, 20), ("asc", 7, 5)]:
                want = expected if order == "asc" else expected[::-1]
                got = await store.history_query(
                    "app",
                    source=source,
                    destination=destination,
                    start_ms=start,
                    end_ms=end,
                    order=order,  # type: ignore[arg-type]
                    offset=offset,
                    limit=limit,
                )
                assert got == want[offset : offset + limit], (source, destination, order)


async def test_pages_cover_the_window_once_in_both_orders(store: Store) -> None:
    records = archive(seed=5, n=120)
    async with asyncio.timeout(timeout(2)):
        for r in records:
            store.record_history("app", r)
        expected = model(records, "alice", None, T0, T0 + 40)
        assert len(expected) > 20  # several pages
        order: HistoryOrder
        for order in ("asc", "desc"):
            pages: list[HistoryRecord] = []
            for offset in itertools.count(0, 20):
                page = await store.history_query(
                    "app",
                    source="alice",
                    destination=None,
                    start_ms=T0,
                    end_ms=T0 + 40,
                    order=order,
                    offset=offset,
                    limit=20,
                )
                pages += page
                if len(page) < 20:
                    break
            assert pages == (expected if order == "asc" else expected[::-1])


async def test_the_window_is_start_inclusive_and_end_exclusive(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        records = [HistoryRecord("alice", "bob", "user", str(i), T0 + i) for i in range(5)]
        for r in records:
            store.record_history("app", r)

        async def window(start: int, end: int) -> list[HistoryRecord]:
            return await store.history_query(
                "app",
                source="alice",
                destination="bob",
                start_ms=start,
                end_ms=end,
                order="asc",
                offset=0,
                limit=100,
            )

        assert await window(T0 + 1, T0 + 3) == records[1:3]
        assert await window(T0 + 2, T0 + 2) == []
        assert await window(T0 + 3, T0 + 1) == []  # an inverted window is empty, not an error
        assert await window(T0 + 5, T0 + 100) == []


async def test_a_channel_as_source_matches_nothing(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        store.record_history("app", HistoryRecord("alice", "lobby", "channel", "hi", T0))
        got = await store.history_query(
            "app",
            source="lobby",
            destination=None,
            start_ms=T0,
            end_ms=T0 + 1,
            order="desc",
            offset=0,
            limit=20,
        )
        assert got == []
        count = await store.history_count(
            "app", source="lobby", destination=None, start_ms=T0, end_ms=T0 + 1
        )
        assert count == 0


async def test_an_offset_past_the_end_gives_an_empty_page(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        store.record_history("app", HistoryRecord("alice", "bob", "user", "hi", T0))
        got = await store.history_query(
            "app",
            source="alice",
            destination=None,
            start_ms=T0,
            end_ms=T0 + 1,
            order="asc",
            offset=2**63 - 1,
            limit=100,
        )
        assert got == []


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"source": None, "destination": None}, "source or destination"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"order": "up"}, "order"),
    ],
)
async def test_bad_history_queries_are_refused(
    store: Store, change: dict[str, object], match: str
) -> None:
    args: dict[str, object] = {
        "source": "alice",
        "destination": None,
        "start_ms": T0,
        "end_ms": T0 + 1,
        "order": "asc",
        "offset": 0,
        "limit": 20,
    } | change
    with pytest.raises(ValueError, match=match):
        await store.history_query("app", **args)  # type: ignore[arg-type]


async def test_a_count_without_source_or_destination_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="source or destination"):
        await store.history_count("app", source=None, destination=None, start_ms=T0, end_ms=T0 + 1)


async def test_purge_drops_only_older_messages_of_every_app(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for app in ("app-a", "app-b", "app-c"):
            for i in range(6):
                store.record_history(app, HistoryRecord("alice", "bob", "user", str(i), T0 + i))
        store.purge_history(T0 + 4)
        for app in ("app-a", "app-b", "app-c"):
            left = await store.history(app, 0, T0 + 100, limit=100)
            assert [r.payload for r in left] == ["4", "5"]
            count = await store.history_count(
                app, source="alice", destination=None, start_ms=0, end_ms=T0 + 100
            )
            assert count == 2


async def test_purge_of_an_empty_archive_does_nothing(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout(2)):
        store = store_factory()
        await store.open()
        try:
            store.purge_history(T0)
            await store.flush()
            assert await store.history("app", 0, T0, limit=1) == []
        finally:
            await store.close()
