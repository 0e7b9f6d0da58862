"""Presence through the real server and SDK: online status queries, subscriptions, member counts
(spec §1.2, §4.9–§4.11, §4.13, §5.4, §6.9).

The SDK checks ids, counts and call frequency before sending (design §3); the server enforces
the same limits whatever a client sends, which :class:`RawSession` shows by bypassing the SDK.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import openrtm
from openrtm.protocol.codes import CloseCode
from openrtm.protocol.messages import PROTOCOL_VERSION
from openrtm.protocol.presence import (
    GetMemberCounts,
    QueryOnline,
    QuerySubscriptions,
    Subscribe,
    Unsubscribe,
)
from openrtm.server import Server
from tests.conftest import (
    APP_ID,
    OTHER_APP_ID,
    ClientFactory,
    Recorder,
    ServerFactory,
    unit,
    until,
)
from tests.server.test_gateway_frames import RawClient

STATUS = "PeersOnlineStatusChanged"


# --- helpers, shared with the attribute tests -----------------------------------------------


class RawSession:
    """A raw WebSocket client that numbers its requests and keeps pushes apart from answers.

    Attributes:
        raw: the underlying :class:`RawClient`.
        pushes: every frame received that was not the answer to a request, in order.
    """

    def __init__(self, raw: RawClient) -> None:
        self.raw = raw
        self.pushes: list[dict[str, Any]] = []
        self._next_id = 0

    @classmethod
    async def login(cls, server: Server, uid: str, app_id: str = APP_ID) -> RawSession:
        """Connect to ``server`` and log in as ``uid`` of ``app_id``."""
        session = cls(await RawClient.open(server.url))
        reply = await session.call("login", v=PROTOCOL_VERSION, app_id=app_id, uid=uid)
        assert reply["t"] == "reply", reply
        return session

    async def call(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send request ``op`` and return its answer (a reply or an error frame)."""
        self._next_id += 1
        request_id = self._next_id
        self.raw.send_json({"op": op, "id": request_id, **fields})
        for _ in range(10_000):  # each recv() is bounded in time too
            frame = await self.raw.recv()
            if frame.get("t") in ("reply", "error") and frame.get("id") == request_id:
                return frame
            self.pushes.append(frame)
        raise AssertionError(f"no answer to {op}")

    async def ok(self, op: str, **fields: Any) -> Any:
        """Send request ``op``, check that it succeeded and return its result."""
        frame = await self.call(op, **fields)
        assert frame["t"] == "reply", frame
        return frame.get("result")

    async def refused(self, op: str, **fields: Any) -> int:
        """Send request ``op``, check that it was refused and return the code."""
        frame = await self.call(op, **fields)
        assert frame["t"] == "error", frame
        return int(frame["code"])

    async def push(self, kind: str) -> dict[str, Any]:
        """Take the first push of type ``kind`` not yet taken, waiting for it if need be."""
        for _ in range(10_000):
            for i, frame in enumerate(self.pushes):
                if frame["t"] == kind:
                    return self.pushes.pop(i)
            self.pushes.append(await self.raw.recv())
        raise AssertionError(f"no {kind} push")

    async def sync(self) -> list[dict[str, Any]]:
        """Round trip to the server; return every push received so far (frames are ordered,
        so whatever the server wrote to us before answering is in)."""
        await self.call("query_subscriptions", option="ONLINE_STATUS")
        return self.pushes

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The pushes of type ``kind`` received (and not taken) so far."""
        return [frame for frame in self.pushes if frame["t"] == kind]


def spy(server: Server, *kinds: type) -> list[object]:
    """Record every request of ``kinds`` that reaches ``server``'s handlers (proves that the SDK
    refused a call locally, without sending a frame)."""
    seen: list[object] = []
    handlers = server.node.handlers
    for kind in kinds:
        original = handlers[kind]

        def handler(session: Any, request: Any, original: Any = original) -> None:
            seen.append(request)
            original(session, request)

        handlers[kind] = handler
    return seen


async def login(make_client: ClientFactory, server: Server, uid: str, **kw: Any) -> Any:
    """A new SDK client logged in as ``uid``."""
    client = make_client(server, **kw)
    await client.login(uid)
    return client


async def relogin(client: openrtm.RtmClient, uid: str) -> None:
    """Log ``client`` in again as soon as the login limit (2 a second, spec §5.4) allows."""

    async def attempt() -> bool:
        try:
            await client.login(uid)
        except openrtm.RtmError as exc:
            if exc.code != 10:
                raise
            return False
        return True

    await until(attempt)


async def round_trip(client: openrtm.RtmClient) -> None:
    """A request whose answer comes after every push the server wrote to ``client`` before."""
    await client.get_user_attributes(client.uid or "")


async def refused(call: Any) -> int:
    """Await ``call``, which must fail with an RtmError; return its code."""
    with pytest.raises(openrtm.RtmError) as info:
        await call
    return info.value.code


def statuses(recorder: Recorder) -> list[dict[str, str]]:
    """The PeersOnlineStatusChanged maps recorded so far."""
    return [args[0] for name, args in recorder.events if name == STATUS]


# --- query_peers_online_status (spec §1.2, §4.9) --------------------------------------------


async def test_query_answers_a_bool_per_peer(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    await login(make_client, server, "bob")
    assert await alice.query_peers_online_status(["bob", "carol", "alice"]) == {
        "bob": True,
        "carol": False,
        "alice": True,
    }
    many = [f"user{i}" for i in range(255)] + ["bob"]
    result = await alice.query_peers_online_status(many)
    assert result == {uid: uid == "bob" for uid in many}


@pytest.mark.parametrize(
    "peers",
    [[], [f"u{i}" for i in range(257)], ["bob", ""], ["null"], ["a/b"], ["x" * 65]],
    ids=["empty", "257", "empty_id", "null", "slash", "65_chars"],
)
async def test_query_with_bad_ids_is_code_2_in_the_sdk_and_the_server(
    server: Server, make_client: ClientFactory, peers: list[str]
) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, QueryOnline)
    assert await refused(alice.query_peers_online_status(peers)) == 2
    assert not seen
    raw = await RawSession.login(server, "bob")
    assert await raw.refused("query_online", peers=peers) == 2


async def test_the_server_refuses_a_query_that_is_not_a_list_of_ids(server: Server) -> None:
    raw = await RawSession.login(server, "bob")
    assert await raw.refused("query_online", peers="alice") == 2
    assert await raw.refused("query_online", peers=[1]) == 2
    assert await raw.refused("query_online") == 2
    assert await raw.ok("query_online", peers=["bob"]) == {"online": {"bob": True}}


async def test_presence_calls_need_a_login(server: Server, make_client: ClientFactory) -> None:
    client = make_client(server)
    assert await refused(client.query_peers_online_status(["bob"])) == 102
    assert await refused(client.subscribe_peers_online_status(["bob"])) == 102
    assert await refused(client.unsubscribe_peers_online_status(["bob"])) == 102
    assert await refused(client.query_peers_by_subscription_option("ONLINE_STATUS")) == 102
    assert await refused(client.get_channel_member_count(["room"])) == 102
    raw = RawSession(await RawClient.open(server.url))
    assert await raw.refused("query_online", peers=["bob"]) == 102
    assert await raw.refused("subscribe", peers=["bob"]) == 102
    assert await raw.refused("unsubscribe", peers=["bob"]) == 102
    assert await raw.refused("query_subscriptions", option="ONLINE_STATUS") == 102
    assert await raw.refused("member_counts", channels=["room"]) == 102


# --- subscriptions (spec §1.2, §4.10, §6.9) --------------------------------------------------


async def test_subscribe_reports_new_peers_then_only_changes(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    events = Recorder(alice, STATUS)
    await alice.subscribe_peers_online_status(["bob", "carol", "bob"])
    assert await events.wait_for(STATUS) == ({"bob": "ONLINE", "carol": "OFFLINE"},)
    # A second call reports only the peers it adds.
    await alice.subscribe_peers_online_status(["bob", "dave"])
    assert await events.wait_for(STATUS) == ({"dave": "OFFLINE"},)
    carol = await login(make_client, server, "carol")
    assert await events.wait_for(STATUS) == ({"carol": "ONLINE"},)
    await bob.logout()
    assert await events.wait_for(STATUS) == ({"bob": "OFFLINE"},)
    await carol.logout()
    assert await events.wait_for(STATUS) == ({"carol": "OFFLINE"},)
    await round_trip(alice)
    assert statuses(events) == [
        {"bob": "ONLINE", "carol": "OFFLINE"},
        {"dave": "OFFLINE"},
        {"carol": "ONLINE"},
        {"bob": "OFFLINE"},
        {"carol": "OFFLINE"},
    ]


async def test_the_server_pushes_the_snapshot_of_new_peers_after_the_reply(
    server: Server,
) -> None:
    raw = await RawSession.login(server, "alice")
    await RawSession.login(server, "bob")
    raw.raw.send_json({"op": "subscribe", "id": 1, "peers": ["bob", "carol"]})
    assert await raw.raw.recv() == {"t": "reply", "id": 1}
    assert await raw.raw.recv() == {
        "t": "peer_status",
        "statuses": {"bob": "ONLINE", "carol": "OFFLINE"},
    }
    raw.raw.send_json({"op": "subscribe", "id": 2, "peers": ["carol", "bob"]})
    assert await raw.raw.recv() == {"t": "reply", "id": 2}
    raw.raw.send_json({"op": "subscribe", "id": 3, "peers": ["dave", "carol"]})
    assert await raw.raw.recv() == {"t": "reply", "id": 3}
    assert await raw.raw.recv() == {"t": "peer_status", "statuses": {"dave": "OFFLINE"}}


async def test_a_remote_login_handover_does_not_flap_the_status(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    first = await login(make_client, server, "bob")
    kicked = Recorder(first, "ConnectionStateChanged")
    events = Recorder(alice, STATUS)
    await alice.subscribe_peers_online_status(["bob"])
    assert await events.wait_for(STATUS) == ({"bob": "ONLINE"},)
    second = await login(make_client, server, "bob")
    await kicked.wait_for("ConnectionStateChanged", "ABORTED", "REMOTE_LOGIN")
    assert await alice.query_peers_online_status(["bob"]) == {"bob": True}
    follower = server.node.hub.user(APP_ID, "alice")
    assert server.node.hub.followers(APP_ID, "bob") == {follower}
    # The kicked session's end was handled before this logout was even sent: had it reported
    # bob offline (and the new one online), those events would come first.
    await second.logout()
    assert await events.wait_for(STATUS) == ({"bob": "OFFLINE"},)
    assert statuses(events) == [{"bob": "ONLINE"}, {"bob": "OFFLINE"}]


async def test_a_status_change_reaches_the_followers_only(server: Server) -> None:
    followers = [await RawSession.login(server, f"follower{i}") for i in range(2)]
    others = list(await asyncio.gather(*(RawSession.login(server, f"other{i}") for i in range(48))))
    for follower in followers:
        await follower.ok("subscribe", peers=["bob"])
        assert (await follower.push("peer_status"))["statuses"] == {"bob": "OFFLINE"}
    # Others follow someone else, or follow bob in another App.
    await others[0].ok("subscribe", peers=["carol"])
    assert (await others[0].push("peer_status"))["statuses"] == {"carol": "OFFLINE"}
    elsewhere = await RawSession.login(server, "watcher", app_id=OTHER_APP_ID)
    await elsewhere.ok("subscribe", peers=["bob"])
    assert (await elsewhere.push("peer_status"))["statuses"] == {"bob": "OFFLINE"}
    hub = server.node.hub
    assert hub.followers(APP_ID, "bob") == {
        hub.user(APP_ID, "follower0"),
        hub.user(APP_ID, "follower1"),
    }

    bob = await RawSession.login(server, "bob")
    for follower in followers:
        assert (await follower.push("peer_status"))["statuses"] == {"bob": "ONLINE"}
    await bob.ok("logout")
    for follower in followers:
        assert (await follower.push("peer_status"))["statuses"] == {"bob": "OFFLINE"}
    # Every write of the change happened in the same pass as the followers' (fan-out to the
    # followers index); a round trip on each other connection collects anything sent to it.
    for session in [*others, elsewhere]:
        assert [f for f in await session.sync() if f["t"] == "peer_status"] == []
    for follower in followers:
        assert follower.of("peer_status") == []
    assert hub.followers(APP_ID, "bob") == {
        hub.user(APP_ID, "follower0"),
        hub.user(APP_ID, "follower1"),
    }


async def test_a_followed_peer_queried_in_another_state_is_also_reported_as_a_change(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    await login(make_client, server, "bob")
    events = Recorder(alice, STATUS)
    await alice.subscribe_peers_online_status(["bob", "carol"])
    assert await events.wait_for(STATUS) == ({"bob": "ONLINE", "carol": "OFFLINE"},)
    # Same state as last known, or a peer not followed: nothing more.
    assert await alice.query_peers_online_status(["bob", "carol", "alice"]) == {
        "bob": True,
        "carol": False,
        "alice": True,
    }
    assert statuses(events) == [{"bob": "ONLINE", "carol": "OFFLINE"}]
    # The server pushes every change, so a stale last-known state only follows a lost push
    # (a link loss, say), which no public call can cause on demand: stage one.
    alice._presence.following["bob"] = "OFFLINE"
    assert await alice.query_peers_online_status(["bob", "carol"]) == {
        "bob": True,
        "carol": False,
    }
    assert statuses(events) == [{"bob": "ONLINE", "carol": "OFFLINE"}, {"bob": "ONLINE"}]


async def test_unsubscribe_stops_the_reports(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    events = Recorder(alice, STATUS)
    await alice.subscribe_peers_online_status(["bob", "carol"])
    assert await events.wait_for(STATUS) == ({"bob": "OFFLINE", "carol": "OFFLINE"},)
    await alice.unsubscribe_peers_online_status(["bob", "nobody"])
    assert server.node.hub.followers(APP_ID, "bob") == set()
    assert await alice.query_peers_by_subscription_option("ONLINE_STATUS") == ["carol"]
    await login(make_client, server, "bob")
    await login(make_client, server, "carol")
    assert await events.wait_for(STATUS) == ({"carol": "ONLINE"},)
    await round_trip(alice)
    assert statuses(events) == [{"bob": "OFFLINE", "carol": "OFFLINE"}, {"carol": "ONLINE"}]


async def test_query_by_subscription_option_lists_the_followed_peers(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    assert await alice.query_peers_by_subscription_option("ONLINE_STATUS") == []
    await alice.subscribe_peers_online_status(["carol", "bob"])
    assert sorted(await alice.query_peers_by_subscription_option("ONLINE_STATUS")) == [
        "bob",
        "carol",
    ]
    seen = spy(server, QuerySubscriptions)
    for option in ("online_status", "", "PRESENCE"):
        assert await refused(alice.query_peers_by_subscription_option(option)) == 2
    assert not seen
    raw = await RawSession.login(server, "dave")
    await raw.ok("subscribe", peers=["erin"])
    assert await raw.ok("query_subscriptions", option="ONLINE_STATUS") == {"peers": ["erin"]}
    assert await raw.refused("query_subscriptions", option="SOMETHING_ELSE") == 2


async def test_subscribe_with_bad_ids_is_code_2(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, Subscribe, Unsubscribe)
    for peers in ([], ["null"], ["bob", "a/b"], [""]):
        assert await refused(alice.subscribe_peers_online_status(peers)) == 2, peers
        assert await refused(alice.unsubscribe_peers_online_status(peers)) == 2, peers
    assert not seen
    assert await alice.query_peers_by_subscription_option("ONLINE_STATUS") == []
    raw = await RawSession.login(server, "bob")
    for bad in ([], ["null"], ["bob", "a/b"], [""], "bob", [3]):
        assert await raw.refused("subscribe", peers=bad) == 2, bad
        assert await raw.refused("unsubscribe", peers=bad) == 2, bad
    assert await raw.ok("query_subscriptions", option="ONLINE_STATUS") == {"peers": []}


async def test_more_than_512_followed_peers_is_code_6(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    events = Recorder(alice, STATUS)
    first = [f"p{i}" for i in range(500)]
    await alice.subscribe_peers_online_status(first)
    (snapshot,) = await events.wait_for(STATUS)
    assert snapshot == dict.fromkeys(first, "OFFLINE")
    # Existing and new ids, with duplicates: 512 distinct peers in all.
    more = first[:8] + [f"q{i}" for i in range(12)] + first[:8]
    await alice.subscribe_peers_online_status(more)
    assert await events.wait_for(STATUS) == (dict.fromkeys(more[8:20], "OFFLINE"),)
    seen = spy(server, Subscribe)
    assert await refused(alice.subscribe_peers_online_status(["one-more"])) == 6
    assert await refused(alice.subscribe_peers_online_status(["p1", "one-more"])) == 6
    assert not seen
    await alice.subscribe_peers_online_status(["p1", "q1"])  # all followed already
    assert len(await alice.query_peers_by_subscription_option("ONLINE_STATUS")) == 512

    raw = await RawSession.login(server, "bob")
    await raw.ok("subscribe", peers=first)
    await raw.ok("subscribe", peers=more)
    assert await raw.refused("subscribe", peers=["one-more"]) == 6
    assert await raw.refused("subscribe", peers=["p1", "one-more", "one-more"]) == 6
    await raw.ok("subscribe", peers=["p1", "q1"])
    result = await raw.ok("query_subscriptions", option="ONLINE_STATUS")
    assert len(result["peers"]) == 512
    assert "one-more" not in result["peers"]


async def test_one_call_over_512_distinct_peers_is_code_6(
    server: Server, make_client: ClientFactory
) -> None:
    # Spec §1.2/§4.10: code 2 is for an empty list or an invalid id; the 512 limit is on the
    # total, existing + new, de-duplicated, and is code 6 even when one call breaks it alone.
    alice = await login(make_client, server, "alice")
    seen = spy(server, Subscribe)
    assert await refused(alice.subscribe_peers_online_status(_peers(513))) == 6
    assert not seen
    raw = await RawSession.login(server, "bob")
    assert await raw.refused("subscribe", peers=_peers(513)) == 6
    assert await raw.ok("query_subscriptions", option="ONLINE_STATUS") == {"peers": []}


async def test_duplicates_do_not_count_against_512(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    events = Recorder(alice, STATUS)
    await alice.subscribe_peers_online_status([f"p{i % 10}" for i in range(600)])
    assert await events.wait_for(STATUS) == (dict.fromkeys(_peers(10), "OFFLINE"),)
    assert sorted(await alice.query_peers_by_subscription_option("ONLINE_STATUS")) == _peers(10)
    raw = await RawSession.login(server, "bob")
    await raw.ok("subscribe", peers=[f"p{i % 10}" for i in range(600)])
    assert (await raw.push("peer_status"))["statuses"] == dict.fromkeys(_peers(10), "OFFLINE")
    result = await raw.ok("query_subscriptions", option="ONLINE_STATUS")
    assert sorted(result["peers"]) == _peers(10)


def _peers(n: int) -> list[str]:
    return sorted(f"p{i}" for i in range(n))


async def test_unsubscribing_more_than_512_ids_at_once_is_code_6(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    ids = [f"p{i}" for i in range(513)]
    seen = spy(server, Unsubscribe)
    assert await refused(alice.unsubscribe_peers_online_status(ids)) == 6
    assert not seen
    await alice.unsubscribe_peers_online_status(ids[:512])
    raw = await RawSession.login(server, "bob")
    assert await raw.refused("unsubscribe", peers=ids) == 6
    await raw.ok("unsubscribe", peers=ids[:512])


async def test_logout_clears_the_subscriptions(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    events = Recorder(alice, STATUS)
    await alice.subscribe_peers_online_status(["bob"])
    assert await events.wait_for(STATUS) == ({"bob": "OFFLINE"},)
    await alice.logout()
    await until(lambda: not server.node.hub.followers(APP_ID, "bob"))
    await relogin(alice, "alice")
    assert await alice.query_peers_by_subscription_option("ONLINE_STATUS") == []
    bob = await login(make_client, server, "bob")
    await bob.logout()
    await alice.subscribe_peers_online_status(["carol"])
    assert await events.wait_for(STATUS) == ({"carol": "OFFLINE"},)
    await login(make_client, server, "carol")
    assert await events.wait_for(STATUS) == ({"carol": "ONLINE"},)
    assert statuses(events) == [{"bob": "OFFLINE"}, {"carol": "OFFLINE"}, {"carol": "ONLINE"}]


async def test_a_closed_connection_leaves_no_follower_behind(start_server: ServerFactory) -> None:
    # A connection closed without a logout is a lost link: the session (and what it follows)
    # waits for a resume during the grace period, then goes (spec §3.3).
    server = await start_server(session_grace=unit(0.3), unreachable_after=unit(0.1))
    raw = await RawSession.login(server, "alice")
    await raw.ok("subscribe", peers=["bob", "carol"])
    assert len(server.node.hub.followers(APP_ID, "bob")) == 1
    await raw.raw.close()
    await until(
        lambda: (
            not server.node.hub.followers(APP_ID, "bob")
            and not server.node.hub.followers(APP_ID, "carol")
        )
    )


async def link_lost_and_back(server: Server, client: openrtm.RtmClient) -> None:
    """Close ``client``'s connection from the server with 1001 (the SDK retries); return once
    it is CONNECTED again."""
    states = Recorder(client, "ConnectionStateChanged")
    session = server.node.hub.user(APP_ID, client.uid or "")
    assert session is not None
    session.close(CloseCode.GOING_AWAY, "test: link lost")
    await states.wait_for("ConnectionStateChanged", "RECONNECTING", "INTERRUPTED")
    await states.wait_for("ConnectionStateChanged", "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))


async def test_subscriptions_are_restored_after_a_reconnect(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    events = Recorder(alice, STATUS)
    await alice.subscribe_peers_online_status(["bob", "carol"])
    assert await events.wait_for(STATUS) == ({"bob": "OFFLINE", "carol": "OFFLINE"},)
    await link_lost_and_back(server, alice)
    hub = server.node.hub
    assert hub.followers(APP_ID, "bob") == {hub.user(APP_ID, "alice")}
    assert sorted(await alice.query_peers_by_subscription_option("ONLINE_STATUS")) == [
        "bob",
        "carol",
    ]
    await login(make_client, server, "bob")
    await until(lambda: {"bob": "ONLINE"} in statuses(events))


async def test_a_reconnect_reports_only_the_changes_missed(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    events = Recorder(alice, STATUS)
    await alice.subscribe_peers_online_status(["bob", "carol"])
    assert await events.wait_for(STATUS) == ({"bob": "OFFLINE", "carol": "OFFLINE"},)
    session = server.node.hub.user(APP_ID, "alice")
    assert session is not None
    states = Recorder(alice, "ConnectionStateChanged")
    session.close(CloseCode.GOING_AWAY, "test: link lost")
    # Bob comes online while alice is away (or just back: either way a change to report).
    await login(make_client, server, "bob")
    await states.wait_for("ConnectionStateChanged", "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))
    await until(lambda: any(s.get("bob") == "ONLINE" for s in statuses(events)))
    await round_trip(alice)
    assert statuses(events) == [{"bob": "OFFLINE", "carol": "OFFLINE"}, {"bob": "ONLINE"}]


async def test_presence_never_crosses_apps(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    carol = await login(make_client, server, "carol", app_id=OTHER_APP_ID)
    bob_here = await login(make_client, server, "bob")
    here, there = Recorder(alice, STATUS), Recorder(carol, STATUS)
    assert await carol.query_peers_online_status(["bob", "alice"]) == {
        "bob": False,
        "alice": False,
    }
    await alice.subscribe_peers_online_status(["bob"])
    await carol.subscribe_peers_online_status(["bob"])
    assert await here.wait_for(STATUS) == ({"bob": "ONLINE"},)
    assert await there.wait_for(STATUS) == ({"bob": "OFFLINE"},)
    bob_there = await login(make_client, server, "bob", app_id=OTHER_APP_ID)
    assert await there.wait_for(STATUS) == ({"bob": "ONLINE"},)
    await bob_here.logout()
    assert await here.wait_for(STATUS) == ({"bob": "OFFLINE"},)
    await bob_there.logout()
    assert await there.wait_for(STATUS) == ({"bob": "OFFLINE"},)
    await round_trip(alice)
    await round_trip(carol)
    assert statuses(here) == [{"bob": "ONLINE"}, {"bob": "OFFLINE"}]
    assert statuses(there) == [{"bob": "OFFLINE"}, {"bob": "ONLINE"}, {"bob": "OFFLINE"}]


# --- channel member counts (spec §1.2, §4.13, §6.8) ------------------------------------------


async def test_member_counts_need_no_membership(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    bob = await login(make_client, server, "bob")
    await alice.create_channel("room").join()
    await bob.create_channel("room").join()
    carol = await login(make_client, server, "carol")
    assert await carol.get_channel_member_count(["room", "nobody-here"]) == {
        "room": 2,
        "nobody-here": 0,
    }
    channels = ["room"] + [f"c{i}" for i in range(31)]
    dave = await login(make_client, server, "dave")
    assert await dave.get_channel_member_count(channels) == {
        c: 2 if c == "room" else 0 for c in channels
    }
    raw = await RawSession.login(server, "erin")
    assert await raw.ok("member_counts", channels=["room", "x"]) == {"counts": {"room": 2, "x": 0}}


@pytest.mark.parametrize(
    ("channels", "code"),
    [
        ([], 2),
        (["room", ""], 2),
        (["null"], 2),
        (["a/b"], 2),
        ([f"c{i}" for i in range(33)], 5),
        (["a/b"] * 33, 5),
    ],
    ids=["empty", "empty_id", "null", "slash", "33", "33_invalid"],
)
async def test_bad_member_count_calls(
    server: Server, make_client: ClientFactory, channels: list[str], code: int
) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, GetMemberCounts)
    assert await refused(alice.get_channel_member_count(channels)) == code
    assert not seen
    # A refused call does not use up the budget of one a second.
    assert await alice.get_channel_member_count(["room"]) == {"room": 0}
    raw = await RawSession.login(server, "bob")
    assert await raw.refused("member_counts", channels=channels) == code
    await raw.ok("member_counts", channels=["room"])


# --- call frequency (spec §5.4) -----------------------------------------------------------


async def test_query_is_limited_to_10_in_5_s(server: Server, make_client: ClientFactory) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, QueryOnline)
    for _ in range(10):
        await alice.query_peers_online_status(["bob"])
    assert await refused(alice.query_peers_online_status(["bob"])) == 5
    assert len(seen) == 10
    raw = await RawSession.login(server, "bob")
    for _ in range(10):
        await raw.ok("query_online", peers=["alice"])
    assert await raw.refused("query_online", peers=["alice"]) == 5


async def test_subscribe_and_unsubscribe_share_10_in_5_s(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, Subscribe, Unsubscribe)
    for i in range(5):
        await alice.subscribe_peers_online_status([f"p{i}"])
        await alice.unsubscribe_peers_online_status([f"p{i}"])
    assert await refused(alice.subscribe_peers_online_status(["bob"])) == 5
    assert await refused(alice.unsubscribe_peers_online_status(["bob"])) == 5
    assert len(seen) == 10
    assert await alice.query_peers_by_subscription_option("ONLINE_STATUS") == []
    raw = await RawSession.login(server, "bob")
    for i in range(5):
        await raw.ok("subscribe", peers=[f"p{i}"])
        await raw.ok("unsubscribe", peers=[f"p{i}"])
    assert await raw.refused("subscribe", peers=["carol"]) == 5
    assert await raw.refused("unsubscribe", peers=["carol"]) == 5
    assert await raw.ok("query_subscriptions", option="ONLINE_STATUS") == {"peers": []}


async def test_query_by_option_is_limited_to_10_in_5_s(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, QuerySubscriptions)
    for _ in range(10):
        await alice.query_peers_by_subscription_option("ONLINE_STATUS")
    assert await refused(alice.query_peers_by_subscription_option("ONLINE_STATUS")) == 3
    assert len(seen) == 10
    raw = await RawSession.login(server, "bob")
    for _ in range(10):
        await raw.ok("query_subscriptions", option="ONLINE_STATUS")
    assert await raw.refused("query_subscriptions", option="ONLINE_STATUS") == 3


async def test_member_count_is_limited_to_1_a_second(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await login(make_client, server, "alice")
    seen = spy(server, GetMemberCounts)
    await alice.get_channel_member_count(["room"])
    assert await refused(alice.get_channel_member_count(["room"])) == 3
    assert len(seen) == 1
    raw = await RawSession.login(server, "bob")
    await raw.ok("member_counts", channels=["room"])
    assert await raw.refused("member_counts", channels=["room"]) == 3
