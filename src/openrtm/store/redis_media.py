"""The records of uploaded media objects on Redis (spec §1.6, §5.2).

Every record is a string key ``P:{media}:rec:<media_id>`` holding the msgpack array
``[app_id, size, content_type, width, height, uploader, created_ms, expires_ms]``, and its
expiry is indexed in one sorted set of ``<app_id>\\n<media_id>`` (:mod:`openrtm.store.redis_keys`).
All of them share the hash tag ``{media}``, so that a put can refuse a duplicate id and index
it in one script, and a take can delete what it returns in one script (two nodes sweeping at
once never both take a record), on Redis Cluster too. Uploads are rare and rate limited (spec
§5.2): one slot holds them all without strain. The objects' bytes are files the media service keeps.

Records carry no Redis expiry of their own: the sweeper must learn which files to remove.
"""

from __future__ import annotations

from typing import Any

import msgspec

from openrtm.store import redis_scripts
from openrtm.store.base import MediaRecord, StoreError
from openrtm.store.redis_keys import RedisKeys
from openrtm.store.redis_writer import Conversation, Pipelined, RedisCalls

__all__ = ["get", "ids", "put", "take_expired"]

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(tuple[str, int, str, int, int, str, int, int]).decode


def _member(app_id: str, media_id: str) -> str:
    return f"{app_id}\n{media_id}"


def _split(member: bytes) -> tuple[str, str]:
    app_id, media_id = member.decode().split("\n", 1)
    return app_id, media_id


def put(keys: RedisKeys, app_id: str, record: MediaRecord) -> Pipelined[None]:
    """Record one object; a duplicate id (in any App) fails with :class:`StoreError`."""
    body = _encode(
        (
            app_id,
            record.size,
            record.content_type,
            record.width,
            record.height,
            record.uploader,
            record.created_ms,
            record.expires_ms,
        )
    )

    def parse(replies: list[Any]) -> None:
        if not replies[0]:
            raise StoreError("a media record with this id exists")

    script = redis_scripts.MEDIA_PUT
    return Pipelined(
        [
            (
                "EVALSHA",
                script.sha,
                2,
                keys.media_record(record.media_id),
                keys.media_expiry,
                body,
                record.expires_ms,
                _member(app_id, record.media_id),
            )
        ],
        parse,
    )


def get(keys: RedisKeys, app_id: str, media_id: str, now_ms: int) -> Pipelined[MediaRecord | None]:
    """The object if it is the App's and not expired at ``now_ms``."""

    def parse(replies: list[Any]) -> MediaRecord | None:
        if replies[0] is None:
            return None
        owner, size, content_type, width, height, uploader, created_ms, expires_ms = _decode(
            replies[0]
        )
        if owner != app_id or expires_ms <= now_ms:
            return None
        return MediaRecord(
            media_id=media_id,
            size=size,
            content_type=content_type,
            width=width,
            height=height,
            uploader=uploader,
            created_ms=created_ms,
            expires_ms=expires_ms,
        )

    return Pipelined([("GET", keys.media_record(media_id))], parse)


def take_expired(keys: RedisKeys, now_ms: int, limit: int) -> Conversation[list[tuple[str, str]]]:
    """Delete up to ``limit`` expired records, soonest expired first; return their keys.

    Two round trips: the expiry index's due members, then the script that deletes those
    still due (their record keys declared, as Redis Cluster requires).
    """
    script = redis_scripts.MEDIA_TAKE_EXPIRED

    async def run(calls: RedisCalls) -> list[tuple[str, str]]:
        (due,) = await calls.call(
            [("ZRANGE", keys.media_expiry, "-inf", now_ms, "BYSCORE", "LIMIT", 0, limit)]
        )
        if not due:
            return []
        records = [keys.media_record(_split(member)[1]) for member in due]
        (taken,) = await calls.call(
            [("EVALSHA", script.sha, 1 + len(due), keys.media_expiry, *records, now_ms, *due)]
        )
        return [_split(member) for member in taken]

    return run


def ids(keys: RedisKeys) -> Pipelined[set[tuple[str, str]]]:
    """The ``(app_id, media_id)`` of every record (each is in the expiry index)."""
    return Pipelined(
        [("ZRANGE", keys.media_expiry, 0, -1)],
        lambda replies: {_split(member) for member in replies[0]},
    )
