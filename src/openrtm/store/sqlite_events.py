"""The REST user and channel events in SQLite (spec §7.5): a destructive-read ring per App ID.

Plain functions of a :class:`sqlite3.Connection`, run by the store's writer thread inside its
transaction. The 2 000 cap is enforced on insert with a counter row per (kind, App ID) in
``event_counts``, kept in step in the same transaction, so no insert ever counts rows.
"""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

from openrtm.store.base import EVENTS_KEPT_PER_APP, ChannelEventRecord, UserEventRecord

__all__ = ["record_channel", "record_user", "take_channel", "take_user"]


class _EventTable(NamedTuple):
    """The statements of one event kind (spec §7.5), built once from trusted names."""

    kind: str
    insert: str
    select: str
    delete_through: str
    drop_oldest: str


def _event_table(kind: str, table: str, columns: str) -> _EventTable:
    marks = ", ".join("?" for _ in columns.split(","))
    return _EventTable(
        kind=kind,
        insert=f"INSERT INTO {table} (app_id, {columns}) VALUES (?, {marks})",
        select=f"SELECT seq, {columns} FROM {table} WHERE app_id = ? ORDER BY seq LIMIT ?",
        # The rows taken are exactly the app's rows up to the last seq returned.
        delete_through=f"DELETE FROM {table} WHERE app_id = ? AND seq <= ?",
        drop_oldest=(
            f"DELETE FROM {table} WHERE seq IN "
            f"(SELECT seq FROM {table} WHERE app_id = ? ORDER BY seq LIMIT ?)"
        ),
    )


_USER_EVENTS = _event_table("user", "user_events", "uid, type, ms")
_CHANNEL_EVENTS = _event_table("channel", "channel_events", "channel_id, uid, type, ms")
_COUNT_UP = (
    "INSERT INTO event_counts (kind, app_id, n) VALUES (?, ?, 1) "
    "ON CONFLICT (kind, app_id) DO UPDATE SET n = n + 1"
)
_COUNT_GET = "SELECT n FROM event_counts WHERE kind = ? AND app_id = ?"
_COUNT_SET = "UPDATE event_counts SET n = ? WHERE kind = ? AND app_id = ?"
_COUNT_DOWN = "UPDATE event_counts SET n = n - ? WHERE kind = ? AND app_id = ?"
_COUNT_DELETE = "DELETE FROM event_counts WHERE kind = ? AND app_id = ?"


def record_user(conn: sqlite3.Connection, app_id: str, event: UserEventRecord) -> None:
    """Insert a user event, dropping the app's oldest beyond :data:`EVENTS_KEPT_PER_APP`."""
    _insert(conn, _USER_EVENTS, app_id, (event.uid, event.type, event.ms))


def record_channel(conn: sqlite3.Connection, app_id: str, event: ChannelEventRecord) -> None:
    """Insert a channel event, dropping the app's oldest beyond :data:`EVENTS_KEPT_PER_APP`."""
    _insert(conn, _CHANNEL_EVENTS, app_id, (event.channel_id, event.uid, event.type, event.ms))


def take_user(conn: sqlite3.Connection, app_id: str, limit: int) -> list[UserEventRecord]:
    """Delete and return the app's oldest ``limit`` user events, oldest first."""
    rows = _take(conn, _USER_EVENTS, app_id, limit)
    return [UserEventRecord(uid, type_, ms) for _, uid, type_, ms in rows]


def take_channel(conn: sqlite3.Connection, app_id: str, limit: int) -> list[ChannelEventRecord]:
    """Delete and return the app's oldest ``limit`` channel events, oldest first."""
    rows = _take(conn, _CHANNEL_EVENTS, app_id, limit)
    return [ChannelEventRecord(ch, uid, type_, ms) for _, ch, uid, type_, ms in rows]


def _insert(conn: sqlite3.Connection, t: _EventTable, app_id: str, values: tuple[Any, ...]) -> None:
    conn.execute(t.insert, (app_id, *values))
    conn.execute(_COUNT_UP, (t.kind, app_id))
    (n,) = conn.execute(_COUNT_GET, (t.kind, app_id)).fetchone()
    if n > EVENTS_KEPT_PER_APP:  # spec §7.5: 2 000 per App ID, oldest dropped
        conn.execute(t.drop_oldest, (app_id, n - EVENTS_KEPT_PER_APP))
        conn.execute(_COUNT_SET, (EVENTS_KEPT_PER_APP, t.kind, app_id))


def _take(conn: sqlite3.Connection, t: _EventTable, app_id: str, limit: int) -> list[Any]:
    rows = conn.execute(t.select, (app_id, limit)).fetchall()
    if rows:
        conn.execute(t.delete_through, (app_id, rows[-1][0]))
        if len(rows) < limit:  # the app has no events left: forget its counter too
            conn.execute(_COUNT_DELETE, (t.kind, app_id))
        else:
            conn.execute(_COUNT_DOWN, (len(rows), t.kind, app_id))
    return rows
