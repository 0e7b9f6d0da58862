"""The records of uploaded media objects in SQLite (spec §1.6, §5.2).

Plain functions of a :class:`sqlite3.Connection`, run by the store's writer thread inside its
transaction. The objects' bytes are files kept by the media service; only their metadata is
here.
"""

from __future__ import annotations

import sqlite3

from openrtm.store.base import MediaRecord

__all__ = ["get", "ids", "put", "take_expired"]

_INSERT = (
    "INSERT INTO media (media_id, app_id, size, content_type, width, height, uploader, "
    "created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT = (
    "SELECT size, content_type, width, height, uploader, created_ms, expires_ms FROM media "
    "WHERE media_id = ? AND app_id = ? AND expires_ms > ?"
)
_EXPIRED = "SELECT app_id, media_id FROM media WHERE expires_ms <= ? ORDER BY expires_ms LIMIT ?"
_DELETE = "DELETE FROM media WHERE media_id = ?"


def put(conn: sqlite3.Connection, app_id: str, record: MediaRecord) -> None:
    """Record one object; a duplicate id raises :class:`sqlite3.IntegrityError`."""
    conn.execute(
        _INSERT,
        (
            record.media_id,
            app_id,
            record.size,
            record.content_type,
            record.width,
            record.height,
            record.uploader,
            record.created_ms,
            record.expires_ms,
        ),
    )


def get(conn: sqlite3.Connection, app_id: str, media_id: str, now_ms: int) -> MediaRecord | None:
    """Return the object if it is the App's and not expired at ``now_ms``."""
    row = conn.execute(_SELECT, (media_id, app_id, now_ms)).fetchone()
    if row is None:
        return None
    size, content_type, width, height, uploader, created_ms, expires_ms = row
    return MediaRecord(
        media_id=media_id,
        size=size,
        content_type=content_type,
        width=width,
        height=height,
        uploader=uploader,
        created_ms=created_ms,
        expires_ms=expires_ms,
    )


def take_expired(conn: sqlite3.Connection, now_ms: int, limit: int) -> list[tuple[str, str]]:
    """Delete up to ``limit`` expired records, soonest expired first; return their keys."""
    rows: list[tuple[str, str]] = conn.execute(_EXPIRED, (now_ms, limit)).fetchall()
    conn.executemany(_DELETE, [(media_id,) for _, media_id in rows])
    return [(app_id, media_id) for app_id, media_id in rows]


def ids(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """Return the ``(app_id, media_id)`` of every record."""
    return {
        (app_id, media_id)
        for app_id, media_id in conn.execute("SELECT app_id, media_id FROM media")
    }
