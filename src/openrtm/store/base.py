"""The store seam: what the server keeps on disk, and the records it keeps (design §2).

The Node is written against :class:`Store` only. A single node uses
:class:`~openrtm.store.sqlite.SqliteStore`; a cluster will use a Redis store. One contract suite
(``tests/store/test_store_contract.py``) runs against every implementation.

Today the store keeps the REST user and channel events of spec §7.5: a destructive-read ring of
at most :data:`EVENTS_KEPT_PER_APP` events per App ID and kind, oldest dropped. Every method is
keyed by App ID; nothing ever crosses App IDs.
"""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

__all__ = [
    "EVENTS_KEPT_PER_APP",
    "EVENTS_PER_TAKE",
    "ChannelEventRecord",
    "ChannelEventType",
    "Store",
    "StoreError",
    "UserEventRecord",
    "UserEventType",
]

EVENTS_KEPT_PER_APP = 2_000
"""Spec §7.5: the server keeps at most 2 000 events per App ID (per kind), oldest dropped."""

EVENTS_PER_TAKE = 1_000
"""Spec §7.5: one REST call returns at most 1 000 events."""

UserEventType = Literal["Login", "Logout"]
ChannelEventType = Literal["Join", "Leave"]


class UserEventRecord(msgspec.Struct, frozen=True):
    """A user logged in or out (spec §7.5 ``GET /rtm/vendor/user_events``).

    Attributes:
        uid: the user id.
        type: ``"Login"`` or ``"Logout"``.
        ms: when it happened, in milliseconds since the epoch.
    """

    uid: str
    type: UserEventType
    ms: int


class ChannelEventRecord(msgspec.Struct, frozen=True):
    """A user joined or left a channel (spec §7.5 ``GET /rtm/vendor/channel_events``).

    Attributes:
        channel_id: the channel id (``group_id`` on the REST wire).
        uid: the user id.
        type: ``"Join"`` or ``"Leave"``.
        ms: when it happened, in milliseconds since the epoch.
    """

    channel_id: str
    uid: str
    type: ChannelEventType
    ms: int


class StoreError(Exception):
    """The store could not do what was asked: it is closed, or the database failed.

    The underlying error, if any, is the ``__cause__``. The message never contains payloads.

    Attributes:
        detail: what went wrong, lower-case, for people.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class Store(Protocol):
    """The durable state of the server, keyed by App ID.

    Methods are called from the event loop that called :meth:`open`. Every method but
    :meth:`open` and :meth:`close` raises :class:`StoreError` when the store is not open.
    """

    async def open(self) -> None:
        """Create or migrate the schema and get ready; calling it again does nothing.

        Raises:
            StoreError: the backing storage cannot be opened or has a newer schema.
        """

    async def close(self) -> None:
        """Commit everything enqueued so far, then release resources; idempotent."""

    def record_user_event(self, app_id: str, event: UserEventRecord) -> None:
        """Enqueue a user event without waiting; the store commits it within milliseconds.

        Called on the login path, so it never blocks. Keeps at most
        :data:`EVENTS_KEPT_PER_APP` user events per App ID, dropping the oldest.
        """

    def record_channel_event(self, app_id: str, event: ChannelEventRecord) -> None:
        """Enqueue a channel event without waiting; as :meth:`record_user_event`."""

    async def take_user_events(
        self, app_id: str, limit: int = EVENTS_PER_TAKE
    ) -> list[UserEventRecord]:
        """Remove and return the oldest ``limit`` user events of ``app_id``, oldest first.

        The read is destructive (spec §7.5): if the awaiting task is cancelled once the take
        has been enqueued, the events may be gone without having been returned.

        Raises:
            ValueError: ``limit`` is less than 1.
        """

    async def take_channel_events(
        self, app_id: str, limit: int = EVENTS_PER_TAKE
    ) -> list[ChannelEventRecord]:
        """Remove and return the oldest ``limit`` channel events of ``app_id``, oldest first."""

    async def flush(self) -> None:
        """Return once everything enqueued before the call is committed (or has failed)."""
