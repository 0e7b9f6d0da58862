"""The message history archive on Redis (spec §6.3), for the REST history API (spec §7.4).

An App's archive lives in one slot (:mod:`openrtm.store.redis_keys`): a hash of records by id,
and four sorted sets of ids scored by ``ts`` — every message, by source, by destination, and by
(source, destination) — so that each query shape of the REST API is one range of one sorted
set: ``ZRANGE ... BYSCORE [REV] LIMIT offset count`` for a page, ``ZCOUNT`` for a count, with no
filtering and no sort. Ids are an App counter in 16 hex digits: messages with the same ``ts``
sort by id, that is in recording order, and ``REV`` is the exact reverse.

A record is the msgpack array ``[src, dst, dst_kind, payload, ts]`` (the purge reads the first
two to name the indexes to clean).
"""

from __future__ import annotations

from typing import Any

import msgspec

from openrtm.store import redis_scripts
from openrtm.store.base import HistoryDestinationKind, HistoryOrder, HistoryRecord
from openrtm.store.redis_keys import RedisKeys
from openrtm.store.redis_writer import Command, Conversation, Pipelined, RedisCalls

__all__ = ["count", "purge", "query", "record", "select"]

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(list[tuple[str, str, HistoryDestinationKind, str, int]]).decode

_PURGE_CHUNK = 1_000
"""Records one purge script deletes: bounds how long it holds Redis (a few milliseconds)."""


def record(keys: RedisKeys, app_id: str, message: HistoryRecord) -> Pipelined[None]:
    """Archive one message."""
    body = _encode((message.src, message.dst, message.dst_kind, message.payload, message.ts))
    return Pipelined(
        [
            (
                "EVALSHA",
                redis_scripts.HISTORY_RECORD.sha,
                6,
                keys.history_seq(app_id),
                keys.history_messages(app_id),
                keys.history_all(app_id),
                keys.history_by_source(app_id, message.src),
                keys.history_by_destination(app_id, message.dst),
                keys.history_by_pair(app_id, message.src, message.dst),
                message.ts,
                body,
            ),
            ("SADD", keys.history_apps, app_id),
        ],
        lambda replies: None,
    )


def _records(replies: list[Any]) -> list[HistoryRecord]:
    bodies: list[bytes] = [body for body in replies[0] if body is not None]
    rows = _decode(b"\xdd" + len(bodies).to_bytes(4, "big") + b"".join(bodies))
    return [HistoryRecord(src, dst, kind, payload, ts) for src, dst, kind, payload, ts in rows]


def _index(keys: RedisKeys, app_id: str, source: str | None, destination: str | None) -> str:
    if source is not None and destination is not None:
        return keys.history_by_pair(app_id, source, destination)
    if source is not None:
        return keys.history_by_source(app_id, source)
    if destination is not None:
        return keys.history_by_destination(app_id, destination)
    return keys.history_all(app_id)


def select(
    keys: RedisKeys,
    app_id: str,
    *,
    source: str | None,
    destination: str | None,
    start_ms: int,
    end_ms: int,
    order: HistoryOrder,
    offset: int,
    limit: int,
) -> Pipelined[list[HistoryRecord]]:
    """One page of the window ``start_ms <= ts < end_ms`` of the index the filter picks."""
    return Pipelined(
        [
            (
                "EVALSHA",
                redis_scripts.HISTORY_QUERY.sha,
                2,
                _index(keys, app_id, source, destination),
                keys.history_messages(app_id),
                start_ms,
                f"({end_ms}",
                "1" if order == "desc" else "0",
                offset,
                limit,
            )
        ],
        _records,
    )


def query(
    keys: RedisKeys, app_id: str, start_ms: int, end_ms: int, limit: int
) -> Pipelined[list[HistoryRecord]]:
    """The app's first ``limit`` messages of the window, oldest first."""
    return select(
        keys,
        app_id,
        source=None,
        destination=None,
        start_ms=start_ms,
        end_ms=end_ms,
        order="asc",
        offset=0,
        limit=limit,
    )


def count(
    keys: RedisKeys,
    app_id: str,
    *,
    source: str | None,
    destination: str | None,
    start_ms: int,
    end_ms: int,
) -> Pipelined[int]:
    """How many messages the filtered window holds."""
    index = _index(keys, app_id, source, destination)
    return Pipelined([("ZCOUNT", index, start_ms, f"({end_ms}")], lambda replies: int(replies[0]))


def purge(keys: RedisKeys, before_ms: int) -> Conversation[None]:
    """Delete every archived message with ``ts < before_ms``, in every app, in chunks.

    Per chunk, three round trips for all the apps at once: the ids due (``ZRANGE``), their
    records (``HMGET``, to name their index keys), and the deleting script (every key it
    touches declared: Redis Cluster; records never change, so what was read holds).
    """
    script = redis_scripts.HISTORY_PURGE

    async def run(calls: RedisCalls) -> None:
        (members,) = await calls.call([("SMEMBERS", keys.history_apps)])
        apps = sorted(member.decode() for member in members)
        while apps:
            due = await calls.call(
                [
                    (
                        "ZRANGE",
                        keys.history_all(app_id),
                        "-inf",
                        f"({before_ms}",
                        "BYSCORE",
                        "LIMIT",
                        0,
                        _PURGE_CHUNK,
                    )
                    for app_id in apps
                ]
            )
            busy = [(app_id, ids) for app_id, ids in zip(apps, due, strict=True) if ids]
            if not busy:
                return
            bodies = await calls.call(
                [("HMGET", keys.history_messages(app_id), *ids) for app_id, ids in busy]
            )
            commands: list[Command] = []
            for (app_id, ids), records in zip(busy, bodies, strict=True):
                index_keys: list[str] = []
                known: list[bytes] = []
                lost: list[bytes] = []
                for record_id, body in zip(ids, records, strict=True):
                    if body is None:  # indexed but not recorded: only "all" can hold it
                        lost.append(record_id)
                        continue
                    src, dst = _source_destination(body)
                    index_keys += [
                        keys.history_by_source(app_id, src),
                        keys.history_by_destination(app_id, dst),
                        keys.history_by_pair(app_id, src, dst),
                    ]
                    known.append(record_id)
                if known:
                    commands.append(
                        (
                            "EVALSHA",
                            script.sha,
                            2 + len(index_keys),
                            keys.history_messages(app_id),
                            keys.history_all(app_id),
                            *index_keys,
                            *known,
                        )
                    )
                if lost:
                    commands.append(("ZREM", keys.history_all(app_id), *lost))
            await calls.call(commands)
            apps = [app_id for app_id, ids in busy if len(ids) >= _PURGE_CHUNK]

    return run


_decode_head = msgspec.msgpack.Decoder(tuple[str, str, HistoryDestinationKind, str, int]).decode


def _source_destination(body: bytes) -> tuple[str, str]:
    src, dst, _kind, _payload, _ts = _decode_head(body)
    return src, dst
