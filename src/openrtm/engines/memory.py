"""The single-node engine: in-process routing and presence (design §2).

The broker loops back: ``publish_user`` calls the node's handler at once, in the caller's
stack, which keeps the order of events and costs nothing but a method call.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from openrtm.engines.base import ChannelEvent, EngineHandler, UserEvent

__all__ = ["MemoryBroker", "MemoryPresence"]


class MemoryBroker:
    """A :class:`~openrtm.engines.base.Broker` for one node."""

    def __init__(self) -> None:
        self._handler: EngineHandler | None = None

    async def start(self, handler: EngineHandler) -> None:
        self._handler = handler

    async def close(self) -> None:
        self._handler = None

    def publish_user(
        self,
        app_id: str,
        uid: str,
        event: UserEvent,
        on_result: Callable[[bool], None] | None = None,
    ) -> None:
        delivered = self._handler is not None and self._handler.on_user_event(app_id, uid, event)
        if on_result is not None:
            on_result(delivered)

    def publish_channel(self, app_id: str, channel: str, event: ChannelEvent) -> None:
        if self._handler is not None:
            self._handler.on_channel_event(app_id, channel, event)

    def publish_presence(self, app_id: str, uid: str, state: str) -> None:
        if self._handler is not None:
            self._handler.on_presence(app_id, uid, state)

    # One node hears everything it publishes: interest changes nothing.

    def subscribe_user(self, app_id: str, uid: str) -> None:
        pass

    def unsubscribe_user(self, app_id: str, uid: str) -> None:
        pass

    async def user_subscribed(self, app_id: str, uid: str) -> None:
        pass  # one node hears everything

    def subscribe_channel(self, app_id: str, channel: str) -> None:
        pass

    def unsubscribe_channel(self, app_id: str, channel: str) -> None:
        pass

    def follow(self, app_id: str, uid: str) -> None:
        pass

    def unfollow(self, app_id: str, uid: str) -> None:
        pass


class MemoryPresence:
    """A :class:`~openrtm.engines.base.Presence` for one node."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], str] = {}
        self._attributes: dict[tuple[str, str], dict[str, str]] = {}
        self._channels: dict[tuple[str, str], set[str]] = {}

    async def add_session(self, app_id: str, uid: str, session_id: str) -> bool:
        was_offline = (app_id, uid) not in self._sessions
        self._sessions[app_id, uid] = session_id
        self._attributes.pop((app_id, uid), None)  # a new session starts with none
        return was_offline

    async def remove_session(self, app_id: str, uid: str, session_id: str) -> bool:
        if self._sessions.get((app_id, uid)) != session_id:
            return False
        del self._sessions[app_id, uid]
        self._attributes.pop((app_id, uid), None)
        return True

    async def set_user_attributes(
        self, app_id: str, uid: str, session_id: str, attrs: dict[str, str]
    ) -> None:
        if self._sessions.get((app_id, uid)) == session_id:
            self._attributes[app_id, uid] = attrs

    async def get_user_attributes(self, app_id: str, uid: str) -> dict[str, str] | None:
        if (app_id, uid) not in self._sessions:
            return None
        return dict(self._attributes.get((app_id, uid), {}))

    async def online(self, app_id: str, uids: list[str]) -> dict[str, bool]:
        return {uid: (app_id, uid) in self._sessions for uid in uids}

    async def join_channel(self, app_id: str, channel: str, uid: str) -> int:
        members = self._channels.setdefault((app_id, channel), set())
        members.add(uid)
        return len(members)

    async def leave_channel(self, app_id: str, channel: str, uid: str) -> int:
        members = self._channels.get((app_id, channel))
        if members is None:
            return 0
        members.discard(uid)
        if not members:
            del self._channels[app_id, channel]
        return len(members)

    async def channel_counts(self, app_id: str, channels: list[str]) -> dict[str, int]:
        return {c: len(self._channels.get((app_id, c), ())) for c in channels}

    async def channel_members(self, app_id: str, channel: str, limit: int) -> list[str]:
        members = self._channels.get((app_id, channel), set())
        if len(members) <= limit:
            return list(members)
        return random.sample(sorted(members), limit)

    async def session_of(self, app_id: str, uid: str) -> str | None:
        return self._sessions.get((app_id, uid))

    async def adopt_session(
        self, app_id: str, uid: str, session_id: str, channels: list[str]
    ) -> bool:
        # One process, one registry: the session and its memberships are recorded already.
        return self._sessions.get((app_id, uid)) == session_id

    async def release_session(
        self, app_id: str, uid: str, session_id: str, channels: list[str]
    ) -> None:
        pass  # nothing is recorded per node
