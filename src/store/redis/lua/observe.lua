-- observe.lua (ewObserveV1): decide new vs known for a batch of sightings of ONE shard, record
-- last-seen, and enqueue the alert of each new edge that carries one, atomically per sighting.
--
-- KEYS[1] {p:N}:edges       ZSET   edge id -> last-seen ms
-- KEYS[2] {p:N}:outbox      STREAM alert entries; one consumer group per sink
-- KEYS[3] {p:N}:alert-ids   HASH   alert id -> entry id
-- KEYS[4] {p:N}:deliveries  HASH   "<entry id>:<sink>" -> "<state>|<attempts>[|<error>]"
-- KEYS[5] {p:N}:counts      HASH   p:<sink> -> pending deliveries
-- ARGV[1] baseline window ms
-- ARGV[2] now ms (the entry's `created`)
-- ARGV[3] sinks to address, as a JSON array of strings
-- ARGV[4..] per sighting, 5 values: edge id, first ms, last ms, alert id ('' = no alert), draft JSON
--
-- Returns, per sighting in order, 4 values:
--   1 if new else 0; previous last-seen ('' if none); last-seen after the call;
--   the outbox entry id when an alert was enqueued, else ''.
-- New <=> no last-seen, or last-seen < first - window. Last-seen becomes max(previous, last)
-- (ZADD GT). An alert id already in alert-ids is not enqueued again.

local window = tonumber(ARGV[1])
local now = ARGV[2]
local sinks_json = ARGV[3]
local sinks = nil
local out = {}

for i = 4, #ARGV, 5 do
  local member, first, last, aid, draft = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local prev = redis.call('ZSCORE', KEYS[1], member)
  local is_new = (not prev) or tonumber(prev) < tonumber(first) - window
  local seen = last
  if prev and tonumber(prev) > tonumber(last) then seen = prev end
  redis.call('ZADD', KEYS[1], 'GT', last, member)

  local entry = ''
  if is_new and aid ~= '' and redis.call('HEXISTS', KEYS[3], aid) == 0 then
    sinks = sinks or cjson.decode(sinks_json)
    for _, sink in ipairs(sinks) do
      -- Created on first use; BUSYGROUP (it exists) is the usual answer and is ignored.
      redis.pcall('XGROUP', 'CREATE', KEYS[2], sink, '$', 'MKSTREAM')
    end
    entry = redis.call('XADD', KEYS[2], '*', 'id', aid, 'draft', draft, 'prev', prev or '', 'created', now, 'sinks', sinks_json)
    redis.call('HSET', KEYS[3], aid, entry)
    for _, sink in ipairs(sinks) do
      redis.call('HSET', KEYS[4], entry .. ':' .. sink, 'pending|0')
      redis.call('HINCRBY', KEYS[5], 'p:' .. sink, 1)
    end
  end

  out[#out + 1] = is_new and 1 or 0
  out[#out + 1] = prev or ''
  out[#out + 1] = seen
  out[#out + 1] = entry
end

return out
