-- prune-edges.lua (ewPruneEdgesV1): delete edges of ONE shard that are still older than the cut,
-- after the caller read them (ZRANGEBYSCORE) and took them out of the per-workload index. An
-- edge refreshed in between is left alone.
--
-- KEYS[1] {p:N}:edges  ZSET  edge id -> last-seen ms
-- ARGV[1] cut ms (exclusive: edges at the cut stay)
-- ARGV[2..] edge ids
--
-- Returns the number of edges deleted.

local cut = tonumber(ARGV[1])
local deleted = 0
for i = 2, #ARGV do
  local seen = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if seen and tonumber(seen) < cut then
    redis.call('ZREM', KEYS[1], ARGV[i])
    deleted = deleted + 1
  end
end
return deleted
