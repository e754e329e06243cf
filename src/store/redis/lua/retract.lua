-- retract.lua (ewRetractV1): take back an entry that observe.lua just enqueued when the same alert
-- id turned out to be enqueued already in another shard (two edges can carry one alert id only
-- by construction in tests; a real id hashes the edge). Undoes what observe.lua wrote.
--
-- KEYS[1] {p:N}:outbox      STREAM
-- KEYS[2] {p:N}:alert-ids   HASH   alert id -> entry id
-- KEYS[3] {p:N}:deliveries  HASH   "<entry id>:<sink>" -> "<state>|<attempts>[|<error>]"
-- KEYS[4] {p:N}:counts      HASH   p:<sink>, f:<sink>
-- ARGV[1] entry id
-- ARGV[2] alert id
--
-- Returns 1 if the entry existed and was removed, else 0.

local entry, aid = ARGV[1], ARGV[2]
local found = redis.call('XRANGE', KEYS[1], entry, entry)
if #found == 0 then return 0 end
local fields = found[1][2]
local sinks_json = '[]'
for i = 1, #fields, 2 do
  if fields[i] == 'sinks' then sinks_json = fields[i + 1] end
end
for _, sink in ipairs(cjson.decode(sinks_json)) do
  local field = entry .. ':' .. sink
  local rec = redis.call('HGET', KEYS[3], field)
  if rec then
    local state = string.match(rec, '^(%a+)|')
    if state == 'pending' then redis.call('HINCRBY', KEYS[4], 'p:' .. sink, -1) end
    if state == 'failed' then redis.call('HINCRBY', KEYS[4], 'f:' .. sink, -1) end
    redis.call('HDEL', KEYS[3], field)
  end
  redis.pcall('XACK', KEYS[1], sink, entry)
end
redis.call('XDEL', KEYS[1], entry)
if redis.call('HGET', KEYS[2], aid) == entry then redis.call('HDEL', KEYS[2], aid) end
return 1
