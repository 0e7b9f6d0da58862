"""What every store test shares: the scaled timeout and the stores the contract suite runs on.

The contract suite (``test_store_contract*.py``) is written against the
:class:`~openrtm.store.base.Store` Protocol only; add an implementation to ``STORES`` and it must
pass all of it unchanged.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from openrtm.store import SqliteStore, Store

StoreFactory = Callable[[], Store]


def timeout(units: float = 1.0) -> float:
    """Seconds for ``units`` test time units; slow machines set OPENRTM_TEST_TIMEOUT_SCALE."""
    return units * 5.0 * float(os.environ.get("OPENRTM_TEST_TIMEOUT_SCALE", "1.0"))


def make_sqlite(tmp_path: Path) -> StoreFactory:
    return lambda: SqliteStore(tmp_path / "data" / "openrtm.sqlite3")


STORES = {"sqlite": make_sqlite}


@pytest.fixture(params=sorted(STORES))
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Makes new instances over the same backing storage (to test reopening)."""
    factory: StoreFactory = STORES[request.param](tmp_path)
    return factory


@pytest.fixture
async def store(store_factory: StoreFactory) -> AsyncIterator[Store]:
    instance = store_factory()
    await instance.open()
    yield instance
    await instance.close()
