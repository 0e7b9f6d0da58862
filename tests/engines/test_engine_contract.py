"""The engine contract (design §2): every Broker and Presence behaves alike.

Parametrized over implementations; the Redis engine joins the parameters when it comes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from openrtm.engines.base import Broker, Presence, SessionClaimed, UserEvent
from openrtm.engines.memory import MemoryBroker, MemoryPresence


class Handler:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, UserEvent]] = []

    def on_user_event(self, app_id: str, uid: str, event: UserEvent) -> None:
        self.events.append((app_id, uid, event))


@pytest.fixture(params=["memory"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    impl: Broker = MemoryBroker()
    yield impl
    await impl.close()


@pytest.fixture(params=["memory"])
def presence(request: pytest.FixtureRequest) -> Presence:
    return MemoryPresence()


async def test_published_user_events_reach_the_handler_in_order(broker: Broker) -> None:
    handler = Handler()
    await broker.start(handler)
    for i in range(50):
        broker.publish_user("app", "alice", SessionClaimed(session_id=str(i)))
    assert [e[2] for e in handler.events] == [SessionClaimed(session_id=str(i)) for i in range(50)]
    assert {(e[0], e[1]) for e in handler.events} == {("app", "alice")}


async def test_no_events_after_close(broker: Broker) -> None:
    handler = Handler()
    await broker.start(handler)
    await broker.close()
    broker.publish_user("app", "alice", SessionClaimed(session_id="x"))
    assert handler.events == []


async def test_presence_tracks_the_latest_session(presence: Presence) -> None:
    await presence.add_session("app", "alice", "s1")
    assert await presence.online("app", ["alice", "bob"]) == {"alice": True, "bob": False}
    await presence.add_session("app", "alice", "s2")
    await presence.remove_session("app", "alice", "s1")  # the older session ending
    assert await presence.online("app", ["alice"]) == {"alice": True}
    await presence.remove_session("app", "alice", "s2")
    assert await presence.online("app", ["alice"]) == {"alice": False}


async def test_presence_never_crosses_apps(presence: Presence) -> None:
    await presence.add_session("app1", "alice", "s1")
    assert await presence.online("app2", ["alice"]) == {"alice": False}
