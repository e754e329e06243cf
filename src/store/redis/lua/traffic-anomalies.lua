-- traffic-anomalies.lua (ewTrafficAnomaliesV1): record the anomalies of the traffic keys of ONE
-- shard and decide each key's firing, atomically per key (README "Anomalous traffic", store.ts
-- recordTrafficAnomalies). Idempotent per (key, metric, bucket): a recorded one is kept as first
-- written. Per key, with t = its latest recorded bucket: drop anomalies with bucket <= t - window,
-- then fire at t when more than min count are left and the last firing is <= t - cooldown and
-- < t (or none); the firing is stored in the same script, so exactly one caller gets it.
--
-- KEYS[1]       {p:N}:tr-ledgers        ZSET  traffic key -> latest bucket ms (prune's index)
-- KEYS[2i]      {p:N}:tr-anomalies:<k>  ZSET  "<bucket>|<metric>" -> bucket ms   (i = 1..keys)
-- KEYS[2i+1]    {p:N}:tr-ledger:<k>     HASH  "<bucket>|<metric>" -> anomaly JSON; latest; fired
-- ARGV[1] window ms   ARGV[2] min count   ARGV[3] cooldown ms
-- ARGV[4..] per key, in KEYS order: traffic key id, n, then n x (bucket ms, metric, anomaly JSON)
--
-- Returns one array per key that fired: { key id, fired ms, member, JSON, member, JSON, ... }
-- with the window's anomalies ordered by bucket, then metric (bytes).

local window, min_count, cooldown = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
-- unpack() is bounded by Lua's C stack (~8000 values): long lists go in slices.
local SLICE = 1000

local function each_slice(list, fn)
  for i = 1, #list, SLICE do fn(unpack(list, i, math.min(i + SLICE - 1, #list))) end
end

local pos = 4
local k = 2
while pos <= #ARGV do
  local key_id, n = ARGV[pos], tonumber(ARGV[pos + 1])
  local zkey, hkey = KEYS[k], KEYS[k + 1]
  pos = pos + 2
  local latest = redis.call('HGET', hkey, 'latest')
  local t = latest and tonumber(latest) or nil
  for j = 0, n - 1 do
    local bucket, metric, json = ARGV[pos + 3 * j], ARGV[pos + 3 * j + 1], ARGV[pos + 3 * j + 2]
    local member = bucket .. '|' .. metric
    if redis.call('ZADD', zkey, 'NX', bucket, member) == 1 then redis.call('HSET', hkey, member, json) end
    if not t or tonumber(bucket) > t then t = tonumber(bucket) end
  end
  pos = pos + 3 * n
  local t_text = string.format('%d', t)
  redis.call('HSET', hkey, 'latest', t_text)
  redis.call('ZADD', KEYS[1], 'GT', t_text, key_id)

  local floor = string.format('%d', t - window)
  local gone = redis.call('ZRANGEBYSCORE', zkey, '-inf', floor)
  if #gone > 0 then
    each_slice(gone, function(...) redis.call('HDEL', hkey, ...) end)
    redis.call('ZREMRANGEBYSCORE', zkey, '-inf', floor)
  end

  local count = redis.call('ZCARD', zkey)
  local fired = redis.call('HGET', hkey, 'fired')
  local due = fired == false or (tonumber(fired) <= t - cooldown and tonumber(fired) < t)
  if count > min_count and due then
    redis.call('HSET', hkey, 'fired', t_text)
    local members = redis.call('ZRANGE', zkey, 0, -1)
    local firing = { key_id, t_text }
    local j = 0
    each_slice(members, function(...)
      local jsons = redis.call('HMGET', hkey, ...)
      for x = 1, select('#', ...) do
        j = j + 1
        firing[#firing + 1] = members[j]
        firing[#firing + 1] = jsons[x] or '{}'
      end
    end)
    out[#out + 1] = firing
  end
  k = k + 2
end
return out
