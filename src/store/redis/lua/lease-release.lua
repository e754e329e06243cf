-- lease-release.lua (ewLeaseReleaseV1): give up a named lease, only if the caller holds it
-- (compare and delete: a lease that ran out and was taken by another owner stays theirs).
--
-- KEYS[1] {p:N}:lease:<name>  STRING owner, with a PX expiry
-- ARGV[1] owner
--
-- Returns 1 when the lease was ARGV[1]'s and is now free, 0 otherwise.

if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
