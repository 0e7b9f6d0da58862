"""The message history archive in SQLite (spec §6.3), for the REST history API (spec §7.4).

Plain functions of a :class:`sqlite3.Connection`, run by the store's writer thread inside its
transaction. Append-only: the spec leaves retention unconfirmed, so nothing is dropped yet.
"""

from __future__ import annotations

import sqlite3

from openrtm.store.base import HistoryRecord

__all__ = ["query", "record"]

_INSERT = "INSERT INTO history (app_id, src, dst, dst_kind, payload, ts) VALUES (?, ?, ?, ?, ?, ?)"
# The index (app_id, ts) ends with the rowid, so "ORDER BY ts, seq" reads it in order: no sort.
_SELECT = (
    "SELECT src, dst, dst_kind, payload, ts FROM history "
    "WHERE app_id = ? AND ts >= ? AND ts < ? ORDER BY ts, seq LIMIT ?"
)


def record(conn: sqlite3.Connection, app_id: str, message: HistoryRecord) -> None:
    """Archive one message."""
    conn.execute(
        _INSERT,
        (app_id, message.src, message.dst, message.dst_kind, message.payload, message.ts),
    )


def query(
    conn: sqlite3.Connection, app_id: str, start_ms: int, end_ms: int, limit: int
) -> list[HistoryRecord]:
    """Return the app's first ``limit`` messages with ``start_ms <= ts < end_ms``, oldest first."""
    rows = conn.execute(_SELECT, (app_id, start_ms, end_ms, limit)).fetchall()
    return [HistoryRecord(src, dst, kind, payload, ts) for src, dst, kind, payload, ts in rows]
