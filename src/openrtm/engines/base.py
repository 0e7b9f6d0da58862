"""The engine seams: a Broker that routes events to users and a Presence registry (design §2).

A node talks to its engine only through these Protocols and hears back only through
:class:`EngineHandler`. The memory engine calls the handler directly; a cluster engine calls it
from its PUB/SUB reader; the node cannot tell them apart. One contract suite
(``tests/engines/``) runs against every implementation.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

__all__ = [
    "Broker",
    "EngineHandler",
    "Presence",
    "SessionClaimed",
    "UserEvent",
]


class UserEvent(msgspec.Struct, tag_field="e", kw_only=True):
    """Base of the events a broker routes to the connections of one user on any node.

    Events are msgspec Structs so that a cluster engine can serialize them as they are.
    """


class SessionClaimed(UserEvent, tag="claimed"):
    """A new login of this user succeeded; any of its sessions but ``session_id`` must go.

    Spec §6.11: the older session is kicked with REMOTE_LOGIN and leaves every channel.
    """

    session_id: str


class EngineHandler(Protocol):
    """What an engine calls back into; implemented by the Node."""

    def on_user_event(self, app_id: str, uid: str, event: UserEvent) -> None:
        """Deliver ``event`` to the local sessions of ``uid`` in App ``app_id``."""


class Broker(Protocol):
    """Routes events to users wherever they are connected."""

    async def start(self, handler: EngineHandler) -> None:
        """Begin delivering events to ``handler``."""

    async def close(self) -> None:
        """Stop delivering events and release resources."""

    def publish_user(self, app_id: str, uid: str, event: UserEvent) -> None:
        """Route ``event`` to every node's handler for (``app_id``, ``uid``).

        Fire and forget: events to one user arrive in the order they were published.
        """


class Presence(Protocol):
    """Who is logged in, across all nodes."""

    async def add_session(self, app_id: str, uid: str, session_id: str) -> None:
        """Record that ``uid`` is logged in with ``session_id`` (replacing an older session)."""

    async def remove_session(self, app_id: str, uid: str, session_id: str) -> None:
        """Record that ``session_id`` ended; a newer session of the same user is kept."""

    async def online(self, app_id: str, uids: list[str]) -> dict[str, bool]:
        """Return, for each of ``uids``, whether it has a live session."""
