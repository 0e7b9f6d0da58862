"""The offline-message inbox on Redis (spec §6.2): 200 per receiver, 7 days, oldest dropped.

Each receiver's inbox is a sorted set scored by seq (:mod:`openrtm.store.redis_keys`), so a put
(script :data:`~openrtm.store.redis_scripts.INBOX_PUT`: add, cap, expire), a peek (``ZRANGE``)
and an ack (``ZREMRANGEBYSCORE``) each touch one key of one slot. A member is
``<seq>:<ts>:<msgpack (sender, mid, payload)>``.

A seq is Redis's clock in microseconds when the entry was stored, raised above the receiver's
previous seq if the clock ever went back (the receiver's last seq is kept for 7 days beside its
inbox): it grows with every put of a receiver, even after all of them were acked, and follows
the order of the puts across receivers. It is not drawn from one counter for the whole store
(a counter every put shares would be a key of its own slot, out of reach of the put's script on
Redis Cluster): two receivers' entries stored in the same microsecond may share a seq, which is
harmless, since a seq is only ever compared with the same receiver's (peek, ack).

Expired entries (``ts`` before ``now - INBOX_TTL_MS``) are skipped by a peek and still count
towards the cap until purged, as in the SQLite store. The purge walks the set of receivers that
may hold entries; besides, a whole inbox expires 7 days after its last put, so an inbox the
purge never reaches still goes.
"""

from __future__ import annotations

from typing import Any

import msgspec

from openrtm.store import redis_scripts
from openrtm.store.base import INBOX_CAP, INBOX_TTL_MS, InboxEntry
from openrtm.store.redis_keys import RedisKeys
from openrtm.store.redis_writer import Conversation, Pipelined, RedisCalls

__all__ = ["ack", "peek", "purge_expired", "put"]

_encode = msgspec.msgpack.Encoder().encode
_decode_body = msgspec.msgpack.Decoder(tuple[str, str, bytes]).decode

_PURGE_SCAN = 500
"""Receivers per SSCAN step and per pipeline of purge scripts."""


def _receiver(app_id: str, uid: str) -> str:
    return f"{app_id}\n{uid}"  # App IDs are 32 letters and digits: the first newline splits


def put(
    keys: RedisKeys, app_id: str, receiver: str, sender: str, mid: str, payload: bytes, ts: int
) -> Pipelined[None]:
    """Store an entry (and note that the receiver may have mail, for the purge)."""
    script = redis_scripts.INBOX_PUT
    return Pipelined(
        [
            (
                "EVALSHA",
                script.sha,
                2,
                keys.inbox(app_id, receiver),
                keys.inbox_seq(app_id, receiver),
                ts,
                _encode((sender, mid, payload)),
                INBOX_CAP,
                INBOX_TTL_MS,
            ),
            ("SADD", keys.inbox_receivers, _receiver(app_id, receiver)),
        ],
        lambda replies: None,
    )


def peek(
    keys: RedisKeys, app_id: str, receiver: str, now_ms: int, limit: int
) -> Pipelined[list[InboxEntry]]:
    """The receiver's oldest ``limit`` unexpired entries: it reads all (at most the cap)."""

    def parse(replies: list[Any]) -> list[InboxEntry]:
        cutoff = now_ms - INBOX_TTL_MS
        entries: list[InboxEntry] = []
        for member in replies[0]:
            seq, ts, body = member.split(b":", 2)
            if int(ts) < cutoff:
                continue
            sender, mid, payload = _decode_body(body)
            entries.append(InboxEntry(int(seq), sender, mid, payload, int(ts)))
            if len(entries) == limit:
                break
        return entries

    return Pipelined([("ZRANGE", keys.inbox(app_id, receiver), 0, -1)], parse)


def ack(keys: RedisKeys, app_id: str, receiver: str, up_to_seq: int) -> Pipelined[None]:
    """Delete the receiver's entries with ``seq <= up_to_seq``."""
    return Pipelined(
        [("ZREMRANGEBYSCORE", keys.inbox(app_id, receiver), "-inf", up_to_seq)],
        lambda replies: None,
    )


def purge_expired(keys: RedisKeys, now_ms: int) -> Conversation[None]:
    """Delete every expired entry of every receiver that may have mail, in every app."""
    cutoff = now_ms - INBOX_TTL_MS
    script = redis_scripts.INBOX_PURGE

    async def purge(calls: RedisCalls) -> None:
        cursor: int | bytes = 0
        while True:
            cursor, members = (
                await calls.call([("SSCAN", keys.inbox_receivers, cursor, "COUNT", _PURGE_SCAN)])
            )[0]
            receivers = [member.decode().split("\n", 1) for member in members]
            left = await calls.call(
                [
                    ("EVALSHA", script.sha, 1, keys.inbox(app_id, uid), cutoff)
                    for app_id, uid in receivers
                ]
            )
            empty = [m for m, n in zip(members, left, strict=True) if n == 0]
            if empty:
                # A put racing this may be un-noted here; its inbox still expires by itself.
                await calls.call([("SREM", keys.inbox_receivers, *empty)])
            if int(cursor) == 0:
                return

    return purge
