-- claim.lua (ewClaimV1): lease up to `max` deliverable entries of one sink in ONE shard.
-- Deliverable: pending for this sink, and either never read by the sink's group, or due in the
-- sink's due set (a lease that ran out — a dead consumer's — or a retry time that has come).
-- The due set, not the PEL idle time, decides: a retry that is not due must not be claimable,
-- and XAUTOCLAIM cannot skip an entry without taking it.
--
-- KEYS[1] {p:N}:outbox       STREAM (consumer group = sink)
-- KEYS[2] {p:N}:due:<sink>   ZSET   entry id -> claimable from (ms)
-- KEYS[3] {p:N}:deliveries   HASH   "<entry id>:<sink>" -> "<state>|<attempts>[|<error>]"
-- ARGV[1] sink (= group name)
-- ARGV[2] consumer
-- ARGV[3] max entries
-- ARGV[4] lease ms
-- ARGV[5] now ms
--
-- Returns a list of entries, each {entry id, alert id, draft JSON, prev ('' or ms), created ms,
-- attempts}. Each is leased to the consumer until now + lease (PEL owner = consumer).

local sink, consumer = ARGV[1], ARGV[2]
local max, lease, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out = {}

local function field_of(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return ''
end

local function take(id, fields, attempts)
  redis.call('ZADD', KEYS[2], now + lease, id)
  out[#out + 1] = { id, field_of(fields, 'id'), field_of(fields, 'draft'), field_of(fields, 'prev'),
    field_of(fields, 'created'), attempts }
end

-- The delivery record: state and attempts, or nil when the entry is not addressed to this sink.
local function record(id)
  local rec = redis.call('HGET', KEYS[3], id .. ':' .. sink)
  if not rec then return nil end
  local state, attempts = string.match(rec, '^(%a+)|(%d+)')
  return state, attempts
end

if max <= 0 then return out end

-- 1. Expired leases and due retries, earliest first.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, max)) do
  local state, attempts = record(id)
  local claimed = {}
  if state == 'pending' then claimed = redis.call('XCLAIM', KEYS[1], sink, consumer, 0, id) end
  if claimed[1] and type(claimed[1][2]) == 'table' then
    take(id, claimed[1][2], attempts)
  else
    -- Finished, unaddressed or deleted: nothing to deliver.
    redis.call('ZREM', KEYS[2], id)
    redis.pcall('XACK', KEYS[1], sink, id)
  end
end

-- 2. Entries the group has never read. Rounds skip entries addressed to other sinks only.
for _ = 1, 10 do
  if #out >= max then break end
  local read = redis.pcall('XREADGROUP', 'GROUP', sink, consumer, 'COUNT', max - #out, 'STREAMS', KEYS[1], '>')
  if type(read) ~= 'table' or read.err or not read[1] then break end
  for _, e in ipairs(read[1][2]) do
    local id, fields = e[1], e[2]
    local state, attempts = record(id)
    if state ~= 'pending' then
      redis.call('XACK', KEYS[1], sink, id)
    else
      local due = redis.call('ZSCORE', KEYS[2], id)
      -- A retry recorded before the first read waits for its time (it stays in the PEL).
      if not due or tonumber(due) <= now then take(id, fields, attempts) end
    end
  end
end

return out
