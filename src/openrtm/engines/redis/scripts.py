"""The engine's Lua scripts: each read-modify-write that must be atomic is one script.

Every script touches the keys of one user or one channel only (one hash slot, keys.py), so
they stay valid on Redis Cluster. They run with EVALSHA (redis-py's ``Script`` loads them on a
NOSCRIPT reply, e.g. after a Redis restart).
"""

from __future__ import annotations

__all__ = [
    "ADD_SESSION",
    "HEARTBEAT",
    "JOIN",
    "LEAVE",
    "REMOVE_SESSION",
    "RESTORE_SESSION",
    "SET_ATTRIBUTES",
]

ADD_SESSION = """
-- A login: the session replaces any older one of the user, whose attributes go with it
-- (spec §6.6, §6.11). Returns 1 if the user was offline before (it just came online).
-- KEYS[1] the user's session HASH; ARGV[1] session id, ARGV[2] node id.
local was_offline = redis.call('DEL', KEYS[1]) == 0
redis.call('HSET', KEYS[1], 'sid', ARGV[1], 'node', ARGV[2])
if was_offline then return 1 end
return 0
"""

REMOVE_SESSION = """
-- A session ended: forget it and its attributes, unless a newer session replaced it.
-- Returns 1 if the user is now offline.
-- KEYS[1] the user's session HASH; ARGV[1] session id.
if redis.call('HGET', KEYS[1], 'sid') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

RESTORE_SESSION = """
-- Re-registering a live session after Redis lost it (a restart, or this node was taken for
-- dead): recorded unless another session of the user has taken its place meanwhile.
-- Returns 1 if recorded anew (the user came online again), 0 if it was there, -1 if another
-- session holds the user now.
-- KEYS[1] the user's session HASH; ARGV[1] session id, ARGV[2] node id.
local current = redis.call('HGET', KEYS[1], 'sid')
if not current then
  redis.call('HSET', KEYS[1], 'sid', ARGV[1], 'node', ARGV[2])
  return 1
end
if current == ARGV[1] then
  redis.call('HSET', KEYS[1], 'node', ARGV[2])
  return 0
end
return -1
"""

SET_ATTRIBUTES = """
-- Store the complete attribute set of a session, if it is still the user's session.
-- KEYS[1] the user's session HASH; ARGV[1] session id, ARGV[2] the attributes (msgpack).
if redis.call('HGET', KEYS[1], 'sid') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'attrs', ARGV[2])
  return 1
end
return 0
"""

JOIN = """
-- A member joins: returns {1 if it was not a member, the member count after}.
-- KEYS[1] the channel's member HASH; ARGV[1] uid, ARGV[2] node id.
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {added, redis.call('HLEN', KEYS[1])}
"""

LEAVE = """
-- A member leaves, if it is the member this node added (the same user may have joined again
-- through another node since). Returns {1 if removed, the member count after}.
-- KEYS[1] the channel's member HASH; ARGV[1] uid, ARGV[2] node id.
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return {1, redis.call('HLEN', KEYS[1])}
end
return {0, redis.call('HLEN', KEYS[1])}
"""

HEARTBEAT = """
-- A node is alive until now + ttl (Redis's clock: the nodes' clocks need not agree).
-- Returns {1 if the node was not registered (first beat, or Redis lost it, or it was taken
-- for dead and reaped), the ids of up to ARGV[3] nodes whose deadline has passed}.
-- KEYS[1] the node ZSET; ARGV[1] node id, ARGV[2] ttl (ms), ARGV[3] how many dead to list.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local new = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
return {new, dead}
"""
