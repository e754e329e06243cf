-- traffic-anomalies-prune.lua (ewTrafficAnomaliesPruneV1): delete the traffic-anomaly ledgers
-- of ONE shard whose latest bucket is before the cut (a firing is never after the latest
-- bucket), re-checked here so a ledger that a record raised since the caller listed it is kept.
--
-- KEYS[1]       {p:N}:tr-ledgers        ZSET  traffic key -> latest bucket ms
-- KEYS[2i]      {p:N}:tr-anomalies:<k>  ZSET  the key's anomalies      (i = 1..keys)
-- KEYS[2i+1]    {p:N}:tr-ledger:<k>     HASH  the key's anomaly JSONs, latest, fired
-- ARGV[1] cut ms
-- ARGV[1 + i] traffic key id of KEYS[2i], KEYS[2i+1]
--
-- Returns the number of ledgers deleted.

local cut = tonumber(ARGV[1])
local deleted = 0
for i = 2, #ARGV do
  local latest = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if latest and tonumber(latest) < cut then
    redis.call('DEL', KEYS[2 * (i - 1)], KEYS[2 * (i - 1) + 1])
    redis.call('ZREM', KEYS[1], ARGV[i])
    deleted = deleted + 1
  elseif not latest then
    -- Not indexed (deleted meanwhile): nothing of it may stay behind.
    redis.call('DEL', KEYS[2 * (i - 1)], KEYS[2 * (i - 1) + 1])
  end
end
return deleted
