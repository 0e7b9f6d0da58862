"""The single-node store: SQLite, owned by one writer thread, with group commit (design §1, §2).

:class:`SqliteStore` is the :class:`~openrtm.store.base.Store` of a single node. It is thin on
purpose: the writer (:mod:`openrtm.store.sqlite_writer`) owns the thread, the queue, the batching,
the migrations and the lifecycle; each domain's SQL is a module of plain functions of a
connection (:mod:`~openrtm.store.sqlite_events`, :mod:`~openrtm.store.sqlite_inbox`,
:mod:`~openrtm.store.sqlite_history`, :mod:`~openrtm.store.sqlite_attributes`,
:mod:`~openrtm.store.sqlite_media`). A method here
only picks how its operation runs: awaited until committed (``_submit``) or fire and forget
(``_enqueue``).
"""

from __future__ import annotations

import os
import secrets
import time
from functools import partial

from openrtm.store import (
    sqlite_attributes,
    sqlite_events,
    sqlite_history,
    sqlite_inbox,
    sqlite_media,
)
from openrtm.store.base import (
    EVENTS_PER_TAKE,
    INBOX_CAP,
    AttributeCheck,
    ChannelAttributes,
    ChannelEventRecord,
    HistoryOrder,
    HistoryRecord,
    InboxEntry,
    MediaRecord,
    UserEventRecord,
    check_history_query,
    check_limit,
)
from openrtm.store.sqlite_writer import SqliteWriter

__all__ = ["SqliteStore"]


class SqliteStore(SqliteWriter):
    """A :class:`~openrtm.store.base.Store` in one SQLite file.

    Every login asks for the user's stored messages, and almost every inbox is empty: the
    store remembers which receivers may have some (the ``inbox_counts`` rows at open, and every
    put since), so that an empty inbox is answered without a round trip to the writer thread.

    Args:
        path: the database file (the server uses ``<data dir>/openrtm.sqlite3``); missing parent
            directories are created.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._secrets: dict[str, bytes] = {}
        # The shared REST state of a cluster, for one process: in memory (nothing outlives
        # the process that serves it). A single node counts and keeps handles in
        # server/history.py and rest_common.py instead; these keep the Protocol whole.
        self._calls: dict[tuple[str, str], tuple[float, int]] = {}
        self._handles: dict[tuple[str, str], tuple[float, bytes]] = {}

    # -- REST user and channel events (spec §7.5) ------------------------------------------

    def record_user_event(self, app_id: str, event: UserEventRecord) -> None:
        self._enqueue(lambda conn: sqlite_events.record_user(conn, app_id, event))

    def record_channel_event(self, app_id: str, event: ChannelEventRecord) -> None:
        self._enqueue(lambda conn: sqlite_events.record_channel(conn, app_id, event))

    async def take_user_events(
        self, app_id: str, limit: int = EVENTS_PER_TAKE
    ) -> list[UserEventRecord]:
        check_limit(limit)
        return await self._submit(lambda conn: sqlite_events.take_user(conn, app_id, limit))

    async def take_channel_events(
        self, app_id: str, limit: int = EVENTS_PER_TAKE
    ) -> list[ChannelEventRecord]:
        check_limit(limit)
        return await self._submit(lambda conn: sqlite_events.take_channel(conn, app_id, limit))

    # -- offline messages (spec §6.2) ------------------------------------------------------

    async def open(self) -> None:
        await super().open()
        rows = await self._submit(sqlite_inbox.receivers)
        # (App ID, receiver) -> puts since open: a peek that found nothing forgets the
        # receiver only if no put came in meanwhile.
        self._may_have_mail: dict[tuple[str, str], int] = dict.fromkeys(rows, 0)

    async def inbox_put(
        self, app_id: str, receiver: str, sender: str, mid: str, payload: bytes, ts: int
    ) -> None:
        key = (app_id, receiver)
        self._may_have_mail[key] = self._may_have_mail.get(key, 0) + 1
        await self._submit(
            lambda conn: sqlite_inbox.put(conn, app_id, receiver, sender, mid, payload, ts)
        )

    async def inbox_peek(
        self, app_id: str, receiver: str, now_ms: int, limit: int = INBOX_CAP
    ) -> list[InboxEntry]:
        check_limit(limit)
        key = (app_id, receiver)
        puts = self._may_have_mail.get(key)
        if puts is None:
            return []
        entries, empty = await self._submit(
            lambda conn: sqlite_inbox.peek_or_empty(conn, app_id, receiver, now_ms, limit)
        )
        if empty and self._may_have_mail.get(key) == puts:
            del self._may_have_mail[key]
        return entries

    def inbox_ack(self, app_id: str, receiver: str, up_to_seq: int) -> None:
        self._enqueue(lambda conn: sqlite_inbox.ack(conn, app_id, receiver, up_to_seq))

    def purge_expired(self, now_ms: int) -> None:
        self._enqueue(lambda conn: sqlite_inbox.purge_expired(conn, now_ms))

    # -- message history (spec §6.3, §7.4) -------------------------------------------------

    def record_history(self, app_id: str, record: HistoryRecord) -> None:
        self._enqueue(lambda conn: sqlite_history.record(conn, app_id, record))

    async def count_call(self, app_id: str, budget: str, window_ms: int) -> int:
        now = time.monotonic()
        ends, calls = self._calls.get((app_id, budget), (0.0, 0))
        if ends <= now:
            ends, calls = now + window_ms / 1000, 0
        self._calls[app_id, budget] = (ends, calls + 1)
        return calls + 1

    async def query_handle_create(
        self, app_id: str, handle: str, ttl_ms: int, max_handles: int
    ) -> int | None:
        now = time.monotonic()
        for key in [k for k, (expires, _) in self._handles.items() if expires <= now]:
            del self._handles[key]
        live = sorted(exp for (app, _), (exp, _) in self._handles.items() if app == app_id)
        if len(live) >= max_handles:
            return max(0, int((live[0] - now) * 1000))
        self._handles[app_id, handle] = (now + ttl_ms / 1000, b"")
        return None

    async def query_handle_finish(self, app_id: str, handle: str, result: bytes) -> None:
        entry = self._handles.get((app_id, handle))
        if entry is not None and entry[0] > time.monotonic():
            self._handles[app_id, handle] = (entry[0], result)

    async def query_handle_get(self, app_id: str, handle: str) -> bytes | None:
        entry = self._handles.get((app_id, handle))
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    async def secret(self, name: str) -> bytes:
        # One process serves this store: a secret in memory is shared by all it serves.
        return self._secrets.setdefault(name, secrets.token_bytes(32))

    async def put_history(self, app_id: str, record: HistoryRecord) -> None:
        await self._submit(lambda conn: sqlite_history.record(conn, app_id, record))

    async def history(
        self, app_id: str, start_ms: int, end_ms: int, limit: int
    ) -> list[HistoryRecord]:
        check_limit(limit)
        return await self._submit(
            lambda conn: sqlite_history.query(conn, app_id, start_ms, end_ms, limit)
        )

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
        check_history_query(source, destination, order)
        check_limit(limit)
        if offset < 0:
            raise ValueError(f"offset must be at least 0, got {offset}")
        return await self._submit(
            partial(
                sqlite_history.select,
                app_id=app_id,
                source=source,
                destination=destination,
                start_ms=start_ms,
                end_ms=end_ms,
                order=order,
                offset=offset,
                limit=limit,
            )
        )

    async def history_count(
        self,
        app_id: str,
        *,
        source: str | None,
        destination: str | None,
        start_ms: int,
        end_ms: int,
    ) -> int:
        check_history_query(source, destination)
        return await self._submit(
            partial(
                sqlite_history.count,
                app_id=app_id,
                source=source,
                destination=destination,
                start_ms=start_ms,
                end_ms=end_ms,
            )
        )

    def purge_history(self, before_ms: int) -> None:
        self._enqueue(lambda conn: sqlite_history.purge(conn, before_ms))

    # -- channel attributes (spec §6.7) ----------------------------------------------------
    # partial(), not a lambda: the copies of attrs and keys are taken now, on the event loop,
    # not later in the writer thread, where the caller could be changing them.

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
        return await self._submit(
            partial(
                sqlite_attributes.replace,
                app_id=app_id,
                channel=channel,
                attrs=dict(attrs),
                user_id=user_id,
                ts=ts,
                check=check,
            )
        )

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
        return await self._submit(
            partial(
                sqlite_attributes.update,
                app_id=app_id,
                channel=channel,
                attrs=dict(attrs),
                user_id=user_id,
                ts=ts,
                check=check,
            )
        )

    async def delete_channel_attributes(
        self, app_id: str, channel: str, keys: list[str], *, check: AttributeCheck | None = None
    ) -> ChannelAttributes:
        return await self._submit(
            partial(
                sqlite_attributes.delete,
                app_id=app_id,
                channel=channel,
                keys=frozenset(keys),
                check=check,
            )
        )

    async def clear_channel_attributes(self, app_id: str, channel: str) -> ChannelAttributes:
        return await self._submit(partial(sqlite_attributes.clear, app_id=app_id, channel=channel))

    async def get_channel_attributes(
        self, app_id: str, channel: str, keys: list[str] | None = None
    ) -> ChannelAttributes:
        return await self._submit(
            partial(
                sqlite_attributes.get,
                app_id=app_id,
                channel=channel,
                keys=None if keys is None else frozenset(keys),
            )
        )

    async def channels_with_attributes(self, app_id: str | None = None) -> list[tuple[str, str]]:
        return await self._submit(partial(sqlite_attributes.channels, app_id=app_id))

    # -- media objects (spec §1.6, §5.2) ---------------------------------------------------

    async def media_put(self, app_id: str, record: MediaRecord) -> None:
        # A duplicate id fails the insert: the writer raises it as StoreError.
        await self._submit(lambda conn: sqlite_media.put(conn, app_id, record))

    async def media_get(self, app_id: str, media_id: str, now_ms: int) -> MediaRecord | None:
        return await self._submit(lambda conn: sqlite_media.get(conn, app_id, media_id, now_ms))

    async def media_take_expired(self, now_ms: int, limit: int = 1000) -> list[tuple[str, str]]:
        check_limit(limit)
        return await self._submit(lambda conn: sqlite_media.take_expired(conn, now_ms, limit))

    async def media_ids(self) -> set[tuple[str, str]]:
        return await self._submit(sqlite_media.ids)
