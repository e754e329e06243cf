-- storm-resolve.lua (ewStormResolveV1): step 3 of 3 of a storm decision (see redis-storm.ts), in
-- ONE edge shard: enqueue each parked alert decided 'alert' exactly as observe.lua enqueues one
-- (unless its id is enqueued already), drop each decided 'held', and remove the parks.
-- Idempotent: an alert id no longer parked was resolved before (by this replica or another).
--
-- KEYS[1] {p:N}:storm-parked     HASH   alert id -> park record (JSON, see observe.lua)
-- KEYS[2] {p:N}:storm-parked-at  ZSET   alert id -> parked at ms
-- KEYS[3] {p:N}:outbox           STREAM
-- KEYS[4] {p:N}:alert-ids        HASH   alert id -> entry id
-- KEYS[5] {p:N}:deliveries       HASH   "<entry id>:<sink>" -> "<state>|<attempts>[|<error>]"
-- KEYS[6] {p:N}:counts           HASH   p:<sink> -> pending deliveries
-- ARGV[1..] per alert, 2 values: alert id, decision ('alert' | 'held')
--
-- Returns per alert: the outbox entry id when enqueued, 'held' when a held park was dropped,
-- '' when nothing was parked under that id (or its id was enqueued already).

-- The parks are read in one HMGET and removed in one HDEL (a first deploy resolves hundreds of
-- held-back parks per call); an id twice in one call is resolved by its first occurrence.

local out = {}
local removed = {}
if #ARGV == 0 then return out end
local aids = {}
for i = 1, #ARGV, 2 do aids[#aids + 1] = ARGV[i] end
local raws = redis.call('HMGET', KEYS[1], unpack(aids))
local gone = {}
for j = 1, #aids do
  local aid, decision = aids[j], ARGV[2 * j]
  local raw = raws[j]
  local result = ''
  if raw and not gone[aid] then
    gone[aid] = true
    removed[#removed + 1] = aid
    if decision == 'alert' then
      local p = cjson.decode(raw)
      -- A park without a draft was parked as held back for sure (observe.lua): never enqueued.
      if p.draft and redis.call('HEXISTS', KEYS[4], aid) == 0 then
        local sinks = cjson.decode(p.sinks)
        for _, sink in ipairs(sinks) do
          redis.pcall('XGROUP', 'CREATE', KEYS[3], sink, '$', 'MKSTREAM')
        end
        result = redis.call('XADD', KEYS[3], '*', 'id', aid, 'draft', p.draft, 'prev', p.prev, 'created', p.created, 'sinks', p.sinks)
        redis.call('HSET', KEYS[4], aid, result)
        for _, sink in ipairs(sinks) do
          redis.call('HSET', KEYS[5], result .. ':' .. sink, 'pending|0')
          redis.call('HINCRBY', KEYS[6], 'p:' .. sink, 1)
        end
      end
    else
      -- Held back: the park only has to go.
      result = 'held'
    end
  end
  out[#out + 1] = result
end
if #removed > 0 then
  redis.call('HDEL', KEYS[1], unpack(removed))
  redis.call('ZREM', KEYS[2], unpack(removed))
end
return out
