-- storm-parked.lua (ewStormParkedV1): the parks of ONE edge shard old enough to be taken for
-- abandoned (the replica that parked them crashed between steps, see redis-storm.ts). Age on the
-- server's clock, which also stamped the parks.
--
-- KEYS[1] {p:N}:storm-parked-at  ZSET  alert id -> parked at ms
-- KEYS[2] {p:N}:storm-parked     HASH  alert id -> park record (JSON)
-- ARGV[1] minimum age ms
-- ARGV[2] parks to return at most
--
-- Returns a flat list: alert id, park record, alert id, park record, ...

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, tonumber(ARGV[2]))
for _, aid in ipairs(ids) do
  local raw = redis.call('HGET', KEYS[2], aid)
  if raw then
    out[#out + 1] = aid
    out[#out + 1] = raw
  else
    redis.call('ZREM', KEYS[1], aid)
  end
end
return out
