"""The single-node engine: in-process routing and presence (design §2).

The broker loops back: ``publish_user`` calls the node's handler at once, in the caller's
stack, which keeps the order of events and costs nothing but a method call.
"""

from __future__ import annotations

from openrtm.engines.base import EngineHandler, UserEvent

__all__ = ["MemoryBroker", "MemoryPresence"]


class MemoryBroker:
    """A :class:`~openrtm.engines.base.Broker` for one node."""

    def __init__(self) -> None:
        self._handler: EngineHandler | None = None

    async def start(self, handler: EngineHandler) -> None:
        self._handler = handler

    async def close(self) -> None:
        self._handler = None

    def publish_user(self, app_id: str, uid: str, event: UserEvent) -> None:
        if self._handler is not None:
            self._handler.on_user_event(app_id, uid, event)


class MemoryPresence:
    """A :class:`~openrtm.engines.base.Presence` for one node."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], str] = {}

    async def add_session(self, app_id: str, uid: str, session_id: str) -> None:
        self._sessions[app_id, uid] = session_id

    async def remove_session(self, app_id: str, uid: str, session_id: str) -> None:
        if self._sessions.get((app_id, uid)) == session_id:
            del self._sessions[app_id, uid]

    async def online(self, app_id: str, uids: list[str]) -> dict[str, bool]:
        return {uid: (app_id, uid) in self._sessions for uid in uids}
