-- prune.lua (ewPruneV1): drop what is older than the cut in ONE shard: edges last seen before it,
-- and outbox entries created before it whose every delivery is finished (delivered or failed),
-- with their alert id and delivery records. Pending entries stay, whatever their age.
--
-- KEYS[1] {p:N}:edges       ZSET   edge id -> last-seen ms
-- KEYS[2] {p:N}:outbox      STREAM
-- KEYS[3] {p:N}:alert-ids   HASH   alert id -> entry id
-- KEYS[4] {p:N}:deliveries  HASH   "<entry id>:<sink>" -> "<state>|<attempts>[|<error>]"
-- KEYS[5] {p:N}:counts      HASH   f:<sink> -> failed deliveries kept
-- ARGV[1] cut ms (exclusive: things at the cut stay)
-- ARGV[2] '' on the first call, else the cursor returned by the previous call
-- ARGV[3] entries to scan at most in this call (bounds the time the script blocks Redis)
--
-- Returns {edges deleted (first call only, else 0), cursor ('' when done), alert ids deleted...}.

local cut, cursor, limit = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local edges = 0
if cursor == '' then
  edges = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
end

local start = '-'
if cursor ~= '' then start = '(' .. cursor end
local entries = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', limit)
local out = { edges, '' }
local last = nil

for _, e in ipairs(entries) do
  local id, fields = e[1], e[2]
  local f = {}
  for i = 1, #fields, 2 do f[fields[i]] = fields[i + 1] end
  -- Entries are in creation order: the first one at or after the cut ends the scan.
  if tonumber(f.created) >= cut then
    last = nil
    break
  end
  last = id
  local sinks = cjson.decode(f.sinks or '[]')
  local finished = true
  local failed = {}
  for _, sink in ipairs(sinks) do
    local rec = redis.call('HGET', KEYS[4], id .. ':' .. sink)
    local state = rec and string.match(rec, '^(%a+)|')
    if state == 'pending' then
      finished = false
      break
    end
    if state == 'failed' then failed[#failed + 1] = sink end
  end
  if finished then
    for _, sink in ipairs(sinks) do redis.call('HDEL', KEYS[4], id .. ':' .. sink) end
    for _, sink in ipairs(failed) do redis.call('HINCRBY', KEYS[5], 'f:' .. sink, -1) end
    redis.call('XDEL', KEYS[2], id)
    if f.id and redis.call('HGET', KEYS[3], f.id) == id then redis.call('HDEL', KEYS[3], f.id) end
    out[#out + 1] = f.id or ''
  end
end

-- A full page may have more behind it.
if last and #entries >= limit then out[2] = last end
return out
