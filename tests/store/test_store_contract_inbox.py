"""The contract of every store's offline-message inbox (spec §6.2; design §2, §8).

Written against the :class:`~openrtm.store.base.Store` Protocol only. Spec §6.2: at most 200
entries per receiver, kept at most 7 days, the newest overwriting the oldest; delivered in send
order, each once: peek is not destructive, ack deletes what was delivered.
"""

from __future__ import annotations

import asyncio

import pytest

from openrtm.store import INBOX_CAP, INBOX_TTL_MS, InboxEntry, Store
from tests.store.conftest import StoreFactory, timeout

NOW = 1_700_000_000_000
"""The injected clock, in ms since the epoch."""

OLD = NOW - INBOX_TTL_MS - 1
"""A timestamp just expired at :data:`NOW`."""


async def put(store: Store, i: int, receiver: str = "bob", app: str = "app", ts: int = NOW) -> None:
    await store.inbox_put(app, receiver, "alice", f"m{i}", payload(i), ts)


def payload(i: int) -> bytes:
    return b"\x00\xff payload " + str(i).encode()  # opaque bytes, not text


async def mids(store: Store, receiver: str = "bob", app: str = "app", now: int = NOW) -> list[str]:
    return [e.mid for e in await store.inbox_peek(app, receiver, now_ms=now)]


def numbered(indexes: range | list[int]) -> list[str]:
    return [f"m{i}" for i in indexes]


async def test_peek_returns_the_puts_in_send_order(store: Store) -> None:
    async with asyncio.timeout(timeout(2)):
        for i in range(100):
            await store.inbox_put("app", "bob", f"sender{i % 3}", f"m{i}", payload(i), NOW + i)
        entries = await store.inbox_peek("app", "bob", now_ms=NOW)
    assert [(e.sender, e.mid, e.payload, e.ts) for e in entries] == [
        (f"sender{i % 3}", f"m{i}", payload(i), NOW + i) for i in range(100)
    ]
    seqs = [e.seq for e in entries]
    assert seqs == sorted(set(seqs))  # strictly increasing


async def test_peek_is_not_destructive(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for i in range(5):
            await put(store, i)
        first = await store.inbox_peek("app", "bob", now_ms=NOW)
        assert await store.inbox_peek("app", "bob", now_ms=NOW) == first
        assert [e.mid for e in first] == numbered(range(5))


async def test_peek_returns_at_most_limit_oldest_first(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for i in range(30):
            await put(store, i)
        assert [e.mid for e in await store.inbox_peek("app", "bob", NOW, limit=10)] == numbered(
            range(10)
        )
        assert [e.mid for e in await store.inbox_peek("app", "bob", NOW, limit=1)] == ["m0"]


async def test_peek_of_an_empty_inbox_is_empty(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        assert await store.inbox_peek("app", "nobody", now_ms=NOW) == []
        assert await store.inbox_peek("nowhere", "bob", now_ms=NOW) == []


@pytest.mark.parametrize("limit", [0, -1])
async def test_a_peek_limit_below_one_is_refused(store: Store, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        await store.inbox_peek("app", "bob", now_ms=NOW, limit=limit)


async def test_ack_deletes_exactly_the_entries_up_to_seq(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for i in range(10):
            await put(store, i)
        entries = await store.inbox_peek("app", "bob", now_ms=NOW)
        store.inbox_ack("app", "bob", entries[3].seq)
        assert await mids(store) == numbered(range(4, 10))
        store.inbox_ack("app", "bob", entries[6].seq)  # a second, partial ack
        assert await mids(store) == numbered(range(7, 10))
        store.inbox_ack("app", "bob", entries[5].seq)  # already acked: nothing more goes
        store.inbox_ack("app", "bob", entries[0].seq - 1)
        assert await store.inbox_peek("app", "bob", now_ms=NOW) == entries[7:]
        store.inbox_ack("app", "bob", entries[-1].seq)
        assert await mids(store) == []


async def test_an_ack_between_seqs_deletes_up_to_it(store: Store) -> None:
    """Seqs of one receiver need not be consecutive: up_to_seq is a bound, not an entry."""
    async with asyncio.timeout(timeout()):
        for i in range(6):
            await put(store, i, receiver="bob")
            await put(store, i, receiver="carol")
        bobs = await store.inbox_peek("app", "bob", now_ms=NOW)
        carols = await store.inbox_peek("app", "carol", now_ms=NOW)
        # Carol's entry 2 lies between Bob's entries 2 and 3 in the store's order.
        between = carols[2].seq
        assert bobs[2].seq < between < bobs[3].seq
        store.inbox_ack("app", "bob", between)
        assert await mids(store, "bob") == numbered(range(3, 6))


async def test_an_ack_for_another_receiver_deletes_nothing_of_ours(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        await put(store, 0, receiver="bob", app="other-app")  # its seq is below ours
        for i in range(5):
            await put(store, i, receiver="bob")
        bobs = await store.inbox_peek("app", "bob", now_ms=NOW)
        store.inbox_ack("app", "carol", bobs[-1].seq)
        store.inbox_ack("other-app", "bob", bobs[-1].seq)  # deletes other-app's bob, not ours
        store.inbox_ack("app", "bo", bobs[-1].seq)
        store.inbox_ack("app", "bobby", bobs[-1].seq)
        assert await store.inbox_peek("app", "bob", now_ms=NOW) == bobs
        assert await mids(store, "bob", app="other-app") == []


async def test_the_cap_keeps_the_newest_entries(store: Store) -> None:
    """Spec §6.2: 200 per receiver; the newest overwrites the oldest."""
    extra = 50
    async with asyncio.timeout(timeout(4)):
        for i in range(INBOX_CAP + extra):
            await put(store, i)
        assert await mids(store) == numbered(range(extra, INBOX_CAP + extra))


async def test_the_cap_still_holds_after_acks_and_more_puts(store: Store) -> None:
    async with asyncio.timeout(timeout(4)):
        for i in range(INBOX_CAP):
            await put(store, i)
        entries = await store.inbox_peek("app", "bob", now_ms=NOW)
        store.inbox_ack("app", "bob", entries[49].seq)
        for i in range(INBOX_CAP, INBOX_CAP + 100):
            await put(store, i)
        # 150 were left, 100 came: the 50 oldest of them went.
        assert await mids(store) == numbered(range(100, INBOX_CAP + 100))

        entries = await store.inbox_peek("app", "bob", now_ms=NOW)
        store.inbox_ack("app", "bob", entries[-1].seq)
        for i in range(1_000, 1_000 + INBOX_CAP):
            await put(store, i)
        assert await mids(store) == numbered(range(1_000, 1_000 + INBOX_CAP))  # none dropped


async def test_expired_entries_are_not_peeked(store: Store) -> None:
    """Spec §6.2: kept at most 7 days; an entry exactly 7 days old is still there."""
    async with asyncio.timeout(timeout()):
        await put(store, 0, ts=OLD)
        await put(store, 1, ts=NOW - INBOX_TTL_MS)
        await put(store, 2, ts=NOW)
        assert await mids(store, now=NOW) == ["m1", "m2"]
        assert await mids(store, now=NOW + 1) == ["m2"]
        assert await mids(store, now=NOW + INBOX_TTL_MS + 1) == []
        assert await mids(store, now=OLD) == ["m0", "m1", "m2"]  # not expired yet, then


async def test_purge_deletes_the_expired_entries_of_every_app(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for app in ("app-a", "app-b"):
            for receiver in ("bob", "carol"):
                for i in range(3):
                    await put(store, i, receiver, app, ts=OLD)
                for i in range(3, 5):
                    await put(store, i, receiver, app, ts=NOW)
        store.purge_expired(NOW)
        for app in ("app-a", "app-b"):
            for receiver in ("bob", "carol"):
                # Seen from before they expired: the old entries are gone, not just hidden.
                assert await mids(store, receiver, app, now=OLD) == ["m3", "m4"]


async def test_purge_keeps_what_has_not_expired(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        await put(store, 0, ts=NOW - INBOX_TTL_MS)
        await put(store, 1, ts=NOW)
        store.purge_expired(NOW)
        assert await mids(store, now=OLD) == ["m0", "m1"]
        store.purge_expired(NOW + 1)
        assert await mids(store, now=OLD) == ["m1"]


async def test_purge_frees_the_room_the_expired_entries_took(store: Store) -> None:
    async with asyncio.timeout(timeout(4)):
        for i in range(INBOX_CAP):
            await put(store, i, ts=OLD)
        store.purge_expired(NOW)
        for i in range(INBOX_CAP, 2 * INBOX_CAP):
            await put(store, i, ts=NOW)
        assert await mids(store, now=OLD) == numbered(range(INBOX_CAP, 2 * INBOX_CAP))


async def test_a_full_inbox_drops_its_expired_entries_first(store: Store) -> None:
    async with asyncio.timeout(timeout(4)):
        for i in range(INBOX_CAP):
            await put(store, i, ts=OLD)
        for i in range(INBOX_CAP, INBOX_CAP + 10):
            await put(store, i, ts=NOW)
        assert await mids(store, now=OLD) == numbered(range(10, INBOX_CAP + 10))
        assert await mids(store, now=NOW) == numbered(range(INBOX_CAP, INBOX_CAP + 10))


async def test_apps_and_receivers_never_see_each_others_entries(store: Store) -> None:
    async with asyncio.timeout(timeout(4)):
        for i in range(3):
            await put(store, i, "bob", "app-a")
            await put(store, 100 + i, "bob", "app-b")
            await put(store, 200 + i, "carol", "app-a")
        for i in range(INBOX_CAP):  # app-a's bob overflows: nobody else loses anything
            await put(store, 1_000 + i, "bob", "app-a")
        assert await mids(store, "bob", "app-a") == numbered(range(1_000, 1_000 + INBOX_CAP))
        assert await mids(store, "bob", "app-b") == numbered(range(100, 103))
        assert await mids(store, "carol", "app-a") == numbered(range(200, 203))
        assert await mids(store, "carol", "app-b") == []

        bobs_b = await store.inbox_peek("app-b", "bob", now_ms=NOW)
        store.inbox_ack("app-a", "bob", 2**62)  # every seq there is: app-a's bob only
        assert await mids(store, "bob", "app-a") == []
        assert await store.inbox_peek("app-b", "bob", now_ms=NOW) == bobs_b
        assert await mids(store, "carol", "app-a") == numbered(range(200, 203))


async def test_concurrent_senders_keep_their_own_order(store: Store) -> None:
    senders, per_sender = 10, 20

    async def send(s: int) -> None:
        for j in range(per_sender):
            await store.inbox_put("app", "bob", f"s{s}", f"{s}-{j}", payload(j), NOW)

    async with asyncio.timeout(timeout(2)):
        await asyncio.gather(*(send(s) for s in range(senders)))
        entries = await store.inbox_peek("app", "bob", now_ms=NOW)
    assert len(entries) == senders * per_sender
    for s in range(senders):
        assert [e.mid for e in entries if e.sender == f"s{s}"] == [
            f"{s}-{j}" for j in range(per_sender)
        ]


async def test_entries_and_acks_survive_reopening(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout(2)):
        first = store_factory()
        await first.open()
        for i in range(5):
            await put(first, i)
        entries = await first.inbox_peek("app", "bob", now_ms=NOW)
        first.inbox_ack("app", "bob", entries[1].seq)
        await first.close()  # no flush: close itself commits the ack

        second = store_factory()
        await second.open()
        try:
            assert await second.inbox_peek("app", "bob", now_ms=NOW) == entries[2:]
        finally:
            await second.close()


async def test_a_seq_is_never_given_out_twice(store_factory: StoreFactory) -> None:
    """An ack names a seq: once every entry is gone, a new one must still get a higher seq."""
    async with asyncio.timeout(timeout(2)):
        first = store_factory()
        await first.open()
        for i in range(3):
            await put(first, i)
        (*_, last) = await first.inbox_peek("app", "bob", now_ms=NOW)
        first.inbox_ack("app", "bob", last.seq)
        assert await mids(first) == []
        await put(first, 3)
        (newer,) = await first.inbox_peek("app", "bob", now_ms=NOW)
        assert newer.seq > last.seq
        first.inbox_ack("app", "bob", newer.seq)
        await first.close()

        second = store_factory()
        await second.open()
        try:
            await put(second, 4)
            (newest,) = await second.inbox_peek("app", "bob", now_ms=NOW)
            assert newest.seq > newer.seq
            assert newest == InboxEntry(newest.seq, "alice", "m4", payload(4), NOW)
        finally:
            await second.close()


async def test_a_put_racing_an_empty_peek_is_found_by_the_next_peek(store: Store) -> None:
    """An empty inbox may be answered from memory; a put made meanwhile must not be missed."""
    async with asyncio.timeout(timeout()):
        for i in range(3):
            await put(store, i)
            (entry,) = await store.inbox_peek("app", "bob", NOW)
            store.inbox_ack("app", "bob", entry.seq)  # empty now, as far as the store knows
            peeking = asyncio.ensure_future(store.inbox_peek("app", "bob", NOW))
            await asyncio.sleep(0)  # the peek is on its way first, and will find nothing
            await put(store, 10 + i)
            assert await peeking == []
            assert await mids(store) == [f"m{10 + i}"]
            (entry,) = await store.inbox_peek("app", "bob", NOW)
            store.inbox_ack("app", "bob", entry.seq)
        assert await mids(store) == []
        assert await mids(store) == []  # answered from memory now
        await put(store, 9)
        assert await mids(store) == ["m9"]


async def test_stored_messages_are_found_after_reopening(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout()):
        first = store_factory()
        await first.open()
        await put(first, 0)
        await put(first, 1, receiver="carol")
        await first.close()
        reopened = store_factory()
        await reopened.open()
        try:
            assert await mids(reopened) == ["m0"]
            assert await mids(reopened, receiver="carol") == ["m1"]
            assert await mids(reopened, receiver="dave") == []
        finally:
            await reopened.close()
