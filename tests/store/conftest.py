"""What every store test shares: the scaled timeout and the stores the contract suite runs on.

The contract suite (``test_store_contract*.py``) is written against the
:class:`~openrtm.store.base.Store` Protocol only; add an implementation to ``STORES`` and it must
pass all of it unchanged.

The Redis store runs on one private ``redis-server`` for the whole session (started on first
use, on a free port, never the machine's own Redis), and each test gets a key prefix of its
own: tests never see each other's keys, and "reopening" is a new store instance on the same
Redis and prefix. ``redis-cluster`` is the same store on the session's private 3-master Redis
Cluster (tests/conftest.py ``redis_cluster``), a key prefix per test too.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from openrtm.store import SqliteStore, Store
from openrtm.store.redis import RedisStore
from tests.redis_server import RedisServer

StoreFactory = Callable[[], Store]


def timeout(units: float = 1.0) -> float:
    """Seconds for ``units`` test time units; slow machines set OPENRTM_TEST_TIMEOUT_SCALE."""
    return units * 5.0 * float(os.environ.get("OPENRTM_TEST_TIMEOUT_SCALE", "1.0"))


def make_sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    return lambda: SqliteStore(tmp_path / "data" / "openrtm.sqlite3")


_prefixes = itertools.count()


def make_redis(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    url: str = request.getfixturevalue("session_redis_url")
    prefix = f"test{next(_prefixes)}"
    return lambda: RedisStore.from_url(url, prefix=prefix)


def make_redis_cluster(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    urls: list[str] = request.getfixturevalue("redis_cluster").urls
    prefix = f"test{next(_prefixes)}"
    return lambda: RedisStore.from_cluster(urls, prefix=prefix)


STORES = {"sqlite": make_sqlite, "redis": make_redis, "redis-cluster": make_redis_cluster}


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(7) == b"+PONG\r\n"
    except OSError:
        return False


@pytest.fixture(scope="session")
def session_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a private ``redis-server`` shared by the session's store tests."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    process = subprocess.Popen(
        server.arguments(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout(2)
        while not _answers_ping(server.port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {server.port} did not start")
            time.sleep(0.02)
        yield server.url
    finally:
        process.kill()
        process.wait()


@pytest.fixture(params=sorted(STORES))
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Makes new instances over the same backing storage (to test reopening)."""
    factory: StoreFactory = STORES[request.param](request, tmp_path)
    return factory


@pytest.fixture
async def store(store_factory: StoreFactory) -> AsyncIterator[Store]:
    instance = store_factory()
    await instance.open()
    yield instance
    await instance.close()
