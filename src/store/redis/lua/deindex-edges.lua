-- deindex-edges.lua (ewDeindexEdgesV1): remove edges from the per-workload index of alert context
-- for the workloads of ONE shard (prune, forget). A member that is not there changes nothing.
--
-- Called with a variable number of keys (numkeys first), two per workload:
-- KEYS[i]     {p:N}:wl-edges:<workload id>  ZSET  "<protocol><dir>|<peer>" -> first-seen ms
-- KEYS[i + 1] {p:N}:wl-peers:<workload id>  HASH  peer -> members of the ZSET with that peer
-- ARGV, per member, 3 values: i (index of the workload's ZSET in KEYS), member, peer
--
-- Returns the number of members removed.

local removed = 0
for a = 1, #ARGV, 3 do
  local ki = tonumber(ARGV[a])
  local z, h = KEYS[ki], KEYS[ki + 1]
  if redis.call('ZREM', z, ARGV[a + 1]) == 1 then
    removed = removed + 1
    if redis.call('HINCRBY', h, ARGV[a + 2], -1) <= 0 then redis.call('HDEL', h, ARGV[a + 2]) end
  end
end
return removed
