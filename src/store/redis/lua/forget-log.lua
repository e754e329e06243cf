-- forget-log.lua (ewForgetLogV1): append a forgotten edge to the forget log, trimming it to its
-- last ARGV[2] entries. Each entry names the entry before it, so a reader can tell that entries
-- between its cursor and the oldest one kept were trimmed. Called BEFORE the edge is deleted (the
-- delete is on the edge's shard, another slot): a crash in between leaves a logged edge that was
-- not deleted, which only makes replicas drop a known edge from their caches (one store lookup).
--
-- KEYS[1] {p:0}:forgets  STREAM  fields edge (edge id), prev (previous entry id, '0-0' for none)
-- ARGV[1] edge id
-- ARGV[2] entries to keep (exact MAXLEN, >= 1)
--
-- Returns the new entry's id.

local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = '0-0'
if last[1] then prev = last[1][1] end
return redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '*', 'edge', ARGV[1], 'prev', prev)
