"""The Lua scripts of the Redis store: each read-modify-write that must be atomic in Redis.

A script runs atomically in Redis, so what it reads cannot change before it writes. Every script
touches only keys it declares in ``KEYS``, all of one hash slot (see
:mod:`openrtm.store.redis_keys`), as Redis Cluster requires: where the keys to clean are named
by what is stored (the history purge, the media take), the caller reads them first and the
script checks, in its atomic step, that what it deletes is still to be deleted.

Scripts are called by SHA (``EVALSHA``), loaded at open and again after a reconnection (a Redis
restarted without its script cache answers ``NOSCRIPT``; the writer then loads them and runs the
operation again). Numbers pass as decimal strings; Lua numbers are doubles, exact up to 2**53,
which bounds every value here (microsecond clocks, millisecond timestamps, counters).
"""

from __future__ import annotations

import hashlib
from typing import Final

__all__ = [
    "ALL",
    "ATTRIBUTES_UNINDEX",
    "ATTRIBUTES_WRITE",
    "CALL_COUNT",
    "EVENTS_TAKE",
    "HISTORY_PURGE",
    "HISTORY_QUERY",
    "HISTORY_RECORD",
    "INBOX_PURGE",
    "INBOX_PUT",
    "MEDIA_PUT",
    "MEDIA_TAKE_EXPIRED",
    "QUERY_HANDLE_CREATE",
    "QUERY_HANDLE_FINISH",
    "Script",
]


class Script:
    """One Lua script and its SHA1, by which ``EVALSHA`` calls it."""

    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def __repr__(self) -> str:
        return f"Script({self.name!r})"


INBOX_PUT: Final = Script(
    "inbox_put",
    """
-- Store one offline message (spec §6.2), drop the oldest beyond the cap, return its seq.
-- KEYS[1] the receiver's inbox ZSET   KEYS[2] the receiver's last seq (STRING)
-- ARGV[1] ts (ms)   ARGV[2] the encoded entry   ARGV[3] the cap (200)   ARGV[4] the TTL (ms)
-- The seq is Redis's clock in microseconds, raised above the receiver's last seq: it grows
-- with every put of the receiver and, across receivers, follows the order of the puts. The
-- member is "<seq>:<ts>:<entry>", unique (by its seq), its ts readable by the purge.
local t = redis.call('TIME')
local seq = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if seq <= last then seq = last + 1 end
local s = string.format('%.0f', seq)
redis.call('SET', KEYS[2], s, 'PX', ARGV[4])
redis.call('ZADD', KEYS[1], s, s .. ':' .. ARGV[1] .. ':' .. ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
local cap = tonumber(ARGV[3])
if n > cap then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - cap - 1) end
-- The whole inbox goes 7 days after its last put, even if no purge ever reaches it.
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return s
""",
)

INBOX_PURGE: Final = Script(
    "inbox_purge",
    """
-- Delete a receiver's expired entries (ts < cutoff); return how many entries are left.
-- KEYS[1] the receiver's inbox ZSET   ARGV[1] the cutoff (ms)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local cutoff = tonumber(ARGV[1])
local gone = {}
for _, m in ipairs(members) do
  local ts = tonumber(string.match(m, '^%d+:(%-?%d+):'))
  if ts < cutoff then gone[#gone + 1] = m end
end
for i = 1, #gone, 500 do
  redis.call('ZREM', KEYS[1], unpack(gone, i, math.min(i + 499, #gone)))
end
return #members - #gone
""",
)

EVENTS_TAKE: Final = Script(
    "events_take",
    """
-- Remove and return the oldest events of an App's ring (spec §7.5: a destructive read).
-- KEYS[1] the events LIST   ARGV[1] the most to take
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then redis.call('LTRIM', KEYS[1], #items, -1) end
return items
""",
)

HISTORY_RECORD: Final = Script(
    "history_record",
    """
-- Archive one message (spec §6.3) under a new id, in the four indexes the reads use.
-- KEYS[1] the App's record counter   KEYS[2] the records HASH   KEYS[3] the all-messages ZSET
-- KEYS[4] by source   KEYS[5] by destination   KEYS[6] by (source, destination): ZSETs
-- ARGV[1] ts (ms), the score   ARGV[2] the encoded record
-- The id is the counter in 16 hex digits: equal scores sort by id, that is by recording.
local id = string.format('%016x', redis.call('INCR', KEYS[1]))
redis.call('HSET', KEYS[2], id, ARGV[2])
for i = 3, 6 do redis.call('ZADD', KEYS[i], ARGV[1], id) end
return id
""",
)

HISTORY_QUERY: Final = Script(
    "history_query",
    """
-- One page of an index's time window, as records (spec §7.4).
-- KEYS[1] the index ZSET   KEYS[2] the records HASH
-- ARGV[1] start (inclusive)   ARGV[2] end, as "(<ms>" (exclusive)   ARGV[3] "1" for newest first
-- ARGV[4] offset   ARGV[5] limit
local ids
if ARGV[3] == '1' then
  ids = redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[1], 'BYSCORE', 'REV', 'LIMIT', ARGV[4], ARGV[5])
else
  ids = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYSCORE', 'LIMIT', ARGV[4], ARGV[5])
end
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(ids))
""",
)

HISTORY_PURGE: Final = Script(
    "history_purge",
    """
-- Delete archived records (spec §6.3) and their index entries; return how many were there.
-- KEYS[1] the records HASH   KEYS[2] the all-messages ZSET
-- KEYS[3i..3i+2] (i = 1, 2, ...) the by-source, by-destination and by-pair ZSETs of ARGV[i]
-- ARGV[i] a record id
-- The caller read the records to name their index keys (every key a script touches must be
-- declared, for Redis Cluster): a record never changes once written, so what it read is
-- still true, and deleting twice (two nodes purging at once) deletes nothing the second time.
local n = 0
for i, id in ipairs(ARGV) do
  redis.call('ZREM', KEYS[3 * i], id)
  redis.call('ZREM', KEYS[3 * i + 1], id)
  redis.call('ZREM', KEYS[3 * i + 2], id)
  n = n + redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return n
""",
)

ATTRIBUTES_WRITE: Final = Script(
    "attributes_write",
    """
-- Write a channel's attributes (spec §6.7) if nobody wrote since the caller read them.
-- KEYS[1] the attributes HASH   KEYS[2] the channel's write counter
-- ARGV[1] the counter the caller read ("" = write whatever it is)
-- ARGV[2] "set" (replace the whole HASH), "update" (HSET) or "delete" (HDEL)
-- ARGV[3..] field, value, field, value, ... (set, update) or fields (delete)
-- Returns the new counter, or -1 if another writer came first (the caller reads and retries).
local ver = tonumber(redis.call('GET', KEYS[2]) or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= ver then return -1 end
if ARGV[2] == 'set' then redis.call('DEL', KEYS[1]) end
if #ARGV > 2 then
  if ARGV[2] == 'delete' then
    redis.call('HDEL', KEYS[1], unpack(ARGV, 3))
  else
    redis.call('HSET', KEYS[1], unpack(ARGV, 3))
  end
end
return redis.call('INCR', KEYS[2])
""",
)

ATTRIBUTES_UNINDEX: Final = Script(
    "attributes_unindex",
    """
-- Forget a channel left without attributes at counter ARGV[2], unless written since.
-- KEYS[1] the App's channels-with-attributes ZSET (score = counter of the last write)
-- ARGV[1] the channel   ARGV[2] the counter at which it was found empty
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) <= tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
""",
)

MEDIA_PUT: Final = Script(
    "media_put",
    """
-- Record an uploaded object unless its id exists; index its expiry. 1 if recorded, else 0.
-- KEYS[1] the record   KEYS[2] the expiry ZSET
-- ARGV[1] the encoded record   ARGV[2] expires_ms   ARGV[3] "<app>\\n<media id>"
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
return 0
""",
)

MEDIA_TAKE_EXPIRED: Final = Script(
    "media_take_expired",
    """
-- Delete the records of the expiry index's members ARGV[2..] that are still expired at
-- ARGV[1] (ms); return those deleted, as "<app>\\n<media id>" (two nodes sweeping at once
-- never both take one).
-- KEYS[1] the expiry ZSET   KEYS[i] (i >= 2) the record of ARGV[i] (declared for Redis
-- Cluster: the caller read the index first)
local now = tonumber(ARGV[1])
local taken = {}
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) <= now then
    redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[1], ARGV[i])
    taken[#taken + 1] = ARGV[i]
  end
end
return taken
""",
)

CALL_COUNT: Final = Script(
    "call_count",
    """
-- Count one call against a per-App budget shared by every node (spec §5.4): a fixed window
-- that starts at its first call. Returns the calls in the window, this one included.
-- KEYS[1] the App's counter of the budget   ARGV[1] the window (ms)
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
""",
)

QUERY_HANDLE_CREATE: Final = Script(
    "query_handle_create",
    """
-- Record a pending history query handle (spec §7.4), unless the App holds ARGV[3] live ones.
-- Returns -1 if recorded, else the ms until the App's oldest handle expires.
-- KEYS[1] the handle's result (STRING, "" while pending)   KEYS[2] the App's handles ZSET
-- (handle -> expiry, Redis clock ms)   ARGV[1] the handle   ARGV[2] its TTL (ms)
-- ARGV[3] the most live handles an App may hold
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return math.max(0, tonumber(oldest[2]) - now)
end
redis.call('SET', KEYS[1], '', 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return -1
""",
)

QUERY_HANDLE_FINISH: Final = Script(
    "query_handle_finish",
    """
-- Store a query's result under its handle, if the handle still lives (its TTL kept).
-- KEYS[1] the handle's result   ARGV[1] the result
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
end
return 0
""",
)

ALL: Final = (
    INBOX_PUT,
    INBOX_PURGE,
    EVENTS_TAKE,
    HISTORY_RECORD,
    HISTORY_QUERY,
    HISTORY_PURGE,
    ATTRIBUTES_WRITE,
    ATTRIBUTES_UNINDEX,
    MEDIA_PUT,
    MEDIA_TAKE_EXPIRED,
    CALL_COUNT,
    QUERY_HANDLE_CREATE,
    QUERY_HANDLE_FINISH,
)
"""Every script, loaded at open (``SCRIPT LOAD``) and after a reconnection."""
