-- traffic-moments-prune.lua (ewTrafficMomentsPruneV1): one HSCAN page of a shard's traffic
-- baselines; deletes the keys whose latest hour (the first 4 bytes of the packed state, see
-- traffic-add.lua: no unpacking) is before the cut hour.
--
-- KEYS[1] {p:N}:tr-moments  HASH  traffic key id -> packed state
-- ARGV[1] cut hour (exclusive: a key whose latest hour is the cut stays)
-- ARGV[2] HSCAN cursor ('0' to start)
-- ARGV[3] HSCAN COUNT
--
-- Returns {next cursor ('0': done), keys deleted}.

local cut = tonumber(ARGV[1])
local page = redis.call('HSCAN', KEYS[1], ARGV[2], 'COUNT', ARGV[3])
local flat = page[2]
local deleted = 0
for i = 1, #flat, 2 do
  if struct.unpack('>i4', flat[i + 1]) < cut then
    redis.call('HDEL', KEYS[1], flat[i])
    deleted = deleted + 1
  end
end
return { page[1], deleted }
