"""Channel attributes through the real server and SDK (spec §1.2, §1.4, §1.7, §4.12, §5.3, §5.4,
§6.7): no membership needed, server-stamped, durable across a restart, pushed to members only
when asked, checked on the merged result even under concurrent writers, and cleared once a
channel has stayed empty for ``channel_attributes_ttl``.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

import openrtm
from openrtm import RtmClient
from openrtm.client.attributes import ChannelAttribute, ChannelAttributeOptions
from openrtm.protocol.attributes import (
    ClearChannelAttributes,
    DeleteChannelAttributes,
    GetChannelAttributes,
    SetChannelAttributes,
    UpdateChannelAttributes,
)
from openrtm.server import Server, ServerConfig
from tests.client.test_presence import RawSession, login, refused, spy
from tests.conftest import APP_ID, OTHER_APP_ID, ClientFactory, Recorder, ServerFactory, unit, until

WRITES = (
    SetChannelAttributes,
    UpdateChannelAttributes,
    DeleteChannelAttributes,
    ClearChannelAttributes,
)
UPDATED = "AttributesUpdated"
NOTIFY = {"enable_notification_to_channel_members": True}


def pairs(n: int, value: str = "v", prefix: str = "k") -> dict[str, str]:
    return {f"{prefix}{i}": value for i in range(n)}


def values(attrs: dict[str, ChannelAttribute]) -> dict[str, str]:
    return {key: a.value for key, a in attrs.items()}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


async def joined(client: RtmClient, channel_id: str) -> Recorder:
    """Join ``channel_id`` and record its AttributesUpdated events."""
    channel = client.create_channel(channel_id)
    events = Recorder(channel, UPDATED)  # type: ignore[arg-type]
    await channel.join()
    return events


def pushed(recorder: Recorder) -> list[dict[str, ChannelAttribute]]:
    return [args[0] for name, args in recorder.events if name == UPDATED]


# --- operations and stamps (spec §1.7, §6.7) ------------------------------------------------


async def test_writes_and_reads_need_no_membership_and_are_stamped_by_the_server(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    assert await alice.get_channel_attributes("room") == {}

    before = now_ms()
    await alice.set_channel_attributes("room", {"a": "1", "b": "2"})
    after = now_ms()
    attrs = await bob.get_channel_attributes("room")
    assert values(attrs) == {"a": "1", "b": "2"}
    for attr in attrs.values():
        assert attr.last_update_user_id == "alice"
        assert before <= attr.last_update_ts <= after
    assert attrs["a"].last_update_ts == attrs["b"].last_update_ts
    stamp_a = attrs["a"]

    # add_or_update stamps only the keys it writes.
    before = now_ms()
    await bob.add_or_update_channel_attributes("room", {"b": "20", "c": "3"})
    after = now_ms()
    attrs = await alice.get_channel_attributes("room")
    assert values(attrs) == {"a": "1", "b": "20", "c": "3"}
    assert attrs["a"] == stamp_a
    for key in ("b", "c"):
        assert attrs[key].last_update_user_id == "bob"
        assert before <= attrs[key].last_update_ts <= after

    assert values(await bob.get_channel_attributes_by_keys("room", ["c", "a", "zz"])) == {
        "a": "1",
        "c": "3",
    }
    assert await bob.get_channel_attributes_by_keys("room", ["zz"]) == {}
    await bob.delete_channel_attributes_by_keys("room", ["a", "missing"])
    assert values(await alice.get_channel_attributes("room")) == {"b": "20", "c": "3"}
    # set replaces the whole set, every key stamped anew.
    await alice.set_channel_attributes("room", {"c": "30", "d": "4"})
    attrs = await bob.get_channel_attributes("room")
    assert values(attrs) == {"c": "30", "d": "4"}
    assert {a.last_update_user_id for a in attrs.values()} == {"alice"}
    await bob.clear_channel_attributes("room")
    assert await alice.get_channel_attributes("room") == {}
    await alice.clear_channel_attributes("never-used")


async def test_raw_frames_carry_value_user_and_ts(server: Server) -> None:
    raw = await RawSession.login(server, "alice")
    before = now_ms()
    await raw.ok("set_channel_attrs", channel="room", attrs={"a": "1"})
    after = now_ms()
    result = await raw.ok("get_channel_attrs", channel="room")
    attr = result["attrs"]["a"]
    assert attr["value"] == "1"
    assert attr["user"] == "alice"
    assert before <= attr["ts"] <= after
    await raw.ok("update_channel_attrs", channel="room", attrs={"b": "2"})
    assert set((await raw.ok("get_channel_attrs", channel="room", keys=["b", "x"]))["attrs"]) == {
        "b"
    }
    await raw.ok("delete_channel_attrs", channel="room", keys=["a"])
    await raw.ok("clear_channel_attrs", channel="room")
    assert await raw.ok("get_channel_attrs", channel="room") == {"attrs": {}}
    assert raw.pushes == []  # not a member, and nobody asked to notify


async def test_channel_attributes_never_cross_apps(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    carol = await login(make_client, server, "carol", app_id=OTHER_APP_ID)
    await alice.set_channel_attributes("room", {"app": "this"})
    assert await carol.get_channel_attributes("room") == {}
    await carol.set_channel_attributes("room", {"app": "other"})
    assert values(await alice.get_channel_attributes("room")) == {"app": "this"}
    assert values(await carol.get_channel_attributes("room")) == {"app": "other"}


async def test_channel_attribute_calls_need_a_login(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    assert await refused(client.set_channel_attributes("room", {"a": "1"})) == 102
    assert await refused(client.add_or_update_channel_attributes("room", {"a": "1"})) == 102
    assert await refused(client.delete_channel_attributes_by_keys("room", ["a"])) == 102
    assert await refused(client.clear_channel_attributes("room")) == 102
    assert await refused(client.get_channel_attributes("room")) == 102
    assert await refused(client.get_channel_attributes_by_keys("room", ["a"])) == 102


# --- notifications (spec §1.4 AttributesUpdated, §6.7) ---------------------------------------


async def test_a_notifying_write_pushes_the_complete_set_to_every_member(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    outsider = await login(make_client, server, "dave")
    alice_events = await joined(alice, "room")
    bob_events = await joined(bob, "room")
    raw_member = await RawSession.login(server, "erin")
    await raw_member.ok("join", channel="room")
    raw_elsewhere = await RawSession.login(server, "frank")
    await raw_elsewhere.ok("join", channel="other")

    await alice.set_channel_attributes("room", {"a": "1"}, NOTIFY)
    expected = await outsider.get_channel_attributes("room")
    assert values(expected) == {"a": "1"}
    assert await alice_events.wait_for(UPDATED) == (expected,)  # the writer too
    assert await bob_events.wait_for(UPDATED) == (expected,)

    # The Web's camelCase spelling, by a writer who is not a member: still the complete set.
    await outsider.add_or_update_channel_attributes(
        "room", {"b": "2"}, {"enableNotificationToChannelMembers": True}
    )
    expected = await outsider.get_channel_attributes("room")
    assert values(expected) == {"a": "1", "b": "2"}
    assert expected["b"].last_update_user_id == "dave"
    assert await alice_events.wait_for(UPDATED) == (expected,)
    assert await bob_events.wait_for(UPDATED) == (expected,)

    await bob.delete_channel_attributes_by_keys(
        "room", ["a"], ChannelAttributeOptions(enable_notification_to_channel_members=True)
    )
    expected = await outsider.get_channel_attributes("room")
    assert values(expected) == {"b": "2"}
    assert await alice_events.wait_for(UPDATED) == (expected,)
    assert await bob_events.wait_for(UPDATED) == (expected,)

    await bob.clear_channel_attributes("room", NOTIFY)
    assert await alice_events.wait_for(UPDATED) == ({},)
    assert await bob_events.wait_for(UPDATED) == ({},)

    # Exactly one push per notifying write, to members of that channel only.
    await raw_member.sync()
    frames = raw_member.of("channel_attrs")
    assert [sorted(f["attrs"]) for f in frames] == [["a"], ["a", "b"], ["b"], []]
    assert {f["channel"] for f in frames} == {"room"}
    await raw_elsewhere.sync()
    assert raw_elsewhere.of("channel_attrs") == []
    assert len(pushed(alice_events)) == len(pushed(bob_events)) == 4


async def test_a_write_without_the_flag_pushes_nothing(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    alice_events = await joined(alice, "room")
    bob_events = await joined(bob, "room")
    await alice.set_channel_attributes("room", {"a": "1"})
    await alice.add_or_update_channel_attributes("room", {"b": "2"}, None)
    await alice.add_or_update_channel_attributes("room", {"c": "3"}, {})
    await bob.add_or_update_channel_attributes(
        "room", {"d": "4"}, {"enable_notification_to_channel_members": False}
    )
    await bob.delete_channel_attributes_by_keys("room", ["d"], ChannelAttributeOptions())
    # A notifying write that the server refuses (33 pairs once merged) pushes nothing either.
    assert await refused(bob.add_or_update_channel_attributes("room", pairs(30), NOTIFY)) == 4
    # Frames to a member are ordered: had any of these pushed, it would come before this one.
    await bob.add_or_update_channel_attributes("room", {"e": "5"}, NOTIFY)
    (first,) = await alice_events.wait_for(UPDATED)
    assert values(first) == {"a": "1", "b": "2", "c": "3", "e": "5"}
    (first,) = await bob_events.wait_for(UPDATED)
    assert values(first) == {"a": "1", "b": "2", "c": "3", "e": "5"}
    assert len(pushed(alice_events)) == len(pushed(bob_events)) == 1


async def test_a_member_who_left_hears_no_more(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    await joined(alice, "room")
    raw = await RawSession.login(server, "erin")
    await raw.ok("join", channel="room")
    await raw.ok("leave", channel="room")
    await alice.set_channel_attributes("room", {"a": "1"}, NOTIFY)
    await bob.set_channel_attributes("room", {"a": "2"}, NOTIFY)
    await raw.sync()
    assert raw.of("channel_attrs") == []


# --- limits (spec §5.3) ------------------------------------------------------------------------

BAD_MAPS: dict[str, tuple[Any, int]] = {
    "empty_map": ({}, 3),
    "empty_key": ({"": "v"}, 3),
    "key_33_bytes": ({"k" * 33: "v"}, 3),
    "key_33_bytes_in_17_chars": ({"é" * 16 + "k": "v"}, 3),
    "empty_value": ({"a": ""}, 3),
    "int_value": ({"a": 1}, 3),
    "not_a_map": (["a"], 3),
    "value_8193_bytes": ({"a": "x" * 8193}, 4),
    "33_pairs": (pairs(33), 4),
    "total_32769_bytes": ({"a": "x" * 8191, "b": "x" * 8191, "c": "x" * 8191, "d": "x" * 8192}, 4),
}
GOOD_MAPS: dict[str, dict[str, str]] = {
    "key_32_bytes": {"k" * 32: "v"},
    "value_8192_bytes": {"a": "x" * 8192},
    "32_pairs": pairs(32),
    "total_32768_bytes": {"a": "x" * 8191, "b": "x" * 8191, "c": "x" * 8191, "d": "x" * 8191},
}
BAD_KEYS: dict[str, Any] = {
    "none": [],
    "empty_key": [""],
    "key_33_bytes": ["k" * 33],
    "33_keys": [f"k{i}" for i in range(33)],
}
BAD_CHANNELS = ["", "null", "a/b", "x" * 65]


@pytest.mark.parametrize(("attrs", "code"), BAD_MAPS.values(), ids=BAD_MAPS.keys())
async def test_the_sdk_refuses_a_bad_map_without_sending(
    server: Server, make_client: ClientFactory, attrs: Any, code: int
) -> None:
    alice = await login(make_client, server, "alice")
    await alice.set_channel_attributes("room", {"keep": "me"})
    seen = spy(server, *WRITES)
    assert await refused(alice.set_channel_attributes("room", attrs)) == code
    assert await refused(alice.add_or_update_channel_attributes("room", attrs)) == code
    assert not seen
    assert values(await alice.get_channel_attributes("room")) == {"keep": "me"}


@pytest.mark.parametrize(("attrs", "code"), BAD_MAPS.values(), ids=BAD_MAPS.keys())
async def test_the_server_refuses_a_bad_map(server: Server, attrs: Any, code: int) -> None:
    raw = await RawSession.login(server, "alice")
    await raw.ok("set_channel_attrs", channel="room", attrs={"keep": "me"})
    assert await raw.refused("set_channel_attrs", channel="room", attrs=attrs) == code
    assert await raw.refused("update_channel_attrs", channel="room", attrs=attrs) == code
    result = await raw.ok("get_channel_attrs", channel="room")
    assert {k: a["value"] for k, a in result["attrs"].items()} == {"keep": "me"}


@pytest.mark.parametrize("attrs", GOOD_MAPS.values(), ids=GOOD_MAPS.keys())
async def test_maps_at_the_limits_are_accepted(
    server: Server, make_client: ClientFactory, attrs: dict[str, str]
) -> None:
    alice = await login(make_client, server, "alice")
    await alice.set_channel_attributes("room", attrs)
    assert values(await alice.get_channel_attributes("room")) == attrs
    await alice.clear_channel_attributes("room")
    await alice.add_or_update_channel_attributes("room", attrs)
    assert values(await alice.get_channel_attributes("room")) == attrs


async def test_bad_keys_and_channel_ids_are_code_3(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, *WRITES, GetChannelAttributes)
    for keys in BAD_KEYS.values():
        assert await refused(alice.delete_channel_attributes_by_keys("room", keys)) == 3, keys
        assert await refused(alice.get_channel_attributes_by_keys("room", keys)) == 3, keys
    for channel in BAD_CHANNELS:
        assert await refused(alice.set_channel_attributes(channel, {"a": "1"})) == 3
        assert await refused(alice.add_or_update_channel_attributes(channel, {"a": "1"})) == 3
        assert await refused(alice.delete_channel_attributes_by_keys(channel, ["a"])) == 3
        assert await refused(alice.clear_channel_attributes(channel)) == 3
        assert await refused(alice.get_channel_attributes(channel)) == 3
        assert await refused(alice.get_channel_attributes_by_keys(channel, ["a"])) == 3
    assert not seen

    raw = await RawSession.login(server, "bob")
    for keys in [*BAD_KEYS.values(), "a", [1], None]:
        assert await raw.refused("delete_channel_attrs", channel="room", keys=keys) == 3, keys
        if keys is not None:
            assert await raw.refused("get_channel_attrs", channel="room", keys=keys) == 3, keys
    for bad in [*BAD_CHANNELS, 5]:
        assert await raw.refused("set_channel_attrs", channel=bad, attrs={"a": "1"}) == 3
        assert await raw.refused("update_channel_attrs", channel=bad, attrs={"a": "1"}) == 3
        assert await raw.refused("delete_channel_attrs", channel=bad, keys=["a"]) == 3
        assert await raw.refused("clear_channel_attrs", channel=bad) == 3
        assert await raw.refused("get_channel_attrs", channel=bad) == 3
    # The refused calls used up no budget.
    for _ in range(10):
        await raw.ok("get_channel_attrs", channel="room")


async def test_add_or_update_is_checked_on_the_merged_result(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    await alice.set_channel_attributes("pairs", pairs(32))
    assert await refused(alice.add_or_update_channel_attributes("pairs", {"k32": "v"})) == 4
    await alice.add_or_update_channel_attributes("pairs", {"k0": "new"})
    assert values(await alice.get_channel_attributes("pairs")) == {**pairs(32), "k0": "new"}

    full = {"a": "x" * 8191, "b": "x" * 8191, "c": "x" * 8191, "d": "x" * 8191}  # 32768 bytes
    await alice.set_channel_attributes("bytes", full)
    assert await refused(alice.add_or_update_channel_attributes("bytes", {"e": "x"})) == 4
    assert await refused(alice.add_or_update_channel_attributes("bytes", {"a": "x" * 8192})) == 4
    assert values(await alice.get_channel_attributes("bytes")) == full
    await alice.add_or_update_channel_attributes("bytes", {"a": "short", "e": "x"})

    raw = await RawSession.login(server, "bob")
    await raw.ok("set_channel_attrs", channel="raw", attrs=pairs(32))
    assert await raw.refused("update_channel_attrs", channel="raw", attrs={"k32": "v"}) == 4
    await raw.ok("set_channel_attrs", channel="raw", attrs=full)
    assert await raw.refused("update_channel_attrs", channel="raw", attrs={"e": "x"}) == 4
    await raw.ok("update_channel_attrs", channel="raw", attrs={"a": "short", "e": "x"})
    result = await raw.ok("get_channel_attrs", channel="raw")
    assert {k: a["value"] for k, a in result["attrs"].items()} == {**full, "a": "short", "e": "x"}


async def test_concurrent_writers_never_break_the_limits(
    server: Server, make_client: ClientFactory
) -> None:
    setter = await login(make_client, server, "setter")
    writers = [await login(make_client, server, f"w{i}") for i in range(5)]
    await setter.set_channel_attributes("pairs", pairs(30))
    await setter.set_channel_attributes("bytes", {"a": "x" * 8191, "b": "x" * 8191})

    # Two writers adding two keys each near the 32-pair limit: one of them must be refused.
    outcomes = await asyncio.gather(
        writers[0].add_or_update_channel_attributes("pairs", pairs(2, prefix="x")),
        writers[1].add_or_update_channel_attributes("pairs", pairs(2, prefix="y")),
        return_exceptions=True,
    )
    failed = [o for o in outcomes if isinstance(o, openrtm.RtmError)]
    assert len(failed) == 1, outcomes
    assert failed[0].code == 4
    attrs = values(await setter.get_channel_attributes("pairs"))
    assert len(attrs) == 32
    winner = "x" if outcomes[0] is None else "y"
    assert attrs == {**pairs(30), **pairs(2, prefix=winner)}

    # Five writers, one new key each, to a set with room for two.
    await setter.set_channel_attributes("pairs", pairs(30))
    outcomes = await asyncio.gather(
        *(
            w.add_or_update_channel_attributes("pairs", {f"new{i}": "v"})
            for i, w in enumerate(writers)
        ),
        return_exceptions=True,
    )
    assert sorted(0 if o is None else o.code for o in outcomes) == [0, 0, 4, 4, 4], outcomes
    attrs = values(await setter.get_channel_attributes("pairs"))
    assert len(attrs) == 32
    assert {f"new{i}" for i, o in enumerate(outcomes) if o is None} == set(attrs) - set(pairs(30))

    # Writers racing for the last 16 KB of the 32 KB budget: whatever the order, one fits.
    extra = [pairs(2, "x" * 8191, "c"), pairs(2, "x" * 8191, "e"), pairs(1, "x" * 8191, "g")]
    outcomes = await asyncio.gather(
        *(
            w.add_or_update_channel_attributes("bytes", more)
            for w, more in zip(writers[:3], extra, strict=True)
        ),
        return_exceptions=True,
    )
    assert sorted(0 if o is None else o.code for o in outcomes) == [0, 4, 4], outcomes
    (winner_extra,) = (more for o, more in zip(outcomes, extra, strict=True) if o is None)
    attrs = values(await setter.get_channel_attributes("bytes"))
    assert attrs == {"a": "x" * 8191, "b": "x" * 8191, **winner_extra}
    assert sum(len(k) + len(v) for k, v in attrs.items()) <= 32768


# --- call frequency (spec §5.4) -----------------------------------------------------------


async def test_writes_share_10_in_5_s(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, *WRITES)
    for i in range(3):
        # Across channels: the budget is the client's, not the channel's.
        await alice.set_channel_attributes(f"c{i}", {"a": "1"})
        await alice.add_or_update_channel_attributes(f"c{i}", {"b": "2"})
        await alice.delete_channel_attributes_by_keys(f"c{i}", ["b"])
    await alice.clear_channel_attributes("c0")
    assert await refused(alice.set_channel_attributes("x", {"a": "1"})) == 5
    assert await refused(alice.add_or_update_channel_attributes("x", {"a": "1"})) == 5
    assert await refused(alice.delete_channel_attributes_by_keys("x", ["a"])) == 5
    assert await refused(alice.clear_channel_attributes("x")) == 5
    assert len(seen) == 10
    assert await alice.get_channel_attributes("x") == {}  # reads have their own budget
    # User attribute writes have their own budget too.
    await alice.set_local_user_attributes({"a": "1"})

    raw = await RawSession.login(server, "bob")
    for i in range(3):
        await raw.ok("set_channel_attrs", channel=f"c{i}", attrs={"a": "1"})
        await raw.ok("update_channel_attrs", channel=f"c{i}", attrs={"b": "2"})
        await raw.ok("delete_channel_attrs", channel=f"c{i}", keys=["b"])
    await raw.ok("clear_channel_attrs", channel="c0")
    assert await raw.refused("set_channel_attrs", channel="x", attrs={"a": "1"}) == 5
    assert await raw.refused("update_channel_attrs", channel="x", attrs={"a": "1"}) == 5
    assert await raw.refused("delete_channel_attrs", channel="x", keys=["a"]) == 5
    assert await raw.refused("clear_channel_attrs", channel="x") == 5
    assert await raw.ok("get_channel_attrs", channel="x") == {"attrs": {}}


async def test_reads_are_limited_to_10_in_5_s(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, GetChannelAttributes)
    for i in range(5):
        await alice.get_channel_attributes(f"c{i}")
        await alice.get_channel_attributes_by_keys(f"c{i}", ["a"])
    assert await refused(alice.get_channel_attributes("room")) == 5
    assert await refused(alice.get_channel_attributes_by_keys("room", ["a"])) == 5
    assert len(seen) == 10
    await alice.set_channel_attributes("room", {"a": "1"})  # writes have their own budget

    raw = await RawSession.login(server, "bob")
    for i in range(5):
        await raw.ok("get_channel_attrs", channel=f"c{i}")
        await raw.ok("get_channel_attrs", channel=f"c{i}", keys=["a"])
    assert await raw.refused("get_channel_attrs", channel="room") == 5
    assert await raw.refused("get_channel_attrs", channel="room", keys=["a"]) == 5
    await raw.ok("set_channel_attrs", channel="room", attrs={"a": "1"})


# --- durability (design §1: SQLite) ------------------------------------------------------------


async def test_attributes_survive_a_restart(
    tmp_path: Path, start_server: ServerFactory, make_client: ClientFactory
) -> None:
    data_dir = tmp_path / "persist"
    first = Server(ServerConfig(host="127.0.0.1", port=0, data_dir=data_dir))
    await first.start()
    try:
        alice = await login(make_client, first, "alice")
        await alice.set_channel_attributes("room", {"a": "1", "b": "ünïcode ✓"})
        await alice.add_or_update_channel_attributes("room", {"b": "2", "c": "x" * 8192})
        await alice.delete_channel_attributes_by_keys("room", ["a"])
        await alice.set_channel_attributes("other", pairs(32))
        await alice.set_channel_attributes("gone", {"a": "1"})
        await alice.clear_channel_attributes("gone")
        written = {c: await alice.get_channel_attributes(c) for c in ("room", "other", "gone")}
        await alice.logout()
    finally:
        await first.stop()

    second = await start_server(data_dir=data_dir)
    bob = await login(make_client, second, "bob")
    for channel, attrs in written.items():
        assert await bob.get_channel_attributes(channel) == attrs
    assert written["gone"] == {}
    assert values(written["room"]) == {"b": "2", "c": "x" * 8192}
    # And the durable set is the one later writes merge with.
    assert await refused(bob.add_or_update_channel_attributes("other", {"k32": "v"})) == 4


# --- automatic clearing of empty channels (spec §5.3, §6.7) -----------------------------------


async def test_an_empty_channel_loses_its_attributes_after_the_ttl(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(channel_attributes_ttl=unit(0.3))
    stays = await login(make_client, server, "stays")
    back = await login(make_client, server, "back")
    goes = await login(make_client, server, "goes")
    await stays.create_channel("kept").join()
    await stays.set_channel_attributes("kept", {"a": "1"})

    returning = back.create_channel("back")
    await returning.join()
    await back.set_channel_attributes("back", {"a": "2"})
    await returning.leave()
    await returning.join()  # before the ttl: the channel is not empty any more

    leaving = goes.create_channel("room")
    await leaving.join()
    await goes.set_channel_attributes("room", {"a": "3"})
    await goes.set_channel_attributes("never-joined", {"a": "4"})
    await leaving.leave()
    kept_before = await goes.get_channel_attributes("kept")

    # "room" emptied last: once it is cleared, every earlier deadline has passed too.
    await until(lambda: _empty(server, "room"), timeout=unit(5))
    assert await stays.get_channel_attributes("room") == {}
    await until(lambda: _empty(server, "never-joined"), timeout=unit(5))  # written after
    assert await stays.get_channel_attributes("never-joined") == {}
    assert await back.get_channel_attributes("kept") == kept_before
    assert values(await back.get_channel_attributes("back")) == {"a": "2"}
    # Once its member leaves, "back" goes the same way.
    await returning.leave()
    await until(lambda: _empty(server, "back"), timeout=unit(5))
    assert await back.get_channel_attributes("back") == {}


async def _empty(server: Server, channel: str) -> bool:
    """Whether the store holds no attribute of ``channel`` (polled: SDK reads are limited)."""
    return await server.node.store.get_channel_attributes(APP_ID, channel, None) == {}


async def test_a_channel_is_cleared_only_after_staying_empty_for_the_ttl(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    ttl = unit(0.6)
    server = await start_server(channel_attributes_ttl=ttl)
    alice = await login(make_client, server, "alice")
    watcher = await login(make_client, server, "watcher")
    loop = asyncio.get_running_loop()
    channel = alice.create_channel("room")
    await channel.join()
    await alice.set_channel_attributes("room", {"a": "1"})
    await channel.leave()
    first_emptied = loop.time()
    # Back before the ttl, and gone again: the clock starts anew from this leave.
    await until(lambda: loop.time() - first_emptied >= ttl / 2)
    await channel.join()
    await channel.leave()
    emptied = loop.time()
    await until(lambda: _empty(server, "room"), timeout=unit(5))
    resolution = server.config.timer_resolution
    assert loop.time() - emptied >= ttl - resolution
    assert await watcher.get_channel_attributes("room") == {}


async def test_a_restarted_server_clears_channels_left_empty(
    tmp_path: Path, start_server: ServerFactory, make_client: ClientFactory
) -> None:
    data_dir = tmp_path / "persist"
    first = Server(ServerConfig(host="127.0.0.1", port=0, data_dir=data_dir))
    await first.start()
    try:
        alice = await login(make_client, first, "alice")
        await alice.set_channel_attributes("room", {"a": "1"})
        await alice.logout()
    finally:
        await first.stop()
    second = await start_server(data_dir=data_dir, channel_attributes_ttl=unit(0.3))
    bob = await login(make_client, second, "bob")
    assert values(await bob.get_channel_attributes("room")) == {"a": "1"}
    await until(lambda: _empty(second, "room"), timeout=unit(5))
    assert await bob.get_channel_attributes("room") == {}
