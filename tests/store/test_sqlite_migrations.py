"""The SQLite schema and its migrations: ``schema.sql`` sections and ``PRAGMA user_version``."""

from __future__ import annotations

import asyncio
import importlib.resources
import sqlite3
from pathlib import Path

import pytest

from openrtm.store import (
    EVENTS_KEPT_PER_APP,
    ChannelAttribute,
    ChannelEventRecord,
    HistoryRecord,
    InboxEntry,
    SqliteStore,
    StoreError,
    UserEventRecord,
)
from tests.store.conftest import timeout

LATEST = 5

V2_NOW = 1_700_000_000_000
"""When the version 2 data was written, in ms since the epoch."""


def schema_section(version: int) -> str:
    """The SQL of one ``-- version N`` section of ``schema.sql``, as released."""
    text = importlib.resources.files("openrtm.store").joinpath("schema.sql").read_text("utf-8")
    start = text.index(f"\n-- version {version}\n")
    end = text.find(f"\n-- version {version + 1}\n", start)
    return text[start : None if end < 0 else end]


def make_v1_database(path: Path, user_events: int) -> None:
    """A database as the version 1 code left it: its schema, and events recorded through it."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(schema_section(1))
        conn.executemany(
            "INSERT INTO user_events (app_id, uid, type, ms) VALUES ('app', ?, 'Login', ?)",
            [(f"u{i}", i) for i in range(user_events)],
        )
        conn.execute(
            "INSERT INTO event_counts (kind, app_id, n) VALUES ('user', 'app', ?)", (user_events,)
        )
        conn.execute(
            "INSERT INTO channel_events (app_id, channel_id, uid, type, ms) "
            "VALUES ('app', 'c', 'u', 'Join', 7)"
        )
        conn.execute("INSERT INTO event_counts (kind, app_id, n) VALUES ('channel', 'app', 1)")
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
    finally:
        conn.close()


def make_v2_database(path: Path) -> None:
    """A database as the version 2 code left it: events, inbox entries and history in it."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(schema_section(1) + schema_section(2))
        conn.execute(
            "INSERT INTO user_events (app_id, uid, type, ms) VALUES ('app', 'u1', 'Login', 1)"
        )
        conn.execute(
            "INSERT INTO channel_events (app_id, channel_id, uid, type, ms) "
            "VALUES ('app', 'c', 'u1', 'Join', 2)"
        )
        conn.execute("INSERT INTO event_counts (kind, app_id, n) VALUES ('user', 'app', 1)")
        conn.execute("INSERT INTO event_counts (kind, app_id, n) VALUES ('channel', 'app', 1)")
        conn.executemany(
            "INSERT INTO inbox (app_id, receiver, sender, mid, payload, ts) "
            "VALUES ('app', 'bob', 'alice', ?, ?, ?)",
            [(f"m{i}", b"\x00" + bytes([i]), V2_NOW + i) for i in range(3)],
        )
        conn.execute("INSERT INTO inbox_counts (app_id, receiver, n) VALUES ('app', 'bob', 3)")
        conn.execute(
            "INSERT INTO history (app_id, src, dst, dst_kind, payload, ts) "
            "VALUES ('app', 'alice', 'c', 'channel', 'hello', ?)",
            (V2_NOW,),
        )
        conn.execute("PRAGMA user_version = 2")
        conn.commit()
    finally:
        conn.close()


def schema_of(path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        return [(type_, name, sql) for type_, name, sql in rows]
    finally:
        conn.close()


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        return int(version)
    finally:
        conn.close()


async def test_the_database_is_wal_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "openrtm.sqlite3"  # missing parents are created
    store = SqliteStore(path)
    await store.open()
    await store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()
    assert user_version(path) == LATEST


async def test_a_version_1_database_is_migrated_and_keeps_its_events(tmp_path: Path) -> None:
    path = tmp_path / "openrtm.sqlite3"
    make_v1_database(path, user_events=EVENTS_KEPT_PER_APP)
    store = SqliteStore(path)
    await store.open()
    try:
        async with asyncio.timeout(timeout(2)):
            # The version 1 counter came through: one more event drops the oldest.
            store.record_user_event("app", UserEventRecord("new", "Logout", 10_000))
            events = await store.take_user_events("app", limit=1_000)
            events += await store.take_user_events("app", limit=1_000)
            assert events == [
                UserEventRecord(f"u{i}", "Login", i) for i in range(1, EVENTS_KEPT_PER_APP)
            ] + [UserEventRecord("new", "Logout", 10_000)]
            assert [e.ms for e in await store.take_channel_events("app")] == [7]

            await store.inbox_put("app", "bob", "alice", "m1", b"hi", 1_000)
            (entry,) = await store.inbox_peek("app", "bob", now_ms=1_000)
            assert (entry.sender, entry.mid, entry.payload, entry.ts) == (
                "alice",
                "m1",
                b"hi",
                1_000,
            )
            store.record_history("app", HistoryRecord("alice", "bob", "user", "hi", 1_000))
            assert len(await store.history("app", 0, 2_000, limit=20)) == 1
    finally:
        await store.close()
    assert user_version(path) == LATEST


async def test_a_version_2_database_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "openrtm.sqlite3"
    make_v2_database(path)
    store = SqliteStore(path)
    await store.open()
    try:
        async with asyncio.timeout(timeout(2)):
            assert await store.take_user_events("app") == [UserEventRecord("u1", "Login", 1)]
            assert await store.take_channel_events("app") == [
                ChannelEventRecord("c", "u1", "Join", 2)
            ]
            entries = await store.inbox_peek("app", "bob", now_ms=V2_NOW)
            assert [(e.mid, e.payload, e.ts) for e in entries] == [
                (f"m{i}", b"\x00" + bytes([i]), V2_NOW + i) for i in range(3)
            ]
            assert await store.history("app", 0, V2_NOW + 1, limit=20) == [
                HistoryRecord("alice", "c", "channel", "hello", V2_NOW)
            ]
            # The inbox counter and seq came through: a new entry comes after the old ones.
            await store.inbox_put("app", "bob", "carol", "m3", b"new", V2_NOW + 3)
            (*_, newest) = await store.inbox_peek("app", "bob", now_ms=V2_NOW)
            assert newest == InboxEntry(newest.seq, "carol", "m3", b"new", V2_NOW + 3)
            assert newest.seq > entries[-1].seq

            assert await store.channels_with_attributes() == []
            written = await store.set_channel_attributes(
                "app", "c", {"k": "v"}, user_id="alice", ts=V2_NOW, check=lambda merged: None
            )
            assert written == {"k": ChannelAttribute("v", "alice", V2_NOW)}
    finally:
        await store.close()
    assert user_version(path) == LATEST

    reopened = SqliteStore(path)
    await reopened.open()
    try:
        async with asyncio.timeout(timeout()):
            assert await reopened.get_channel_attributes("app", "c") == written
    finally:
        await reopened.close()


@pytest.mark.parametrize("make_old", ["v1", "v2"])
async def test_a_migrated_database_has_the_schema_of_a_new_one(
    tmp_path: Path, make_old: str
) -> None:
    migrated, new = tmp_path / "migrated.sqlite3", tmp_path / "new.sqlite3"
    if make_old == "v1":
        make_v1_database(migrated, user_events=3)
    else:
        make_v2_database(migrated)
    for path in (migrated, new):
        store = SqliteStore(path)
        await store.open()
        await store.close()
    assert schema_of(migrated) == schema_of(new)
    assert {name for _, name, _ in schema_of(new)} >= {
        "inbox",
        "inbox_receiver_seq",
        "inbox_ts",
        "inbox_counts",
        "history",
        "history_app_ts",
        "history_app_src_ts",
        "history_app_dst_ts",
        "channel_attributes",
    }


async def test_a_failed_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "openrtm.sqlite3"
    make_v1_database(path, user_events=3)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE history (x)")  # in the way of version 2
    conn.commit()
    conn.close()
    before = schema_of(path)

    store = SqliteStore(path)
    with pytest.raises(StoreError) as caught:
        await store.open()
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    await store.close()
    # All of version 2 or none of it: the inbox created before the failure was rolled back.
    assert schema_of(path) == before
    assert user_version(path) == 1


async def test_a_failed_version_3_migration_leaves_version_2_alone(tmp_path: Path) -> None:
    path = tmp_path / "openrtm.sqlite3"
    make_v2_database(path)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE channel_attributes (x)")  # in the way of version 3
    conn.commit()
    conn.close()
    before = schema_of(path)

    store = SqliteStore(path)
    with pytest.raises(StoreError) as caught:
        await store.open()
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    await store.close()
    assert schema_of(path) == before
    assert user_version(path) == 2


async def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "openrtm.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    store = SqliteStore(path)
    with pytest.raises(StoreError, match="newer"):
        await store.open()
    await store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone() == (999,)
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    finally:
        conn.close()
