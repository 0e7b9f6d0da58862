"""The offline-message inbox in SQLite (spec §6.2): 200 per receiver, 7 days, oldest dropped.

Plain functions of a :class:`sqlite3.Connection`, run by the store's writer thread inside its
transaction. The cap is enforced on insert with a counter row per (App ID, receiver) in
``inbox_counts``: every put, ack and purge keeps it in step in the same transaction, so a put
reads one counter and touches only its own receiver's rows.

Expired entries (``ts`` before ``now - INBOX_TTL_MS``) still count towards the cap until purged:
they are the oldest, so they are the first a full inbox drops.
"""

from __future__ import annotations

import sqlite3

from openrtm.store.base import INBOX_CAP, INBOX_TTL_MS, InboxEntry

__all__ = ["ack", "peek", "peek_or_empty", "purge_expired", "put", "receivers"]

_INSERT = "INSERT INTO inbox (app_id, receiver, sender, mid, payload, ts) VALUES (?, ?, ?, ?, ?, ?)"
_SELECT = (
    "SELECT seq, sender, mid, payload, ts FROM inbox "
    "WHERE app_id = ? AND receiver = ? AND ts >= ? ORDER BY seq LIMIT ?"
)
_DELETE_THROUGH = "DELETE FROM inbox WHERE app_id = ? AND receiver = ? AND seq <= ?"
_DROP_OLDEST = (
    "DELETE FROM inbox WHERE seq IN "
    "(SELECT seq FROM inbox WHERE app_id = ? AND receiver = ? ORDER BY seq LIMIT ?)"
)
_EXPIRED_PER_RECEIVER = (
    "SELECT count(*), app_id, receiver FROM inbox INDEXED BY inbox_ts "
    "WHERE ts < ? GROUP BY app_id, receiver"
)
_DELETE_EXPIRED = "DELETE FROM inbox WHERE ts < ?"

_COUNT_UP = (
    "INSERT INTO inbox_counts (app_id, receiver, n) VALUES (?, ?, 1) "
    "ON CONFLICT (app_id, receiver) DO UPDATE SET n = n + 1"
)
_COUNT_GET = "SELECT n FROM inbox_counts WHERE app_id = ? AND receiver = ?"
_RECEIVERS = "SELECT app_id, receiver FROM inbox_counts"
_COUNT_SET = "UPDATE inbox_counts SET n = ? WHERE app_id = ? AND receiver = ?"
_COUNT_DOWN = "UPDATE inbox_counts SET n = n - ? WHERE app_id = ? AND receiver = ?"
_COUNT_FORGET_EMPTY = "DELETE FROM inbox_counts WHERE app_id = ? AND receiver = ? AND n <= 0"


def put(
    conn: sqlite3.Connection,
    app_id: str,
    receiver: str,
    sender: str,
    mid: str,
    payload: bytes,
    ts: int,
) -> None:
    """Insert an entry, dropping the receiver's oldest beyond :data:`INBOX_CAP`."""
    conn.execute(_INSERT, (app_id, receiver, sender, mid, payload, ts))
    conn.execute(_COUNT_UP, (app_id, receiver))
    (n,) = conn.execute(_COUNT_GET, (app_id, receiver)).fetchone()
    if n > INBOX_CAP:  # spec §6.2: 200 per receiver, the newest overwrites the oldest
        conn.execute(_DROP_OLDEST, (app_id, receiver, n - INBOX_CAP))
        conn.execute(_COUNT_SET, (INBOX_CAP, app_id, receiver))


def peek(
    conn: sqlite3.Connection, app_id: str, receiver: str, now_ms: int, limit: int
) -> list[InboxEntry]:
    """Return the receiver's oldest ``limit`` unexpired entries, oldest first; delete nothing."""
    rows = conn.execute(_SELECT, (app_id, receiver, now_ms - INBOX_TTL_MS, limit)).fetchall()
    return [InboxEntry(seq, sender, mid, payload, ts) for seq, sender, mid, payload, ts in rows]


def ack(conn: sqlite3.Connection, app_id: str, receiver: str, up_to_seq: int) -> None:
    """Delete the receiver's entries with ``seq <= up_to_seq``."""
    deleted = conn.execute(_DELETE_THROUGH, (app_id, receiver, up_to_seq)).rowcount
    if deleted > 0:
        _count_down(conn, [(deleted, app_id, receiver)])


def purge_expired(conn: sqlite3.Connection, now_ms: int) -> None:
    """Delete every entry, in every app, with ``ts`` before ``now_ms - INBOX_TTL_MS``."""
    cutoff = now_ms - INBOX_TTL_MS
    # Two range scans of the ts index, one to count the expired rows per receiver, one to
    # delete them: receivers with nothing expired are never read. (The count says INDEXED BY:
    # without statistics the planner would scan the whole table in receiver order instead, to
    # save the GROUP BY its sort.)
    expired = conn.execute(_EXPIRED_PER_RECEIVER, (cutoff,)).fetchall()
    if expired:
        conn.execute(_DELETE_EXPIRED, (cutoff,))
        _count_down(conn, expired)


def _count_down(conn: sqlite3.Connection, deleted: list[tuple[int, str, str]]) -> None:
    """Subtract ``(n, app_id, receiver)`` deletions from the counters; forget those at 0."""
    conn.executemany(_COUNT_DOWN, deleted)
    conn.executemany(_COUNT_FORGET_EMPTY, [(app_id, receiver) for _, app_id, receiver in deleted])


def receivers(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every (App ID, receiver) with stored messages, expired ones included."""
    return [(app_id, receiver) for app_id, receiver in conn.execute(_RECEIVERS)]


def peek_or_empty(
    conn: sqlite3.Connection, app_id: str, receiver: str, now_ms: int, limit: int
) -> tuple[list[InboxEntry], bool]:
    """:func:`peek`, and whether the inbox holds nothing at all (not even expired entries)."""
    entries = peek(conn, app_id, receiver, now_ms, limit)
    empty = not entries and conn.execute(_COUNT_GET, (app_id, receiver)).fetchone() is None
    return entries, empty
