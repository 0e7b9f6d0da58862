"""What only the SQLite store promises: kill -9 safety, group commit, per-operation rollback."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

from openrtm.store import SqliteStore, StoreError, UserEventRecord


def timeout(units: float = 1.0) -> float:
    """Seconds for ``units`` test time units; slow machines set OPENRTM_TEST_TIMEOUT_SCALE."""
    return units * 5.0 * float(os.environ.get("OPENRTM_TEST_TIMEOUT_SCALE", "1.0"))


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from openrtm.store import SqliteStore, UserEventRecord

    async def main(path: str, n: int) -> None:
        store = SqliteStore(path)
        await store.open()
        for i in range(n):
            store.record_user_event("app", UserEventRecord(f"u{i}", "Login", i))
        await store.flush()
        print("flushed", flush=True)
        await asyncio.Event().wait()  # idle until killed; never closes the store

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX only")
async def test_flushed_events_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "openrtm.sqlite3"
    n = 1_500
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(path), str(n), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout(4))
        assert line == b"flushed\n"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        await asyncio.wait_for(child.wait(), timeout())
    assert child.returncode == -signal.SIGKILL
    # The process died with the store open: the commits are in the write-ahead log.
    assert Path(f"{path}-wal").exists()  # noqa: ASYNC240 (a test; the child is dead)

    store = SqliteStore(path)
    await store.open()
    try:
        async with asyncio.timeout(timeout()):
            events = await store.take_user_events("app", limit=1_000)
            events += await store.take_user_events("app", limit=1_000)
    finally:
        await store.close()
    assert events == [UserEventRecord(f"u{i}", "Login", i) for i in range(n)]


async def test_group_commit_batches_many_operations_per_transaction(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "openrtm.sqlite3")
    await store.open()
    try:
        async with asyncio.timeout(timeout(2)):
            before = store.committed_batches
            n = 2_000
            for i in range(n):
                store.record_user_event(f"app{i % 4}", UserEventRecord(f"u{i}", "Login", i))
            await store.flush()
            batches = store.committed_batches - before
            assert 1 <= batches <= n // 20, batches
            taken = sum([len(await store.take_user_events(f"app{a}")) for a in range(4)])
            assert taken == n
    finally:
        await store.close()


async def test_a_failing_operation_fails_only_itself(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "openrtm.sqlite3")
    await store.open()

    def half_done_then_fails(conn: sqlite3.Connection) -> None:
        # The insert succeeds, then the CHECK constraint fails: both must be undone.
        conn.execute(
            "INSERT INTO user_events (app_id, uid, type, ms) VALUES ('app', 'x', 'Login', 0)"
        )
        conn.execute(
            "INSERT INTO user_events (app_id, uid, type, ms) VALUES ('app', 'x', 'Bad', 0)"
        )

    def raises_a_bug(conn: sqlite3.Connection) -> None:
        raise LookupError("a bug in an operation")

    try:
        async with asyncio.timeout(timeout()):
            store.record_user_event("app", UserEventRecord("before", "Login", 1))
            failing = store._submit(half_done_then_fails)
            buggy = store._submit(raises_a_bug)
            store.record_user_event("app", UserEventRecord("after", "Logout", 2))
            taken = store.take_user_events("app")
            with pytest.raises(StoreError) as caught:
                await failing
            assert isinstance(caught.value.__cause__, sqlite3.IntegrityError)
            with pytest.raises(LookupError):  # not a database error: passed through as it is
                await buggy
            assert await taken == [
                UserEventRecord("before", "Login", 1),
                UserEventRecord("after", "Logout", 2),
            ]
    finally:
        await store.close()


async def test_the_database_is_wal_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "openrtm.sqlite3"  # missing parents are created
    store = SqliteStore(path)
    await store.open()
    await store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    finally:
        conn.close()


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


async def test_an_unopenable_path_raises_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    store = SqliteStore(blocker / "openrtm.sqlite3")
    with pytest.raises(StoreError) as caught:
        await store.open()
    assert caught.value.__cause__ is not None
    await store.close()


async def test_reopening_keeps_the_schema_and_data(tmp_path: Path) -> None:
    path = tmp_path / "openrtm.sqlite3"
    for round_ in range(3):
        store = SqliteStore(path)
        await store.open()
        try:
            async with asyncio.timeout(timeout()):
                got = await store.take_user_events("app")
                assert got == ([UserEventRecord("u", "Login", round_ - 1)] if round_ else [])
                store.record_user_event("app", UserEventRecord("u", "Login", round_))
        finally:
            await store.close()


async def test_a_transaction_the_database_aborts_fails_its_batch_and_the_store_goes_on(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "openrtm.sqlite3")
    await store.open()

    def fill(conn: sqlite3.Connection) -> None:
        # Disk full makes SQLite roll back the whole transaction, not just the statement.
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages + 2}").fetchone()
        for i in range(1_000):
            conn.execute(
                "INSERT INTO user_events (app_id, uid, type, ms) VALUES ('app', ?, 'Login', 0)",
                ("x" * 1_000 + str(i),),
            )

    try:
        async with asyncio.timeout(timeout()):
            with pytest.raises(StoreError) as caught:
                await store._submit(fill)
            assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
            assert "full" in str(caught.value.__cause__)
            await store._submit(lambda conn: conn.execute("PRAGMA max_page_count = 1000000"))
            store.record_user_event("app", UserEventRecord("u", "Login", 1))
            assert await store.take_user_events("app") == [UserEventRecord("u", "Login", 1)]
    finally:
        await store.close()
