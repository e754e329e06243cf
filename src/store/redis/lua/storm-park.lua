-- storm-park.lua (ewStormParkV1): step 1 of 3 of a storm decision for an alert of no edge
-- (enqueueGuarded, see redis-guarded-enqueue.ts), in the shard N of its alert id: park it as
-- observe.lua parks a new edge's alert, for the same budget (step 2) and resolve (step 3), and
-- mark the id as guarded. An id enqueued (alert-ids, alert-owner), guarded or parked before is
-- left alone: it was decided, or is being decided, once.
--
-- KEYS[1] {p:N}:alert-ids         HASH  alert id -> entry id in this shard's outbox
-- KEYS[2] {p:N}:alert-owner       HASH  alert id -> "<shard>:<entry id>" (ids whose shard is N)
-- KEYS[3] {p:N}:storm-parked      HASH  alert id -> park record (JSON, see observe.lua)
-- KEYS[4] {p:N}:storm-parked-at   ZSET  alert id -> parked at (ms, server clock)
-- KEYS[5] {p:N}:storm-guarded     ZSET  alert id -> parked at: ids that went through here
-- ARGV[1] alert id   ARGV[2] draft JSON   ARGV[3] now ms (the entry's `created`)
-- ARGV[4] sinks to address, as a JSON array of strings
-- ARGV[5] cluster (the draft's)   ARGV[6] protocol (counted under it if held back)
-- ARGV[7] storm window ms         ARGV[8] storm cap per cluster per window
--
-- Returns {} when the id was seen before (nothing written), else { window start, parked at }:
-- the window holding the server's TIME, and that TIME in ms.

local aid = ARGV[1]
if redis.call('HEXISTS', KEYS[1], aid) == 1 or redis.call('HEXISTS', KEYS[2], aid) == 1
  or redis.call('ZSCORE', KEYS[5], aid) or redis.call('HEXISTS', KEYS[3], aid) == 1 then
  return {}
end
local t = redis.call('TIME')
local c = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local start = string.format('%d', c - (c % tonumber(ARGV[7])))
local at = string.format('%d', c)
local record = {
  draft = ARGV[2], prev = '', created = ARGV[3], sinks = ARGV[4], cluster = ARGV[5], protocol = ARGV[6],
  window = start, window_ms = ARGV[7], max = ARGV[8], parked_at = at,
}
redis.call('HSET', KEYS[3], aid, cjson.encode(record))
redis.call('ZADD', KEYS[4], at, aid)
redis.call('ZADD', KEYS[5], at, aid)
return { start, at }
