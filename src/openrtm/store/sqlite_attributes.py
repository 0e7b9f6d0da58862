"""Channel attributes in SQLite (spec §1.7, §5.3, §6.7): durable, stamped, checked when merged.

Plain functions of a :class:`sqlite3.Connection`, run by the store's writer thread inside its
transaction. Each write is one read-modify-write in one operation: read the channel's set,
merge, hand the merged ``{key: value}`` map to the caller's check, and write only if it passes.
The writer runs one operation at a time, so no other write can land between the read and the
write: two concurrent writers cannot together break a limit of spec §5.3.

The arguments after the connection are keyword-only: :class:`~openrtm.store.sqlite.SqliteStore`
binds them with :func:`functools.partial`, copying the caller's maps and lists on the event loop
at call time, since the writer thread reads them later.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping

from openrtm.store.base import (
    AttributeCheck,
    AttributeRefused,
    ChannelAttribute,
    ChannelAttributes,
)

__all__ = ["channels", "clear", "delete", "get", "replace", "update"]

_SELECT = (
    "SELECT key, value, user_id, ts FROM channel_attributes "
    "WHERE app_id = ? AND channel = ? ORDER BY key"
)
_UPSERT = (
    "INSERT INTO channel_attributes (app_id, channel, key, value, user_id, ts) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (app_id, channel, key) DO UPDATE "
    "SET value = excluded.value, user_id = excluded.user_id, ts = excluded.ts"
)
_DELETE_KEY = "DELETE FROM channel_attributes WHERE app_id = ? AND channel = ? AND key = ?"
_DELETE_ALL = "DELETE FROM channel_attributes WHERE app_id = ? AND channel = ?"
_CHANNELS = "SELECT DISTINCT app_id, channel FROM channel_attributes ORDER BY app_id, channel"
_CHANNELS_OF_APP = (
    "SELECT DISTINCT app_id, channel FROM channel_attributes WHERE app_id = ? ORDER BY channel"
)


def replace(
    conn: sqlite3.Connection,
    *,
    app_id: str,
    channel: str,
    attrs: Mapping[str, str],
    user_id: str,
    ts: int,
    check: AttributeCheck,
) -> ChannelAttributes:
    """Replace the channel's set with ``attrs``, all stamped, if ``check`` passes it."""
    _judge(check, dict(attrs))
    current = _read(conn, app_id, channel)
    conn.executemany(_DELETE_KEY, [(app_id, channel, key) for key in current if key not in attrs])
    return _write(conn, app_id, channel, {}, attrs, user_id, ts)


def update(
    conn: sqlite3.Connection,
    *,
    app_id: str,
    channel: str,
    attrs: Mapping[str, str],
    user_id: str,
    ts: int,
    check: AttributeCheck,
) -> ChannelAttributes:
    """Add or update the keys of ``attrs`` (only they are stamped) if the merged set passes."""
    current = _read(conn, app_id, channel)
    _judge(check, {**{key: a.value for key, a in current.items()}, **attrs})
    return _write(conn, app_id, channel, current, attrs, user_id, ts)


def delete(
    conn: sqlite3.Connection,
    *,
    app_id: str,
    channel: str,
    keys: Collection[str],
    check: AttributeCheck | None,
) -> ChannelAttributes:
    """Delete the channel's attributes of ``keys``, ignoring missing ones, if ``check`` passes."""
    current = _read(conn, app_id, channel)
    left = {key: a for key, a in current.items() if key not in keys}
    if check is not None:
        _judge(check, {key: a.value for key, a in left.items()})
    gone = [(app_id, channel, key) for key in current if key not in left]
    conn.executemany(_DELETE_KEY, gone)
    return left


def clear(conn: sqlite3.Connection, *, app_id: str, channel: str) -> ChannelAttributes:
    """Delete all of the channel's attributes; return the empty set."""
    conn.execute(_DELETE_ALL, (app_id, channel))
    return {}


def get(
    conn: sqlite3.Connection, *, app_id: str, channel: str, keys: Collection[str] | None
) -> ChannelAttributes:
    """Return the channel's attributes, all or those of ``keys`` that exist, in key order."""
    # A channel holds at most 32 attributes (spec §5.3): filtering here costs less than a
    # statement per distinct number of keys.
    current = _read(conn, app_id, channel)
    if keys is None:
        return current
    return {key: a for key, a in current.items() if key in keys}


def channels(conn: sqlite3.Connection, *, app_id: str | None) -> list[tuple[str, str]]:
    """Return the sorted ``(app_id, channel)`` pairs with any attribute, of one app or all."""
    if app_id is None:
        rows = conn.execute(_CHANNELS).fetchall()
    else:
        rows = conn.execute(_CHANNELS_OF_APP, (app_id,)).fetchall()
    return [(app, channel) for app, channel in rows]


def _read(conn: sqlite3.Connection, app_id: str, channel: str) -> ChannelAttributes:
    rows = conn.execute(_SELECT, (app_id, channel)).fetchall()
    return {key: ChannelAttribute(value, user_id, ts) for key, value, user_id, ts in rows}


def _judge(check: AttributeCheck, merged: dict[str, str]) -> None:
    """Raise :class:`AttributeRefused` if ``check`` refuses ``merged``; before any write."""
    why = check(merged)
    if why is not None:
        raise AttributeRefused(why)


def _write(
    conn: sqlite3.Connection,
    app_id: str,
    channel: str,
    current: ChannelAttributes,
    attrs: Mapping[str, str],
    user_id: str,
    ts: int,
) -> ChannelAttributes:
    """Upsert ``attrs`` stamped with ``user_id`` and ``ts``; return ``current`` with them."""
    conn.executemany(
        _UPSERT, [(app_id, channel, key, value, user_id, ts) for key, value in attrs.items()]
    )
    stamped = {key: ChannelAttribute(value, user_id, ts) for key, value in attrs.items()}
    return dict(sorted({**current, **stamped}.items()))
