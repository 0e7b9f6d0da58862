"""What only the SQLite store promises: kill -9 safety, group commit, per-operation rollback.

The schema and its migrations are tested in ``test_sqlite_migrations.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

from openrtm.store import (
    INBOX_CAP,
    INBOX_TTL_MS,
    AttributeRefused,
    SqliteStore,
    StoreError,
    UserEventRecord,
)
from tests.conftest import until
from tests.store.conftest import timeout

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


INBOX_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from openrtm.store import SqliteStore

    async def main(path: str, n: int, late_senders: int) -> None:
        store = SqliteStore(path)
        await store.open()

        async def late(s: int) -> None:  # goes on until killed, mid-batch or mid-commit
            for j in range(10**9):
                await store.inbox_put("app", f"late{s}-{j // 100}", "alice", f"m{j}", b"", j)

        tasks = [asyncio.create_task(late(s)) for s in range(late_senders)]
        for i in range(n):  # each put awaited: committed when it returns
            await store.inbox_put("app", f"r{i % 2}", "alice", f"m{i}", b"p%d" % i, i)
        print("put", flush=True)
        await asyncio.gather(*tasks)

    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX only")
async def test_awaited_inbox_puts_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "openrtm.sqlite3"
    n, late_senders = 300, 8
    assert n // 2 <= INBOX_CAP  # nothing may be dropped here
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        INBOX_CHILD,
        str(path),
        str(n),
        str(late_senders),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout(4))
        assert line == b"put\n"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        await asyncio.wait_for(child.wait(), timeout())
    assert child.returncode == -signal.SIGKILL

    store = SqliteStore(path)
    await store.open()
    try:
        async with asyncio.timeout(timeout()):
            for r in range(2):
                entries = await store.inbox_peek("app", f"r{r}", now_ms=0)
                assert [(e.mid, e.payload, e.ts) for e in entries] == [
                    (f"m{i}", b"p%d" % i, i) for i in range(r, n, 2)
                ]
            # The senders still putting when the process died: what each had committed is a
            # prefix of what it sent (a commit is all of a batch or none of it).
            for s in range(late_senders):
                sent: list[int] = []
                for hundred in itertools.count():
                    entries = await store.inbox_peek("app", f"late{s}-{hundred}", now_ms=0)
                    sent += [e.ts for e in entries]
                    if len(entries) < 100:
                        break
                assert sent == list(range(len(sent)))
                assert sent  # it was running alongside the awaited puts
    finally:
        await store.close()


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


async def test_event_records_of_many_loop_iterations_share_a_commit(tmp_path: Path) -> None:
    # A login storm records an event per login, each in its own loop iteration: they are
    # handed to the writer together (one thread wake-up), and committed soon without a flush.
    store = SqliteStore(tmp_path / "openrtm.sqlite3")
    await store.open()
    try:
        async with asyncio.timeout(timeout(2)):
            before = store.committed_batches
            for i in range(4):
                store.record_user_event("app", UserEventRecord(f"u{i}", "Login", i))
                await asyncio.sleep(0.001)  # time enough for a writer woken per record
            await until(lambda: store.committed_batches > before)
            await asyncio.sleep(0.05)
            assert store.committed_batches - before <= 2
            assert len(await store.take_user_events("app")) == 4
    finally:
        await store.close()


async def test_group_commit_batches_concurrent_inbox_puts(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "openrtm.sqlite3")
    await store.open()
    n, receivers = 500, 5
    try:
        async with asyncio.timeout(timeout(2)):
            before = store.committed_batches
            await asyncio.gather(
                *(
                    store.inbox_put("app", f"r{i % receivers}", "alice", f"m{i}", b"x", i)
                    for i in range(n)
                )
            )
            batches = store.committed_batches - before
            assert 1 <= batches <= n // 10, batches
            for r in range(receivers):
                entries = await store.inbox_peek("app", f"r{r}", now_ms=0)
                assert [e.mid for e in entries] == [f"m{i}" for i in range(r, n, receivers)]
    finally:
        await store.close()


async def test_inbox_counters_match_the_rows_after_any_mix_of_operations(tmp_path: Path) -> None:
    """The cap's counters are kept in step by put, ack and purge, and vanish at zero."""
    path = tmp_path / "openrtm.sqlite3"
    rng = random.Random(11)
    now = 10 * INBOX_TTL_MS
    keys = [(f"app{a}", f"r{r}") for a in range(3) for r in range(4)]
    store = SqliteStore(path)
    await store.open()
    try:
        async with asyncio.timeout(timeout(4)):
            puts = 0
            for _ in range(30):
                batch = []
                for _ in range(100):
                    app, receiver = rng.choice(keys)
                    ts = now - rng.choice([0, INBOX_TTL_MS // 2, INBOX_TTL_MS + 1])
                    batch.append(store.inbox_put(app, receiver, "s", "m", b"", ts))
                    puts += 1
                    if rng.random() < 0.05:
                        store.inbox_ack(app, receiver, rng.randint(0, puts))
                    if rng.random() < 0.01:
                        store.purge_expired(now - rng.randint(0, INBOX_TTL_MS))
                await asyncio.gather(*batch)
            for app, receiver in keys[::2]:  # empty half the inboxes: their counters must go
                store.inbox_ack(app, receiver, puts)
            await store.flush()

            conn = sqlite3.connect(path)
            try:
                counters = conn.execute(
                    "SELECT app_id, receiver, n FROM inbox_counts ORDER BY 1, 2"
                ).fetchall()
                rows = conn.execute(
                    "SELECT app_id, receiver, count(*) FROM inbox GROUP BY 1, 2 ORDER BY 1, 2"
                ).fetchall()
            finally:
                conn.close()
            assert counters == rows
            assert all(0 < n <= INBOX_CAP for _, _, n in counters)
            assert {(app, receiver) for app, receiver, _ in counters} == set(keys[1::2])
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


async def test_attribute_writes_are_committed_when_awaited_and_refusals_share_a_batch(
    tmp_path: Path,
) -> None:
    """Refused writes fail alone inside the group commit; accepted ones are on disk at once."""
    path = tmp_path / "openrtm.sqlite3"
    store = SqliteStore(path)
    await store.open()

    def at_most_10(merged: dict[str, str]) -> str | None:
        return "more than 10 attributes" if len(merged) > 10 else None

    try:
        async with asyncio.timeout(timeout()):
            before = store.committed_batches
            results = await asyncio.gather(
                *(
                    store.update_channel_attributes(
                        "app", "c", {f"k{i}": "v"}, user_id="u", ts=i, check=at_most_10
                    )
                    for i in range(20)
                ),
                return_exceptions=True,
            )
            batches = store.committed_batches - before
            assert 1 <= batches <= 5, batches  # refusals did not break the group commit
            assert sum(isinstance(r, AttributeRefused) for r in results) == 10
            # Committed when awaited: another connection sees it, the store still open.
            outside = sqlite3.connect(path)
            try:
                rows = outside.execute(
                    "SELECT key, ts FROM channel_attributes WHERE app_id = 'app' AND channel = 'c'"
                ).fetchall()
            finally:
                outside.close()
            won = [i for i, r in enumerate(results) if not isinstance(r, BaseException)]
            assert sorted(rows) == sorted((f"k{i}", i) for i in won)
    finally:
        await store.close()


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
