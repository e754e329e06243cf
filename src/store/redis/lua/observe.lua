-- observe.lua (ewObserveV3): decide new vs known for a batch of sightings of ONE shard, record
-- last-seen, and enqueue the alert of each new edge that carries one, atomically per sighting.
-- With the storm guard on, such an alert is parked instead (step 1 of 3, see redis-storm.ts):
-- the counter of its cluster lives in another shard, which this script may not touch.
--
-- KEYS[1] {p:N}:edges             ZSET   edge id -> last-seen ms
-- KEYS[2] {p:N}:outbox            STREAM alert entries; one consumer group per sink
-- KEYS[3] {p:N}:alert-ids         HASH   alert id -> entry id
-- KEYS[4] {p:N}:deliveries        HASH   "<entry id>:<sink>" -> "<state>|<attempts>[|<error>]"
-- KEYS[5] {p:N}:counts            HASH   p:<sink> -> pending deliveries
-- KEYS[6] {p:N}:storm-parked      HASH   alert id -> park record (JSON)
-- KEYS[7] {p:N}:storm-parked-at   ZSET   alert id -> parked at (ms, server clock)
-- ARGV[1] baseline window ms
-- ARGV[2] now ms (the entry's `created`)
-- ARGV[3] sinks to address, as a JSON array of strings
-- ARGV[4] storm cap per cluster per window (0 = storm guard off: enqueue directly)
-- ARGV[5] storm window ms
-- ARGV[6] '' or a storm window start W the caller saw spent (a 'held' decision of storm-budget
--         for these clusters, cap and window): sightings with an alert id and an empty draft
--         are then parked without their draft, as held back for sure (the window's granted count
--         only grows). If the server's current window is not W, nothing is written and the reply
--         is the single value 'redo' (the caller sends the drafts).
-- ARGV[7..] per sighting, 7 values: edge id, first ms, last ms, alert id ('' = no alert),
--           draft JSON ('' with ARGV[6]: park without it), cluster (the draft's), protocol
--
-- Returns, per sighting in order, 6 values:
--   1 if new else 0; previous last-seen ('' if none); last-seen after the call;
--   the outbox entry id when an alert was enqueued, else '';
--   the storm window start when the alert was parked, else ''; the park time ('' if not parked).
-- New <=> no last-seen, or last-seen < first - window. Last-seen becomes max(previous, last)
-- (ZADD GT). An alert id already in alert-ids (or parked) is neither enqueued nor parked again.
-- Needs ZMSCORE (Redis 6.2, as ZADD GT does).
-- Park record: {draft, prev, created, sinks, cluster, protocol, window, window_ms, max, parked_at}
-- (numbers as strings; no draft when parked as held back); the window is the one holding the
-- server's TIME.

local window = tonumber(ARGV[1])
local now = ARGV[2]
local sinks_json = ARGV[3]
local storm_max, storm_ms = tonumber(ARGV[4]), tonumber(ARGV[5])
local spent = ARGV[6]
local sinks = nil
local clock = nil
local out = {}
local parked = {}

local function server_clock()
  if not clock then
    local t = redis.call('TIME')
    clock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return clock
end

if spent ~= '' and storm_max > 0 then
  local c = server_clock()
  if string.format('%d', c - (c % storm_ms)) ~= spent then return { 'redo' } end
end

-- Read in one command per structure for the whole call, decided in order with what this call
-- wrote kept locally (a member or id twice in one call is seen as the commands would show it),
-- written in one command each at the end: a first deploy sends hundreds of new edges per call,
-- and per-sighting ZSCORE/ZADD/HEXISTS/HSETNX were most of its cost.
local members, aids = {}, {}
for i = 7, #ARGV, 7 do
  members[#members + 1] = ARGV[i]
  aids[#aids + 1] = ARGV[i + 3]
end
if #members == 0 then return out end
local prevs = redis.call('ZMSCORE', KEYS[1], unpack(members))
local enqueued_ids = redis.call('HMGET', KEYS[3], unpack(aids))
local parked_ids = storm_max > 0 and redis.call('HMGET', KEYS[6], unpack(aids)) or {}
local seen_now, ids_now = {}, {}
local zadd, parks = {}, {}

for j = 1, #members do
  local i = 7 + 7 * (j - 1)
  local member, first, last, aid, draft = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local prev = seen_now[member]
  if prev == nil then prev = prevs[j] or false end
  local is_new = (not prev) or tonumber(prev) < tonumber(first) - window
  local seen = last
  if prev and tonumber(prev) > tonumber(last) then seen = prev end
  seen_now[member] = seen
  zadd[#zadd + 1] = last
  zadd[#zadd + 1] = member

  local entry, park_window, parked_at = '', '', ''
  -- ids_now: 'e' enqueued or 'p' parked by this call (the alert-ids and storm-parked reads predate it).
  if is_new and aid ~= '' and not enqueued_ids[j] and ids_now[aid] ~= 'e' then
    if storm_max > 0 then
      -- Not parked already (before this call, or by it): an id is parked once.
      if not parked_ids[j] and ids_now[aid] ~= 'p' then
        local c = server_clock()
        local start = c - (c % storm_ms)
        local record = {
          prev = prev or '', created = now, sinks = sinks_json,
          cluster = ARGV[i + 5], protocol = ARGV[i + 6], window = string.format('%d', start),
          window_ms = ARGV[5], max = ARGV[4], parked_at = string.format('%d', c),
        }
        if draft ~= '' then record.draft = draft end
        parks[#parks + 1] = aid
        parks[#parks + 1] = cjson.encode(record)
        ids_now[aid] = 'p'
        park_window, parked_at = record.window, record.parked_at
        parked[#parked + 1] = c
        parked[#parked + 1] = aid
      end
    else
      sinks = sinks or cjson.decode(sinks_json)
      for _, sink in ipairs(sinks) do
        -- Created on first use; BUSYGROUP (it exists) is the usual answer and is ignored.
        redis.pcall('XGROUP', 'CREATE', KEYS[2], sink, '$', 'MKSTREAM')
      end
      entry = redis.call('XADD', KEYS[2], '*', 'id', aid, 'draft', draft, 'prev', prev or '', 'created', now, 'sinks', sinks_json)
      redis.call('HSET', KEYS[3], aid, entry)
      ids_now[aid] = 'e'
      for _, sink in ipairs(sinks) do
        redis.call('HSET', KEYS[4], entry .. ':' .. sink, 'pending|0')
        redis.call('HINCRBY', KEYS[5], 'p:' .. sink, 1)
      end
    end
  end

  out[#out + 1] = is_new and 1 or 0
  out[#out + 1] = prev or ''
  out[#out + 1] = seen
  out[#out + 1] = entry
  out[#out + 1] = park_window
  out[#out + 1] = parked_at
end

redis.call('ZADD', KEYS[1], 'GT', unpack(zadd))
if #parks > 0 then redis.call('HSET', KEYS[6], unpack(parks)) end
if #parked > 0 then redis.call('ZADD', KEYS[7], unpack(parked)) end
return out
