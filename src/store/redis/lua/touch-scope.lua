-- touch-scope.lua (ewTouchScopeV1): learning-period bookkeeping, the earliest point time of a scope.
--
-- KEYS[1] {p:N}:scopes  HASH scope -> earliest point ms
-- ARGV[1] scope
-- ARGV[2] point ms
--
-- Returns the earliest point ms recorded for the scope after this call (min of stored and ARGV[2]),
-- as a string.

local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored and tonumber(stored) <= tonumber(ARGV[2]) then
  return stored
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]
