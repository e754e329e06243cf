-- storm-due.lua (ewStormDueV1): the storm windows of ONE counter shard that ended at least the
-- grace ago on the server's clock (the clock its windows' late decisions are checked against)
-- and still wait for their summary.
--
-- KEYS[1] {p:C}:storm-due  ZSET  "<start>|<cluster>" -> window end ms
-- ARGV[1] grace ms
-- ARGV[2] windows to return at most
--
-- Returns the due members, earliest end first.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, tonumber(ARGV[2]))
