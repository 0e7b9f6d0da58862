"""The node's only local registry: who is connected here (design §2).

Sessions are keyed by (App ID, uid), so nothing ever crosses App IDs. Channels (App ID,
channel) → local members join this module when channels arrive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openrtm.server.session import Session

__all__ = ["Hub"]


class Hub:
    """Connections of this node, and the logged-in sessions among them."""

    def __init__(self) -> None:
        self.connections: set[Session] = set()
        self._users: dict[tuple[str, str], Session] = {}

    def __len__(self) -> int:
        return len(self._users)

    def user(self, app_id: str, uid: str) -> Session | None:
        """Return the local logged-in session of ``uid`` in App ``app_id``, if any."""
        return self._users.get((app_id, uid))

    def add_user(self, session: Session) -> Session | None:
        """Register a logged-in session; return the local session it displaces, if any."""
        key = (session.app_id, session.uid)
        displaced = self._users.get(key)
        self._users[key] = session
        return displaced if displaced is not session else None

    def remove_user(self, session: Session) -> None:
        """Unregister ``session`` if it is still the registered one for its user."""
        key = (session.app_id, session.uid)
        if self._users.get(key) is session:
            del self._users[key]
