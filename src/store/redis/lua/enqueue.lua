-- enqueue.lua (ewEnqueueV1): enqueue an alert that belongs to no sighting (the storm guard's
-- summary) in the shard of its alert id, unless that id is enqueued already anywhere. The
-- alert-owner hash of this shard holds every id whose shard this is, so the check and the
-- XADD are one atomic step.
--
-- KEYS[1] {p:N}:outbox       STREAM alert entries; one consumer group per sink
-- KEYS[2] {p:N}:alert-ids    HASH   alert id -> entry id (entries of this shard)
-- KEYS[3] {p:N}:deliveries   HASH   "<entry id>:<sink>" -> "<state>|<attempts>[|<error>]"
-- KEYS[4] {p:N}:counts       HASH   p:<sink> -> pending deliveries
-- KEYS[5] {p:N}:alert-owner  HASH   alert id -> "<shard>:<entry id>" (ids whose shard is N)
-- ARGV[1] now ms (the entry's `created`)
-- ARGV[2] sinks to address, as a JSON array of strings
-- ARGV[3] alert id
-- ARGV[4] draft JSON
-- ARGV[5] this shard's number N (for alert-owner)
--
-- Returns the entry id, or '' when the id was enqueued already (nothing changes).

local now, sinks_json, aid, draft, shard = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('HEXISTS', KEYS[2], aid) == 1 or redis.call('HEXISTS', KEYS[5], aid) == 1 then
  return ''
end
local sinks = cjson.decode(sinks_json)
for _, sink in ipairs(sinks) do
  redis.pcall('XGROUP', 'CREATE', KEYS[1], sink, '$', 'MKSTREAM')
end
local entry = redis.call('XADD', KEYS[1], '*', 'id', aid, 'draft', draft, 'prev', '', 'created', now, 'sinks', sinks_json)
redis.call('HSET', KEYS[2], aid, entry)
redis.call('HSET', KEYS[5], aid, shard .. ':' .. entry)
for _, sink in ipairs(sinks) do
  redis.call('HSET', KEYS[3], entry .. ':' .. sink, 'pending|0')
  redis.call('HINCRBY', KEYS[4], 'p:' .. sink, 1)
end
return entry
