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
local out = {}

-- Read once, counted here, written once at the end: a first deploy sends hundreds of alerts per
-- call, nearly all held back (one HMGET and one HSET of their decisions instead of ~10 calls each).
local fields = {}
for i = 8, #ARGV, 3 do fields[#fields + 1] = 'd:' .. ARGV[i] end
if #fields == 0 then return out end
local stored = redis.call('HMGET', KEYS[1], unpack(fields))
local granted = tonumber(redis.call('HGET', KEYS[1], 'granted') or '0')
local granted0 = granted
local w_summarised = redis.call('HEXISTS', KEYS[1], 'summary') == 1
local l_summarised = redis.call('HEXISTS', KEYS[2], 'summary') == 1
-- Per window: held back per protocol, in total, and the earliest time.
local tally = { w = { n = 0, by = {}, first = nil }, l = { n = 0, by = {}, first = nil } }
local decided = {}
local writes = {}

local function hold(t, protocol, at)
  t.n = t.n + 1
  t.by[protocol] = (t.by[protocol] or 0) + 1
  if not t.first or tonumber(at) < t.first then t.first = tonumber(at) end
end

for j = 1, #fields do
  local i = 8 + 3 * (j - 1)
  local aid, protocol, t = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local d = decided[aid] or stored[j]
  if not d then
    if granted < max then
      granted = granted + 1
      d = 'alert'
    elseif not w_summarised then
      hold(tally.w, protocol, t)
      d = 'held'
    elseif not l_summarised then
      hold(tally.l, protocol, t)
      d = 'held@' .. l_start
    end
    if d then
      decided[aid] = d
      writes[#writes + 1] = fields[j]
      writes[#writes + 1] = d
    end
  end
  out[#out + 1] = d or 'retry'
end

local function flush(key, t, start, stop)
  redis.call('HSETNX', key, 'end', stop)
  for protocol, n in pairs(t.by) do redis.call('HINCRBY', key, 'h:' .. protocol, n) end
  redis.call('HINCRBY', key, 'held', t.n)
  local first = redis.call('HGET', key, 'first')
  if not first or t.first < tonumber(first) then redis.call('HSET', key, 'first', string.format('%d', t.first)) end
  redis.call('ZADD', KEYS[3], stop, start .. '|' .. cluster)
end

if granted > granted0 then redis.call('HINCRBY', KEYS[1], 'granted', granted - granted0) end
if tally.w.n > 0 then flush(KEYS[1], tally.w, w_start, w_end) end
if tally.l.n > 0 then flush(KEYS[2], tally.l, l_start, l_end) end
if #writes > 0 then
  redis.call('HSETNX', KEYS[1], 'end', w_end)
  redis.call('HSET', KEYS[1], unpack(writes))
end

redis.call('PEXPIREAT', KEYS[1], tonumber(w_end) + retain)
if tally.l.n > 0 then redis.call('PEXPIREAT', KEYS[2], tonumber(l_end) + retain) end
return out
