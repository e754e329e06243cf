-- storm-budget.lua (ewStormBudgetV1): step 2 of 3 of a storm decision (see redis-storm.ts), in
-- the counter shard of ONE cluster: decide once per alert id whether the alert parked in its
-- edge's shard is raised ('alert', while the window's cap lasts) or held back (counted for the
-- window's summary). Idempotent: the decision is stored by alert id in the parked window's hash,
-- so a re-run (a sweeper after a crash between steps) returns it and counts nothing again.
--
-- KEYS[1] {p:C}:storm:<start>:<cluster>       HASH  the parked window W (see keys.ts for fields)
-- KEYS[2] {p:C}:storm:<late start>:<cluster>  HASH  a later window L, for held-back edges decided
--                                                   after W was summarised
-- KEYS[3] {p:C}:storm-due                     ZSET  "<start>|<cluster>" -> window end ms
-- ARGV[1] cluster
-- ARGV[2] cap per window
-- ARGV[3] W start ms     ARGV[4] W end ms
-- ARGV[5] L start ms     ARGV[6] L end ms (L starts after W)
-- ARGV[7] retention ms after a window's end (key TTL)
-- ARGV[8..] per alert, 3 values: alert id, protocol, time it was parked (ms)
--
-- Returns per alert: 'alert' | 'held' (counted in W) | 'held@<L start>' (counted in L) |
-- 'retry' (W and L both summarised: nothing recorded; call again with a later L).

local cluster, max = ARGV[1], tonumber(ARGV[2])
local w_start, w_end, l_start, l_end = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local retain = tonumber(ARGV[7])
local late_used = false
local out = {}

local function hold(key, start, stop, protocol, t)
  redis.call('HSETNX', key, 'end', stop)
  redis.call('HINCRBY', key, 'h:' .. protocol, 1)
  redis.call('HINCRBY', key, 'held', 1)
  local first = redis.call('HGET', key, 'first')
  if not first or tonumber(t) < tonumber(first) then redis.call('HSET', key, 'first', t) end
  redis.call('ZADD', KEYS[3], stop, start .. '|' .. cluster)
end

for i = 8, #ARGV, 3 do
  local aid, protocol, t = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local field = 'd:' .. aid
  local d = redis.call('HGET', KEYS[1], field)
  if not d then
    if tonumber(redis.call('HGET', KEYS[1], 'granted') or '0') < max then
      redis.call('HINCRBY', KEYS[1], 'granted', 1)
      d = 'alert'
    elseif redis.call('HEXISTS', KEYS[1], 'summary') == 0 then
      hold(KEYS[1], w_start, w_end, protocol, t)
      d = 'held'
    elseif redis.call('HEXISTS', KEYS[2], 'summary') == 0 then
      hold(KEYS[2], l_start, l_end, protocol, t)
      d = 'held@' .. l_start
      late_used = true
    end
    if d then
      redis.call('HSETNX', KEYS[1], 'end', w_end)
      redis.call('HSET', KEYS[1], field, d)
    end
  end
  out[#out + 1] = d or 'retry'
end

redis.call('PEXPIREAT', KEYS[1], tonumber(w_end) + retain)
if late_used then redis.call('PEXPIREAT', KEYS[2], tonumber(l_end) + retain) end
return out
