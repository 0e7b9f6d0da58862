"""Fixtures of the multi-node tests: a shared 3-node cluster, clusters of one's own, clients.

``cluster`` is one private Redis and three ``openrtm serve --redis`` processes for the whole
session: starting processes is the slow part, and every test works in an App of its own
(``app_id``: a fresh App ID), so tests cannot see each other (design §2: nothing crosses App
IDs, in Redis either). Tests that kill nodes or Redis take a cluster of their own from
``make_cluster``.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import openrtm
from tests.cluster.cluster import Cluster, ClusterNode
from tests.conftest import unit
from tests.redis_server import require_redis_server

CUSTOMER_ID = "cluster-customer"
CUSTOMER_SECRET = "cluster-secret"
BASIC = {"Authorization": "Basic " + base64.b64encode(b"cluster-customer:cluster-secret").decode()}

# The shared cluster's settings: links found dead and followers told UNREACHABLE within a
# couple of seconds, so that the tests of lost links do not wait for the defaults (6 s, 30 s).
# A small message budget shows that rate limits stay per session (spec §5.4: 180 in 3 s).
SHARED_SETTINGS: dict[str, Any] = {
    "keepalive_interval": 0.5,
    "keepalive_misses": 2,
    "unreachable_after": 1.0,
    "session_grace": 4.0,
    "message_rate_calls": 30,
    "rest_credentials": [f"{CUSTOMER_ID}:{CUSTOMER_SECRET}"],
}

ConnectFactory = Callable[..., Awaitable[openrtm.RtmClient]]
ClusterFactory = Callable[..., Cluster]


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three nodes on one private Redis, shared by the tests of the session."""
    require_redis_server()
    shared = Cluster(tmp_path_factory.mktemp("cluster"), 3, settings=SHARED_SETTINGS).start()
    try:
        yield shared
    finally:
        shared.close()
    assert not shared.tracebacks(), shared.tracebacks()


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[ClusterFactory]:
    """Clusters of a test's own: ``make_cluster(size=3, presence_ttl=2, settings={...})``."""
    require_redis_server()
    made: list[Cluster] = []

    def make(size: int = 3, **options: Any) -> Cluster:
        own = Cluster(tmp_path / f"cluster{len(made)}", size, **options)
        made.append(own)
        return own.start()

    yield make
    for own in made:
        own.close()
    for own in made:
        assert not (own.check_logs and own.tracebacks()), own.tracebacks()


@pytest.fixture
def app_id() -> str:
    """An App of this test's own (development mode accepts any well-formed App ID)."""
    return secrets.token_hex(16)


# Clients reconnect quickly: the failure tests wait for them.
CLIENT_CONFIG: dict[str, Any] = {
    "reconnect_backoff_max": unit(0.3),
    "connect_timeout": unit(1),
}


@pytest.fixture
async def connect(app_id: str) -> AsyncIterator[ConnectFactory]:
    """Log a user in on a node: ``await connect(node, "alice")`` (logged out after)."""
    clients: list[openrtm.RtmClient] = []

    async def login(
        node: ClusterNode | str, uid: str, *, app: str | None = None, **config: Any
    ) -> openrtm.RtmClient:
        url = node if isinstance(node, str) else node.url
        client = openrtm.create_instance(app or app_id, {**CLIENT_CONFIG, **config}, server=url)
        clients.append(client)
        await client.login(uid)
        return client

    yield login
    for client in clients:
        if client.connection_state != "DISCONNECTED":
            with contextlib.suppress(openrtm.RtmError, TimeoutError):
                await client.logout()
