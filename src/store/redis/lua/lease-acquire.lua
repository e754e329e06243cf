-- lease-acquire.lua (ewLeaseAcquireV1): take or renew a named lease.
-- The key's expiry is the lease's end, kept by the server's clock (no replica clocks compared).
--
-- KEYS[1] {p:N}:lease:<name>  STRING owner, with a PX expiry
-- ARGV[1] owner
-- ARGV[2] ttl ms (> 0)
--
-- Returns 1 when ARGV[1] holds the lease after the call: renewed (it was its own: expiry reset
-- to now + ttl) or taken (SET NX PX: nobody held it, or the holder's lease ran out); 0 while
-- another owner holds it.

local owner, ttl = ARGV[1], ARGV[2]
if redis.call('GET', KEYS[1]) == owner then
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 1
end
if redis.call('SET', KEYS[1], owner, 'NX', 'PX', ttl) then return 1 end
return 0
