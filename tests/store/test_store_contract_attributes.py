"""The contract of every store's channel attributes (spec §1.7, §5.3, §6.7; design §2, §8).

Written against the :class:`~openrtm.store.base.Store` Protocol only. Channel attributes are
durable, per (App ID, channel), each stamped with its last writer and time. Every write is one
atomic read-modify-write: the caller's check judges the merged result before anything is
written, so concurrent writers can never together break a limit.
"""

from __future__ import annotations

import asyncio

import pytest

from openrtm.store import (
    AttributeCheck,
    AttributeRefused,
    ChannelAttribute,
    ChannelAttributes,
    Store,
    StoreError,
)
from tests.store.conftest import StoreFactory, timeout

T0 = 1_700_000_000_000


def allow(merged: dict[str, str]) -> str | None:
    return None


def at_most(n: int) -> tuple[list[dict[str, str]], AttributeCheck]:
    """A check allowing at most ``n`` keys, and the list of every map it was shown."""
    seen: list[dict[str, str]] = []

    def check(merged: dict[str, str]) -> str | None:
        seen.append(dict(merged))
        return f"more than {n} attributes" if len(merged) > n else None

    return seen, check


def stamped(attrs: dict[str, str], user: str, ts: int) -> ChannelAttributes:
    return {key: ChannelAttribute(value, user, ts) for key, value in attrs.items()}


async def test_set_replaces_the_whole_set_and_stamps_every_key(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        first = await store.set_channel_attributes(
            "app", "c", {"a": "1", "b": "2"}, user_id="alice", ts=T0, check=allow
        )
        assert first == stamped({"a": "1", "b": "2"}, "alice", T0)
        second = await store.set_channel_attributes(
            "app", "c", {"b": "2", "c": "3"}, user_id="bob", ts=T0 + 1, check=allow
        )
        # "a" is gone; "b" is rewritten with the same value, so it takes the new stamp.
        assert second == stamped({"b": "2", "c": "3"}, "bob", T0 + 1)
        assert await store.get_channel_attributes("app", "c") == second


async def test_update_merges_and_stamps_only_the_keys_given(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        await store.set_channel_attributes(
            "app", "c", {"a": "1", "b": "2"}, user_id="alice", ts=T0, check=allow
        )
        result = await store.update_channel_attributes(
            "app", "c", {"b": "two", "c": "3"}, user_id="bob", ts=T0 + 5, check=allow
        )
        assert result == {
            "a": ChannelAttribute("1", "alice", T0),
            "b": ChannelAttribute("two", "bob", T0 + 5),
            "c": ChannelAttribute("3", "bob", T0 + 5),
        }
        assert await store.get_channel_attributes("app", "c") == result


async def test_update_of_a_channel_without_attributes_adds_them(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        result = await store.update_channel_attributes(
            "app", "new", {"k": "v"}, user_id="alice", ts=T0, check=allow
        )
        assert result == stamped({"k": "v"}, "alice", T0)


async def test_delete_removes_the_keys_and_ignores_missing_ones(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        await store.set_channel_attributes(
            "app", "c", {"a": "1", "b": "2", "c": "3"}, user_id="alice", ts=T0, check=allow
        )
        result = await store.delete_channel_attributes("app", "c", ["a", "missing", "c"])
        assert result == stamped({"b": "2"}, "alice", T0)
        assert await store.get_channel_attributes("app", "c") == result
        assert await store.delete_channel_attributes("app", "c", ["nothing"]) == result
        assert await store.delete_channel_attributes("app", "c", ["b"]) == {}
        assert await store.get_channel_attributes("app", "c") == {}
        assert await store.delete_channel_attributes("app", "nowhere", ["b"]) == {}


async def test_clear_deletes_everything(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        await store.set_channel_attributes(
            "app", "c", {"a": "1", "b": "2"}, user_id="alice", ts=T0, check=allow
        )
        assert await store.clear_channel_attributes("app", "c") == {}
        assert await store.get_channel_attributes("app", "c") == {}
        assert await store.clear_channel_attributes("app", "c") == {}  # already empty
        assert await store.channels_with_attributes() == []


async def test_get_returns_all_or_the_keys_that_exist(store: Store) -> None:
    values = {"a": "1", "b": "2", "ключ": "значение ✓", "d": "x" * 8192}
    async with asyncio.timeout(timeout()):
        await store.set_channel_attributes("app", "c", values, user_id="alice", ts=T0, check=allow)
        assert await store.get_channel_attributes("app", "c") == stamped(values, "alice", T0)
        assert await store.get_channel_attributes("app", "c", None) == stamped(values, "alice", T0)
        assert await store.get_channel_attributes("app", "c", ["b", "missing", "ключ"]) == (
            stamped({"b": "2", "ключ": "значение ✓"}, "alice", T0)
        )
        assert await store.get_channel_attributes("app", "c", ["missing"]) == {}
        assert await store.get_channel_attributes("app", "c", []) == {}
        assert await store.get_channel_attributes("app", "unknown") == {}
        assert await store.get_channel_attributes("unknown", "c") == {}


async def test_the_check_sees_the_merged_map(store: Store) -> None:
    seen, check = at_most(32)
    async with asyncio.timeout(timeout()):
        await store.set_channel_attributes(
            "app", "c", {"a": "1", "b": "2"}, user_id="alice", ts=T0, check=check
        )
        await store.update_channel_attributes(
            "app", "c", {"b": "two", "c": "3"}, user_id="bob", ts=T0, check=check
        )
        await store.delete_channel_attributes("app", "c", ["a", "missing"], check=check)
        await store.set_channel_attributes(
            "app", "c", {"z": "26"}, user_id="bob", ts=T0, check=check
        )
    assert seen == [
        {"a": "1", "b": "2"},
        {"a": "1", "b": "two", "c": "3"},
        {"b": "two", "c": "3"},
        {"z": "26"},  # a set is judged on what it leaves, not merged with what was there
    ]


async def test_a_refused_write_writes_nothing(store: Store) -> None:
    def refuse(merged: dict[str, str]) -> str | None:
        return "too big" if "big" in merged else None

    async with asyncio.timeout(timeout()):
        before = await store.set_channel_attributes(
            "app", "c", {"a": "1", "big": "x"}, user_id="alice", ts=T0, check=allow
        )
        with pytest.raises(AttributeRefused) as caught:
            await store.set_channel_attributes(
                "app", "c", {"big": "y"}, user_id="bob", ts=T0 + 1, check=refuse
            )
        assert caught.value.detail == "too big"
        assert str(caught.value) == "too big"
        assert isinstance(caught.value, StoreError)
        with pytest.raises(AttributeRefused, match="too big"):
            await store.update_channel_attributes(
                "app", "c", {"a": "2", "b": "3"}, user_id="bob", ts=T0 + 1, check=refuse
            )
        with pytest.raises(AttributeRefused, match="too big"):
            await store.delete_channel_attributes("app", "c", ["a"], check=refuse)
        assert await store.get_channel_attributes("app", "c") == before

        # A refused first write leaves no trace of the channel at all.
        with pytest.raises(AttributeRefused):
            await store.update_channel_attributes(
                "app", "fresh", {"big": "x"}, user_id="bob", ts=T0, check=refuse
            )
        assert await store.get_channel_attributes("app", "fresh") == {}
        assert await store.channels_with_attributes() == [("app", "c")]

        # The store goes on as before.
        after = await store.delete_channel_attributes("app", "c", ["big"], check=refuse)
        assert after == stamped({"a": "1"}, "alice", T0)


async def test_a_failing_check_surfaces_as_itself_and_writes_nothing(store: Store) -> None:
    def broken(merged: dict[str, str]) -> str | None:
        raise ZeroDivisionError("a bug in the check")

    async with asyncio.timeout(timeout()):
        before = await store.set_channel_attributes(
            "app", "c", {"a": "1"}, user_id="alice", ts=T0, check=allow
        )
        with pytest.raises(ZeroDivisionError):
            await store.update_channel_attributes(
                "app", "c", {"b": "2"}, user_id="bob", ts=T0, check=broken
            )
        assert await store.get_channel_attributes("app", "c") == before


async def test_concurrent_writers_never_exceed_the_limit(store: Store) -> None:
    """20 writers each add a key; a check allowing 10 keys lets exactly 10 of them through."""
    seen, check = at_most(10)

    async def add(i: int) -> ChannelAttributes:
        return await store.update_channel_attributes(
            "app", "c", {f"k{i:02}": str(i)}, user_id=f"u{i}", ts=T0 + i, check=check
        )

    async with asyncio.timeout(timeout(2)):
        results = await asyncio.gather(*(add(i) for i in range(20)), return_exceptions=True)
        final = await store.get_channel_attributes("app", "c")

    won = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 10
    assert all(isinstance(r, AttributeRefused) for r in refused)
    assert len(refused) == 10
    assert all(len(r) <= 10 for r in won)
    assert len(final) == 10
    assert max(won, key=len) == final  # the last write that passed returned the final set
    assert all(len(m) <= 11 for m in seen)  # each check saw the stored set plus one key
    for i, result in enumerate(results):
        if not isinstance(result, BaseException):
            assert result[f"k{i:02}"] == ChannelAttribute(str(i), f"u{i}", T0 + i)


async def test_concurrent_mixed_writes_keep_every_set_within_the_limit(store: Store) -> None:
    """Sets, updates and deletes racing on one channel: every committed set passed the check."""
    _, check = at_most(5)

    async def write(i: int) -> ChannelAttributes | None:
        try:
            if i % 3 == 0:
                return await store.set_channel_attributes(
                    "app", "c", {f"s{i}": "v", f"t{i}": "v"}, user_id="u", ts=i, check=check
                )
            if i % 3 == 1:
                return await store.update_channel_attributes(
                    "app", "c", {f"u{i}": "v", f"w{i}": "v"}, user_id="u", ts=i, check=check
                )
            current = await store.get_channel_attributes("app", "c")
            return await store.delete_channel_attributes("app", "c", sorted(current)[:1])
        except AttributeRefused:
            return None

    async with asyncio.timeout(timeout(2)):
        results = await asyncio.gather(*(write(i) for i in range(60)))
        final = await store.get_channel_attributes("app", "c")
    assert all(len(r) <= 5 for r in results if r is not None)
    assert len(final) <= 5


async def test_attributes_are_kept_per_app_and_channel(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        for app in ("app-a", "app-b"):
            for channel in ("c1", "c2"):
                await store.set_channel_attributes(
                    app, channel, {"k": f"{app}/{channel}"}, user_id="u", ts=T0, check=allow
                )
        await store.update_channel_attributes(
            "app-a", "c1", {"extra": "1"}, user_id="u", ts=T0, check=allow
        )
        await store.delete_channel_attributes("app-b", "c1", ["k"])
        await store.clear_channel_attributes("app-a", "c2")

        assert await store.get_channel_attributes("app-a", "c1") == stamped(
            {"extra": "1", "k": "app-a/c1"}, "u", T0
        )
        assert await store.get_channel_attributes("app-a", "c2") == {}
        assert await store.get_channel_attributes("app-b", "c1") == {}
        assert await store.get_channel_attributes("app-b", "c2") == stamped(
            {"k": "app-b/c2"}, "u", T0
        )


async def test_the_check_judges_only_its_own_channel(store: Store) -> None:
    seen, check = at_most(1)
    async with asyncio.timeout(timeout()):
        await store.set_channel_attributes(
            "app", "full", {"a": "1"}, user_id="u", ts=T0, check=allow
        )
        await store.set_channel_attributes(
            "other", "c", {"a": "1"}, user_id="u", ts=T0, check=allow
        )
        await store.update_channel_attributes(
            "app", "c", {"b": "2"}, user_id="u", ts=T0, check=check
        )
    assert seen == [{"b": "2"}]


async def test_channels_with_attributes(store: Store) -> None:
    async with asyncio.timeout(timeout()):
        assert await store.channels_with_attributes() == []
        for app, channel in [("b", "c2"), ("a", "c9"), ("b", "c1"), ("a", "c1")]:
            await store.set_channel_attributes(
                app, channel, {"x": "1", "y": "2"}, user_id="u", ts=T0, check=allow
            )
        assert await store.channels_with_attributes() == [
            ("a", "c1"),
            ("a", "c9"),
            ("b", "c1"),
            ("b", "c2"),
        ]
        assert await store.channels_with_attributes("b") == [("b", "c1"), ("b", "c2")]
        assert await store.channels_with_attributes(app_id="nobody") == []

        await store.clear_channel_attributes("a", "c9")
        await store.delete_channel_attributes("b", "c1", ["x", "y"])
        await store.set_channel_attributes("b", "c2", {}, user_id="u", ts=T0, check=allow)
        assert await store.channels_with_attributes() == [("a", "c1")]


async def test_the_arguments_are_copied_when_called(store: Store) -> None:
    attrs = {"a": "1"}
    async with asyncio.timeout(timeout()):
        pending = asyncio.ensure_future(
            store.set_channel_attributes("app", "c", attrs, user_id="u", ts=T0, check=allow)
        )
        await asyncio.sleep(0)  # the call has started: the write is queued
        attrs["b"] = "2"
        assert await pending == stamped({"a": "1"}, "u", T0)
        assert await store.get_channel_attributes("app", "c") == stamped({"a": "1"}, "u", T0)


async def test_attributes_survive_reopening(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout(2)):
        first = store_factory()
        await first.open()
        await first.set_channel_attributes(
            "app", "c", {"a": "1", "b": "2"}, user_id="alice", ts=T0, check=allow
        )
        written = await first.update_channel_attributes(
            "app", "c", {"b": "3"}, user_id="bob", ts=T0 + 1, check=allow
        )
        await first.set_channel_attributes(
            "app", "gone", {"a": "1"}, user_id="u", ts=T0, check=allow
        )
        await first.clear_channel_attributes("app", "gone")
        await first.set_channel_attributes(
            "other", "c", {"z": "9"}, user_id="u", ts=T0, check=allow
        )
        await first.close()

        second = store_factory()
        await second.open()
        try:
            assert await second.get_channel_attributes("app", "c") == written
            assert await second.get_channel_attributes("app", "gone") == {}
            assert await second.channels_with_attributes() == [("app", "c"), ("other", "c")]
            # The set read back is the set merged with on the next write.
            seen, check = at_most(32)
            await second.update_channel_attributes(
                "app", "c", {"c": "4"}, user_id="carol", ts=T0 + 2, check=check
            )
            assert seen == [{"a": "1", "b": "3", "c": "4"}]
        finally:
            await second.close()


async def test_a_closed_store_refuses_attribute_operations(store_factory: StoreFactory) -> None:
    async with asyncio.timeout(timeout()):
        instance = store_factory()
        await instance.open()
        await instance.close()
        with pytest.raises(StoreError):
            await instance.set_channel_attributes(
                "app", "c", {"a": "1"}, user_id="u", ts=T0, check=allow
            )
        with pytest.raises(StoreError):
            await instance.update_channel_attributes(
                "app", "c", {"a": "1"}, user_id="u", ts=T0, check=allow
            )
        with pytest.raises(StoreError):
            await instance.delete_channel_attributes("app", "c", ["a"])
        with pytest.raises(StoreError):
            await instance.clear_channel_attributes("app", "c")
        with pytest.raises(StoreError):
            await instance.get_channel_attributes("app", "c")
        with pytest.raises(StoreError):
            await instance.channels_with_attributes()
