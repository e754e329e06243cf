-- settle.lua (ewSettleV1): record the outcome of deliveries of one sink in ONE shard.
-- Only pending deliveries change; a finished one (delivered or failed) is left as is.
--
-- KEYS[1] {p:N}:outbox       STREAM (consumer group = sink)
-- KEYS[2] {p:N}:due:<sink>   ZSET   entry id -> claimable from (ms)
-- KEYS[3] {p:N}:deliveries   HASH   "<entry id>:<sink>" -> "<state>|<attempts>[|<error>]"
-- KEYS[4] {p:N}:counts       HASH   p:<sink>, f:<sink>
-- ARGV[1] outcome: delivered | failed | retry
-- ARGV[2] sink
-- ARGV[3] error ('' with delivered)
-- ARGV[4] retry at ms (retry only)
-- ARGV[5..] entry ids
--
-- Returns the number of deliveries changed.
--   delivered: XACK, attempts + 1, keeps the last error.
--   failed:    XACK, attempts + 1, error recorded, counted in f:<sink>.
--   retry:     stays in the PEL, attempts + 1, error recorded, claimable from ARGV[4].

local outcome, sink, err, retry_at = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local changed = 0

for i = 5, #ARGV do
  local id = ARGV[i]
  local field = id .. ':' .. sink
  local rec = redis.call('HGET', KEYS[3], field)
  local state, attempts, rest
  if rec then state, attempts, rest = string.match(rec, '^(%a+)|(%d+)(.*)$') end
  if state == 'pending' then
    attempts = tonumber(attempts) + 1
    if outcome == 'retry' then
      redis.call('HSET', KEYS[3], field, 'pending|' .. attempts .. '|' .. err)
      redis.call('ZADD', KEYS[2], retry_at, id)
    else
      local last = rest
      if outcome == 'failed' then last = '|' .. err end
      redis.call('HSET', KEYS[3], field, outcome .. '|' .. attempts .. last)
      redis.call('ZREM', KEYS[2], id)
      redis.pcall('XACK', KEYS[1], sink, id)
      redis.call('HINCRBY', KEYS[4], 'p:' .. sink, -1)
      if outcome == 'failed' then redis.call('HINCRBY', KEYS[4], 'f:' .. sink, 1) end
    end
    changed = changed + 1
  end
end

return changed
