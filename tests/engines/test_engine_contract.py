"""The engine contract (design §2): every Broker and Presence behaves alike.

Each test runs on the memory engine and on the Redis engine (one node on a private Redis:
tests/engines/conftest.py). What only several nodes can show is in test_redis_engine.py.
"""

from __future__ import annotations

from openrtm.engines.base import (
    AttributesChanged,
    ChannelMessageEvent,
    MemberJoined,
    MemberLeft,
    PeerDelivered,
    SessionClaimed,
)
from openrtm.protocol.attributes import ChannelAttributeValue
from openrtm.protocol.messages import Message
from tests.engines.conftest import NodeFactory


async def test_published_user_events_reach_the_handler_in_order(engine: NodeFactory) -> None:
    node = await engine("alice")
    for i in range(50):
        node.broker.publish_user("app", "alice", SessionClaimed(session_id=str(i)))
    await node.settle()
    claimed = [e[2] for e in node.handler.user_events if isinstance(e[2], SessionClaimed)]
    # A claim is delivered here and also published for the user's other nodes; its echo
    # (Redis) comes after every local delivery, in the same order.
    assert claimed[:50] == [SessionClaimed(session_id=str(i)) for i in range(50)]
    assert {(e[0], e[1]) for e in node.handler.user_events} == {("app", "alice")}


async def test_on_result_says_whether_a_session_took_the_event(engine: NodeFactory) -> None:
    node = await engine("alice")
    results: list[tuple[str, bool]] = []
    event = PeerDelivered(session_id="s", request_id=1)
    node.broker.publish_user("app", "alice", event, lambda ok: results.append(("alice", ok)))
    node.broker.publish_user("app", "nobody", event, lambda ok: results.append(("nobody", ok)))
    await node.settle()
    # Once each; a local answer may come before a remote one published earlier.
    assert sorted(results) == [("alice", True), ("nobody", False)]


async def test_channel_and_presence_events_reach_the_node_once(engine: NodeFactory) -> None:
    node = await engine()
    node.broker.subscribe_channel("app", "ch")
    node.broker.follow("app", "bob")
    message = ChannelMessageEvent(sender="a", mid="m1", msg=Message(text="hi"), ts=1)
    attrs = {"k": ChannelAttributeValue(value="v", user="a", ts=2)}
    events = [message, MemberJoined(uid="b", count=2), AttributesChanged(attrs=attrs)]
    events.append(MemberLeft(uid="b", count=1))
    for event in events:
        node.broker.publish_channel("app", "ch", event)
    node.broker.publish_presence("app", "bob", "ONLINE")
    await node.settle()  # an echo through Redis would have come back by now
    assert node.handler.channel_events == [("app", "ch", e) for e in events]
    assert node.handler.presence == [("app", "bob", "ONLINE")]


async def test_no_events_after_close(engine: NodeFactory) -> None:
    node = await engine("alice")
    await node.broker.close()
    results: list[bool] = []
    node.broker.publish_user("app", "alice", SessionClaimed(session_id="x"), results.append)
    node.broker.publish_channel("app", "ch", MemberJoined(uid="b", count=1))
    assert node.handler.user_events == node.handler.channel_events == []
    assert results == [False]


async def test_presence_tracks_the_latest_session(engine: NodeFactory) -> None:
    presence = (await engine()).presence
    assert await presence.add_session("app", "alice", "s1") is True
    assert await presence.online("app", ["alice", "bob"]) == {"alice": True, "bob": False}
    assert await presence.add_session("app", "alice", "s2") is False  # was online already
    assert await presence.remove_session("app", "alice", "s1") is False  # the older one
    assert await presence.online("app", ["alice"]) == {"alice": True}
    assert await presence.remove_session("app", "alice", "s2") is True
    assert await presence.online("app", ["alice"]) == {"alice": False}
    assert await presence.online("app", []) == {}


async def test_a_session_is_adopted_only_while_it_is_the_users(engine: NodeFactory) -> None:
    # docs/protocol.md §3.2: a resume on another node adopts the session; nothing changes for
    # anyone else (still online, same attributes, same members).
    presence = (await engine()).presence
    assert await presence.session_of("app", "alice") is None
    await presence.add_session("app", "alice", "s1")
    await presence.set_user_attributes("app", "alice", "s1", {"a": "1"})
    await presence.join_channel("app", "ch", "alice")
    assert await presence.session_of("app", "alice") == "s1"
    assert await presence.adopt_session("app", "alice", "s1", ["ch"]) is True
    assert await presence.get_user_attributes("app", "alice") == {"a": "1"}
    assert await presence.channel_counts("app", ["ch"]) == {"ch": 1}
    assert await presence.adopt_session("app", "alice", "old", []) is False
    assert await presence.session_of("app", "alice") == "s1"
    await presence.release_session("app", "alice", "gone", ["ch"])  # another's: no effect
    assert await presence.session_of("app", "alice") == "s1"


async def test_presence_never_crosses_apps(engine: NodeFactory) -> None:
    presence = (await engine()).presence
    await presence.add_session("app1", "alice", "s1")
    await presence.join_channel("app1", "ch", "alice")
    assert await presence.online("app2", ["alice"]) == {"alice": False}
    assert await presence.channel_counts("app2", ["ch"]) == {"ch": 0}
    assert await presence.get_user_attributes("app2", "alice") is None


async def test_user_attributes_live_and_die_with_the_session(engine: NodeFactory) -> None:
    presence = (await engine()).presence
    assert await presence.get_user_attributes("app", "alice") is None  # offline
    await presence.add_session("app", "alice", "s1")
    assert await presence.get_user_attributes("app", "alice") == {}
    await presence.set_user_attributes("app", "alice", "s1", {"a": "1", "b": "2"})
    assert await presence.get_user_attributes("app", "alice") == {"a": "1", "b": "2"}
    await presence.set_user_attributes("app", "alice", "stale", {"x": "y"})  # not its session
    assert await presence.get_user_attributes("app", "alice") == {"a": "1", "b": "2"}
    # Spec §6.6: a new session starts with none; the end of the session wipes them.
    await presence.add_session("app", "alice", "s2")
    assert await presence.get_user_attributes("app", "alice") == {}
    await presence.set_user_attributes("app", "alice", "s2", {"c": "3"})
    await presence.remove_session("app", "alice", "s2")
    assert await presence.get_user_attributes("app", "alice") is None
    await presence.add_session("app", "alice", "s3")
    assert await presence.get_user_attributes("app", "alice") == {}


async def test_channel_membership_and_counts(engine: NodeFactory) -> None:
    presence = (await engine()).presence
    assert [await presence.join_channel("app", "ch", u) for u in ("a", "b", "c")] == [1, 2, 3]
    assert await presence.join_channel("app", "ch", "a") == 3  # already a member
    assert await presence.join_channel("app", "other", "a") == 1
    assert sorted(await presence.channel_members("app", "ch", 512)) == ["a", "b", "c"]
    assert await presence.channel_counts("app", ["ch", "other", "none"]) == {
        "ch": 3,
        "other": 1,
        "none": 0,
    }
    assert await presence.leave_channel("app", "ch", "b") == 2
    assert await presence.leave_channel("app", "ch", "nobody") == 2
    assert sorted(await presence.channel_members("app", "ch", 512)) == ["a", "c"]
    assert await presence.leave_channel("app", "ch", "a") == 1
    assert await presence.leave_channel("app", "ch", "c") == 0
    assert await presence.channel_members("app", "ch", 512) == []
    assert await presence.leave_channel("app", "gone", "a") == 0


async def test_members_above_the_limit_are_a_random_subset(engine: NodeFactory) -> None:
    presence = (await engine()).presence
    everyone = {f"u{i}" for i in range(40)}
    for uid in everyone:
        await presence.join_channel("app", "big", uid)
    samples = [await presence.channel_members("app", "big", 10) for _ in range(5)]
    for sample in samples:
        assert len(sample) == len(set(sample)) == 10
        assert set(sample) <= everyone
    assert len({frozenset(s) for s in samples}) > 1  # not always the same ten
