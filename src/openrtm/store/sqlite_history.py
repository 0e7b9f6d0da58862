"""The message history archive in SQLite (spec §6.3), for the REST history API (spec §7.4).

Plain functions of a :class:`sqlite3.Connection`, run by the store's writer thread inside its
transaction. Messages are appended as they are sent; the server's sweeper deletes those older
than its retention (:func:`purge`).

Every read is a time window ``start_ms <= ts < end_ms`` of one App, in archive order: by ``ts``,
then by ``seq`` (the rowid, which grows with insertion), so messages with the same ``ts`` come
in the order they were recorded, and ``"desc"`` is exactly the reverse of ``"asc"``. The
filtered reads use the indexes of schema version 4, ``(app_id, src, ts)`` and
``(app_id, dst, ts)``, which end with the rowid: SQLite walks them in either direction, with
no sort.
"""

from __future__ import annotations

import sqlite3

from openrtm.store.base import HistoryOrder, HistoryRecord

__all__ = ["count", "purge", "query", "record", "select"]

_INSERT = "INSERT INTO history (app_id, src, dst, dst_kind, payload, ts) VALUES (?, ?, ?, ?, ?, ?)"
# The index (app_id, ts) ends with the rowid, so "ORDER BY ts, seq" reads it in order: no sort.
_SELECT = (
    "SELECT src, dst, dst_kind, payload, ts FROM history "
    "WHERE app_id = ? AND ts >= ? AND ts < ? ORDER BY ts, seq LIMIT ?"
)

# The filter clause by (source given, destination given); both None never gets here.
_FILTERS = {
    (True, False): "src = ?",
    (False, True): "dst = ?",
    (True, True): "src = ? AND dst = ?",
}
_ORDER_BY = {"asc": "ts ASC, seq ASC", "desc": "ts DESC, seq DESC"}
_SELECT_FILTERED = {
    (given, order): (
        "SELECT src, dst, dst_kind, payload, ts FROM history "
        f"WHERE app_id = ? AND {clause} AND ts >= ? AND ts < ? "
        f"ORDER BY {_ORDER_BY[order]} LIMIT ? OFFSET ?"
    )
    for given, clause in _FILTERS.items()
    for order in _ORDER_BY
}
_COUNT_FILTERED = {
    given: f"SELECT count(*) FROM history WHERE app_id = ? AND {clause} AND ts >= ? AND ts < ?"
    for given, clause in _FILTERS.items()
}

# Retention: one indexed DELETE per App, on (app_id, ts). The Apps are found by walking the
# same index from one App ID to the next (a seek each), not by scanning the table.
_FIRST_APP = "SELECT min(app_id) FROM history"
_NEXT_APP = "SELECT app_id FROM history WHERE app_id > ? ORDER BY app_id LIMIT 1"
_PURGE_APP = "DELETE FROM history WHERE app_id = ? AND ts < ?"


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


def _params(source: str | None, destination: str | None) -> tuple[str, ...]:
    return tuple(value for value in (source, destination) if value is not None)


def select(
    conn: sqlite3.Connection,
    app_id: str,
    source: str | None,
    destination: str | None,
    start_ms: int,
    end_ms: int,
    order: HistoryOrder,
    offset: int,
    limit: int,
) -> list[HistoryRecord]:
    """Return one page of the filtered window (see :meth:`~openrtm.store.base.Store.history_query`).

    The caller has checked that ``source`` or ``destination`` is given.
    """
    sql = _SELECT_FILTERED[(source is not None, destination is not None), order]
    params = (app_id, *_params(source, destination), start_ms, end_ms, limit, offset)
    rows = conn.execute(sql, params).fetchall()
    return [HistoryRecord(src, dst, kind, payload, ts) for src, dst, kind, payload, ts in rows]


def count(
    conn: sqlite3.Connection,
    app_id: str,
    source: str | None,
    destination: str | None,
    start_ms: int,
    end_ms: int,
) -> int:
    """Return how many messages the filtered window holds; the caller checked the filter."""
    sql = _COUNT_FILTERED[source is not None, destination is not None]
    params = (app_id, *_params(source, destination), start_ms, end_ms)
    (n,) = conn.execute(sql, params).fetchone()
    return int(n)


def purge(conn: sqlite3.Connection, before_ms: int) -> None:
    """Delete every archived message, in every app, with ``ts`` before ``before_ms``."""
    (app_id,) = conn.execute(_FIRST_APP).fetchone()
    while app_id is not None:
        conn.execute(_PURGE_APP, (app_id, before_ms))
        row = conn.execute(_NEXT_APP, (app_id,)).fetchone()
        app_id = None if row is None else row[0]
