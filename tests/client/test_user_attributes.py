"""User attributes through the real server and SDK (spec §1.2, §4.12, §5.3, §5.4, §6.6).

Limits are checked by the SDK before sending (on the merged result for add-or-update) and by
the server whatever a client sends, with the same codes: 3 for a malformed map, 4 for one too
big, 5 for too many calls, 6 for reading an offline user.
"""

from __future__ import annotations

from typing import Any

import pytest

from openrtm.protocol.attributes import (
    ClearUserAttributes,
    DeleteUserAttributes,
    GetUserAttributes,
    SetUserAttributes,
    UpdateUserAttributes,
)
from openrtm.server import Server
from tests.client.test_presence import (
    RawSession,
    link_lost_and_back,
    login,
    refused,
    relogin,
    spy,
)
from tests.conftest import OTHER_APP_ID, ClientFactory

WRITES = (SetUserAttributes, UpdateUserAttributes, DeleteUserAttributes, ClearUserAttributes)


def pairs(n: int, value: str = "v") -> dict[str, str]:
    return {f"k{i}": value for i in range(n)}


# --- operations ------------------------------------------------------------------------------


async def test_set_update_delete_clear_as_read_by_another_user(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    assert await bob.get_user_attributes("alice") == {}
    await alice.set_local_user_attributes({"a": "1", "b": "2"})
    assert await bob.get_user_attributes("alice") == {"a": "1", "b": "2"}
    await alice.set_local_user_attributes({"c": "3"})  # replaces the whole set
    assert await bob.get_user_attributes("alice") == {"c": "3"}
    await alice.add_or_update_local_user_attributes({"c": "30", "d": "4"})
    assert await bob.get_user_attributes("alice") == {"c": "30", "d": "4"}
    await alice.delete_local_user_attributes_by_keys(["c", "missing"])
    assert await bob.get_user_attributes("alice") == {"d": "4"}
    await alice.clear_local_user_attributes()
    assert await bob.get_user_attributes("alice") == {}
    await alice.add_or_update_local_user_attributes({"é": "ünïcode ✓"})
    assert await alice.get_user_attributes("alice") == {"é": "ünïcode ✓"}
    assert await bob.get_user_attributes("bob") == {}


async def test_get_by_keys_leaves_missing_keys_out(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    await alice.set_local_user_attributes({"a": "1", "b": "2", "c": "3"})
    assert await bob.get_user_attributes_by_keys("alice", ["a", "c", "zz"]) == {"a": "1", "c": "3"}
    assert await bob.get_user_attributes_by_keys("alice", ["zz"]) == {}
    for keys in ([], [""], ["k" * 33], [f"k{i}" for i in range(33)]):
        assert await refused(bob.get_user_attributes_by_keys("alice", keys)) == 3, keys
    raw = await RawSession.login(server, "carol")
    assert await raw.ok("get_user_attrs", uid="alice", keys=["b", "zz"]) == {"attrs": {"b": "2"}}
    assert await raw.ok("get_user_attrs", uid="alice") == {"attrs": {"a": "1", "b": "2", "c": "3"}}
    for bad in ([], [""], ["k" * 33], [f"k{i}" for i in range(33)], "a", [1]):
        assert await raw.refused("get_user_attrs", uid="alice", keys=bad) == 3, bad


async def test_reading_an_offline_user_is_code_6(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    await bob.set_local_user_attributes({"a": "1"})
    assert await refused(alice.get_user_attributes("nobody")) == 6
    assert await refused(alice.get_user_attributes_by_keys("nobody", ["a"])) == 6
    await bob.logout()
    assert await refused(alice.get_user_attributes("bob")) == 6
    assert await refused(alice.get_user_attributes_by_keys("bob", ["a"])) == 6
    raw = await RawSession.login(server, "carol")
    assert await raw.refused("get_user_attrs", uid="bob") == 6
    assert await raw.refused("get_user_attrs", uid="bob", keys=["a"]) == 6


async def test_an_invalid_user_id_is_code_3(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, GetUserAttributes)
    for uid in ("", "null", "a/b", "x" * 65):
        assert await refused(alice.get_user_attributes(uid)) == 3, uid
        assert await refused(alice.get_user_attributes_by_keys(uid, ["a"])) == 3, uid
    assert not seen
    raw = await RawSession.login(server, "carol")
    for bad in ("", "null", "a/b", "x" * 65, 7, None):
        assert await raw.refused("get_user_attrs", uid=bad) == 3, bad


async def test_attributes_are_cleared_at_logout(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    await alice.set_local_user_attributes(pairs(32))
    await alice.logout()
    await relogin(alice, "alice")
    assert await bob.get_user_attributes("alice") == {}
    # The SDK forgot its copy too: a new key is not merged with the 32 old ones.
    await alice.add_or_update_local_user_attributes({"new": "x"})
    assert await bob.get_user_attributes("alice") == {"new": "x"}


async def test_a_new_login_from_elsewhere_starts_with_no_attributes(
    server: Server, make_client: ClientFactory
) -> None:
    first = await login(make_client, server, "alice")
    await first.set_local_user_attributes({"a": "1"})
    await login(make_client, server, "alice")  # kicks the first (REMOTE_LOGIN)
    bob = await login(make_client, server, "bob")
    assert await bob.get_user_attributes("alice") == {}


async def test_the_sdk_writes_its_attributes_again_after_a_reconnect(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    await alice.set_local_user_attributes({"a": "1"})
    await alice.add_or_update_local_user_attributes({"b": "2"})
    await link_lost_and_back(server, alice)
    assert await bob.get_user_attributes("alice") == {"a": "1", "b": "2"}


async def test_the_sessions_own_attributes_are_not_shared_across_apps(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    bob_there = await login(make_client, server, "bob", app_id=OTHER_APP_ID)
    await bob_there.set_local_user_attributes({"app": "other"})
    assert await refused(alice.get_user_attributes("bob")) == 6
    bob_here = await login(make_client, server, "bob")
    await bob_here.set_local_user_attributes({"app": "this"})
    assert await alice.get_user_attributes("bob") == {"app": "this"}
    assert await bob_there.get_user_attributes("bob") == {"app": "other"}


async def test_attribute_calls_need_a_login(server: Server, make_client: ClientFactory) -> None:
    client = make_client(server)
    assert await refused(client.set_local_user_attributes({"a": "1"})) == 102
    assert await refused(client.add_or_update_local_user_attributes({"a": "1"})) == 102
    assert await refused(client.delete_local_user_attributes_by_keys(["a"])) == 102
    assert await refused(client.clear_local_user_attributes()) == 102
    assert await refused(client.get_user_attributes("bob")) == 102
    assert await refused(client.get_user_attributes_by_keys("bob", ["a"])) == 102


# --- limits (spec §5.3) ------------------------------------------------------------------------

BAD_MAPS: dict[str, tuple[Any, int]] = {
    "empty_map": ({}, 3),
    "empty_key": ({"": "v"}, 3),
    "key_33_bytes": ({"k" * 33: "v"}, 3),
    "key_34_bytes_in_17_chars": ({"é" * 17: "v"}, 3),
    "empty_value": ({"a": ""}, 3),
    "int_value": ({"a": 1}, 3),
    "null_value": ({"a": None}, 3),
    "not_a_map": (["a", "b"], 3),
    "value_8193_bytes": ({"a": "x" * 8193}, 4),
    "value_8193_bytes_in_4097_chars": ({"a": "é" * 4096 + "x"}, 4),
    "33_pairs": (pairs(33), 4),
    "total_16385_bytes": ({"a": "x" * 8191, "b": "x" * 8190, "c": "x"}, 4),
}
GOOD_MAPS: dict[str, dict[str, str]] = {
    "key_32_bytes": {"k" * 32: "v"},
    "value_8192_bytes": {"a": "x" * 8192},
    "32_pairs": pairs(32),
    "total_16384_bytes": {"a": "x" * 8191, "b": "x" * 8191},
}


@pytest.mark.parametrize(("attrs", "code"), BAD_MAPS.values(), ids=BAD_MAPS.keys())
async def test_the_sdk_refuses_a_bad_map_without_sending(
    server: Server, make_client: ClientFactory, attrs: Any, code: int
) -> None:
    alice = await login(make_client, server, "alice")
    await alice.set_local_user_attributes({"keep": "me"})
    seen = spy(server, *WRITES)
    assert await refused(alice.set_local_user_attributes(attrs)) == code
    assert await refused(alice.add_or_update_local_user_attributes(attrs)) == code
    assert not seen
    assert await alice.get_user_attributes("alice") == {"keep": "me"}


@pytest.mark.parametrize(("attrs", "code"), BAD_MAPS.values(), ids=BAD_MAPS.keys())
async def test_the_server_refuses_a_bad_map(server: Server, attrs: Any, code: int) -> None:
    raw = await RawSession.login(server, "alice")
    await raw.ok("set_user_attrs", attrs={"keep": "me"})
    assert await raw.refused("set_user_attrs", attrs=attrs) == code
    assert await raw.refused("update_user_attrs", attrs=attrs) == code
    assert await raw.ok("get_user_attrs", uid="alice") == {"attrs": {"keep": "me"}}


@pytest.mark.parametrize("attrs", GOOD_MAPS.values(), ids=GOOD_MAPS.keys())
async def test_maps_at_the_limits_are_accepted(
    server: Server, make_client: ClientFactory, attrs: dict[str, str]
) -> None:
    alice = await login(make_client, server, "alice")
    await alice.set_local_user_attributes(attrs)
    assert await alice.get_user_attributes("alice") == attrs
    await alice.clear_local_user_attributes()
    await alice.add_or_update_local_user_attributes(attrs)
    assert await alice.get_user_attributes("alice") == attrs
    raw = await RawSession.login(server, "bob")
    await raw.ok("set_user_attrs", attrs=attrs)
    assert await raw.ok("get_user_attrs", uid="bob") == {"attrs": attrs}


async def test_add_or_update_is_checked_on_the_merged_result_by_the_sdk(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, *WRITES)
    await alice.set_local_user_attributes(pairs(32))
    assert await refused(alice.add_or_update_local_user_attributes({"k32": "v"})) == 4
    await alice.add_or_update_local_user_attributes({"k0": "new"})  # replaces, adds nothing
    await alice.set_local_user_attributes({"a": "x" * 8191, "b": "x" * 8191})  # 16384 bytes
    assert await refused(alice.add_or_update_local_user_attributes({"c": "x"})) == 4
    assert await refused(alice.add_or_update_local_user_attributes({"a": "x" * 8192})) == 4
    await alice.add_or_update_local_user_attributes({"a": "short", "c": "x"})
    assert len(seen) == 4
    assert await alice.get_user_attributes("alice") == {"a": "short", "b": "x" * 8191, "c": "x"}


async def test_add_or_update_is_checked_on_the_merged_result_by_the_server(
    server: Server,
) -> None:
    raw = await RawSession.login(server, "alice")
    await raw.ok("set_user_attrs", attrs=pairs(32))
    assert await raw.refused("update_user_attrs", attrs={"k32": "v"}) == 4
    await raw.ok("update_user_attrs", attrs={"k0": "new"})
    assert await raw.ok("get_user_attrs", uid="alice") == {"attrs": {**pairs(32), "k0": "new"}}
    await raw.ok("set_user_attrs", attrs={"a": "x" * 8191, "b": "x" * 8191})
    assert await raw.refused("update_user_attrs", attrs={"c": "x"}) == 4
    assert await raw.refused("update_user_attrs", attrs={"a": "x" * 8192}) == 4
    await raw.ok("update_user_attrs", attrs={"a": "short", "c": "x"})
    assert await raw.ok("get_user_attrs", uid="alice") == {
        "attrs": {"a": "short", "b": "x" * 8191, "c": "x"}
    }


async def test_delete_keys_are_checked(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, *WRITES)
    for keys in ([], [""], ["k" * 33], [f"k{i}" for i in range(33)]):
        assert await refused(alice.delete_local_user_attributes_by_keys(keys)) == 3, keys
    assert not seen
    raw = await RawSession.login(server, "bob")
    await raw.ok("set_user_attrs", attrs={"a": "1"})
    for bad in ([], [""], ["k" * 33], [f"k{i}" for i in range(33)], "a", [1], None):
        assert await raw.refused("delete_user_attrs", keys=bad) == 3, bad
    await raw.ok("delete_user_attrs", keys=[f"k{i}" for i in range(31)] + ["a"])
    await raw.ok("clear_user_attrs")
    assert await raw.ok("get_user_attrs", uid="bob") == {"attrs": {}}


# --- call frequency (spec §5.4) -----------------------------------------------------------


async def test_writes_share_10_in_5_s(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, *WRITES)
    for i in range(3):
        await alice.set_local_user_attributes({"a": str(i)})
        await alice.add_or_update_local_user_attributes({"b": str(i)})
        await alice.delete_local_user_attributes_by_keys(["b"])
    await alice.clear_local_user_attributes()
    assert await refused(alice.set_local_user_attributes({"a": "1"})) == 5
    assert await refused(alice.add_or_update_local_user_attributes({"a": "1"})) == 5
    assert await refused(alice.delete_local_user_attributes_by_keys(["a"])) == 5
    assert await refused(alice.clear_local_user_attributes()) == 5
    assert len(seen) == 10
    # Reads have their own budget.
    assert await alice.get_user_attributes("alice") == {}

    raw = await RawSession.login(server, "bob")
    for i in range(3):
        await raw.ok("set_user_attrs", attrs={"a": str(i)})
        await raw.ok("update_user_attrs", attrs={"b": str(i)})
        await raw.ok("delete_user_attrs", keys=["b"])
    await raw.ok("clear_user_attrs")
    assert await raw.refused("set_user_attrs", attrs={"a": "1"}) == 5
    assert await raw.refused("update_user_attrs", attrs={"a": "1"}) == 5
    assert await raw.refused("delete_user_attrs", keys=["a"]) == 5
    assert await raw.refused("clear_user_attrs") == 5
    assert await raw.ok("get_user_attrs", uid="bob") == {"attrs": {}}


async def test_reads_are_limited_to_40_in_5_s(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    await alice.set_local_user_attributes({"a": "1"})
    seen = spy(server, GetUserAttributes)
    for _ in range(20):
        await alice.get_user_attributes("alice")
        await alice.get_user_attributes_by_keys("alice", ["a"])
    assert await refused(alice.get_user_attributes("alice")) == 5
    assert await refused(alice.get_user_attributes_by_keys("alice", ["a"])) == 5
    assert len(seen) == 40
    # Writes have their own budget.
    await alice.clear_local_user_attributes()

    raw = await RawSession.login(server, "bob")
    for _ in range(20):
        await raw.ok("get_user_attrs", uid="alice")
        await raw.ok("get_user_attrs", uid="alice", keys=["a"])
    assert await raw.refused("get_user_attrs", uid="alice") == 5
    assert await raw.refused("get_user_attrs", uid="alice", keys=["a"]) == 5
