"""The writer under the SQLite store: one thread owns the connection and commits in groups.

Every operation, reads included, is a small callable ``fn(conn) -> result``. Operations are
handed to the writer in lists on a :class:`queue.SimpleQueue`, not one by one: on one core,
every wake-up of the writer is a switch of threads and of the GIL. An awaited operation goes at
the end of the current event-loop iteration, with everything staged before it; fire-and-forget
ones (event records, inbox acks) wait up to :data:`_LAZY_HAND_OFF_S` for company. The writer
thread blocks for one list, drains whatever else is queued (up to :data:`_MAX_BATCH`
operations), and runs the whole batch in ONE transaction: one WAL append (and, at
``synchronous=FULL``, one fsync) for many operations. Each operation runs inside its own
SAVEPOINT, so one that fails fails only its own future. After COMMIT the thread resolves every
future of the batch with a single :meth:`~asyncio.AbstractEventLoop.call_soon_threadsafe`.

Why a thread and not ``asyncio.to_thread`` per call: the connection is touched by one thread
only (no locks, no ``check_same_thread=False``), and a burst of logins costs one commit, not one
thread hop and one commit each.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import logging
import os
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, TypeVar

from prometheus_client import Histogram

from openrtm.store.base import StoreError

__all__ = ["COMMIT_SECONDS_BUCKETS", "SqliteWriter"]

logger = logging.getLogger("openrtm.store")

T = TypeVar("T")
_Op = Callable[[sqlite3.Connection], Any]
# (future or None, exception or None, result): what the loop does with one finished operation.
_Outcome = tuple["asyncio.Future[Any]", BaseException | None, Any]

_MAX_BATCH: Final = 512
"""Bounds one transaction: enough to amortize the commit, small enough to keep latency low."""

_LAZY_HAND_OFF_S: Final = 0.01
"""How long a fire-and-forget operation may wait to be handed to the writer with others: a
login storm then costs a writer wake-up per 10 ms, not per login (docs/benchmarks.md)."""

COMMIT_SECONDS_BUCKETS: Final = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0
)  # fmt: skip
"""From a batch of a few cheap operations on a quiet disk (~100 µs) to a stalled one."""

_BUSY_TIMEOUT_S: Final = 5.0
"""Only an outside reader (the sqlite3 shell, a backup) can hold a lock; wait for it a while."""

_VERSION_LINE = re.compile(r"^-- version (\d+)[ \t]*$", re.MULTILINE)


# An operation and its future (None: fire and forget), or, alone, the future close() awaits:
# the sentinel that ends the writer once everything queued before it is committed.
_Item = tuple[_Op, "asyncio.Future[Any] | None"] | asyncio.Future[None]


def _migrations() -> list[tuple[int, str]]:
    """Return the sections of ``schema.sql`` as ``(version, sql)``, checked to be 1, 2, ..."""
    text = importlib.resources.files(__package__).joinpath("schema.sql").read_text("utf-8")
    parts = _VERSION_LINE.split(text)
    migrations = [(int(v), sql) for v, sql in zip(parts[1::2], parts[2::2], strict=True)]
    if [v for v, _ in migrations] != list(range(1, len(migrations) + 1)):
        raise StoreError("schema.sql versions are not 1, 2, 3, ...")
    return migrations


def _statements(sql: str) -> Iterator[str]:
    # executescript() would COMMIT first; splitting lets all migrations share one transaction.
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    yield pending  # comments only, or an unfinished statement SQLite will reject


def _connect(path: str) -> tuple[sqlite3.Connection, int]:
    """Open the database, set it up for one writer, migrate it; return it and its version."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: the writer issues BEGIN and COMMIT itself (that is the group
    # commit); the sqlite3 module must not open transactions behind its back.
    conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    try:
        # WAL + synchronous=NORMAL: a COMMIT has reached the OS when it returns, so it survives
        # kill -9 of the process; a power loss or OS crash may lose the last commits but never
        # corrupts the database. FULL would add an fsync per batch.
        (mode,) = conn.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode != "wal" and path != ":memory:":
            logger.warning("store cannot use WAL mode path=%s journal_mode=%s", path, mode)
        conn.execute("PRAGMA synchronous=NORMAL")
        migrations = _migrations()
        latest = migrations[-1][0]
        conn.execute("BEGIN IMMEDIATE")  # re-read the version under the lock: one migrator
        try:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version > latest:
                raise StoreError(f"database schema version {version} is newer than {latest}")
            for target, sql in migrations[version:]:
                for statement in _statements(sql):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.rollback()
            raise
    except BaseException:
        conn.close()
        raise
    return conn, latest


def _settle(outcomes: list[_Outcome]) -> None:
    """Resolve a batch's futures; runs on the event loop."""
    for future, exc, value in outcomes:
        if future.cancelled():
            continue
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(value)


def _failed(detail: str, cause: BaseException) -> StoreError:
    err = StoreError(detail)
    err.__cause__ = cause
    return err


class SqliteWriter:
    """One SQLite file, its schema migrated, owned by one writer thread with group commit.

    :class:`~openrtm.store.sqlite.SqliteStore` adds the domain operations on top: each is a
    function of a connection (``sqlite_events``, ``sqlite_inbox``, ``sqlite_history``,
    ``sqlite_attributes``) handed to :meth:`_submit` (awaited: it resolves once committed) or
    :meth:`_enqueue` (fire and forget).

    Args:
        path: the database file (the server uses ``<data dir>/openrtm.sqlite3``); missing parent
            directories are created.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = os.fspath(path)
        self._queue: queue.SimpleQueue[list[_Item]] = queue.SimpleQueue()
        # Items not yet handed to the writer, and when they will be (loop thread only).
        self._staged: list[_Item] = []
        self._soon = False
        self._later: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready: asyncio.Future[int] | None = None
        self._closer: asyncio.Future[None] | None = None
        self._open = False
        self._committed_batches = 0
        # GET /metrics reads it (server/http/metrics.py). A prometheus Histogram observed from
        # the writer thread (it is thread-safe), registered nowhere: each store has its own,
        # so servers in one process (the tests) never share it.
        self.commit_seconds = Histogram(
            "openrtm_store_commit_seconds",
            "Time the SQLite writer took to run and commit one batch transaction.",
            buckets=COMMIT_SECONDS_BUCKETS,
            registry=None,
        )
        """Seconds from BEGIN to the end of COMMIT of each committed batch."""

    @property
    def committed_batches(self) -> int:
        """How many transactions the writer has committed (group commit makes it small)."""
        return self._committed_batches

    async def open(self) -> None:
        if self._closer is not None:
            raise StoreError("the store is closed")
        if self._ready is None:
            self._loop = asyncio.get_running_loop()
            self._ready = self._loop.create_future()
            # daemon: a store never closed must not hang interpreter exit; what it had not
            # committed is lost exactly as with kill -9.
            self._thread = threading.Thread(
                target=self._run, args=(self._ready,), name="openrtm-store", daemon=True
            )
            self._thread.start()
        try:
            await asyncio.shield(self._ready)
        except StoreError:
            self._ready = self._thread = None  # the thread has ended; open() may be retried
            raise
        self._open = True

    async def close(self) -> None:
        if self._closer is None:
            self._open = False
            # A task, so that cancelling one caller cannot leave the store half closed.
            self._closer = asyncio.ensure_future(self._shutdown())
        await asyncio.shield(self._closer)

    async def flush(self) -> None:
        # The queue is FIFO and batches commit in order: once this no-op commits, so has
        # everything enqueued before it.
        await self._submit(lambda conn: None)

    # -- the seam the domain operations are written with ------------------------------------

    def _enqueue(self, fn: Callable[[sqlite3.Connection], object]) -> None:
        """Queue ``fn`` to run in the writer's next transaction; failures are only logged."""
        if not self._open:
            raise StoreError("the store is not open")
        self._stage((fn, None), urgent=False)

    def _submit(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Queue ``fn``; the future resolves with its result once its transaction commits.

        ``fn`` runs in the writer thread inside its own SAVEPOINT: if it raises, only its own
        work is undone; an :class:`sqlite3.Error` reaches the caller as :class:`StoreError`,
        anything else (such as :class:`~openrtm.store.base.AttributeRefused`) as itself.
        """
        if not self._open or self._loop is None:
            raise StoreError("the store is not open")
        future: asyncio.Future[T] = self._loop.create_future()
        self._stage((fn, future), urgent=True)
        return future

    def _stage(self, item: _Item, *, urgent: bool) -> None:
        """Stage ``item``; hand it over at the end of this loop iteration if ``urgent``."""
        assert self._loop is not None
        self._staged.append(item)
        if urgent:
            if not self._soon:
                self._soon = True
                self._loop.call_soon(self._hand_off)
        elif self._later is None:
            self._later = self._loop.call_later(_LAZY_HAND_OFF_S, self._hand_off)

    def _hand_off(self) -> None:
        """Give the writer everything staged, in order, as one list."""
        self._soon = False
        if self._later is not None:
            self._later.cancel()
            self._later = None
        staged, self._staged = self._staged, []
        if staged:
            self._queue.put(staged)

    # -- the writer thread ------------------------------------------------------------------

    async def _shutdown(self) -> None:
        ready, thread = self._ready, self._thread
        if ready is None or thread is None or self._loop is None:
            return  # never opened, or opening failed: there is no thread
        try:
            await ready
        except StoreError:
            return
        stopped: asyncio.Future[None] = self._loop.create_future()
        self._hand_off()  # intake is closed: what is staged goes before the sentinel
        self._queue.put([stopped])
        await stopped
        thread.join()  # resolving `stopped` was its last act: this returns at once
        logger.info("store closed path=%s", self._path)

    def _run(self, ready: asyncio.Future[int]) -> None:
        try:
            conn, version = _connect(self._path)
        except Exception as exc:
            logger.exception("store cannot open path=%s", self._path)
            err = exc if isinstance(exc, StoreError) else _failed("cannot open the database", exc)
            self._resolve([(ready, err, None)])
            return
        logger.info("store opened path=%s schema_version=%d", self._path, version)
        self._resolve([(ready, None, version)])
        stopping = False
        while not stopping:
            items = self._queue.get()
            while len(items) < _MAX_BATCH:
                try:
                    items += self._queue.get_nowait()
                except queue.Empty:
                    break
            for start in range(0, len(items), _MAX_BATCH):
                batch = items[start : start + _MAX_BATCH]
                ops = [item for item in batch if isinstance(item, tuple)]
                if ops:
                    self._run_batch(conn, ops)
                if len(ops) < len(batch):  # close() stopped intake before queueing its sentinel
                    stopping = True
                    break
        try:
            conn.close()
        except sqlite3.Error:
            logger.exception("store close failed path=%s", self._path)
        self._resolve([(item, None, None) for item in batch if not isinstance(item, tuple)])

    def _run_batch(self, conn: sqlite3.Connection, ops: list[tuple[_Op, Any]]) -> None:
        started = time.perf_counter()
        try:
            outcomes = self._execute(conn, ops)
            conn.execute("COMMIT")
        except Exception as exc:  # the transaction is lost: every operation in it failed
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    logger.exception("store rollback failed")
            logger.error("store transaction of %d operations failed", len(ops), exc_info=exc)
            outcomes = [
                (f, _failed("the database failed", exc), None) for _, f in ops if f is not None
            ]
        else:
            self.commit_seconds.observe(time.perf_counter() - started)
            self._committed_batches += 1
        self._resolve(outcomes)

    def _execute(self, conn: sqlite3.Connection, ops: list[tuple[_Op, Any]]) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        conn.execute("BEGIN IMMEDIATE")
        for fn, future in ops:
            conn.execute("SAVEPOINT op")
            try:
                value = fn(conn)
            except Exception as exc:
                if not conn.in_transaction:
                    raise  # SQLite rolled the whole batch back (disk full, I/O error)
                conn.execute("ROLLBACK TO op")
                conn.execute("RELEASE op")
                if future is None:
                    logger.error("store operation failed (not awaited)", exc_info=exc)
                elif isinstance(exc, sqlite3.Error):
                    outcomes.append((future, _failed("the database failed", exc), None))
                else:  # a refusal (AttributeRefused) or a bug: it surfaces as itself
                    outcomes.append((future, exc, None))
            else:
                conn.execute("RELEASE op")
                if future is not None:
                    outcomes.append((future, None, value))
        return outcomes

    def _resolve(self, outcomes: list[_Outcome]) -> None:
        if outcomes and self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(_settle, outcomes)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                logger.warning("store results dropped: the event loop is closed")
