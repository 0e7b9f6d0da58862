"""The Redis engine (issue #15): many nodes on one Redis or Valkey.

``create_engine(url, node_id=None, presence_ttl=15.0)`` returns a :class:`RedisEngine`, whose
``broker`` and ``presence`` are the Node's ``broker=`` and ``presence=``;
``create_cluster_engine(seed_urls, ...)`` the same on Redis Cluster.
"""

from __future__ import annotations

from typing import Any

from openrtm.engines.redis.broker import RedisBroker
from openrtm.engines.redis.engine import RedisEngine, default_node_id
from openrtm.engines.redis.presence import RedisPresence

__all__ = [
    "RedisBroker",
    "RedisEngine",
    "RedisPresence",
    "create_cluster_engine",
    "create_engine",
    "default_node_id",
]


def create_engine(
    url: str,
    *,
    node_id: str | None = None,
    presence_ttl: float = 15.0,
    timeout: float = 2.0,
    prefix: str = "openrtm",
    **pool_options: Any,
) -> RedisEngine:
    """The engine of one node on the Redis at ``url`` (nothing is connected before start)."""
    return RedisEngine.from_url(
        url,
        node_id=node_id,
        presence_ttl=presence_ttl,
        timeout=timeout,
        prefix=prefix,
        **pool_options,
    )


def create_cluster_engine(
    urls: list[str],
    *,
    node_id: str | None = None,
    presence_ttl: float = 15.0,
    timeout: float = 2.0,
    prefix: str = "openrtm",
) -> RedisEngine:
    """The engine of one node on the Redis Cluster of seed nodes ``urls`` (sharded PUB/SUB)."""
    return RedisEngine.from_cluster(
        urls, node_id=node_id, presence_ttl=presence_ttl, timeout=timeout, prefix=prefix
    )
