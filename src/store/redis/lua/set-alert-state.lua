-- set-alert-state.lua (ewSetAlertStateV1): record an alert's state change (ack, expect), if the
-- alert exists, and return the record it replaces, atomically. Both keys are of the shard of the
-- alert id: alert-owner knows every alert id whose shard this is.
--
-- KEYS[1] {p:N}:alert-owner   HASH  alert id -> "<shard>:<entry id>"
-- KEYS[2] {p:N}:alert-states  HASH  alert id -> state JSON
-- ARGV[1] alert id
-- ARGV[2] the new state record (JSON)
--
-- Returns {0} when no such alert exists (nothing changes), else {1, previous record JSON or ''}.

local aid, record = ARGV[1], ARGV[2]
if redis.call('HEXISTS', KEYS[1], aid) == 0 then
  return { 0 }
end
local before = redis.call('HGET', KEYS[2], aid)
redis.call('HSET', KEYS[2], aid, record)
return { 1, before or '' }
