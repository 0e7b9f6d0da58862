"""The store seam: what the server keeps on disk, and the records it keeps (design §2).

The Node is written against :class:`Store` only. A single node uses
:class:`~openrtm.store.sqlite.SqliteStore`; a cluster will use a Redis store. One contract suite
(``tests/store/test_store_contract.py``) runs against every implementation.

The store keeps:

- the REST user and channel events of spec §7.5: a destructive-read ring of at most
  :data:`EVENTS_KEPT_PER_APP` events per App ID and kind, oldest dropped;
- the offline-message inbox of spec §6.2: at most :data:`INBOX_CAP` entries per receiver, kept
  at most :data:`INBOX_TTL_MS`, oldest dropped; read by peek, deleted by ack once delivered;
- the message history of spec §6.3, an archive for the REST history API (§7.4): read by
  filtered, ordered, paged time windows, purged by age on the server's retention;
- the channel attributes of spec §6.7, kept until cleared: written by atomic read-modify-write
  operations that run the caller's limit check (spec §5.3) on the merged result, so that
  concurrent writers can never together break a limit;
- the metadata of uploaded media objects (spec §5.2), until they expire; the objects' bytes
  are files the media service keeps beside the store.

Every method is keyed by App ID; nothing ever crosses App IDs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

import msgspec

__all__ = [
    "EVENTS_KEPT_PER_APP",
    "EVENTS_PER_TAKE",
    "INBOX_CAP",
    "INBOX_TTL_MS",
    "AttributeCheck",
    "AttributeRefused",
    "ChannelAttribute",
    "ChannelAttributes",
    "ChannelEventRecord",
    "ChannelEventType",
    "HistoryDestinationKind",
    "HistoryOrder",
    "HistoryRecord",
    "InboxEntry",
    "MediaRecord",
    "Store",
    "StoreError",
    "UserEventRecord",
    "UserEventType",
    "check_history_query",
    "check_limit",
]

EVENTS_KEPT_PER_APP = 2_000
"""Spec §7.5: the server keeps at most 2 000 events per App ID (per kind), oldest dropped."""

EVENTS_PER_TAKE = 1_000
"""Spec §7.5: one REST call returns at most 1 000 events."""

INBOX_CAP = 200
"""Spec §6.2: the server keeps at most 200 offline messages per receiver, oldest dropped."""

INBOX_TTL_MS = 7 * 24 * 3600 * 1000
"""Spec §6.2: an offline message is kept at most 7 days (in milliseconds)."""

UserEventType = Literal["Login", "Logout"]
ChannelEventType = Literal["Join", "Leave"]
HistoryDestinationKind = Literal["user", "channel"]
HistoryOrder = Literal["asc", "desc"]
"""Spec §7.4: ``"asc"`` oldest first, ``"desc"`` newest first (the exact reverse)."""


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


class InboxEntry(msgspec.Struct, frozen=True):
    """An offline peer message waiting for its receiver to log in (spec §6.2).

    Attributes:
        seq: assigned by the store, increasing across the whole store and never reused: the
            order of the receiver's entries (send order) and the handle to acknowledge them by.
        sender: the sender's user id.
        mid: the sender's message id; the receiver de-duplicates by it.
        payload: the encoded message body, opaque to the store.
        ts: the server-received timestamp, in milliseconds since the epoch.
    """

    seq: int
    sender: str
    mid: str
    payload: bytes
    ts: int


class HistoryRecord(msgspec.Struct, frozen=True):
    """An archived text message (spec §6.3), as the REST history API returns it (spec §7.4).

    Attributes:
        src: the sender's user id.
        dst: the receiver's user id or the channel id.
        dst_kind: ``"user"`` for a peer message, ``"channel"`` for a channel message.
        payload: the message text (only text messages are archived).
        ts: the server-received timestamp, in milliseconds since the epoch.
    """

    src: str
    dst: str
    dst_kind: HistoryDestinationKind
    payload: str
    ts: int


class ChannelAttribute(msgspec.Struct, frozen=True):
    """One channel attribute (spec §1.7 ``ChannelAttributeProperties``), stamped by the server.

    Attributes:
        value: the attribute's value.
        last_update_user_id: the user whose write last set this key.
        last_update_ts: when that write happened, in milliseconds since the epoch.
    """

    value: str
    last_update_user_id: str
    last_update_ts: int


class MediaRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An uploaded media object (spec §1.6, §5.2), as the media service keeps it.

    Attributes:
        media_id: its id, unique in the whole store (random, unguessable).
        size: its size in bytes.
        content_type: its MIME type, sniffed at upload.
        width: an image's width in pixels, 0 when unknown or not an image.
        height: an image's height in pixels, 0 when unknown or not an image.
        uploader: the user id that uploaded it.
        created_ms: when the upload finished, in milliseconds since the epoch.
        expires_ms: when it stops being served (and may be purged), in ms since the epoch.
    """

    media_id: str
    size: int
    content_type: str
    width: int = 0
    height: int = 0
    uploader: str
    created_ms: int
    expires_ms: int


ChannelAttributes = dict[str, ChannelAttribute]
"""A channel's attributes by key (spec §1.7 ``ChannelAttributes``)."""

AttributeCheck = Callable[[dict[str, str]], str | None]
"""Judges the ``{key: value}`` map a channel write would leave: why it is refused, or None.

It runs inside the store's write, on the merged result, before anything is written; it may run
more than once per write (an implementation may retry an optimistic write), and off the event
loop (the SQLite store runs it in its writer thread): it must be a quick, pure function of the
map, and must not keep or change it.
"""


def check_limit(limit: int) -> None:
    """Refuse a read limit below 1 (a caller's bug, not a client's input)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def check_history_query(
    source: str | None, destination: str | None, order: HistoryOrder | None = None
) -> None:
    """Refuse a history filter with neither a source nor a destination (spec §7.4), or an
    order other than ``"asc"`` / ``"desc"``."""
    if source is None and destination is None:
        raise ValueError("source or destination must be given")
    if order is not None and order not in ("asc", "desc"):
        raise ValueError(f"order must be 'asc' or 'desc', got {order!r}")


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


class AttributeRefused(StoreError):
    """A channel attribute write was refused by its :data:`AttributeCheck`; nothing was written.

    Attributes:
        detail: the check's message, unchanged.
    """


class Store(Protocol):
    """The durable state of the server, keyed by App ID.

    Methods are called from the event loop that called :meth:`open`. Every method but
    :meth:`open` and :meth:`close` raises :class:`StoreError` when the store is not open.
    Operations take effect in the order they are called: a read sees every write, awaited or
    fire-and-forget, called before it.
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

    async def inbox_put(
        self, app_id: str, receiver: str, sender: str, mid: str, payload: bytes, ts: int
    ) -> None:
        """Store an offline message for ``receiver``; durable when this returns.

        The server answers the sender (``CACHED_BY_SERVER``) only after this returns. Keeps at
        most :data:`INBOX_CAP` entries per receiver, dropping the oldest. If the awaiting task
        is cancelled, the entry may or may not have been stored.

        Args:
            app_id: the App ID of both users.
            receiver: the receiver's user id.
            sender: the sender's user id.
            mid: the sender's message id.
            payload: the encoded message body.
            ts: the server-received timestamp, in milliseconds since the epoch.
        """

    async def inbox_peek(
        self, app_id: str, receiver: str, now_ms: int, limit: int = INBOX_CAP
    ) -> list[InboxEntry]:
        """Return the receiver's oldest ``limit`` entries not yet expired, oldest first.

        Not destructive: entries stay until :meth:`inbox_ack` (or expiry). An entry is expired
        when its ``ts`` is before ``now_ms - INBOX_TTL_MS``.

        Raises:
            ValueError: ``limit`` is less than 1.
        """

    def inbox_ack(self, app_id: str, receiver: str, up_to_seq: int) -> None:
        """Enqueue, without waiting, the deletion of the receiver's entries up to ``up_to_seq``.

        Called once the entries peeked are delivered: those with ``seq <= up_to_seq``.
        """

    def purge_expired(self, now_ms: int) -> None:
        """Enqueue, without waiting, the deletion of every expired entry, in every app.

        The server calls it from its sweeper timer; :meth:`inbox_peek` never returns expired
        entries, so how often it runs bounds only the disk space they take.
        """

    def record_history(self, app_id: str, record: HistoryRecord) -> None:
        """Enqueue a message for the history archive without waiting (spec §6.3)."""

    async def put_history(self, app_id: str, record: HistoryRecord) -> None:
        """Archive a message and return once it is committed (spec §6.3).

        What a message sent with ``history`` waits for before its sender's reply (issue #15:
        nothing acknowledged is lost across a node's kill -9). Ordered with every other
        operation, like :meth:`record_history`.

        Raises:
            StoreError: the archive could not be written.
        """

    async def history(
        self, app_id: str, start_ms: int, end_ms: int, limit: int
    ) -> list[HistoryRecord]:
        """Return the app's first ``limit`` archived messages with ``start_ms <= ts < end_ms``.

        Oldest first; messages with the same ``ts`` come in the order they were recorded.

        Raises:
            ValueError: ``limit`` is less than 1.
        """

    async def history_query(
        self,
        app_id: str,
        *,
        source: str | None,
        destination: str | None,
        start_ms: int,
        end_ms: int,
        order: HistoryOrder,
        offset: int,
        limit: int,
    ) -> list[HistoryRecord]:
        """Return one page of the app's archived messages that match a filter (spec §7.4).

        A message matches when ``start_ms <= ts < end_ms``, its sender is ``source`` (if
        given) and its receiver or channel is ``destination`` (if given). The matches are
        ordered by ``ts`` then by recording, oldest first for ``"asc"``; ``"desc"`` is the
        exact reverse. The page is the ``limit`` matches after the first ``offset``.

        Args:
            app_id: the App whose archive is read.
            source: the sender's user id, or None for any sender.
            destination: the receiver's user id or the channel id, or None for any.
            start_ms: the window's start, inclusive, in ms since the epoch.
            end_ms: the window's end, exclusive.
            order: ``"asc"`` or ``"desc"``.
            offset: how many matches to skip, at least 0.
            limit: the most matches to return, at least 1.

        Raises:
            ValueError: both ``source`` and ``destination`` are None, ``order`` is neither
                ``"asc"`` nor ``"desc"``, ``offset`` is negative or ``limit`` below 1.
        """

    async def history_count(
        self,
        app_id: str,
        *,
        source: str | None,
        destination: str | None,
        start_ms: int,
        end_ms: int,
    ) -> int:
        """Return how many archived messages match a filter, as :meth:`history_query` reads.

        Raises:
            ValueError: both ``source`` and ``destination`` are None.
        """

    def purge_history(self, before_ms: int) -> None:
        """Enqueue, without waiting, the deletion of every archived message before ``before_ms``.

        In every app. The server calls it from its sweeper timer with its history retention.
        """

    async def set_channel_attributes(
        self,
        app_id: str,
        channel: str,
        attrs: dict[str, str],
        *,
        user_id: str,
        ts: int,
        check: AttributeCheck,
    ) -> ChannelAttributes:
        """Replace the channel's whole attribute set with ``attrs``; durable when this returns.

        Atomic: ``check`` is called with ``attrs`` (the set the write would leave) and the
        write happens only if it returns None. Every key is stamped with ``user_id`` and ``ts``.
        ``attrs`` is copied when called.

        Args:
            app_id: the App ID of the channel.
            channel: the channel id.
            attrs: the new set, by key.
            user_id: the writer, stamped as ``last_update_user_id``.
            ts: the server time of the write in ms, stamped as ``last_update_ts``.
            check: the limits of spec §5.3, judged on the result.

        Returns:
            The complete set after the write (spec §6.7 pushes it to the members).

        Raises:
            AttributeRefused: ``check`` refused; nothing was written.
        """

    async def update_channel_attributes(
        self,
        app_id: str,
        channel: str,
        attrs: dict[str, str],
        *,
        user_id: str,
        ts: int,
        check: AttributeCheck,
    ) -> ChannelAttributes:
        """Add or update the channel's attributes of the keys in ``attrs``, atomically.

        ``check`` is called with the stored set merged with ``attrs``; only the keys in
        ``attrs`` are stamped with ``user_id`` and ``ts``, the others keep their stamps.
        Otherwise as :meth:`set_channel_attributes`.

        Raises:
            AttributeRefused: ``check`` refused; nothing was written.
        """

    async def delete_channel_attributes(
        self, app_id: str, channel: str, keys: list[str], *, check: AttributeCheck | None = None
    ) -> ChannelAttributes:
        """Delete the channel's attributes of ``keys`` (missing keys are ignored), atomically.

        ``check``, if given, is called with the set the deletion would leave. Returns the
        complete set after the write; durable when this returns.

        Raises:
            AttributeRefused: ``check`` refused; nothing was written.
        """

    async def clear_channel_attributes(self, app_id: str, channel: str) -> ChannelAttributes:
        """Delete all of the channel's attributes; durable when this returns; returns ``{}``."""

    async def get_channel_attributes(
        self, app_id: str, channel: str, keys: list[str] | None = None
    ) -> ChannelAttributes:
        """Return the channel's attributes: all of them, or those of ``keys`` that exist."""

    async def channels_with_attributes(self, app_id: str | None = None) -> list[tuple[str, str]]:
        """Return the ``(app_id, channel)`` pairs that have any attribute, sorted.

        Of ``app_id`` only, or of every app when None. The server calls it at start to schedule
        the clean-up of channels that stay empty (spec §6.7).
        """

    async def media_put(self, app_id: str, record: MediaRecord) -> None:
        """Record an uploaded object of ``app_id``; durable when this returns.

        The media service calls it once the object's file is in place, so that a crash
        leaves at worst a file without a record, which it removes at start.

        Raises:
            StoreError: a record with the same id exists (ids are random: a bug or a replay).
        """

    async def media_get(self, app_id: str, media_id: str, now_ms: int) -> MediaRecord | None:
        """Return the object ``media_id`` of ``app_id``, or None if unknown or expired.

        Expired: ``expires_ms <= now_ms``. Another App's object is unknown (design §2).
        """

    async def media_take_expired(self, now_ms: int, limit: int = 1000) -> list[tuple[str, str]]:
        """Delete the records of up to ``limit`` expired objects, in every App; return their
        ``(app_id, media_id)``, so that the caller removes their files.

        Raises:
            ValueError: ``limit`` is less than 1.
        """

    async def media_ids(self) -> set[tuple[str, str]]:
        """Return the ``(app_id, media_id)`` of every recorded object, expired or not.

        Read at start, to remove the files that have no record (an upload cut by a crash
        between its rename and its commit).
        """

    async def count_call(self, app_id: str, budget: str, window_ms: int) -> int:
        """Count one call of ``app_id`` against ``budget`` for every node on this store.

        A fixed window of ``window_ms`` that starts at its first call. Returns the calls in
        the current window, this one included: the caller compares it with the budget (spec
        §5.4's per-App REST budgets, shared by the nodes of a cluster; a single node counts
        in memory and never calls this).

        Raises:
            StoreError: the count could not be made.
        """

    async def query_handle_create(
        self, app_id: str, handle: str, ttl_ms: int, max_handles: int
    ) -> int | None:
        """Record the pending REST history query ``handle`` of ``app_id`` for ``ttl_ms``.

        Returns None if recorded; else the App holds ``max_handles`` live handles already, and
        the ms until its oldest expires is returned (spec §7.4; server/history.py).

        Raises:
            StoreError: the handle could not be recorded.
        """

    async def query_handle_finish(self, app_id: str, handle: str, result: bytes) -> None:
        """Store ``result`` (non-empty, opaque) as the outcome of ``handle``, if it lives."""

    async def query_handle_get(self, app_id: str, handle: str) -> bytes | None:
        """The outcome of ``handle``: None if unknown or expired, ``b""`` while in progress.

        Raises:
            StoreError: the store could not be read.
        """

    async def secret(self, name: str) -> bytes:
        """Return the 32-byte random secret ``name``, made on first use and then the same for
        every node on this store (e.g. the key that signs media tickets, services/media.py).

        A store of one process (SQLite) keeps it for its lifetime only: nothing outlives the
        process that the secret protects (login sessions).

        Raises:
            StoreError: the store could not be read.
        """

    async def flush(self) -> None:
        """Return once everything enqueued before the call is committed (or has failed)."""
