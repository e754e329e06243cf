-- put-rule.lua (ewPutRuleV1): store (or replace) a rule and bump the rules version, atomically,
-- so a replica that sees the new version reads the new rule.
--
-- KEYS[1] {p:0}:rules          HASH    rule id -> rule JSON
-- KEYS[2] {p:0}:rules-version  STRING  counter
-- ARGV[1] rule id
-- ARGV[2] rule JSON
--
-- Returns the new version.

redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('INCR', KEYS[2])
