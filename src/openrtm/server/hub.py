"""The node's only local registry: who is connected here, and in which channels (design §2).

Sessions are keyed by (App ID, uid) and channels by (App ID, channel), so nothing ever crosses
App IDs. A channel here holds only this node's members; the engine's Presence knows them all.

The Hub is where the first and the last local session of a user, member of a channel and
follower of a user are seen, so it tells the engine's broker this node's interest (issue #15:
routing by interest). Those calls are synchronous and happen at logins, joins and
subscriptions, never on the message path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openrtm.engines.base import Broker
    from openrtm.server.session import Session
    from openrtm.server.timers import Timer

__all__ = ["Hub", "LocalChannel"]


class LocalChannel:
    """This node's members of one channel, and the state of its coalesced count pushes.

    Attributes:
        members: local member sessions by uid.
        count: the channel's member count across all nodes, as last heard from the engine.
        count_timer: the pending coalesced ``member_count`` push, if one is scheduled.
        count_pushed_at: loop time of the last ``member_count`` push.
    """

    __slots__ = ("count", "count_pushed_at", "count_timer", "members")

    def __init__(self) -> None:
        self.members: dict[str, Session] = {}
        self.count = 0
        self.count_timer: Timer | None = None
        self.count_pushed_at = float("-inf")


class Hub:
    """Connections of this node, its logged-in sessions and its channels."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self.connections: set[Session] = set()
        self._users: dict[tuple[str, str], Session] = {}
        self._per_app: dict[str, int] = {}
        self._channels: dict[tuple[str, str], LocalChannel] = {}
        self._followers: dict[tuple[str, str], set[Session]] = {}

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
        if displaced is None:
            self._per_app[session.app_id] = self._per_app.get(session.app_id, 0) + 1
            self._broker.subscribe_user(session.app_id, session.uid)
        return displaced if displaced is not session else None

    def remove_user(self, session: Session) -> None:
        """Unregister ``session`` if it is still the registered one for its user."""
        key = (session.app_id, session.uid)
        if self._users.get(key) is session:
            del self._users[key]
            left = self._per_app[session.app_id] - 1
            if left:
                self._per_app[session.app_id] = left
            else:
                del self._per_app[session.app_id]
            self._broker.unsubscribe_user(session.app_id, session.uid)

    def users_of(self, app_id: str) -> int:
        """How many users of ``app_id`` are logged in here."""
        return self._per_app.get(app_id, 0)

    def users_by_app(self) -> dict[str, int]:
        """How many users of each App are logged in here (a copy; Apps with none left out)."""
        return dict(self._per_app)

    def channel(self, app_id: str, channel: str) -> LocalChannel | None:
        """Return this node's state of ``channel``, if it has local members."""
        return self._channels.get((app_id, channel))

    def add_member(self, session: Session, channel: str) -> LocalChannel:
        """Make ``session`` a local member of ``channel``."""
        local = self._channels.get((session.app_id, channel))
        if local is None:
            local = self._channels[session.app_id, channel] = LocalChannel()
            self._broker.subscribe_channel(session.app_id, channel)
        local.members[session.uid] = session
        return local

    def remove_member(self, session: Session, channel: str) -> None:
        """Remove ``session`` from ``channel``; forget the channel when no local member is left."""
        key = (session.app_id, channel)
        local = self._channels.get(key)
        if local is None or local.members.get(session.uid) is not session:
            return
        del local.members[session.uid]
        if not local.members:
            if local.count_timer is not None:
                local.count_timer.cancel()
            del self._channels[key]
            self._broker.unsubscribe_channel(session.app_id, channel)

    def followers(self, app_id: str, uid: str) -> set[Session]:
        """The local sessions following ``uid``'s online state (spec §6.9)."""
        return self._followers.get((app_id, uid), _NOBODY)

    def follow(self, session: Session, uid: str) -> None:
        """Make ``session`` a follower of ``uid``: a reverse index, so that a login or logout
        costs only its own followers, never a scan of every connection."""
        key = (session.app_id, uid)
        followers = self._followers.get(key)
        if followers is None:
            followers = self._followers[key] = set()
            self._broker.follow(session.app_id, uid)
        followers.add(session)

    def unfollow(self, session: Session, uid: str) -> None:
        """Stop ``session`` following ``uid``."""
        key = (session.app_id, uid)
        followers = self._followers.get(key)
        if followers is not None:
            followers.discard(session)
            if not followers:
                del self._followers[key]
                self._broker.unfollow(session.app_id, uid)


_NOBODY: set[Session] = set()
