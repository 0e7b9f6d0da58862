"""The contract of every store's media records (spec §1.6, §5.2; design §2, §8).

Written against the :class:`~openrtm.store.base.Store` Protocol only: a record put is read back
by its App until it expires, never by another App; the sweeper takes expired ones once.
"""

from __future__ import annotations

import asyncio

import pytest

from openrtm.store import MediaRecord, Store, StoreError
from tests.store.conftest import StoreFactory, timeout

T0 = 1_700_000_000_000


def record(i: int, expires_ms: int = T0 + 1000, **fields: object) -> MediaRecord:
    values: dict[str, object] = {
        "media_id": f"media-id-{i:04d}-abcdefghijklmnop",
        "size": 100 + i,
        "content_type": "image/png",
        "width": 3,
        "height": 2,
        "uploader": f"u{i}",
        "created_ms": T0,
        "expires_ms": expires_ms,
    }
    values.update(fields)
    return MediaRecord(**values)  # type: ignore[arg-type]


async def test_a_record_is_read_back_by_its_app_until_it_expires(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        rec = record(1)
        await store.media_put("app", rec)
        assert await store.media_get("app", rec.media_id, T0) == rec
        assert await store.media_get("app", rec.media_id, T0 + 999) == rec
        assert await store.media_get("app", rec.media_id, T0 + 1000) is None  # expired
        assert await store.media_get("other", rec.media_id, T0) is None  # another App's
        assert await store.media_get("app", "no-such-id-abcdefghijkl", T0) is None


async def test_a_duplicate_id_is_refused_and_the_first_record_stays(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        await store.media_put("app", record(1))
        with pytest.raises(StoreError):
            await store.media_put("other", record(1, size=5))
        assert await store.media_get("app", record(1).media_id, T0) == record(1)
        assert await store.media_get("other", record(1).media_id, T0) is None


async def test_take_expired_deletes_and_returns_each_expired_record_once(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        await store.media_put("a", record(1, expires_ms=T0 + 10))
        await store.media_put("b", record(2, expires_ms=T0 + 20))
        await store.media_put("a", record(3, expires_ms=T0 + 30))
        taken = await store.media_take_expired(T0 + 20)
        assert sorted(taken) == [("a", record(1).media_id), ("b", record(2).media_id)]
        assert await store.media_take_expired(T0 + 20) == []
        assert await store.media_ids() == {("a", record(3).media_id)}
        assert await store.media_get("a", record(3).media_id, T0) == record(3, expires_ms=T0 + 30)


async def test_take_expired_honours_its_limit(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for i in range(5):
            await store.media_put("app", record(i, expires_ms=T0 + i))
        first = await store.media_take_expired(T0 + 10, limit=2)
        assert first == [("app", record(0).media_id), ("app", record(1).media_id)]
        assert len(await store.media_take_expired(T0 + 10, limit=10)) == 3
        with pytest.raises(ValueError, match="limit"):
            await store.media_take_expired(T0, limit=0)


async def test_records_survive_a_reopen(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout()):
        first = store_factory()
        await first.open()
        await first.media_put("app", record(7))
        await first.close()
        second = store_factory()
        await second.open()
        try:
            assert await second.media_ids() == {("app", record(7).media_id)}
            assert await second.media_get("app", record(7).media_id, T0) == record(7)
        finally:
            await second.close()
