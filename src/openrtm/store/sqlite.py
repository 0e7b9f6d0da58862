"""The single-node store: SQLite, owned by one writer thread, with group commit (design §1, §2).

:class:`SqliteStore` is the :class:`~openrtm.store.base.Store` of a single node. It is thin on
purpose: the writer (:mod:`openrtm.store.sqlite_writer`) owns the thread, the queue, the batching,
the migrations and the lifecycle; each domain's SQL is a module of plain functions of a
connection (:mod:`~openrtm.store.sqlite_events`, :mod:`~openrtm.store.sqlite_inbox`,
:mod:`~openrtm.store.sqlite_history`, :mod:`~openrtm.store.sqlite_attributes`). A method here
only picks how its operation runs: awaited until committed (``_submit``) or fire and forget
(``_enqueue``).
"""

from __future__ import annotations

from functools import partial

from openrtm.store import sqlite_attributes, sqlite_events, sqlite_history, sqlite_inbox
from openrtm.store.base import (
    EVENTS_PER_TAKE,
    INBOX_CAP,
    AttributeCheck,
    ChannelAttributes,
    ChannelEventRecord,
    HistoryRecord,
    InboxEntry,
    UserEventRecord,
)
from openrtm.store.sqlite_writer import SqliteWriter

__all__ = ["SqliteStore"]


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


class SqliteStore(SqliteWriter):
    """A :class:`~openrtm.store.base.Store` in one SQLite file.

    Args:
        path: the database file (the server uses ``<data dir>/openrtm.sqlite3``); missing parent
            directories are created.
    """

    # -- REST user and channel events (spec §7.5) ------------------------------------------

    def record_user_event(self, app_id: str, event: UserEventRecord) -> None:
        self._enqueue(lambda conn: sqlite_events.record_user(conn, app_id, event))

    def record_channel_event(self, app_id: str, event: ChannelEventRecord) -> None:
        self._enqueue(lambda conn: sqlite_events.record_channel(conn, app_id, event))

    async def take_user_events(
        self, app_id: str, limit: int = EVENTS_PER_TAKE
    ) -> list[UserEventRecord]:
        _check_limit(limit)
        return await self._submit(lambda conn: sqlite_events.take_user(conn, app_id, limit))

    async def take_channel_events(
        self, app_id: str, limit: int = EVENTS_PER_TAKE
    ) -> list[ChannelEventRecord]:
        _check_limit(limit)
        return await self._submit(lambda conn: sqlite_events.take_channel(conn, app_id, limit))

    # -- offline messages (spec §6.2) ------------------------------------------------------

    async def inbox_put(
        self, app_id: str, receiver: str, sender: str, mid: str, payload: bytes, ts: int
    ) -> None:
        await self._submit(
            lambda conn: sqlite_inbox.put(conn, app_id, receiver, sender, mid, payload, ts)
        )

    async def inbox_peek(
        self, app_id: str, receiver: str, now_ms: int, limit: int = INBOX_CAP
    ) -> list[InboxEntry]:
        _check_limit(limit)
        return await self._submit(
            lambda conn: sqlite_inbox.peek(conn, app_id, receiver, now_ms, limit)
        )

    def inbox_ack(self, app_id: str, receiver: str, up_to_seq: int) -> None:
        self._enqueue(lambda conn: sqlite_inbox.ack(conn, app_id, receiver, up_to_seq))

    def purge_expired(self, now_ms: int) -> None:
        self._enqueue(lambda conn: sqlite_inbox.purge_expired(conn, now_ms))

    # -- message history (spec §6.3, §7.4) -------------------------------------------------

    def record_history(self, app_id: str, record: HistoryRecord) -> None:
        self._enqueue(lambda conn: sqlite_history.record(conn, app_id, record))

    async def history(
        self, app_id: str, start_ms: int, end_ms: int, limit: int
    ) -> list[HistoryRecord]:
        _check_limit(limit)
        return await self._submit(
            lambda conn: sqlite_history.query(conn, app_id, start_ms, end_ms, limit)
        )

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
