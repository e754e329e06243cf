-- storm-summarise.lua (ewStormSummariseV1): write the summary of ONE storm window and mark the
-- window summarised, atomically, in its cluster's counter shard; a compare-and-set on the
-- window's held-back total, so the summary carries exactly the counts it was built from. Once
-- marked, held-back edges decided later count in a later window (storm-budget.lua), and a
-- second summariser finds the mark: exactly one summary per cluster per window.
--
-- KEYS[1] {p:C}:storm:<start>:<cluster>  HASH   the window (fields in keys.ts)
-- KEYS[2] {p:C}:storm-due                ZSET   "<start>|<cluster>" -> window end ms
-- KEYS[3] {p:C}:outbox                   STREAM alert entries; one consumer group per sink
-- KEYS[4] {p:C}:alert-ids                HASH   alert id -> entry id
-- KEYS[5] {p:C}:deliveries               HASH   "<entry id>:<sink>" -> "<state>|<attempts>[|<error>]"
-- KEYS[6] {p:C}:counts                   HASH   p:<sink> -> pending deliveries
-- ARGV[1] the window's member of storm-due
-- ARGV[2] held-back total the summary was built from
-- ARGV[3] summary alert id (from cluster and window only)
-- ARGV[4] summary draft JSON
-- ARGV[5] sinks to address, as a JSON array of strings
-- ARGV[6] now ms (the entry's `created`)
--
-- Returns the entry id when the summary was enqueued; '' when the window is summarised already
-- or gone (expired); 'changed' when its total is not ARGV[2] any more (read it again).

local member, expected, aid, draft, sinks_json, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'summary') == 1 then
  redis.call('ZREM', KEYS[2], member)
  return ''
end
if (redis.call('HGET', KEYS[1], 'held') or '0') ~= expected then return 'changed' end
redis.call('HSET', KEYS[1], 'summary', aid)
redis.call('ZREM', KEYS[2], member)
if redis.call('HEXISTS', KEYS[4], aid) == 1 then return '' end
local sinks = cjson.decode(sinks_json)
for _, sink in ipairs(sinks) do
  redis.pcall('XGROUP', 'CREATE', KEYS[3], sink, '$', 'MKSTREAM')
end
local entry = redis.call('XADD', KEYS[3], '*', 'id', aid, 'draft', draft, 'prev', '', 'created', now, 'sinks', sinks_json)
redis.call('HSET', KEYS[4], aid, entry)
for _, sink in ipairs(sinks) do
  redis.call('HSET', KEYS[5], entry .. ':' .. sink, 'pending|0')
  redis.call('HINCRBY', KEYS[6], 'p:' .. sink, 1)
end
return entry
